"""Secrets at rest: API keys and SMTP passwords are sealed in the database, opened transparently, rotated by
``juchu rotate-key``, and never shown in the admin, the settings screens, the API or a ``dumpdata`` export."""

from __future__ import annotations

import io
import json
import stat
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from juchu import crypto, crypto_keys
from juchu.api.tokens import issue_token
from juchu.connectors import registry
from juchu.connectors.base import ConnectorError
from juchu.fulfillment.models import Warehouse
from juchu.mail.models import SmtpSettings
from juchu.mail.services import save_smtp
from juchu.mail.transport import smtp_password
from juchu.shops.models import Shop
from juchu.web.auth import Role, create_user

SERVICE_SECRET = "SP-service-secret-7d1c94e0"
LICENSE_KEY = "SL-license-key-5be3a7f2"
RSL_KEY = "rsl-api-key-0c6f2d88"
SMTP_SECRET = "smtp-pass-91ab4e7c"
SECRETS = (SERVICE_SECRET, LICENSE_KEY, RSL_KEY, SMTP_SECRET)
NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
OLD_KEY = "the-installation-secret-before-rotation-0123456789"
NEW_KEY = "the-installation-secret-after-rotation-9876543210"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_key_file(settings) -> None:
    """Environment-key mode unless a test gives a key file: rotate-key never touches the checkout's var/."""
    settings.JUCHU_SECRET_KEY_FILE = None


