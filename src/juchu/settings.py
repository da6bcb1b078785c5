"""One settings module, configured from ``JUCHU_*`` environment variables (read once, here).

Defaults give a working embedded installation: SQLite in ``JUCHU_DATA_DIR`` (``./var``) in WAL mode with
immediate transactions. ``JUCHU_DATABASE_URL`` switches to PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("JUCHU_DATA_DIR", "var")).resolve()


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def _secret_key() -> str:
    """JUCHU_SECRET_KEY, or a key kept in the data directory (created on first run, mode 0600)."""
    if key := os.environ.get("JUCHU_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret.key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


SECRET_KEY = _secret_key()
DEBUG = _flag("JUCHU_DEBUG")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("JUCHU_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "juchu.shops",
    "juchu.catalog",
    "juchu.fulfillment",
    "juchu.orders",
    "juchu.mail",
    "juchu.runtime",
    "juchu.web",
    "juchu",  # the ``juchu`` management commands (serve, demo, run-sweeps)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "juchu.web.urls"
WSGI_APPLICATION = "juchu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_database_url = os.environ.get("JUCHU_DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=600)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("JUCHU_SQLITE_PATH", str(DATA_DIR / "juchu.sqlite3")),
            "OPTIONS": {
                # One writer at a time, taken at BEGIN: no "database is locked" upgrade deadlocks.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA cache_size=-65536;"
                    "PRAGMA temp_store=MEMORY;"
                ),
            },
            "TEST": {"NAME": os.environ.get("JUCHU_TEST_SQLITE_PATH") or None},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"

EMAIL_BACKEND = os.environ.get("JUCHU_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
DEFAULT_FROM_EMAIL = os.environ.get("JUCHU_DEFAULT_FROM_EMAIL", "juchu@localhost")

#: How often the embedded runner looks even when nothing woke it (seconds).
JUCHU_RUNNER_IDLE_SECONDS = float(os.environ.get("JUCHU_RUNNER_IDLE_SECONDS", "1.0"))
#: Orders per sweep batch.
JUCHU_BATCH_SIZE = int(os.environ.get("JUCHU_BATCH_SIZE", "500"))
#: Seconds between two order syncs of one shop with its mall (the malls' own rate limits apply too).
JUCHU_SYNC_INTERVAL_SECONDS = float(os.environ.get("JUCHU_SYNC_INTERVAL_SECONDS", "30"))
#: Seconds between two reads of a warehouse's stock into Juchu's books.
JUCHU_STOCK_SYNC_INTERVAL_SECONDS = float(os.environ.get("JUCHU_STOCK_SYNC_INTERVAL_SECONDS", "300"))
#: Seconds between two stock pushes of one shop to its mall (only changed quantities are sent).
JUCHU_STOCK_PUSH_INTERVAL_SECONDS = float(os.environ.get("JUCHU_STOCK_PUSH_INTERVAL_SECONDS", "10"))
#: Seconds a (stage, shop) lease lasts before another worker may take the sweep over.
JUCHU_LEASE_SECONDS = int(os.environ.get("JUCHU_LEASE_SECONDS", "60"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"juchu": {"handlers": ["console"], "level": os.environ.get("JUCHU_LOG_LEVEL", "INFO")}},
}
