"""Parley settings, read from the environment.

Every variable is listed in the README. The defaults run a fresh clone with no setup:
SQLite under var/, the in-memory channel layer, uploads on local disk, e-mail on the console.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name, default=False):
    value = env(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name, default):
    value = env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name, default=()):
    value = env(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.replace(" ", ",").split(",") if item.strip()]


def database_from_url(url):
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(f"DATABASE_URL must start with postgres://, not {parsed.scheme}://")
    name = unquote(parsed.path.lstrip("/")) or "parley"
    options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    return {
        # Django's backend, with the health check of persistent connections run at most once an interval.
        "ENGINE": "common.postgresql",
        "NAME": name,
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "OPTIONS": options,
        # Persistent connections: the WebSocket path reopens a connection per frame otherwise.
        "CONN_MAX_AGE": env_int("PARLEY_DB_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "HEALTH_CHECK_INTERVAL": env_int("PARLEY_DB_HEALTH_CHECK_INTERVAL", 10),
        # Named explicitly so the forked live server of the browser tests finds the same database.
        "TEST": {"NAME": env("PARLEY_TEST_DB_NAME", f"test_{name}")},
    }


# --- Core -----------------------------------------------------------------------------------

DEBUG = env_bool("PARLEY_DEBUG", True)
DATA_DIR = Path(env("PARLEY_DATA_DIR", BASE_DIR / "var"))

if DEBUG:
    SECRET_KEY = env("PARLEY_SECRET_KEY", "dev-only-insecure-key-parley-do-not-use-in-production")
    ALLOWED_HOSTS = env_list("PARLEY_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
else:
    SECRET_KEY = env("PARLEY_SECRET_KEY")
    ALLOWED_HOSTS = env_list("PARLEY_ALLOWED_HOSTS")
    if not SECRET_KEY:
        raise ImproperlyConfigured("PARLEY_SECRET_KEY must be set when PARLEY_DEBUG is off.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("PARLEY_ALLOWED_HOSTS must be set when PARLEY_DEBUG is off.")
    if "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured("PARLEY_ALLOWED_HOSTS must name the site's hosts, not '*'.")

CSRF_TRUSTED_ORIGINS = env_list("PARLEY_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # First, so that runserver is the ASGI server too (daphne's check E001).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "csp",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    # Parley's apps, each importing only those listed below it (.importlinter checks it).
    "posts",
    "business",
    "moderation",
    "search",
    "notifications",
    "exports",
    "inbox",
    "accounts",
    "media",
    "common",
]

MIDDLEWARE = [
    # First: load balancers' /healthz and /readyz skip host checks, HTTPS redirects, sessions and logs.
    "common.health.HealthCheckMiddleware",
    # Next: the request id, and with PARLEY_LOG_JSON one JSON line per request (probes excepted).
    "common.logging.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside SessionMiddleware, so that it sees the Vary: Cookie added on the way out.
    "common.http.PrivateCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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
                "inbox.context_processors.navigation",
                "posts.context_processors.cards",
                "accounts.context_processors.settings_links",
                "business.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------

DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    # SQLite creates the file but not its folder; a fresh clone has no var/ yet.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "parley.sqlite3",
            "OPTIONS": {
                # Socket threads and requests that write at once wait for each other instead of failing.
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "CONN_MAX_AGE": env_int("PARLEY_DB_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            # A file, not memory: the browser tests' live server is another process.
            "TEST": {"NAME": DATA_DIR / "test.sqlite3"},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels and cache ---------------------------------------------------------------------

REDIS_URL = env("REDIS_URL")
REDIS_PREFIX = env("PARLEY_REDIS_PREFIX", "parley")
if REDIS_URL:
    REDIS_CHANNEL_LAYER = env("PARLEY_REDIS_CHANNEL_LAYER", "pubsub")
    if REDIS_CHANNEL_LAYER == "pubsub":
        # Redis pub/sub: one PUBLISH per push, delivered as it happens. It is at-most-once, which suits
        # Parley: the database is the log and clients fetch what they missed with `sync` by seq. It
        # measured 2x the list-based layer's throughput (docs/performance.md) and has no capacity to overflow.
        CHANNEL_LAYERS = {
            "default": {
                # channels-redis' pub/sub layer, publishing each batch of pushes in one round trip.
                "BACKEND": "inbox.layers.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{REDIS_PREFIX}:asgi"},
            }
        }
    elif REDIS_CHANNEL_LAYER == "list":
        CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    # redis-py 8 reads with a 5 s timeout by default, exactly as long as channels-redis
                    # blocks waiting on a quiet socket: every idle socket's consumer died after 5 s.
                    "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                    "prefix": f"{REDIS_PREFIX}:asgi",
                    # Counted per daphne process (channels-redis queues all its sockets' frames in one
                    # list), and overflow is dropped silently: 1000 lost pushes in the delivery benchmark.
                    "capacity": env_int("PARLEY_CHANNEL_CAPACITY", 10000),
                    # At least daphne's --websocket_timeout (a day), or long-lived sockets go deaf.
                    "group_expiry": 86400,
                },
            }
        }
    else:
        raise ImproperlyConfigured(f"PARLEY_REDIS_CHANNEL_LAYER must be pubsub or list, not {REDIS_CHANNEL_LAYER!r}")
    CACHES = {
        "default": {
            # Django's, with Redis being down answered as misses (common/cache.py).
            "BACKEND": "common.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{REDIS_PREFIX}:cache",
            # A Redis that does not answer must not hold a page for long.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "inbox.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "parley"}}

# --- Accounts -------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox:index"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed logins per username (and per IP) within the window; past SLOW_AFTER each attempt waits
# a little longer, past LIMIT the login is refused until the lockout ends (never for good).
LOGIN_THROTTLE_WINDOW = env_int("PARLEY_LOGIN_THROTTLE_WINDOW", 15 * 60)
LOGIN_THROTTLE_SLOW_AFTER = env_int("PARLEY_LOGIN_THROTTLE_SLOW_AFTER", 5)
LOGIN_THROTTLE_LIMIT = env_int("PARLEY_LOGIN_THROTTLE_LIMIT", 10)
LOGIN_THROTTLE_IP_LIMIT = env_int("PARLEY_LOGIN_THROTTLE_IP_LIMIT", 50)
LOGIN_THROTTLE_DELAY_STEP = float(env("PARLEY_LOGIN_THROTTLE_DELAY_STEP", "0.25"))
# Password reset requests per rolling hour (common.ratelimit), per e-mail address asked for (known
# or not) and per client address (an IPv6 /64); past either, the answer is the same and no mail goes.
PASSWORD_RESETS_PER_EMAIL_PER_HOUR = env_int("PARLEY_PASSWORD_RESETS_PER_EMAIL_PER_HOUR", 3)
PASSWORD_RESETS_PER_IP_PER_HOUR = env_int("PARLEY_PASSWORD_RESETS_PER_IP_PER_HOUR", 20)

AVATAR_MAX_BYTES = env_int("PARLEY_AVATAR_MAX_BYTES", 5 * 1024 * 1024)
AVATAR_SIZE = 256
IMAGE_MAX_PIXELS = env_int("PARLEY_IMAGE_MAX_PIXELS", 40_000_000)

# --- Inbox ----------------------------------------------------------------------------------

# Messages per user per minute over every socket and form; 0 turns the limit off (load benchmarks).
SEND_RATE_PER_MINUTE = env_int("PARLEY_SEND_RATE_PER_MINUTE", 120)
# Reactions, edits, unsends and "delete for me", per person per minute (0: no limit).
CHANGE_RATE_PER_MINUTE = env_int("PARLEY_CHANGE_RATE_PER_MINUTE", 240)

# --- Background jobs ------------------------------------------------------------------------

# Django's Tasks API (the django-tasks backport) with the database backend: the job rows live in
# the site's own database, SQLite or PostgreSQL; `manage.py db_worker` runs them (make run starts it).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Business tools -------------------------------------------------------------------------

# Offer messages a business sends per minute; the job pauses and resumes itself past it.
OFFER_RATE_PER_MINUTE = env_int("PARLEY_OFFER_RATE_PER_MINUTE", 60)

# --- Social ---------------------------------------------------------------------------------

# Per rolling hour (common.ratelimit); 0 turns a limit off. New conversations count only with
# people who don't follow the starter; sign-ups count per client address (an IPv6 /64).
NEW_CONVERSATIONS_PER_HOUR = env_int("PARLEY_NEW_CONVERSATIONS_PER_HOUR", 20)
REPORTS_PER_HOUR = env_int("PARLEY_REPORTS_PER_HOUR", 10)
SIGNUPS_PER_IP_PER_HOUR = env_int("PARLEY_SIGNUPS_PER_IP_PER_HOUR", 5)

# --- Attachments ----------------------------------------------------------------------------

# Checked by media.services.store_upload (and while the upload streams in, by media.views.upload).
ATTACHMENT_MAX_BYTES = env_int("PARLEY_ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024)
ATTACHMENTS_PER_MESSAGE = env_int("PARLEY_ATTACHMENTS_PER_MESSAGE", 10)
# Rolling 24 hours, per person, over everything they uploaded (sent or not).
ATTACHMENT_DAILY_BYTES_PER_USER = env_int("PARLEY_ATTACHMENT_DAILY_BYTES", 500 * 1024 * 1024)
ATTACHMENT_GIF_MAX_FRAMES = env_int("PARLEY_ATTACHMENT_GIF_MAX_FRAMES", 1000)
# Frames x width x height of an animated GIF: re-encoding holds every frame in memory once.
ATTACHMENT_ANIMATION_MAX_PIXELS = env_int("PARLEY_ATTACHMENT_ANIMATION_MAX_PIXELS", 100_000_000)
ATTACHMENT_THUMBNAIL_SIZE = 480

# --- Files ----------------------------------------------------------------------------------

# Uploads live outside the source tree and are never served directly: see media.views.
MEDIA_ROOT = Path(env("PARLEY_UPLOAD_ROOT", DATA_DIR / "uploads"))
MEDIA_URL = "/uploads/"
FILE_UPLOAD_PERMISSIONS = 0o640

S3_BUCKET = env("PARLEY_S3_BUCKET")
if S3_BUCKET:
    upload_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env("PARLEY_S3_ENDPOINT_URL"),
            "access_key": env("PARLEY_S3_ACCESS_KEY"),
            "secret_key": env("PARLEY_S3_SECRET_KEY"),
            "region_name": env("PARLEY_S3_REGION", "us-east-1"),
            "addressing_style": env("PARLEY_S3_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
            # Objects are private; downloads redirect to a short-lived presigned URL.
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
            "default_acl": None,
        },
    }
else:
    upload_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    }

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("PARLEY_STATIC_ROOT", DATA_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": upload_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# In development whitenoise serves straight from static/, so no collectstatic is needed.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- E-mail ---------------------------------------------------------------------------------

DEFAULT_FROM_EMAIL = env("PARLEY_FROM_EMAIL", "Parley <no-reply@localhost>")
# Where links in e-mails point (no request to take the host from): the site's public address.
PARLEY_SITE_URL = env("PARLEY_SITE_URL", "http://127.0.0.1:8000")
# How long a message stays unread before send_unread_emails tells its recipient.
UNREAD_EMAIL_DELAY_MINUTES = env_int("PARLEY_UNREAD_EMAIL_DELAY_MINUTES", 15)
# Web Push (notifications.push): on only with both keys (urlsafe base64, as py-vapid makes them).
VAPID_PUBLIC_KEY = env("PARLEY_VAPID_PUBLIC_KEY", "")
VAPID_PRIVATE_KEY = env("PARLEY_VAPID_PRIVATE_KEY", "")
VAPID_SUBJECT = env("PARLEY_VAPID_SUBJECT", "mailto:admin@localhost")
# How long a "Download my data" copy can be downloaded.
DATA_EXPORT_KEPT = timedelta(days=7)
EMAIL_HOST = env("PARLEY_EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("PARLEY_EMAIL_PORT", 587)
    EMAIL_HOST_USER = env("PARLEY_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = env("PARLEY_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("PARLEY_EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Security -------------------------------------------------------------------------------

HTTPS = env_bool("PARLEY_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("PARLEY_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
CSRF_FAILURE_VIEW = "accounts.views.csrf_failure"
# Behind a proxy, daphne --proxy-headers sets the client address and scheme.

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"] + env_list("PARLEY_CSP_MEDIA_ORIGINS"),
        "media-src": ["'self'", "blob:"] + env_list("PARLEY_CSP_MEDIA_ORIGINS"),
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# --- Internationalisation -------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("PARLEY_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Logging --------------------------------------------------------------------------------

# One JSON line per log record, per request and per socket event (common.logging); off, logs stay plain text.
LOG_JSON = env_bool("PARLEY_LOG_JSON", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "common.logging.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", **({"formatter": "json"} if LOG_JSON else {})},
    },
    "root": {"handlers": ["console"], "level": env("PARLEY_LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

# --- Public side (posts) --------------------------------------------------------------------

# Per person per rolling hour (common.ratelimit); 0 turns a limit off.
POSTS_PER_HOUR = env_int("PARLEY_POSTS_PER_HOUR", 30)
COMMENTS_PER_HOUR = env_int("PARLEY_COMMENTS_PER_HOUR", 60)
STORIES_PER_HOUR = env_int("PARLEY_STORIES_PER_HOUR", 20)
# How often the background worker prunes expired stories and their files (posts.tasks).
STORY_PRUNE_MINUTES = env_int("PARLEY_STORY_PRUNE_MINUTES", 5)
