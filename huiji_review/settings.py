"""Settings for huiji-review, read from environment variables.

Development needs nothing set: SQLite under var/ and DEBUG on. Production (DEBUG off) refuses to
start without a real SECRET_KEY, the way healthchecks' hc/settings.py reads its environment.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Turn DATABASE_URL (postgres://user:pass@host:port/name or sqlite:///path) into a dict."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path
        path = parsed.path[1:] if parsed.path.startswith("/") else parsed.path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path or BASE_DIR / "var" / "db.sqlite3",
        }
    if parsed.scheme in ("postgres", "postgresql", "pgsql"):
        # Server-side parameters and prepared statements: PostgreSQL then parses and plans
        # a statement once per connection instead of on every request, which halves its
        # CPU per ballot (docs/benchmarks.md). Off only for a pooler that cannot keep
        # prepared statements (PgBouncer in transaction mode before 1.21).
        options = (
            {"server_side_binding": True, "prepare_threshold": 2}
            if envbool("DB_PREPARED_STATEMENTS", "true")
            else {}
        )
        # A request waits at most DB_LOCK_TIMEOUT_MS for a lock and runs at most
        # DB_STATEMENT_TIMEOUT_MS; then PostgreSQL cancels it and the rater is answered 503
        # with Retry-After (huiji_review/views.py) instead of a thread waiting as long as one
        # client holds a credential's row, with every other request queueing behind it.
        # Management commands run with the lock timeout but no statement timeout: migrate,
        # the imports and the ballot box's VACUUM FULL may take minutes, and one refused for
        # a lock changed nothing and can be run again. runserver serves requests.
        # docs/deployment.md, "Database outages and stuck locks". 0 leaves the server's own
        # setting (ALTER ROLE ... SET) in force.
        import sys

        argv = getattr(sys, "argv", None) or [""]  # embedded interpreters may have none
        manage = Path(argv[0]).name in ("manage.py", "django-admin")
        command = manage and argv[1:2] != ["runserver"]
        timeouts = {
            "lock_timeout": envint("DB_LOCK_TIMEOUT_MS", "3000"),
            "statement_timeout": 0 if command else envint("DB_STATEMENT_TIMEOUT_MS", "30000"),
        }
        startup = " ".join(f"-c {name}={ms}" for name, ms in timeouts.items() if ms > 0)
        if startup:
            options["options"] = startup
        # Without it a server that drops packets (a failover to an address not yet up) would
        # hold a request until TCP gives up, minutes later.
        options["connect_timeout"] = envint("DB_CONNECT_TIMEOUT_S", "5")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", "60"),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parsed.scheme!r} is not supported")


DEBUG = envbool("DEBUG", "true")

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.getenv("SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "生产模式（DEBUG=false）必须设置至少 50 个字符的 SECRET_KEY。 "
        "Production mode (DEBUG=false) needs a SECRET_KEY of at least 50 characters."
    )

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

# The address printed on credential cards (QR codes) and by seed_demo.
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The district an installation starts with (org.services.default_district); further districts
# are added in the admin (docs/design.md, "District").
HUIJI_DISTRICT_CODE = os.getenv("HUIJI_DISTRICT_CODE", "huiji")
HUIJI_DISTRICT_NAME = os.getenv("HUIJI_DISTRICT_NAME", "惠济区")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    # The task queue that renders long PDFs off the request (docs/results.md, "PDFs in the
    # background"): django_tasks is the backport of Django 6's framework, django_tasks_db its
    # database backend (its table and `manage.py db_worker`), installed whichever backend runs.
    "django_tasks",
    "django_tasks_db",
    "core.apps.CoreConfig",
    "org.apps.OrgConfig",
    "sessions.apps.ReviewConfig",
    "scoring.apps.ScoringConfig",
    "meeting.apps.MeetingConfig",
    "projects.apps.ProjectsConfig",
    "targets.apps.TargetsConfig",
    "awards.apps.AwardsConfig",
    "screen.apps.ScreenConfig",
    # The project package, last: its seed_demo command loads every app's demo data
    # (docs/architecture.md).
    "huiji_review",
]

MIDDLEWARE = [
    # First: refuses an oversize body from its Content-Length before anything reads it.
    "huiji_review.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "huiji_review.middleware.CookieLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "huiji_review.urls"
WSGI_APPLICATION = "huiji_review.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        os.getenv("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The zero-setup default lives in var/, which a fresh clone does not have yet.
    if str(DATABASES["default"]["NAME"]).startswith(str(BASE_DIR / "var")):
        (BASE_DIR / "var").mkdir(exist_ok=True)
    # Several raters write at once; wait for the lock rather than fail at once.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's cache holds the raters' wrong-code counters and the list of blocked addresses
# (docs/deployment.md, "Wrong-code throttle"), so it must be one that every worker and host
# shares: the database by default (`createcachetable` makes its table; nothing else to run),
# Redis where REDIS_URL is set (its INCR counts atomically). MAX_ENTRIES: the database cache
# deletes a third of its rows, counters and list included, once it holds more than that.
REDIS_URL = os.getenv("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "huiji",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "huiji_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# The client address both throttles count by (docs/deployment.md, "Client address behind a
# proxy"). Unset: REMOTE_ADDR, and any X-Forwarded-For a client sends is ignored. Set to the
# header the deployment's own proxies append to, as request.META names it, with how many of
# them append: the entry that many places from the right is the client.
TRUSTED_PROXY_HEADER = os.getenv("TRUSTED_PROXY_HEADER", "").strip()
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", "1")
if TRUSTED_PROXY_HEADER and (
    not TRUSTED_PROXY_HEADER.startswith("HTTP_") or TRUSTED_PROXY_COUNT < 1
):
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_HEADER 应为 request.META 中的名称（如 HTTP_X_FORWARDED_FOR），"
        "TRUSTED_PROXY_COUNT 至少为 1。 TRUSTED_PROXY_HEADER must be a request.META name "
        "such as HTTP_X_FORWARDED_FOR, and TRUSTED_PROXY_COUNT at least 1."
    )

# Raters' wrong codes (core/throttle.py): after this many from one address within the
# window, that address's wrong codes get a 429 page until the window ends. Valid codes are
# never refused.
WRONG_CODE_LIMIT = envint("WRONG_CODE_LIMIT", "30")
WRONG_CODE_WINDOW_SECONDS = envint("WRONG_CODE_WINDOW_SECONDS", "600")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"

# The model core/audit.py writes the audit trail to (the sessions app keeps its table).
AUDIT_LOG_MODEL = "review.AuditLog"
LOGIN_REDIRECT_URL = "review:session_list"
LOGOUT_REDIRECT_URL = "login"

# Staff login throttling with django-axes (docs/deployment.md, "Staff login throttling"). A user
# name is locked after LOGIN_FAILURE_LIMIT wrong passwords *from one address*: keyed on the pair,
# one person's typos never lock the other staff out, and the same account still logs in from
# another address. The standalone backend only refuses locked attempts; ModelBackend logs in.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", "15"))
AXES_RESET_ON_SUCCESS = True
# The same client address as the raters' wrong-code throttle, trusted proxy header included.
AXES_CLIENT_IP_CALLABLE = "huiji_review.login_throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "huiji_review.login_throttle.locked_out"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.getenv("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", BASE_DIR / "var" / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.getenv("MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Long PDFs (the results with a report card per unit, large prints of credential cards) are
# rendered by a task (docs/results.md, "PDFs in the background"; core/render_jobs.py).
# TASKS_BACKEND=immediate, the default, runs the task inside the request that asks for it: one
# machine, nothing more to run, the progress page is done when it opens. TASKS_BACKEND=database
# stores the task and `manage.py db_worker` runs it, so that no web worker waits on WeasyPrint:
# for several application hosts, where MEDIA_ROOT must then be one storage that every host and
# every worker sees (the file is written by a worker and downloaded through any host).
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
TASKS_BACKEND = os.getenv("TASKS_BACKEND", "immediate").strip().lower()
if TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND 应为 {' 或 '.join(TASK_BACKENDS)}。 "
        f"TASKS_BACKEND must be one of: {', '.join(TASK_BACKENDS)} (not {TASKS_BACKEND!r})."
    )
TASKS = {"default": {"BACKEND": TASK_BACKENDS[TASKS_BACKEND]}}

# Uploads: workbooks and report attachments. Larger bodies are refused before they are read.
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", str(20 * 1024 * 1024))
# Every request body outside the staff pages under /sessions/ (login, rater tablets, the big
# screen, admin) is small; RequestBodyLimitMiddleware refuses a larger one unread.
REQUEST_BODY_MAX_BYTES = envint("REQUEST_BODY_MAX_BYTES", str(1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# A strict policy: no inline script or style anywhere (see STYLE.md, pretalx).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# A refused CSRF check explains itself in Chinese (and English), not with Django's page.
CSRF_FAILURE_VIEW = "huiji_review.views.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie; the token travels in hx-headers on <body>
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "true")
    SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "true")
    CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", "true")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING")},
}
