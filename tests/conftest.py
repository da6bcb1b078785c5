"""Fixtures for every test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Users are created in many tests: hash their passwords cheaply (real installs keep PBKDF2)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the PostgreSQL rerun of the integration suite now, to run beside the rest (pg_rerun.py)."""
    from tests.integration import pg_rerun

    if any(item.nodeid == pg_rerun.NODE_ID for item in session.items):
        pg_rerun.start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Never leave the PostgreSQL rerun behind."""
    from tests.integration import pg_rerun

    pg_rerun.stop()
