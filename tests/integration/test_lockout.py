"""The login lock-out: repeated failures lock a username (and an address) for a while, in the database, so
every web process sees it; the right password does not open a locked account; the lock ends by itself."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from juchu.web import lockout
from juchu.web.auth import Role, create_user
from juchu.web.models import LoginFailure

PASSWORD = "Juchu-lockout-pass-2026"
LOCKED = "ログインの失敗が続いたため"


class Clock:
    """The lock-out's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(lockout, "now", clock)
    return clock


@pytest.fixture
def user(db):
    return create_user("tanaka", PASSWORD, Role.OPERATOR)


def attempt(password: str, username: str = "tanaka", ip: str = "192.0.2.10") -> tuple[Client, object]:
    client = Client(REMOTE_ADDR=ip)
    response = client.post(reverse("login"), {"username": username, "password": password})
    return client, response


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_the_user_and_even_the_right_one_then_fails(user, clock, caplog) -> None:
    caplog.set_level(logging.INFO, logger="juchu.web.lockout")
    answers = []
    for i in range(5):
        clock.now += timedelta(seconds=10)
        answers.append(attempt(f"wrong-{i}")[1])

    clock.now += timedelta(seconds=10)
    client, right = attempt(PASSWORD)

    assert [r.status_code for r in answers] == [200, 200, 200, 200, 429]
    assert "ユーザー名またはパスワードが違います" in answers[0].content.decode()
    assert LOCKED in answers[4].content.decode()
    assert right.status_code == 429 and LOCKED in right.content.decode()
    assert not logged_in(client)
    assert LoginFailure.objects.filter(username="tanaka").count() == 5  # the refused attempt is not counted
    locks = [r.getMessage() for r in caplog.records if "login locked" in r.getMessage()]
    assert len(locks) == 1 and "'tanaka'" in locks[0] and "192.0.2.10" in locks[0]
    assert not any(
        f"wrong-{i}" in r.getMessage() or PASSWORD in r.getMessage() for r in caplog.records for i in range(5)
    )


def test_the_lock_ends_fifteen_minutes_after_the_last_failure(user, clock) -> None:
    for i in range(5):
        clock.now += timedelta(seconds=10)
        attempt(f"wrong-{i}")
    last_failure = clock.now

    clock.now = last_failure + timedelta(minutes=14, seconds=59)
    still_locked = attempt(PASSWORD)
    clock.now = last_failure + timedelta(minutes=15, seconds=1)
    client, after = attempt(PASSWORD)

    assert still_locked[1].status_code == 429
    assert after.status_code == 302 and logged_in(client)


def test_failures_spread_over_the_window_lock_until_the_last_one_plus_the_window(user, clock) -> None:
    start = clock.now
    for i in range(5):
        clock.now = start + timedelta(minutes=3.5 * i)  # the last at 14 min
        attempt(f"wrong-{i}")

    clock.now = start + timedelta(minutes=26)
    attempt("wrong", username="someone-else", ip="192.0.2.99")  # prunes old failures of everyone
    locked = attempt(PASSWORD)[1]
    clock.now = start + timedelta(minutes=29, seconds=1)
    client, unlocked = attempt(PASSWORD)

    assert locked.status_code == 429
    assert unlocked.status_code == 302 and logged_in(client)


def test_a_successful_login_clears_the_users_failures(user, clock) -> None:
    for i in range(4):
        attempt(f"wrong-{i}")
    attempt(PASSWORD)

    for i in range(4):
        attempt(f"again-{i}")
    client, right = attempt(PASSWORD)

    assert right.status_code == 302 and logged_in(client)


