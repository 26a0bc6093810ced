"""Mizan settings: one module, every value read from the environment.

`.env.example` lists each variable with its default. With no `DATABASE_URL` the
platform runs on an embedded SQLite file (WAL mode) so that `make run` needs nothing
else; production and CI set `DATABASE_URL` to PostgreSQL.
"""

import os
from pathlib import Path

import environ
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config.storage import default_storage_from_url

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("MIZAN_DEBUG", default=False)
# A development key is only offered while DEBUG is on.
_DEV_SECRET = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"
SECRET_KEY = env.str("MIZAN_SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
# Without a key, offline tools (makemigrations, makemessages) still run on a throwaway
# one, but the servers (config/wsgi.py, config/asgi.py, hence runserver and gunicorn)
# refuse to start and `check --deploy` fails: see mizan/core/checks.py.
SECRET_KEY_MISSING = not SECRET_KEY
if SECRET_KEY_MISSING:
    import secrets as _secrets

    SECRET_KEY = "unset-" + _secrets.token_urlsafe(48)

ALLOWED_HOSTS = env.list("MIZAN_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("MIZAN_CSRF_TRUSTED_ORIGINS", default=[])
# Public base URL used in SMS links (tracking pages); no trailing slash.
SITE_URL = env.str("MIZAN_SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "mizan.core.admin_config.MizanAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_tasks_db",
    "phonenumber_field",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Serves its own Swagger UI files (static/ninja/) for the API's documentation page.
    "ninja",
    "mizan.core",
    "mizan.accounts",
    "mizan.reference",
    "mizan.procedures",
    "mizan.deadlines",
    "mizan.cases",
    "mizan.documents",
    "mizan.notifications",
    "mizan.backoffice",
    "mizan.portal",
    "mizan.faq",
    "mizan.receipts",
    "mizan.ops",
    "mizan.api",
    "mizan.transparency",
    "mizan.appointments",
    "mizan.exchange",
]

MIDDLEWARE = [
    # Outermost: every response (the HTTPS redirect, a refused host, an error page) gets
    # the request id and is counted in the metrics.
    "mizan.ops.request_id.RequestIdMiddleware",
    "mizan.ops.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Compressed pages for slow phones. Django adds random bytes to each compressed
    # response, which blunts BREACH-style attacks on secrets in pages.
    "django.middleware.gzip.GZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "mizan.core.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Inside the locale: its refusal is worded in the Accept-Language language.
    "mizan.api.middleware.ApiMethodNotAllowedMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): staff pages need the second factor too.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "mizan.backoffice.middleware.StaffIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Form fields render with the project's templates (e.g. includes/checkbox_field.html).
FORM_RENDERER = "mizan.core.forms.FormRenderer"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.csp",
                "mizan.core.context_processors.site",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------
_SQLITE_PATH = BASE_DIR / "var" / "mizan.sqlite3"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{_SQLITE_PATH}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets the web server read while the worker writes; IMMEDIATE makes a
            # writing transaction take the lock up front instead of failing mid-way.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    # Tests use a file too, not the in-memory default: the live server, the worker and the
    # gateways' receipt threads then share it as in production (WAL, busy timeout),
    # instead of an in-memory database that locks whole tables.
    # One file per test process, so that two test runs never share (and wipe) a database.
    DATABASES["default"]["TEST"] = {
        "NAME": str(_SQLITE_PATH.with_name(f"test-mizan-{os.getpid()}.sqlite3"))
    }
    _SQLITE_PATH.parent.mkdir(exist_ok=True)
# Persistent connections on both: a task worker otherwise reconnects after every task.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("MIZAN_DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("MIZAN_CACHE_URL", default="locmemcache://mizan")}

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "notifications"],
    }
}