def raw_column(table: str, column: str, pk: int) -> str:
    """The column's stored text, read past the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])
        return cursor.fetchone()[0]


def raw_secrets(world) -> dict[str, str]:
    return {
        "shop": raw_column("shops_shop", "credentials", world["shop"].pk),
        "warehouse": raw_column("fulfillment_warehouse", "credentials", world["warehouse"].pk),
        "smtp": raw_column("mail_smtpsettings", "password", world["smtp"].pk),
    }


def use_key(settings, current: str, *old: str, key_file=None) -> None:
    settings.SECRET_KEY = current
    settings.SECRET_KEY_FALLBACKS = list(old)
    settings.JUCHU_SECRET_KEY_FILE = key_file


@pytest.fixture
def secret_world(world):
    """The integration world with real-looking credentials on the shop, the warehouse and an SMTP server."""
    shop, warehouse = world["shop"], world["warehouse"]
    shop.credentials = {"serviceSecret": SERVICE_SECRET, "licenseKey": LICENSE_KEY, "rate_per_second": 2}
    shop.save()
    warehouse.credentials = {"api_key": RSL_KEY, "merchant_id": "m-1"}
    warehouse.save()
    smtp = save_smtp(
        shop, host="smtp.example.jp", port=587, security="starttls", username="shop", password=SMTP_SECRET, now=NOW
    )
    return {**world, "smtp": smtp}


def run_rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_key", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# -- round trip and storage ---------------------------------------------------------------------------


def test_secrets_read_back_as_entered_while_the_columns_hold_only_sealed_text(secret_world) -> None:
    shop = Shop.objects.get(pk=secret_world["shop"].pk)
    warehouse = Warehouse.objects.get(pk=secret_world["warehouse"].pk)
    smtp = SmtpSettings.objects.get(pk=secret_world["smtp"].pk)

    assert shop.credentials == {"serviceSecret": SERVICE_SECRET, "licenseKey": LICENSE_KEY, "rate_per_second": 2}
    assert shop.connector_settings()["licenseKey"] == LICENSE_KEY
    assert warehouse.connector_settings()["api_key"] == RSL_KEY
    assert smtp_password(smtp) == SMTP_SECRET
    for name, stored in raw_secrets(secret_world).items():
        assert stored.startswith(crypto.PREFIX), name
        assert not any(secret in stored for secret in SECRETS), name
        assert "serviceSecret" not in stored and "api_key" not in stored, "the key names are sealed too"


def test_the_same_secret_is_sealed_differently_each_time(secret_world) -> None:
    before = raw_secrets(secret_world)["shop"]
    secret_world["shop"].save()
    assert raw_secrets(secret_world)["shop"] != before


def test_an_empty_password_and_empty_credentials_read_back_empty(world) -> None:
    smtp = save_smtp(world["shop"], host="h", port=25, security="none", username="", password="", now=NOW)
    warehouse = Warehouse.objects.create(code="own", name="自社")

    assert SmtpSettings.objects.get(pk=smtp.pk).password == ""
    assert raw_column("mail_smtpsettings", "password", smtp.pk) == ""
    assert Warehouse.objects.get(pk=warehouse.pk).credentials == {}
    assert raw_column("fulfillment_warehouse", "credentials", warehouse.pk).startswith(crypto.PREFIX)


def test_a_deferred_credentials_field_is_loaded_and_opened_on_access(secret_world) -> None:
    shop = Shop.objects.only("code").get(pk=secret_world["shop"].pk)
    assert shop.credentials["serviceSecret"] == SERVICE_SECRET


# -- wrong key ------------------------------------------------------------------------------------------


def test_a_secret_sealed_under_another_key_raises_an_error_naming_the_field_and_row(secret_world, settings) -> None:
    shop_id, raw = secret_world["shop"].pk, raw_secrets(secret_world)
    use_key(settings, NEW_KEY)

    shop = Shop.objects.get(pk=shop_id)  # loading the row works: only reading the secret fails
    assert shop.code == "demo"
    with pytest.raises(crypto.SecretDecryptionError) as failure:
        shop.connector_settings()
    message = str(failure.value)
    assert f"shops.Shop.credentials (id={shop_id})" in message
    assert "JUCHU_OLD_SECRET_KEYS" in message
    assert raw["shop"][len(crypto.PREFIX) :] not in message, "the token is not dumped into the error"
    with pytest.raises(crypto.SecretDecryptionError, match=r"mail\.SmtpSettings\.password"):
        smtp_password(SmtpSettings.objects.get(pk=secret_world["smtp"].pk))
    with pytest.raises(crypto.SecretDecryptionError), transaction.atomic():
        shop.save()  # an unopened secret is never written back over
    assert raw_secrets(secret_world) == raw


def test_an_old_key_among_the_fallbacks_still_opens_the_secrets(secret_world, settings) -> None:
    use_key(settings, NEW_KEY, settings.SECRET_KEY)
    assert Shop.objects.get(pk=secret_world["shop"].pk).credentials["licenseKey"] == LICENSE_KEY
    assert smtp_password(SmtpSettings.objects.get(pk=secret_world["smtp"].pk)) == SMTP_SECRET


# -- rotate-key -----------------------------------------------------------------------------------------


def test_rotate_key_with_environment_keys_reseals_every_row_and_the_old_key_can_then_be_dropped(
    world, settings
) -> None:
    use_key(settings, OLD_KEY)
    shop, warehouse = world["shop"], world["warehouse"]
    shop.credentials = {"serviceSecret": SERVICE_SECRET, "licenseKey": LICENSE_KEY}
    shop.save()
    warehouse.credentials = {"api_key": RSL_KEY}
    warehouse.save()
    smtp = save_smtp(shop, host="h", port=587, security="starttls", username="u", password=SMTP_SECRET, now=NOW)
    before = raw_secrets({"shop": shop, "warehouse": warehouse, "smtp": smtp})

    use_key(settings, NEW_KEY, OLD_KEY)
    output = run_rotate()

    assert "旧鍵 3 件, 平文 0 件 / 現在の鍵のまま 0 件" in output
    after = raw_secrets({"shop": shop, "warehouse": warehouse, "smtp": smtp})
    assert all(after[name] != before[name] for name in before)
    use_key(settings, NEW_KEY)  # JUCHU_OLD_SECRET_KEYS dropped
    assert Shop.objects.get(pk=shop.pk).credentials == {"serviceSecret": SERVICE_SECRET, "licenseKey": LICENSE_KEY}
    assert Warehouse.objects.get(pk=warehouse.pk).credentials == {"api_key": RSL_KEY}
    assert smtp_password(SmtpSettings.objects.get(pk=smtp.pk)) == SMTP_SECRET
    assert "旧鍵 0 件, 平文 0 件 / 現在の鍵のまま 3 件" in run_rotate(), "a second run changes nothing"
    assert raw_secrets({"shop": shop, "warehouse": warehouse, "smtp": smtp}) == after
    assert "旧鍵 0 件" in run_rotate("--check")


def test_rotate_key_check_fails_while_rows_are_sealed_under_an_old_key(secret_world, settings) -> None:
    use_key(settings, NEW_KEY, settings.SECRET_KEY)
    with pytest.raises(CommandError, match="古い鍵"):
        run_rotate("--check")


def test_rotate_key_in_key_file_mode_writes_a_new_key_file_and_keeps_the_old_one(world, settings, tmp_path) -> None:
    key_file = tmp_path / "secret.key"
    crypto_keys.write_key_file(key_file, OLD_KEY)
    use_key(settings, OLD_KEY, key_file=key_file)
    shop = world["shop"]
    shop.credentials = {"licenseKey": LICENSE_KEY}
    shop.save()
    world["warehouse"].save()

    output = run_rotate()

    new_key = key_file.read_text()
    assert new_key != OLD_KEY
    assert (tmp_path / "secret.key.old").read_text() == OLD_KEY
    assert not (tmp_path / "secret.key.new").exists()
    for path in (key_file, tmp_path / "secret.key.old"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert "旧鍵 2 件" in output, "the shop and the warehouse (its empty credentials are sealed too)"
    assert crypto.fingerprint(new_key) in output and new_key not in output
    # What the settings read on the next start: the new key, the old one only as a fallback; then drop it.
    assert crypto_keys.fallback_secrets("", key_file) == [OLD_KEY]
    use_key(settings, new_key)
    assert Shop.objects.get(pk=shop.pk).credentials == {"licenseKey": LICENSE_KEY}


def test_an_interrupted_key_file_rotation_is_finished_by_running_it_again(world, settings, tmp_path) -> None:
    key_file = tmp_path / "secret.key"
    crypto_keys.write_key_file(key_file, OLD_KEY)
    crypto_keys.write_key_file(tmp_path / "secret.key.new", NEW_KEY)  # left by a run that stopped midway
    # The rows were already resealed under the new key before the run stopped.
    use_key(settings, NEW_KEY)
    shop = world["shop"]
    shop.credentials = {"licenseKey": LICENSE_KEY}
    shop.save()
    world["warehouse"].save()
    # The settings of a restart read the pending key as a fallback, so the shop stays readable.
    use_key(settings, OLD_KEY, *crypto_keys.fallback_secrets("", key_file), key_file=key_file)
    assert Shop.objects.get(pk=shop.pk).credentials == {"licenseKey": LICENSE_KEY}

    output = run_rotate()

    assert key_file.read_text() == NEW_KEY
    assert "旧鍵 0 件, 平文 0 件 / 現在の鍵のまま 2 件" in output
    use_key(settings, NEW_KEY)
    assert Shop.objects.get(pk=shop.pk).credentials == {"licenseKey": LICENSE_KEY}


def test_rotate_key_refuses_and_changes_nothing_when_a_row_opens_with_no_key(secret_world, settings) -> None:
    before = raw_secrets(secret_world)
    use_key(settings, NEW_KEY)  # the key the rows were sealed with is lost
    with pytest.raises(CommandError) as failure:
        run_rotate()
    assert f"shops.Shop.credentials (id={secret_world['shop'].pk})" in str(failure.value)
    assert raw_secrets(secret_world) == before


def test_rotate_key_seals_values_still_stored_in_clear(secret_world) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE mail_smtpsettings SET password = %s", [SMTP_SECRET])
    assert "平文 1 件" in run_rotate()
    assert raw_column("mail_smtpsettings", "password", secret_world["smtp"].pk).startswith(crypto.PREFIX)
    assert smtp_password(SmtpSettings.objects.get(pk=secret_world["smtp"].pk)) == SMTP_SECRET


@pytest.mark.django_db(transaction=True)
def test_rotate_key_vacuums_an_sqlite_database_so_replaced_values_do_not_linger(settings) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("VACUUM is SQLite's")
    use_key(settings, NEW_KEY)
    warehouse = Warehouse.objects.create(code="w", name="W")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE fulfillment_warehouse SET credentials = %s", [json.dumps({"api_key": RSL_KEY})])

    output = run_rotate()

    assert "平文 1 件" in output and "VACUUM" in output
    assert Warehouse.objects.get(pk=warehouse.pk).credentials == {"api_key": RSL_KEY}


# -- where secrets must never show ----------------------------------------------------------------------


def test_the_admin_pages_show_which_keys_are_set_but_never_their_values(secret_world, admin_client) -> None:
    pages = [
        reverse("admin:shops_shop_change", args=[secret_world["shop"].pk]),
        reverse("admin:fulfillment_warehouse_change", args=[secret_world["warehouse"].pk]),
        reverse("admin:shops_shop_changelist"),
        reverse("admin:fulfillment_warehouse_changelist"),
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not any(secret in html for secret in SECRETS), url
        assert crypto.PREFIX not in html, url
    shop_page = admin_client.get(pages[0]).content.decode()
    assert "licenseKey: 設定済み" in shop_page and "serviceSecret: 設定済み" in shop_page


def test_the_settings_screens_show_secrets_masked(secret_world, admin_client) -> None:
    shop_page = admin_client.get(reverse("settings-shop", args=[secret_world["shop"].pk])).content.decode()
    assert "設定済み" in shop_page
    assert not any(secret in shop_page for secret in SECRETS)
    # The masked hint shows no more than the last four characters.
    assert LICENSE_KEY[-4:] in shop_page and LICENSE_KEY[:-4] not in shop_page


def test_the_api_names_the_stored_keys_but_never_returns_them(secret_world, client) -> None:
    token = issue_token(create_user("reader", "not-used-pw-1234", Role.VIEWER), "test", NOW)[1]
    response = client.get(f"/api/v1/shops/{secret_world['shop'].pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["credentials_set"] == ["licenseKey", "rate_per_second", "serviceSecret"]
    assert not any(secret in response.content.decode() for secret in SECRETS)


def test_a_dumpdata_export_carries_sealed_values_that_load_back(secret_world, tmp_path) -> None:
    out = io.StringIO()
    call_command("dumpdata", "shops.Shop", "fulfillment.Warehouse", "mail.SmtpSettings", stdout=out)
    dump = out.getvalue()
    assert not any(secret in dump for secret in SECRETS)
    rows = {row["model"]: row["fields"] for row in json.loads(dump)}
    assert rows["shops.shop"]["credentials"].startswith(crypto.PREFIX)
    assert rows["mail.smtpsettings"]["password"].startswith(crypto.PREFIX)

    SmtpSettings.objects.update(password="changed")
    fixture = tmp_path / "secrets.json"
    fixture.write_text(dump)
    call_command("loaddata", str(fixture), verbosity=0)
    assert smtp_password(SmtpSettings.objects.get(pk=secret_world["smtp"].pk)) == SMTP_SECRET


def test_a_connector_error_names_the_endpoint_but_not_the_keys(secret_world) -> None:
    shop = secret_world["shop"]
    shop.api_base_url = "http://127.0.0.1:9"  # nothing listens on the discard port: the connection is refused
    shop.credentials = {"serviceSecret": SERVICE_SECRET, "licenseKey": LICENSE_KEY, "timeout_seconds": 2}
    connector = registry.mall_connector("rakuten", shop.connector_settings())
    with pytest.raises(ConnectorError) as failure:
        connector.fetch_new_orders(NOW, NOW)
    assert not any(secret in str(failure.value) for secret in SECRETS)


# -- the migration --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_credentials_and_passwords_stored_in_clear() -> None:
    leaves = [("shops", "0006_encrypted_credentials"), ("fulfillment", "0005_encrypted_credentials")]
    leaves.append(("mail", "0003_encrypted_smtp_password"))
    before = [
        ("shops", "0005_shop_last_stock_push_at_shop_last_stock_push_error"),
        ("fulfillment", "0004_warehouse_last_stock_sync_at"),
        ("mail", "0002_templates_smtp_attempts"),
    ]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_warehouse = old_apps.get_model("fulfillment", "Warehouse").objects.create(
        code="w", name="W", credentials={"api_key": RSL_KEY}
    )
    old_shop = old_apps.get_model("shops", "Shop").objects.create(
        code="s", name="S", mall="rakuten", warehouse=old_warehouse, credentials={"licenseKey": LICENSE_KEY}
    )
    old_apps.get_model("mail", "SmtpSettings").objects.create(
        shop_id=old_shop.pk, host="h", password=SMTP_SECRET, updated_at=NOW
    )

    executor = MigrationExecutor(connection)
    executor.migrate(leaves)
    # then on to the newest schema, which the current models below expect
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert Shop.objects.get(code="s").credentials == {"licenseKey": LICENSE_KEY}
    assert Warehouse.objects.get(code="w").credentials == {"api_key": RSL_KEY}
    assert smtp_password(SmtpSettings.objects.get(shop__code="s")) == SMTP_SECRET
    with connection.cursor() as cursor:
        for table, column in (("shops_shop", "credentials"), ("fulfillment_warehouse", "credentials")):
            cursor.execute(f'SELECT "{column}" FROM "{table}"')
            assert all(value.startswith(crypto.PREFIX) for (value,) in cursor.fetchall())
        cursor.execute("SELECT password FROM mail_smtpsettings")
        assert cursor.fetchone()[0].startswith(crypto.PREFIX)
