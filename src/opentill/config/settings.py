"""Django settings, from the OPENTILL_* environment variables read by
:mod:`opentill.config.env` (see README). ``DJANGO_SETTINGS_MODULE=opentill.settings``
names this module (``opentill/settings.py`` imports it)."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from opentill.config import env as config_env

_ENV = config_env.read()

BASE_DIR = Path(__file__).resolve().parent.parent  # the opentill package
DATA_DIR = _ENV.data_dir
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The configured key, else one generated once and kept in the data directory."""
    key = _ENV.secret_key
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _ENV.debug
ALLOWED_HOSTS = _ENV.allowed_hosts
CSRF_TRUSTED_ORIGINS = _ENV.csrf_trusted_origins

INSTALLED_APPS = [
    "opentill.admin_site.OpenTillAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # django-ninja's templates and static files: the API explorer (Swagger UI) is served
    # from this server, not from a CDN.
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "opentill.common",
    "opentill.identity",
    "opentill.stores",
    "opentill.accounting",
    "opentill.catalog",
    "opentill.pos",
    "opentill.orders",
    "opentill.fiscal",
    "opentill.invoicing",
    "opentill.reports",
    "opentill.closing",
    "opentill.audit",
    "opentill.terminal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "opentill.identity.middleware.BearerTokenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "opentill.urls"
WSGI_APPLICATION = "opentill.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


def _database() -> dict:
    url = _ENV.database_url or f"sqlite:///{DATA_DIR / 'opentill.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=0)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so
        # two terminals never deadlock upgrading a read lock; the busy timeout makes the
        # loser wait instead of failing with "database is locked".
        # OPENTILL_DB_BUSY_TIMEOUT (seconds, default 30): how long a write waits for another
        # writer before the request answers 503 service_unavailable.
        busy_seconds = _ENV.db_busy_timeout
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": busy_seconds,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                f"PRAGMA foreign_keys=ON; PRAGMA busy_timeout={busy_seconds * 1000};"
            ),
        }
        config["TEST"] = {"NAME": str(DATA_DIR / "test_opentill.sqlite3")}
    else:
        # A server that refuses or never answers fails fast (503 with Retry-After) instead of
        # hanging a till; a runaway statement is cancelled.
        statement_seconds = _ENV.db_statement_timeout
        config.setdefault("OPTIONS", {}).update(
            {
                "connect_timeout": _ENV.db_connect_timeout,
                "options": f"-c statement_timeout={statement_seconds * 1000}",
            }
        )
    if config["ENGINE"] != "django.db.backends.sqlite3" and _ENV.test_database_name:
        # Several suites may share one PostgreSQL server: each names its own test database.
        config["TEST"] = {"NAME": _ENV.test_database_name}
    return dict(config)


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS: list[dict] = []

LANGUAGE_CODE = "en-us"
TIME_ZONE = _ENV.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "/admin/login/"

# The invoicing rule used when a profile does not name one (entry point name in the
# ``opentill.invoicing_rules`` group).
OPENTILL_INVOICING_RULE = _ENV.invoicing_rule
# API tokens expire after this many hours.
OPENTILL_TOKEN_HOURS = _ENV.token_hours
# A manager's approval (password or PIN typed at the till) is valid this many seconds.
OPENTILL_APPROVAL_SECONDS = _ENV.approval_seconds
# Sign-in throttling (token and approvals): this many wrong passwords or PINs for one username
# (or from one client address) within the window lock it for OPENTILL_LOGIN_LOCK_SECONDS.
OPENTILL_LOGIN_MAX_FAILURES = _ENV.login_max_failures
OPENTILL_LOGIN_MAX_FAILURES_PER_ADDRESS = _ENV.login_max_failures_per_address
OPENTILL_LOGIN_WINDOW_SECONDS = _ENV.login_window_seconds
OPENTILL_LOGIN_LOCK_SECONDS = _ENV.login_lock_seconds

# Background jobs (print jobs): a table in the database, run by `opentill worker` (which
# `opentill serve` starts beside the web server). See opentill.reports.printing.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Seconds to reach a receipt printer and send the report.
OPENTILL_PRINT_TIMEOUT = _ENV.print_timeout
# A print on close is tried this many times, the n-th retry after RETRY_SECONDS × 2^(n-1).
OPENTILL_PRINT_ATTEMPTS = _ENV.print_attempts
OPENTILL_PRINT_RETRY_SECONDS = _ENV.print_retry_seconds
# A worker holds a job this long without renewing it; a job whose worker died is given to
# another worker once its lease has run out.
OPENTILL_JOB_LEASE_SECONDS = _ENV.job_lease_seconds
# Receipt printers the server may connect to: comma-separated CIDRs and ports (None: the
# defaults of opentill.pos.printer_target, private networks and port 9100).
OPENTILL_PRINTER_NETWORKS = _ENV.printer_networks
OPENTILL_PRINTER_PORTS = _ENV.printer_ports
# The private key that signs the fiscal journal (a PEM file kept out of the database; None:
# fiscal_key.pem in the data directory, created at first use). See docs/fiscal.md.
OPENTILL_FISCAL_KEY = _ENV.fiscal_key
# A till's signing device that does not answer is tried again after RETRY_SECONDS × 2^(n-1),
# at most RETRY_MAX_SECONDS (docs/fiscal.md, the fiscal-device boundary).
OPENTILL_DEVICE_RETRY_SECONDS = _ENV.device_retry_seconds
OPENTILL_DEVICE_RETRY_MAX_SECONDS = _ENV.device_retry_max_seconds

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _ENV.log_level},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