# --- auth -----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Staff log-in: after this many failures from one address for one username, that
# pair is locked out for the cool-off period (hours).
AXES_FAILURE_LIMIT = env.int("MIZAN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("MIZAN_LOGIN_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "backoffice/locked_out.html"
AXES_VERBOSE = False
LOGIN_URL = "backoffice:login"
# Staff sign in with a password and a time-based code from an authenticator app.
OTP_TOTP_ISSUER = "Mizan"
# A staff session idle for this long ends (a shared office computer left open).
MIZAN_STAFF_IDLE_MINUTES = env.int("MIZAN_STAFF_IDLE_MINUTES", default=30)
LOGIN_REDIRECT_URL = "backoffice:queue"
LOGOUT_REDIRECT_URL = "backoffice:login"

# --- languages ------------------------------------------------------------------
LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Africa/Casablanca"
USE_TZ = True

# --- static and uploads ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("MIZAN_STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MIZAN_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# Production serves `collectstatic` output (hashed, compressed names, cached for a
# year); development and tests serve the files where they are.
COLLECTED_STATIC = env.bool("MIZAN_COLLECTED_STATIC", default=not DEBUG)
WHITENOISE_USE_FINDERS = not COLLECTED_STATIC
# Source maps (django-ninja's API documentation bundles ship several MB of them) are
# for developers' tools, never sent to a phone: compressing them only slowed
# `collectstatic` (~90 s of the browser tests' start-up).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    *("jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br"),
    *("swf", "flv", "woff", "woff2", "3gp", "3gpp", "asf", "avi", "m4v", "mov", "mp4"),
    *("mpeg", "mpg", "webm", "wmv", "map"),
)
WHITENOISE_AUTOREFRESH = DEBUG
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploads: the file system under MEDIA_ROOT (MIZAN_STORAGE_URL unset), or an
# S3-compatible bucket: s3://BUCKET[/PREFIX]?endpoint_url=…&region=…&addressing_style=…
# with its keys apart (config/storage.py, docs/operations.md). Static files stay on WhiteNoise.
MIZAN_STORAGE_URL = env.str("MIZAN_STORAGE_URL", default="")
STORAGES = {
    "default": default_storage_from_url(
        MIZAN_STORAGE_URL,
        access_key=env.str("MIZAN_S3_ACCESS_KEY", default=""),
        secret_key=env.str("MIZAN_S3_SECRET_KEY", default=""),
        # Mizan streams documents itself; a signed URL, if one is ever made, lives this long.
        url_expiry_seconds=env.int("MIZAN_S3_URL_EXPIRY_SECONDS", default=300),
    ),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if COLLECTED_STATIC
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Attachments larger than this are refused with a message, before they are stored.
MIZAN_UPLOAD_MAX_BYTES = env.int("MIZAN_UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)
MIZAN_UPLOAD_MAX_FILES = env.int("MIZAN_UPLOAD_MAX_FILES", default=5)
# Malware scan of each upload by ClamAV's clamd (INSTREAM): a Unix socket path, or
# host:port for TCP (the socket wins when both are set). Neither: files are kept as
# "not scanned" and `check --deploy` warns (mizan.W005). See docs/documents.md.
MIZAN_CLAMD_SOCKET = env.str("MIZAN_CLAMD_SOCKET", default="")
MIZAN_CLAMD_ADDRESS = env.str("MIZAN_CLAMD_ADDRESS", default="")
# Seconds for the whole scan of one file; past it the file is kept as "scan failed".
MIZAN_CLAMD_TIMEOUT = env.float("MIZAN_CLAMD_TIMEOUT", default=10)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- receipts -----------------------------------------------------------------------
# Signs the PDF receipts (docs/receipts.md): base64 of a 32-byte Ed25519 seed, e.g.
# `python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"`.
# Unset, a key derived from MIZAN_SECRET_KEY is used and `check --deploy` warns.
MIZAN_RECEIPT_SIGNING_KEY = env.str("MIZAN_RECEIPT_SIGNING_KEY", default="")
# After a key change, the base64 public keys (comma-separated) of the keys retired, so
# that the receipts they signed still verify.
MIZAN_RECEIPT_PREVIOUS_PUBLIC_KEYS = env.list("MIZAN_RECEIPT_PREVIOUS_PUBLIC_KEYS", default=[])

# --- citizens' one-time codes -------------------------------------------------------
MIZAN_OTP_TTL_SECONDS = env.int("MIZAN_OTP_TTL_SECONDS", default=600)
MIZAN_OTP_MAX_ATTEMPTS = env.int("MIZAN_OTP_MAX_ATTEMPTS", default=5)
MIZAN_OTP_MAX_PER_PHONE_PER_HOUR = env.int("MIZAN_OTP_MAX_PER_PHONE_PER_HOUR", default=5)
MIZAN_OTP_MAX_PER_IP_PER_HOUR = env.int("MIZAN_OTP_MAX_PER_IP_PER_HOUR", default=30)
MIZAN_TRACK_MAX_FAILURES_PER_IP_PER_HOUR = env.int(
    "MIZAN_TRACK_MAX_FAILURES_PER_IP_PER_HOUR", default=30
)

# --- mobile app API (/api/v1, docs/api.md) ---------------------------------------------
MIZAN_API_ACCESS_TOKEN_SECONDS = env.int("MIZAN_API_ACCESS_TOKEN_SECONDS", default=15 * 60)
MIZAN_API_REFRESH_TOKEN_DAYS = env.int("MIZAN_API_REFRESH_TOKEN_DAYS", default=30)
# A creating call's answer is replayed to retries with its Idempotency-Key this long.
MIZAN_API_IDEMPOTENCY_HOURS = env.int("MIZAN_API_IDEMPOTENCY_HOURS", default=24)
# Requests per minute, per sign-in (access token) and per client address; 0: no limit.
MIZAN_API_MAX_PER_TOKEN_PER_MINUTE = env.int("MIZAN_API_MAX_PER_TOKEN_PER_MINUTE", default=120)
MIZAN_API_MAX_PER_IP_PER_MINUTE = env.int("MIZAN_API_MAX_PER_IP_PER_MINUTE", default=300)
# Requests per minute per partner API key (a commissaire's office's software); 0: no limit.
MIZAN_API_MAX_PER_PARTNER_KEY_PER_MINUTE = env.int(
    "MIZAN_API_MAX_PER_PARTNER_KEY_PER_MINUTE", default=120
)

# --- notifications ------------------------------------------------------------------
# The SMS providers, primary first, then fallbacks, as JSON. Each has a unique "name",
# a "kind" (console | http-json | kannel | smpp), its options (url, token, host, ...), an
# optional "rate" (messages per second, shared by every worker through the cache) and
# "cost" (estimated price of a segment, in dirhams). "console" logs each message and keeps
# it for the development outbox page. docs/notifications.md lists every option.
# Law 09-08: days after a case is closed before its personal data is anonymised, per
# procedure (statistics are kept). `manage.py apply_retention --dry-run` shows the effect.
MIZAN_RETENTION_DAYS = env.json(
    "MIZAN_RETENTION_DAYS",
    default={
        "complaint": 5 * 365,
        "pardon": 5 * 365,
        "bail": 5 * 365,
        "grievance": 5 * 365,
        "question": 2 * 365,
    },
)
# Days after an appointment before the citizen's data in its booking is anonymised.
MIZAN_APPOINTMENT_RETENTION_DAYS = env.int("MIZAN_APPOINTMENT_RETENTION_DAYS", default=365)

MIZAN_SMS_GATEWAYS = env.json(
    "MIZAN_SMS_GATEWAYS", default=[{"name": "console", "kind": "console", "cost": "0.15"}]
)
MIZAN_SMS_SENDER = env.str("MIZAN_SMS_SENDER", default="MIZAN")
# Retries back off exponentially (with jitter) from the base to the cap, and stop after
# the window: the message is then a technical failure and the case shows it.
MIZAN_SMS_RETRY_BASE_SECONDS = env.float("MIZAN_SMS_RETRY_BASE_SECONDS", default=30)
MIZAN_SMS_RETRY_MAX_SECONDS = env.float("MIZAN_SMS_RETRY_MAX_SECONDS", default=3600)
MIZAN_SMS_RETRY_WINDOW_SECONDS = env.float("MIZAN_SMS_RETRY_WINDOW_SECONDS", default=24 * 3600)
# A provider found down is asked again by one message at a time, from the retry base,
# doubled at each failure, capped here (and by MIZAN_SMS_RETRY_MAX_SECONDS): its waiting
# messages are all due as soon as it answers.
MIZAN_SMS_PROVIDER_PROBE_MAX_SECONDS = env.float("MIZAN_SMS_PROVIDER_PROBE_MAX_SECONDS", default=60)
# A worker that dies while sending leaves the message for another one after this delay.
MIZAN_SMS_LEASE_SECONDS = env.float("MIZAN_SMS_LEASE_SECONDS", default=60)
# A message handed to a provider with no final receipt by then is a technical failure.
MIZAN_SMS_RECEIPT_WINDOW_SECONDS = env.float("MIZAN_SMS_RECEIPT_WINDOW_SECONDS", default=72 * 3600)
# Signed receipt webhooks older than this (or from the future) are refused.
MIZAN_WEBHOOK_MAX_AGE_SECONDS = env.int("MIZAN_WEBHOOK_MAX_AGE_SECONDS", default=300)
# Status replies to texts sent to the service number, per sender and hour.
MIZAN_INBOUND_MAX_REPLIES_PER_HOUR = env.int("MIZAN_INBOUND_MAX_REPLIES_PER_HOUR", default=5)
# Templates are checked to fit this many SMS segments in every language.
MIZAN_SMS_MAX_SEGMENTS = env.int("MIZAN_SMS_MAX_SEGMENTS", default=3)
# E-mail, the second channel when the citizen gave an address.
# "console" prints e-mails (development); "smtp" sends them through MIZAN_EMAIL_HOST.
if env.str("MIZAN_EMAIL", default="console") == "smtp":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env.str("MIZAN_EMAIL_HOST", default="localhost"),
                "port": env.int("MIZAN_EMAIL_PORT", default=25),
                "username": env.str("MIZAN_EMAIL_USER", default=""),
                "password": env.str("MIZAN_EMAIL_PASSWORD", default=""),
                "use_tls": env.bool("MIZAN_EMAIL_TLS", default=False),
                "timeout": env.int("MIZAN_EMAIL_TIMEOUT", default=10),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env.str("MIZAN_EMAIL_FROM", default="Mizan <no-reply@mizan.invalid>")
# Mounts /<lang>/bench/floor/, the benchmarks' reference page (make bench only).
MIZAN_BENCH_FLOOR = env.bool("MIZAN_BENCH_FLOOR", default=False)
# The development outbox page shows every SMS, one-time codes included: never in production.
MIZAN_DEV_OUTBOX = env.bool("MIZAN_DEV_OUTBOX", default=DEBUG)

# --- remote appointments (docs/appointments.md) ---------------------------------------
# Jitsi Meet with token authentication: the server's domain, its app id and shared
# secret. Unset: no video, the pages say so and officials call the citizen's phone.
MIZAN_JITSI_DOMAIN = env.str("MIZAN_JITSI_DOMAIN", default="")
MIZAN_JITSI_APP_ID = env.str("MIZAN_JITSI_APP_ID", default="")
MIZAN_JITSI_SECRET = env.str("MIZAN_JITSI_SECRET", default="")

# --- public statistics (docs/transparency.md) -------------------------------------------
# No published count is under this (zero included), nor any figure that gives one away.
MIZAN_TRANSPARENCY_MIN_CELL = env.int("MIZAN_TRANSPARENCY_MIN_CELL", default=10)
# The open data's licence: its proper name (shown as is, marked with its language, on
# the data page; in every JSON file and CSV metadata file) and the address of its text
# (also in every file's `Link: <...>; rel="license"` header).
MIZAN_TRANSPARENCY_LICENCE = env.str(
    "MIZAN_TRANSPARENCY_LICENCE",
    default="Creative Commons Attribution 4.0 International (CC BY 4.0)",
)
# The language the licence's name is written in (a language code: en, fr, ar...).
MIZAN_TRANSPARENCY_LICENCE_LANG = env.str("MIZAN_TRANSPARENCY_LICENCE_LANG", default="en")
MIZAN_TRANSPARENCY_LICENCE_URL = env.str(
    "MIZAN_TRANSPARENCY_LICENCE_URL", default="https://creativecommons.org/licenses/by/4.0/"
)

# --- security -------------------------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("MIZAN_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("MIZAN_SESSION_SECONDS", default=8 * 3600)
SECURE_SSL_REDIRECT = env.bool("MIZAN_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("MIZAN_BEHIND_TLS_PROXY", default=False)
    else None
)
SECURE_HSTS_SECONDS = env.int("MIZAN_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env.bool("MIZAN_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'", CSP.NONCE],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}

# --- operations -----------------------------------------------------------------------
# /readyz answers 503 when no task worker's heartbeat is this recent...
MIZAN_READY_HEARTBEAT_SECONDS = env.int("MIZAN_READY_HEARTBEAT_SECONDS", default=120)
# ...or when the oldest message still to hand over (queued, sending, temporary failure)
# is older than this.
MIZAN_READY_QUEUE_AGE_SECONDS = env.int("MIZAN_READY_QUEUE_AGE_SECONDS", default=900)
# Bearer token Prometheus sends to /metrics; empty: /metrics does not exist (404).
MIZAN_METRICS_TOKEN = env.str("MIZAN_METRICS_TOKEN", default="")
# Load balancers and Prometheus talk plain HTTP to each app server.
SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)$"]

# "plain" for a terminal, "json" (one object per line) for a log collector. Every line
# carries the request id (also in worker lines of the tasks a request enqueued).
MIZAN_LOG_FORMAT = env.str("MIZAN_LOG_FORMAT", default="plain")
if MIZAN_LOG_FORMAT not in ("plain", "json"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("MIZAN_LOG_FORMAT must be plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "mizan.ops.request_id.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "mizan.ops.log_format.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": MIZAN_LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("MIZAN_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Receipts: WeasyPrint logs each rendering step, and fontTools each font table it
        # subsets, at INFO; their warnings and errors still show.
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
CSRF_FAILURE_VIEW = "mizan.portal.views.csrf_failure"
