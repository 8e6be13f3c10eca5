"""EpiCommand settings: one module, driven by environment variables, SQLite by default."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("EPICOMMAND_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("EPICOMMAND_DEBUG", False)

SECRET_KEY = os.environ.get("EPICOMMAND_SECRET_KEY", "")
if not SECRET_KEY:
    # Without one set (development, tests, a first trial), a random key kept under var/, never committed.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("EPICOMMAND_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("EPICOMMAND_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

# The province this instance serves (GSO code). Every personal row carries its commune, and so
# this province; national scale runs one instance per province or shards by this code.
PROVINCE_CODE = os.environ.get("EPICOMMAND_PROVINCE", "12")
# How many reverse proxies in front of the app append to X-Forwarded-For (0: none, use REMOTE_ADDR).
EPICOMMAND_PROXIES = int(os.environ.get("EPICOMMAND_PROXIES", "0"))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "epicommand.core",
    "epicommand.people",
    "epicommand.imports",
    "epicommand.notify",
    "epicommand.vaccination",
    "epicommand.testing",
    "epicommand.cases",
    "epicommand.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "epicommand.core.middleware.SessionIdleMiddleware",
    "epicommand.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "epicommand.core.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "epicommand.urls"
WSGI_APPLICATION = "epicommand.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "epicommand" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "epicommand.core.navigation.context",
            ],
        },
    },
]

# Databases: SQLite (WAL) under var/ by default; PostgreSQL through DATABASE_URL.
_database_url = os.environ.get("DATABASE_URL", "").strip()
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    # Values sent apart from the statement, and a statement run five times on a connection prepared: the server
    # then parses and plans the busy statements (a saved dose) once per connection instead of on every request.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "epicommand.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
            # Tests use a file too, not SQLite's in-memory database: that one locks whole tables across
            # connections and would test something other than what runs.
            # One file per test process, so two runs on one machine never share it.
            "TEST": {"NAME": str(VAR_DIR / f"test-epicommand-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "epicommand.core.auth_backend.AccountBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lock-out: repeated failures for one account from one address lock that pair for a while, so an
# attacker cannot lock a nurse out from elsewhere, and cannot keep guessing from here.
AXES_FAILURE_LIMIT = int(os.environ.get("EPICOMMAND_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("EPICOMMAND_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "epicommand.core.middleware.client_ip"

# Sessions end after a spell of inactivity and when the browser closes: phones get shared.
# The cache is files under var/, shared by every process of the one application server: counters that must hold
# across processes (wrong patient entry codes per address and site-wide), the rules in force, and the sessions
# (kept in the database too), with room for a province's signed-in staff before any entry is dropped.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                      "LOCATION": str(os.environ.get("EPICOMMAND_CACHE_DIR", VAR_DIR / "cache")),
                      "OPTIONS": {"MAX_ENTRIES": 20000}}}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

SESSION_COOKIE_AGE = int(os.environ.get("EPICOMMAND_SESSION_IDLE_SECONDS", str(4 * 3600)))
SESSION_SAVE_EVERY_REQUEST = False  # core.middleware.SessionIdleMiddleware renews it once a minute instead
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("EPICOMMAND_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if env_bool("EPICOMMAND_HTTPS", False):
    # Behind a reverse proxy that terminates HTTPS and says so.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("EPICOMMAND_HSTS_SECONDS", str(180 * 24 * 3600)))
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "epicommand" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["epicommand.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "epicommand" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("EPICOMMAND_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

EMAIL_BACKEND = os.environ.get("EPICOMMAND_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EPICOMMAND_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EPICOMMAND_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EPICOMMAND_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EPICOMMAND_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EPICOMMAND_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("EPICOMMAND_EMAIL_FROM", "epicommand@localhost")

# Notifications: channels enabled here deliver for real; others give up at once, or are printed by the
# console channel where NOTIFY_CONSOLE_FALLBACK is on (development).
NOTIFY_CHANNELS = [c.strip() for c in os.environ.get("EPICOMMAND_NOTIFY_CHANNELS", "console,email").split(",")
                   if c.strip()]
NOTIFY_CONSOLE_FALLBACK = env_bool("EPICOMMAND_NOTIFY_CONSOLE_FALLBACK", DEBUG)
NOTIFY_MAX_ATTEMPTS = int(os.environ.get("EPICOMMAND_NOTIFY_MAX_ATTEMPTS", "6"))
# Back-off after the n-th failure: BACKOFF × FACTOR^(n-1), at most MAX: 1 min, 5 min, 25 min, 2 h, 2 h.
NOTIFY_BACKOFF_SECONDS = int(os.environ.get("EPICOMMAND_NOTIFY_BACKOFF_SECONDS", "60"))
NOTIFY_BACKOFF_FACTOR = int(os.environ.get("EPICOMMAND_NOTIFY_BACKOFF_FACTOR", "5"))
NOTIFY_BACKOFF_MAX_SECONDS = int(os.environ.get("EPICOMMAND_NOTIFY_BACKOFF_MAX_SECONDS", "7200"))
NOTIFY_TIMEOUT_SECONDS = float(os.environ.get("EPICOMMAND_NOTIFY_TIMEOUT_SECONDS", "10"))
NOTIFY_SMS = {  # a generic HTTP gateway; names and formats differ between Vietnamese providers
    "URL": os.environ.get("EPICOMMAND_SMS_URL", ""),
    "TOKEN": os.environ.get("EPICOMMAND_SMS_TOKEN", ""),
    "FORMAT": os.environ.get("EPICOMMAND_SMS_FORMAT", "json"),  # json | form
    "TO_PARAM": os.environ.get("EPICOMMAND_SMS_TO_PARAM", "to"),
    "TEXT_PARAM": os.environ.get("EPICOMMAND_SMS_TEXT_PARAM", "text"),
    "SENDER": os.environ.get("EPICOMMAND_SMS_SENDER", ""),  # brand name
    "SENDER_PARAM": os.environ.get("EPICOMMAND_SMS_SENDER_PARAM", "from"),
    "TOKEN_PARAM": os.environ.get("EPICOMMAND_SMS_TOKEN_PARAM", ""),  # empty: Authorization: Bearer <token>
    "REF_PARAM": os.environ.get("EPICOMMAND_SMS_REF_PARAM", ""),
    "EXTRA": json.loads(os.environ.get("EPICOMMAND_SMS_EXTRA", "{}")),
    "ID_FIELD": os.environ.get("EPICOMMAND_SMS_ID_FIELD", "id"),
    "OK_FIELD": os.environ.get("EPICOMMAND_SMS_OK_FIELD", ""),
    "OK_VALUE": os.environ.get("EPICOMMAND_SMS_OK_VALUE", ""),
}
NOTIFY_ZALO = {
    "URL": os.environ.get("EPICOMMAND_ZALO_URL", "https://openapi.zalo.me/v3.0/oa/message/cs"),
    "ACCESS_TOKEN": os.environ.get("EPICOMMAND_ZALO_ACCESS_TOKEN", ""),
    "RETRY_CODES": [int(c) for c in os.environ.get("EPICOMMAND_ZALO_RETRY_CODES", "-32,-124,-216").split(",")
                    if c.strip()],
}
NOTIFY_WEBHOOK = {
    "SECRET": os.environ.get("EPICOMMAND_WEBHOOK_SECRET", ""),
    "ALLOWED_PREFIXES": [p.strip() for p in os.environ.get("EPICOMMAND_WEBHOOK_ALLOWED_PREFIXES", "").split(",")
                         if p.strip()],
}

# Vaccination certificates: the province's Ed25519 signing key (private; the operator manages it in
# production), earlier public keys still accepted after a rotation, and whether a missing key may be
# created on first use (development only).
EPICOMMAND_CERTIFICATE_KEY = os.environ.get("EPICOMMAND_CERTIFICATE_KEY", str(VAR_DIR / "certificate_key.pem"))
EPICOMMAND_CERTIFICATE_PUBLIC_KEYS = [p for p in os.environ.get("EPICOMMAND_CERTIFICATE_PUBLIC_KEYS", "").split(",")
                                      if p.strip()]
EPICOMMAND_CERTIFICATE_KEY_AUTOCREATE = env_bool("EPICOMMAND_CERTIFICATE_KEY_AUTOCREATE", DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
