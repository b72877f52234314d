"""Settings for every environment, driven by environment variables (see README).

Unset variables give the embedded development set-up: SQLite in WAL mode, a
local Redis, media on the local disk and search on the database backend.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.conf import global_settings
from django.core.exceptions import ImproperlyConfigured

from project.settings_helpers import (
    development_secret_key,
    redis_caches,
    redis_channel_layers,
    redis_rq_queues,
    s3_storage,
    smtp_settings,
)

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    # Development: a random key kept per checkout (never committed).
    SECRET_KEY = development_secret_key(BASE_DIR / ".run" / "dev-secret-key")

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_rq",
    "axes",
    "users",
    "cookbook",
    # Before django_elasticsearch_dsl: its search_index command wraps that app's.
    "students",
    "django_elasticsearch_dsl",
    "chat",
    "core",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    # First: it times and counts every answer, the other middleware's included.
    "core.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.csp.SiteCSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.DatabaseBusyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.RetryLaterMiddleware",
    "core.middleware.ControlCharacterMiddleware",
    # Last: it turns a login refused by users.accounts.lockout into the 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"
WSGI_APPLICATION = "project.wsgi.application"
# Where pages open their websocket: a path on the page's origin or a ws(s):// URL.
WEBSOCKET_URL = env.str("WEBSOCKET_URL", default="/ws/task/")

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
                "core.context_processors.websocket_url",
            ],
        },
    },
]

# Database: SQLite (WAL) by default, anything django-environ understands otherwise.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server, the worker and readers work side by side;
        # IMMEDIATE transactions take the write lock up front instead of failing mid-way.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        # Seconds a write waits for the one write lock. Writes are short (the CRUD job
        # commits batch by batch), so waiting longer only keeps a user waiting: past it the
        # request answers 503 with Retry-After (core.http.DatabaseBusy), never a 500.
        "timeout": 5,
    }
    # Each server thread keeps its connection between requests instead of opening the file,
    # setting the pragmas and reading the schema for every request.
    DATABASES["default"]["CONN_MAX_AGE"] = 300
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database that does not answer fails a request (and /healthz) in seconds.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# Redis carries the cache, the channel layer and the RQ queues.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = redis_caches(REDIS_URL)
# channels_redis forgets a group's members after this many seconds; sockets join again
# every WEBSOCKET_SESSION_CHECK_SECONDS, when they also check that their session goes on.
CHANNELS_GROUP_EXPIRY = env.int("CHANNELS_GROUP_EXPIRY", default=86400)
CHANNEL_LAYERS = redis_channel_layers(REDIS_URL, group_expiry=CHANNELS_GROUP_EXPIRY)
WEBSOCKET_SESSION_CHECK_SECONDS = env.float("WEBSOCKET_SESSION_CHECK_SECONDS", default=60)
# How long an API client's websocket ticket (POST /api/v1/ws-ticket/) can wait to be used.
WEBSOCKET_TICKET_SECONDS = env.int("WEBSOCKET_TICKET_SECONDS", default=30)
RQ_QUEUES = redis_rq_queues(REDIS_URL)

# Sessions stay in the database so that a Redis outage does not log anyone out.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_USER_MODEL = "users.CustomUser"
# django-axes first: it refuses logins of a locked-out account or address before any
# password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Accounts (users.accounts.services, README "Accounts"). Whether a new address must be proven
# before its owner may log in: "mandatory" (log-in refused until the mailed link is followed),
# "optional" (mailed, a reminder until followed) or "none" (no mail). A changed address is
# always proven before it replaces the old one.
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
if ACCOUNT_EMAIL_VERIFICATION not in ("mandatory", "optional", "none"):
    raise ImproperlyConfigured(
        "ACCOUNT_EMAIL_VERIFICATION must be one of mandatory, optional, none."
    )
# How long a mailed link stays valid: verification (seconds) and password reset (Django's).
ACCOUNT_EMAIL_VERIFICATION_SECONDS = env.int(
    "ACCOUNT_EMAIL_VERIFICATION_SECONDS", default=3 * 24 * 3600
)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
# The site's name in account mail and pages.
SITE_NAME = env.str("SITE_NAME", default="Cookbook & Students")

# Mail: SMTP from EMAIL_URL (smtp://, smtp+tls://, smtp+ssl://, as django-environ reads it);
# unset, every message is written as a file under .run/mail/ (`make run` prints where).
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=BASE_DIR / ".run" / "mail")
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
if "EMAIL_URL" in env:
    # django-environ's documented way: EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, credentials, TLS.
    smtp = smtp_settings(env.email_url("EMAIL_URL"))
    EMAIL_BACKEND = smtp["EMAIL_BACKEND"]
    EMAIL_HOST = smtp["EMAIL_HOST"]
    EMAIL_PORT = smtp["EMAIL_PORT"]
    EMAIL_HOST_USER = smtp["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = smtp["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = smtp["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = smtp["EMAIL_USE_SSL"]

# Django's hashers (PBKDF2 first) unless DJANGO_PASSWORD_HASHERS names others: the test suite
# names a fast one for the accounts it makes by the hundred (devtools/test_environment.py), and
# a deployment (DEBUG off) refuses a weak one at start (core.checks, core.E009).
PASSWORD_HASHERS = env.list("DJANGO_PASSWORD_HASHERS", default=global_settings.PASSWORD_HASHERS)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}


AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = s3_storage(
        bucket_name=AWS_STORAGE_BUCKET_NAME,
        endpoint_url=env.str("AWS_S3_ENDPOINT_URL", default=None),
        region_name=env.str("AWS_S3_REGION_NAME", default=None),
        access_key=env.str("AWS_ACCESS_KEY_ID", default=None),
        secret_key=env.str("AWS_SECRET_ACCESS_KEY", default=None),
    )

# Under daphne in development whitenoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Student search: Elasticsearch when ELASTICSEARCH_URL is set, the database otherwise.
# Unset, no connection is configured and the signal processor does nothing, so nothing
# ever reaches for an engine.
ELASTICSEARCH_URL = env.str("ELASTICSEARCH_URL", default="")
ELASTICSEARCH_DSL = (
    {
        "default": {
            "hosts": ELASTICSEARCH_URL,
            "request_timeout": env.int("ELASTICSEARCH_TIMEOUT_SECONDS", default=10),
            "max_retries": 1,
        }
    }
    if ELASTICSEARCH_URL
    else {}
)
ELASTICSEARCH_STUDENTS_INDEX = env.str("ELASTICSEARCH_STUDENTS_INDEX", default="students")
ELASTICSEARCH_DSL_INDEX_SETTINGS = {
    "number_of_shards": env.int("ELASTICSEARCH_INDEX_SHARDS", default=1),
    "number_of_replicas": env.int("ELASTICSEARCH_INDEX_REPLICAS", default=0),
}
ELASTICSEARCH_DSL_AUTOSYNC = env.bool("ELASTICSEARCH_AUTOSYNC", default=True)
ELASTICSEARCH_DSL_SIGNAL_PROCESSOR = "students.signals.SearchSignalProcessor"

# Cookbook: recipe pages read through the Redis cache; invalidation keeps it fresh and
# this TTL is only the safety net (seconds).
COOKBOOK_CACHE_TTL = env.int("COOKBOOK_CACHE_TTL", default=3600)

# Uploads and folder downloads (core): a size limit per file, checked while the body
# arrives; every uploaded file spills to a temporary file instead of staying in memory.
UPLOAD_MAX_FILE_SIZE = env.int("UPLOAD_MAX_FILE_SIZE", default=100 * 1024 * 1024)
UPLOAD_MAX_FILES = env.int("UPLOAD_MAX_FILES", default=20)
# What one user may keep stored, in bytes (1 GiB).
UPLOAD_QUOTA_BYTES = env.int("UPLOAD_QUOTA_BYTES", default=1024**3)
DATA_UPLOAD_MAX_NUMBER_FILES = UPLOAD_MAX_FILES
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.TemporaryFileUploadHandler"]
ZIP_DOWNLOAD_CHUNK_SIZE = 256 * 1024

# Student CRUD job and task updates: RQ job limits and worker maintenance cadence.
CRUD_JOB_QUEUE = "default"
CRUD_JOB_TIMEOUT = env.int("CRUD_JOB_TIMEOUT", default=600)
CRUD_JOB_BATCH_SIZE = env.int("CRUD_JOB_BATCH_SIZE", default=2000)
# How long RQ keeps a CRUD job's record once it ended (explicit: RQ's default keeps failed
# jobs for a year). The task row is the lasting record; these are for the dashboard.
CRUD_JOB_RESULT_TTL = env.int("CRUD_JOB_RESULT_TTL", default=86400)
CRUD_JOB_FAILURE_TTL = env.int("CRUD_JOB_FAILURE_TTL", default=7 * 86400)
RQ = {"WORKER_CLASS": "users.tasks.worker.TaskWorker"}
# A worker killed outright leaves its job "started" until the heartbeat expires
# (monitoring interval + 60 s); the next maintenance run then fails it.
RQ_MAINTENANCE_INTERVAL = env.int("RQ_MAINTENANCE_INTERVAL", default=30)
RQ_JOB_MONITORING_INTERVAL = env.int("RQ_JOB_MONITORING_INTERVAL", default=10)
# Faults heal themselves: the periodic maintenance job (core.maintenance) runs this often and
# fails stalled tasks, removes abandoned student generations and drains the search outbox;
# a running task's process beats every TASK_HEARTBEAT_SECONDS (silent for three beats:
# stalled), and stops beating this long past its time limit.
MAINTENANCE_INTERVAL_SECONDS = env.int("MAINTENANCE_INTERVAL_SECONDS", default=15)
TASK_HEARTBEAT_SECONDS = env.int("TASK_HEARTBEAT_SECONDS", default=5)
TASK_TIMEOUT_GRACE_SECONDS = env.int("TASK_TIMEOUT_GRACE_SECONDS", default=30)
# Search heals: outbox retries wait 1, 2, 4... seconds up to this; the index is compared with
# the database this often.
SEARCH_OUTBOX_RETRY_MAX_SECONDS = env.int("SEARCH_OUTBOX_RETRY_MAX_SECONDS", default=60)
SEARCH_RECONCILE_INTERVAL_SECONDS = env.int("SEARCH_RECONCILE_INTERVAL_SECONDS", default=600)

# `manage.py load_demo_data` (run by `make run`) runs these commands in turn: each app
# loads its own demo data, and which of them make the demo is the project's choice.
DEMO_DATA_COMMANDS = ["create_demo_account", "load_recipes", "load_demo_students"]

# Production hardening; every value can be relaxed through the environment.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
# Both bind every subdomain (preload: for years, through the browsers' lists): only on request.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [
    # check --deploy warns about each of the two when it is off; off is the chosen default.
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
CSRF_FAILURE_VIEW = "core.error_pages.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts, styles and everything else from the site
# itself; no inline script or style anywhere, no plugin, no framing, forms post only here.
# A websocket on another origin (WEBSOCKET_URL) is added to connect-src (core.csp).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# django-rq's dashboard (staff only; reached at both addresses) inlines its scripts and
# styles: only there are inline ones allowed (core.csp).
CSP_INLINE_ALLOWED_PREFIXES = ["/django-rq/", "/admin/django_rq/"]
# Powerful browser features the site never uses, refused to every frame.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}

# The client's address (core.client_address): X-Forwarded-For is read only from these
# proxies, from the right. Loopback by default (nginx on the same host); behind the
# compose stack's nginx, its network (see .env.example).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.0/8", "::1/128"])

# Limits (core.ratelimits declares them; README "Security"): "<count>/<period>" per user or
# per client address, counted in Redis.
RATE_LIMITS = {
    "signup": env.str("RATE_LIMIT_SIGNUP", default="10/hour"),
    "password_reset": env.str("RATE_LIMIT_PASSWORD_RESET", default="5/hour"),
    "job_start": env.str("RATE_LIMIT_JOB_START", default="10/hour"),
    # The search box sends at most one request per 200 ms of typing: 5 a second.
    "search": env.str("RATE_LIMIT_SEARCH", default="600/minute"),
    "upload_bytes": env.str("RATE_LIMIT_UPLOAD_BYTES", default=f"{5 * 1024**3}/hour"),
    "api": env.str("RATE_LIMIT_API", default="1000/hour"),
    # Verification mail sent again on request (per address, like the reset mail).
    "verification_mail": env.str("RATE_LIMIT_VERIFICATION_MAIL", default="5/hour"),
}
CONCURRENCY_LIMITS = {"zip_downloads": env.int("ZIP_DOWNLOADS_AT_ONCE", default=2)}

# Failed logins (django-axes, counted in Redis through the cache): per account and per
# client address, locked out after LOGIN_FAILURE_LIMIT failures; the lockout doubles with
# each further LOGIN_FAILURE_LIMIT failures, up to LOGIN_LOCKOUT_MAX_SECONDS.
AXES_HANDLER = "users.accounts.lockout.FailOpenCacheHandler"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=300)
LOGIN_LOCKOUT_MAX_SECONDS = env.int("LOGIN_LOCKOUT_MAX_SECONDS", default=3600)
AXES_COOLOFF_TIME = "users.accounts.lockout.cool_off"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "users.accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_ip"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "users.accounts.lockout.login_name"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # The Elasticsearch client logs every request at INFO, django-axes every login; keep
    # their warnings (failed logins, lockouts) and errors.
    "loggers": {
        "elastic_transport.transport": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# The REST API (api/, README "API"): JSON only, every request authenticated unless a view
# says otherwise, errors in the site's JSON shape, limits through core.ratelimits.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The first one names the 401's WWW-Authenticate challenge.
        "api.authentication.BearerJWTAuthentication",
        "api.authentication.ApiKeyAuthentication",
        "api.authentication.HeaderCSRFSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.SiteRateLimitThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    # Form errors are keyed like Django's own (form.errors.get_json_data()).
    "NON_FIELD_ERRORS_KEY": "__all__",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Errors under these paths answer JSON whatever the client accepts (core.http.wants_json):
# a lockout, a 404 where no view matched.
JSON_ONLY_PATH_PREFIXES = ["/api/v1/"]
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=1)),
    # Every refresh answers a new refresh token and blacklists the one it used.
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cookbook & Students API",
    "DESCRIPTION": "Recipes, students, tasks and documents for clients beyond the browser.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
}

# /healthz: components for staff sessions and for this bearer token; checks are cached.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
HEALTH_CACHE_SECONDS = env.float("HEALTH_CACHE_SECONDS", default=5.0)

SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(dsn=SENTRY_DSN, send_default_pii=False, traces_sample_rate=0.0)
