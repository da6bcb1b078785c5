"""The role matrix over every URL of the site and every operation of the REST API, for each role and for
anonymous callers; and CSRF on representative forms.

The site's URLs are read from Django's resolver and the API's operations from its OpenAPI schema, so a new
URL or operation is checked the moment it exists: a workbench view without ``role_required`` (its
``juchu_role``) or an operation without a token role fails here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from juchu.api.api import api
from juchu.api.auth import TokenAuth
from juchu.api.models import ApiToken
from juchu.api.tokens import issue_token
from juchu.catalog.models import MallItemMapping
from juchu.domain.effects import EffectKind, effect_key
from juchu.fulfillment.models import SelfShipBatch, WarehouseClosure
from juchu.mail.models import OutgoingMail
from juchu.orders.importing import import_orders
from juchu.orders.models import Effect, Order, TagRule, TaskRule, UpdateTask
from juchu.shops.models import DeliveryMethodMapping, PaymentMethodMapping
from juchu.web import file_store
from juchu.web.auth import Role, create_user
from tests.integration.conftest import mall_order

PASSWORD = "Juchu-matrix-pass-2026"
#: Views anyone may call: logging in and out, the language switch, health and metrics (their own guard).
PUBLIC = {"login", "logout", "set-language", "healthz", "metrics", "admin-login"}
#: Prefixes not walked here: the admin (Django's staff checks), our static files, the API (checked below).
NOT_WALKED = ("admin/", "static/", "api/v1/")
#: URL names whose screens only administrators may use, whatever a view's decorator says.
ADMIN_ONLY_PREFIXES = ("settings-", "mail-template", "mail-smtp")
ROLES: list[Role | None] = [None, Role.VIEWER, Role.OPERATOR, Role.ADMIN]


@dataclass(frozen=True)
class Route:
    """One URL pattern of the site: its name, the view and the pattern as written."""

    name: str | None
    view: Any
    pattern: str


def site_routes() -> list[Route]:
    """Every URL pattern of the site, walked from the root resolver (includes followed)."""
    found: list[Route] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            text = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if not text.startswith(NOT_WALKED):
                    walk(entry.url_patterns, text)
            elif isinstance(entry, URLPattern) and not text.lstrip("^").startswith(NOT_WALKED):
                found.append(Route(entry.name, entry.callback, text))

    walk(get_resolver().url_patterns, "")
    return found


def needed_role(view: Any) -> Role | None:
    """The role ``role_required`` put on the view (class-based views: on the class's dispatch)."""
    return getattr(view, "juchu_role", None)


@pytest.fixture
def seeded(world, settings, tmp_path) -> dict[str, Any]:
    """One of everything a URL can point at, and a spare user that the user pages act on."""
    settings.DATA_DIR = tmp_path
    now = timezone.now()
    shop, warehouse = world["shop"], world["warehouse"]
    import_orders(shop, [mall_order("matrix-0001", now - timedelta(hours=1))], now)
    order = Order.objects.get(mall_order_number="matrix-0001")
    package = order.packages.get()
    effect = Effect.objects.create(
        order=order,
        kind=EffectKind.THANKS_MAIL.value,
        key=effect_key(EffectKind.THANKS_MAIL, order.pk),
        next_attempt_at=now,
        created_at=now,
    )
    mail = OutgoingMail.objects.create(
        effect=effect,
        order=order,
        kind="thanks_mail",
        to="buyer@example.jp",
        from_address="shop@example.jp",
        subject="ご注文ありがとうございます",
        body="本文",
        message_id="<matrix-0001@example.jp>",
        created_at=now,
    )
    spare = create_user("spare", PASSWORD, Role.VIEWER)
    token, _ = issue_token(spare, "matrix", now)
    return {
        "order": order,
        "package": package,
        "line": order.lines.first(),
        "shop": shop,
        "warehouse": warehouse,
        "product": world["products"]["SKU-A"],
        "mapping": MallItemMapping.objects.filter(shop=shop).order_by("pk").first(),
        "rule": TagRule.objects.create(name="大口", tag_code="bulk", tag_label="大口", conditions=[]),
        "task": (task := UpdateTask.objects.create(name="メモ", actions=[{"kind": "set_memo", "params": {}}])),
        "task_rule": TaskRule.objects.create(name="大口メモ", task=task, conditions=[]),
        "closure": WarehouseClosure.objects.create(warehouse=warehouse, date=date(2026, 12, 31)),
        "delivery": DeliveryMethodMapping.objects.filter(shop=shop).first(),
        "payment": PaymentMethodMapping.objects.filter(shop=shop).first(),
        "mail": mail,
        "spare": spare,
        "token": token,
        "export": file_store.save_export("rsl", "20261126-100000", b"header\r\n"),
    }


def selfship_batch(seeded: dict[str, Any]) -> int:
    """An (empty) own-warehouse batch of the seeded warehouse: the batch URLs take its id."""
    batch, _ = SelfShipBatch.objects.get_or_create(
        warehouse=seeded["warehouse"],
        defaults={"issued_at": timezone.now(), "issued_by": "m", "ship_date": date(2026, 11, 26), "carrier": "1001"},
    )
    return batch.pk


def url_kwargs(name: str, pattern: str, seeded: dict[str, Any]) -> dict[str, Any]:
    """The path arguments of a named URL, pointing at seeded objects."""
    mapping = seeded["mapping"]
    table: dict[str, dict[str, Any]] = {
        "order-detail": {"pk": seeded["order"].pk},
        "order-action": {"pk": seeded["order"].pk, "action": "hold"},
        "order-edit-package": {"pk": seeded["order"].pk, "package_id": seeded["package"].pk},
        "order-edit-line": {"pk": seeded["order"].pk, "line_id": seeded["line"].pk},
        "settings-shop": {"pk": seeded["shop"].pk},
        "settings-shop-test": {"pk": seeded["shop"].pk},
        "settings-delivery-add": {"pk": seeded["shop"].pk},
        "settings-delivery-delete": {"pk": seeded["shop"].pk, "mapping_id": seeded["delivery"].pk},
        "settings-payment-add": {"pk": seeded["shop"].pk},
        "settings-payment-delete": {"pk": seeded["shop"].pk, "mapping_id": seeded["payment"].pk},
        "settings-product": {"pk": seeded["product"].pk},
        "settings-mapping": {"pk": mapping.pk},
        "settings-mapping-delete": {"pk": mapping.pk},
        "settings-rule": {"pk": seeded["rule"].pk},
        "settings-rule-delete": {"pk": seeded["rule"].pk},
        "settings-task": {"pk": seeded["task"].pk},
        "settings-task-delete": {"pk": seeded["task"].pk},
        "settings-task-rule": {"pk": seeded["task_rule"].pk},
        "settings-task-rule-delete": {"pk": seeded["task_rule"].pk},
        "order-run-task": {"pk": seeded["order"].pk},
        "settings-warehouse": {"pk": seeded["warehouse"].pk},
        "settings-closure-add": {"pk": seeded["warehouse"].pk},
        "settings-closure-delete": {"pk": seeded["warehouse"].pk, "closure_id": seeded["closure"].pk},
        "settings-user": {"pk": seeded["spare"].pk},
        "settings-user-role": {"pk": seeded["spare"].pk},
        "settings-user-active": {"pk": seeded["spare"].pk},
        "settings-user-password": {"pk": seeded["spare"].pk},
        "settings-user-token-revoke": {"pk": seeded["spare"].pk, "token_id": seeded["token"].pk},
        "files-rsl-download": {"name": seeded["export"]},
        "files-selfship-batch": {"pk": selfship_batch(seeded)},
        "files-selfship-slips": {"pk": selfship_batch(seeded)},
        "files-selfship-picking": {"pk": selfship_batch(seeded)},
        "files-selfship-notes": {"pk": selfship_batch(seeded)},
        "settings-warehouse-slips": {"pk": seeded["warehouse"].pk},
        "files-import": {"kind": "mappings"},
        "files-export": {"kind": "mappings"},
        "mail-template": {"pk": seeded["shop"].pk, "kind": "thanks_mail"},
        "mail-template-preview": {"pk": seeded["shop"].pk, "kind": "thanks_mail"},
        "mail-template-reset": {"pk": seeded["shop"].pk, "kind": "thanks_mail"},
        "mail-smtp": {"pk": seeded["shop"].pk},
        "mail-smtp-remove": {"pk": seeded["shop"].pk},
        "mail-detail": {"pk": seeded["mail"].pk},
        "mail-retry": {"pk": seeded["mail"].pk},
    }
    if "<" not in pattern:
        return {}
    assert name in table, f"the URL {name} ({pattern}) takes arguments: add them to url_kwargs()"
    return table[name]


def client_as(role: Role | None) -> Client:
    client = Client()
    if role is not None:
        client.force_login(create_user(f"matrix-{role.code}", PASSWORD, role))
    return client


def call(client: Client, method: str, url: str, **extra: Any) -> Any:
    """One request whose writes are rolled back, so every cell of the matrix sees the same seeded world."""
    with transaction.atomic():
        response = getattr(client, method)(url, **extra)
        transaction.set_rollback(True)
    return response


def to_login(response: Any) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


def test_every_workbench_view_declares_its_role_and_only_the_public_ones_do_not() -> None:
    routes = site_routes()
    names = [r.name for r in routes]

    unnamed = [r.pattern for r in routes if r.name is None]
    without_role = sorted(r.name for r in routes if r.name not in PUBLIC and needed_role(r.view) is None)
    public_with_role = sorted(r.name for r in routes if r.name in PUBLIC and needed_role(r.view) is not None)
    admin_screens_below_admin = sorted(
        r.name
        for r in routes
        if r.name and r.name.startswith(ADMIN_ONLY_PREFIXES) and needed_role(r.view) is not Role.ADMIN
    )

    assert unnamed == []
    assert without_role == [], f"views without role_required: {without_role}"
    assert public_with_role == []
    assert admin_screens_below_admin == []
    assert set(names) >= PUBLIC - {"admin-login"}  # under admin/, not walked
    assert len(routes) >= 60


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.code if r else "anonymous")
def test_every_url_answers_each_role_by_the_role_its_view_needs(seeded, role: Role | None) -> None:
    client = client_as(role)
    wrong: list[str] = []
    checked = 0
    for route in site_routes():
        needed = needed_role(route.view)
        if needed is None:
            continue
        url = reverse(route.name, kwargs=url_kwargs(route.name, route.pattern, seeded))
        for method in ("get", "post"):
            response = call(client, method, url)
            checked += 1
            status = response.status_code
            if role is None:
                ok = to_login(response) or status == 405
                expected = "302 to the login page"
            elif role < needed:
                ok = status in (403, 405)
                expected = "403"
            else:
                ok = status < 500 and status not in (401, 403, 404) and not to_login(response)
                expected = "allowed"
            if not ok:
                wrong.append(
                    f"{method.upper()} {url} ({route.name}, needs {needed.code}): {status}, expected {expected}"
                )

    assert wrong == [], "\n".join(wrong)
    assert checked >= 120


