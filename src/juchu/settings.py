"""One settings module, configured from ``JUCHU_*`` environment variables (read once, here).

Defaults give a working embedded installation: SQLite in ``JUCHU_DATA_DIR`` (``./var``) in WAL mode with
immediate transactions. ``JUCHU_DATABASE_URL`` switches to PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from juchu import crypto_keys

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("JUCHU_DATA_DIR", "var")).resolve()


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


#: The key file when JUCHU_SECRET_KEY is unset (created on first run, mode 0600); ``juchu rotate-key`` replaces it.
JUCHU_SECRET_KEY_FILE: Path | None = None if os.environ.get("JUCHU_SECRET_KEY") else DATA_DIR / "secret.key"
#: Signs sessions and, through a key derived from it, encrypts the stored API keys and passwords (juchu.crypto).
SECRET_KEY = os.environ.get("JUCHU_SECRET_KEY") or crypto_keys.load_or_create(DATA_DIR / "secret.key")
#: Earlier secrets (JUCHU_OLD_SECRET_KEYS; secret.key.old/.new): they still open stored secrets and sessions.
SECRET_KEY_FALLBACKS = crypto_keys.fallback_secrets(os.environ.get("JUCHU_OLD_SECRET_KEYS", ""), JUCHU_SECRET_KEY_FILE)
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
    "juchu.api",
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
    "juchu.web.security.SecurityHeadersMiddleware",
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
                "juchu.web.context.workbench",
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
            # Keep each thread's connection (and its page cache) across requests instead of reopening per request.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "locale"]
LOGIN_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_REDIRECT_URL = "top"
USE_TZ = True

# ---- access: sessions, lock-out, TLS, headers (docs/security.md "Access") ---------------------------------
#: A login lasts JUCHU_SESSION_HOURS (8) and ends when the browser closes.
SESSION_COOKIE_AGE = int(float(os.environ.get("JUCHU_SESSION_HOURS", "8")) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
#: Failed logins that lock a username, and a client address, for JUCHU_LOGIN_LOCK_MINUTES after the last one.
JUCHU_LOGIN_MAX_FAILURES = int(os.environ.get("JUCHU_LOGIN_MAX_FAILURES", "5"))
JUCHU_LOGIN_IP_MAX_FAILURES = int(os.environ.get("JUCHU_LOGIN_IP_MAX_FAILURES", "20"))
JUCHU_LOGIN_LOCK_MINUTES = int(os.environ.get("JUCHU_LOGIN_LOCK_MINUTES", "15"))
#: Reverse proxies in front of the web app that append to X-Forwarded-For (0: use the socket's address).
JUCHU_PROXY_COUNT = int(os.environ.get("JUCHU_PROXY_COUNT", "0"))
#: Served over HTTPS by a TLS-terminating proxy that sets X-Forwarded-Proto (and redirects plain HTTP itself).
JUCHU_HTTPS = _flag("JUCHU_HTTPS")
if JUCHU_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("JUCHU_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_SSL_REDIRECT = _flag("JUCHU_SSL_REDIRECT")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
#: Bearer token for /metrics; unset = /metrics answers only requests from this machine (127.0.0.1, ::1).
JUCHU_METRICS_TOKEN = os.environ.get("JUCHU_METRICS_TOKEN", "")
#: /healthz says 503 when no runner (embedded runner, or Celery beat's tick) has beaten for this many seconds.
JUCHU_HEALTH_RUNNER_SECONDS = float(os.environ.get("JUCHU_HEALTH_RUNNER_SECONDS", "120"))

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
#: Seconds between two stock reconciliations (在庫照合) of one shop: its mall's stock read back and compared.
JUCHU_STOCK_RECONCILE_INTERVAL_SECONDS = float(os.environ.get("JUCHU_STOCK_RECONCILE_INTERVAL_SECONDS", "86400"))
#: Backoff of a failed call to a mall or warehouse: the first retry after this many seconds, doubling each time
#: up to JUCHU_RETRY_MAX_SECONDS.
JUCHU_RETRY_BASE_SECONDS = float(os.environ.get("JUCHU_RETRY_BASE_SECONDS", "5"))
JUCHU_RETRY_MAX_SECONDS = float(os.environ.get("JUCHU_RETRY_MAX_SECONDS", "600"))
#: Seconds a (stage, shop) lease lasts before another worker may take the sweep over.
JUCHU_LEASE_SECONDS = int(os.environ.get("JUCHU_LEASE_SECONDS", "60"))
#: Seconds a claimed batch (shipment requests, effects) stays handed out before another worker may send it again.
JUCHU_CLAIM_SECONDS = int(os.environ.get("JUCHU_CLAIM_SECONDS", "120"))
#: Redis URL of the scale-out runtime's Celery broker (``juchu worker``, ``juchu scheduler``); unset = embedded.
JUCHU_BROKER_URL = os.environ.get("JUCHU_BROKER_URL", "")

#: Days after completion or cancellation when a buyer's personal data is replaced by a marker (0 = never);
#: see orders/purge.py and docs/security.md.
JUCHU_PURGE_AFTER_DAYS = int(os.environ.get("JUCHU_PURGE_AFTER_DAYS", "365"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # A safety net: e-mail addresses and phone numbers are masked in whatever reaches the handler.
    "filters": {"personal_data": {"()": "juchu.logfilters.PersonalDataFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["personal_data"]}},
    "loggers": {"juchu": {"handlers": ["console"], "level": os.environ.get("JUCHU_LOG_LEVEL", "INFO")}},
}