def test_an_unknown_username_is_locked_the_same_way_so_the_message_reveals_nothing(db, clock) -> None:
    known = create_user("sato", PASSWORD, Role.VIEWER)
    for i in range(5):
        attempt(f"wrong-{i}", username=known.username, ip="192.0.2.1")
        attempt(f"wrong-{i}", username="nobody", ip="192.0.2.2")

    unknown_answer = attempt("whatever", username="nobody", ip="192.0.2.2")[1].content.decode()
    known_answer = attempt("whatever", username="sato", ip="192.0.2.1")[1].content.decode()

    def message(html: str) -> str:
        return html.split('id="login-locked">')[1].split("<")[0]

    assert message(unknown_answer) == message(known_answer)
    assert LOCKED in message(known_answer)


def test_one_address_trying_many_usernames_is_locked_after_the_address_limit(db, clock, settings) -> None:
    settings.JUCHU_LOGIN_IP_MAX_FAILURES = 8
    create_user("suzuki", PASSWORD, Role.VIEWER)
    answers = [attempt("wrong", username=f"guess{i}", ip="198.51.100.7")[1].status_code for i in range(8)]

    from_there = attempt(PASSWORD, username="suzuki", ip="198.51.100.7")
    elsewhere_client, elsewhere = attempt(PASSWORD, username="suzuki", ip="198.51.100.8")

    assert answers == [200] * 7 + [429]
    assert from_there[1].status_code == 429
    assert elsewhere.status_code == 302 and logged_in(elsewhere_client)


def test_the_address_comes_from_x_forwarded_for_only_behind_a_counted_proxy(db, rf, settings) -> None:
    request = rf.post("/login/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5, 198.51.100.9")

    settings.JUCHU_PROXY_COUNT = 0
    direct = lockout.client_ip(request)
    settings.JUCHU_PROXY_COUNT = 1
    one_proxy = lockout.client_ip(request)

    assert (direct, one_proxy) == ("10.0.0.1", "198.51.100.9")


def test_the_admin_login_page_is_the_same_login_with_the_same_lock(user, clock) -> None:
    page = Client().get("/admin/login/?next=/admin/orders/order/")
    for i in range(5):
        Client(REMOTE_ADDR="192.0.2.10").post("/admin/login/", {"username": "tanaka", "password": f"wrong-{i}"})

    client, locked = attempt(PASSWORD)

    assert page.status_code == 200 and 'name="next" value="/admin/orders/order/"' in page.content.decode()
    assert locked.status_code == 429 and not logged_in(client)


def test_a_signed_in_user_without_staff_status_gets_403_from_the_admin_login_not_a_loop(user) -> None:
    client = Client()
    client.force_login(user)

    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_a_login_lasts_eight_hours_and_ends_when_the_browser_closes(user) -> None:
    client, response = attempt(PASSWORD)

    cookie = response.cookies["sessionid"]
    assert client.session.get_expiry_age() == 8 * 3600
    assert (cookie["expires"], cookie["max-age"], bool(cookie["httponly"])) == ("", "", True)


def settings_under(env: dict[str, str]) -> dict[str, object]:
    """Selected settings as the settings module computes them from ``env`` (in a fresh interpreter)."""
    code = (
        "import json; from juchu import settings as s; print(json.dumps({k: getattr(s, k, None) for k in ("
        "'SESSION_COOKIE_AGE', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_PROXY_SSL_HEADER',"
        " 'SECURE_HSTS_SECONDS', 'SECURE_SSL_REDIRECT')}))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("JUCHU_")}
    base["JUCHU_SECRET_KEY"] = "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    done = subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_behind_tls_the_cookies_are_secure_and_hsts_is_sent_but_the_proxy_redirects() -> None:
    plain = settings_under({"JUCHU_SESSION_HOURS": "2"})
    tls = settings_under({"JUCHU_HTTPS": "1"})

    assert plain == {
        "SESSION_COOKIE_AGE": 7200,
        "SESSION_COOKIE_SECURE": None,
        "CSRF_COOKIE_SECURE": None,
        "SECURE_PROXY_SSL_HEADER": None,
        "SECURE_HSTS_SECONDS": None,
        "SECURE_SSL_REDIRECT": None,
    }
    assert tls == {
        "SESSION_COOKIE_AGE": 8 * 3600,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_SSL_REDIRECT": False,
    }