@pytest.mark.parametrize("name", sorted(PUBLIC - {"admin-login"}))
def test_the_public_urls_answer_anonymous_callers_without_an_error(db, name: str) -> None:
    response = Client(REMOTE_ADDR="127.0.0.1").get(reverse(name))

    assert response.status_code in (200, 405, 503)


# ---- the REST API ----------------------------------------------------------------------------------------


def api_operations() -> list[tuple[str, str, Role]]:
    """(method, path, role) of every operation in the OpenAPI schema, the role from its TokenAuth."""
    roles: dict[tuple[str, str], Role] = {}
    for _, router in api._routers:
        for path, operations in router.path_operations.items():
            for operation in operations.operations:
                auth = [a for a in operation.auth_callbacks if isinstance(a, TokenAuth)]
                for method in operation.methods:
                    if auth:
                        roles[(method.lower(), path)] = min(a.role for a in auth)
    schema = api.get_openapi_schema()
    found = []
    for path, methods in schema["paths"].items():
        relative = path.removeprefix("/api/v1")
        for method in methods:
            assert (method, relative) in roles, f"{method.upper()} {path} has no token role"
            found.append((method, path, roles[(method, relative)]))
    return found


def fill(path: str, seeded: dict[str, Any]) -> str:
    values = {
        "{order_id}": seeded["order"].pk,
        "{package_id}": seeded["package"].pk,
        "{line_id}": seeded["line"].pk,
        "{shop_id}": seeded["shop"].pk,
        "{product_id}": seeded["product"].pk,
        "{mapping_id}": seeded["mapping"].pk,
    }
    for key, value in values.items():
        path = path.replace(key, str(value))
    assert "{" not in path, f"add the path parameter of {path} to fill()"
    return path


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.code if r else "anonymous")
def test_every_api_operation_answers_each_role_by_its_token_role(seeded, role: Role | None) -> None:
    headers = {}
    if role is not None:
        user = create_user(f"api-{role.code}", PASSWORD, role)
        headers["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(user, 'matrix', timezone.now())[1]}"
    client = Client()
    wrong: list[str] = []
    operations = api_operations()
    for method, path, needed in operations:
        url = fill(path, seeded)
        extra = {"data": "{}", "content_type": "application/json"} if method != "get" else {}
        status = call(client, method, url, **extra, **headers).status_code
        if role is None:
            expected_ok, expected = status == 401, "401"
        elif role < needed:
            expected_ok, expected = status == 403, "403"
        else:
            expected_ok, expected = status < 500 and status not in (401, 403), "allowed"
        if not expected_ok:
            wrong.append(f"{method.upper()} {url} (needs {needed.code}): {status}, expected {expected}")

    assert wrong == [], "\n".join(wrong)
    assert len(operations) >= 24


# ---- CSRF ------------------------------------------------------------------------------------------------


def test_posts_without_the_csrf_token_are_refused_on_login_order_actions_and_settings(seeded) -> None:
    admin = create_user("csrf-admin", PASSWORD, Role.ADMIN)
    anonymous = Client(enforce_csrf_checks=True)
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(admin)
    order = seeded["order"]

    login = anonymous.post(reverse("login"), {"username": "csrf-admin", "password": PASSWORD})
    hold = signed_in.post(
        reverse("order-action", args=[order.pk, "hold"]), {"version": order.version, "reason": "電話確認"}
    )
    save = signed_in.post(reverse("settings-shop", args=[seeded["shop"].pk]), {"name": "書き換え"})
    api_like = signed_in.post(reverse("order-bulk"), {"action": "cancel", "ids": [order.pk]})

    assert [login.status_code, hold.status_code, save.status_code, api_like.status_code] == [403, 403, 403, 403]
    order.refresh_from_db()
    seeded["shop"].refresh_from_db()
    assert order.version == seeded["order"].version and order.status == seeded["order"].status
    assert seeded["shop"].name == "デモ店"
    assert "_auth_user_id" not in anonymous.session


def test_the_same_post_with_the_csrf_token_goes_through(seeded) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))

    response = client.post(
        reverse("login"),
        {"username": "spare", "password": PASSWORD, "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(seeded["spare"].pk)


# ---- API tokens: listed and revoked ---------------------------------------------------------------------


def test_an_admin_revokes_a_token_on_the_user_page_and_the_api_refuses_it_at_once(seeded) -> None:
    spare = seeded["spare"]
    _, token = issue_token(spare, "出荷連携", timezone.now())
    row = spare.api_tokens.get(name="出荷連携")
    admin = Client()
    admin.force_login(create_user("token-admin", PASSWORD, Role.ADMIN))
    api_client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    before = api_client.get("/api/v1/shops").status_code

    listed = admin.get(reverse("settings-user", args=[spare.pk])).content.decode()
    revoked = admin.post(reverse("settings-user-token-revoke", args=[spare.pk, row.pk]))
    after = api_client.get("/api/v1/shops").status_code

    assert f"{row.prefix}…" in listed and "出荷連携" in listed
    assert token not in listed and row.key_hash not in listed
    assert revoked.status_code == 302
    assert (before, after) == (200, 401)
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert ApiToken.objects.get(pk=seeded["token"].pk).revoked_at is None  # the user's other token lives


def test_a_token_of_another_user_cannot_be_revoked_through_this_users_page(seeded) -> None:
    other = create_user("other", PASSWORD, Role.VIEWER)
    admin = Client()
    admin.force_login(create_user("token-admin", PASSWORD, Role.ADMIN))

    response = admin.post(reverse("settings-user-token-revoke", args=[other.pk, seeded["token"].pk]))

    assert response.status_code == 404
    seeded["token"].refresh_from_db()
    assert seeded["token"].revoked_at is None


def test_the_api_token_command_lists_a_users_tokens_and_revokes_one_by_prefix(seeded, capsys) -> None:
    from django.core.management import call_command

    prefix = seeded["token"].prefix
    call_command("api_token", list=True, user="spare")
    listed = capsys.readouterr().out.splitlines()
    call_command("api_token", user="spare", revoke=prefix)
    call_command("api_token", list=True)
    after = capsys.readouterr().out.splitlines()

    assert len(listed) == 1 and listed[0].split("\t")[:3] == ["spare", prefix, "matrix"]
    assert listed[0].endswith("\t有効")
    assert len(after) == 1 and after[0].split("\t")[-1].startswith("失効 ")
