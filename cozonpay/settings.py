"""CozonPay settings. Everything environment-specific comes from the environment (12-factor);
`.env.example` lists every variable. Defaults are safe for production: with DEBUG off, cookies
are secure, HSTS is on and SSL is redirected, so `manage.py check --deploy` is clean.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "cozonpay.users",
    "cozonpay.idempotency",
    "audit",
    "wallets",
    "payments",
    "webhooks",
]

MIDDLEWARE = [
    "cozonpay.middleware.RequestIdMiddleware",
    "cozonpay.middleware.BodySizeLimitMiddleware",
    "cozonpay.middleware.ApiErrorEnvelopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cozonpay.urls"
WSGI_APPLICATION = "cozonpay.wsgi.application"
AUTH_USER_MODEL = "users.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
            ],
        },
    },
]

# --- Database: PostgreSQL only (psycopg 3). Services own their transactions. ---------------
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ENGINE"] = "cozonpay.postgresql"  # Django's, with a health check that needs no round trip
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))

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
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))

# --- Security (safe by default; local development turns these off with DEBUG=true) --------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Bodies above this are refused with 413 before they are read (API and webhooks alike).
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=64 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(MAX_REQUEST_BODY_BYTES, 2_621_440)

# --- REST framework ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cozonpay.users.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["cozonpay.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "cozonpay.schema.AutoSchema",
    "EXCEPTION_HANDLER": "cozonpay.exceptions.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "cozonpay.pagination.CursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": [
        "cozonpay.throttling.AnonThrottle",
        "cozonpay.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="60/min"),
        "user": env("THROTTLE_USER", default="600/min"),
        "login_ip": env("THROTTLE_LOGIN_IP", default="20/min"),
        "login_account": env("THROTTLE_LOGIN_ACCOUNT", default="10/min"),
        "money": env("THROTTLE_MONEY", default="60/min"),
        "verify": env("THROTTLE_VERIFY", default="6/min"),
    },
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CozonPay API",
    "DESCRIPTION": "Naira wallets and payments. Amounts are integers in kobo.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    # Served from our own static files: the docs work offline and under a strict CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Cache (throttles, idempotency locks): Redis when configured, else local memory -------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "cozonpay.cache.SharedClientRedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery: late acks, no prefetch hoarding, JSON only, bounded tasks ------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or REDIS_URL or "filesystem://"
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env("CELERY_FILESYSTEM_BROKER_DIR", default=str(VAR_DIR / "broker")))
    for _sub in ("in", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {
            "data_folder_in": str(_broker_dir / "in"),
            "data_folder_out": str(_broker_dir / "in"),
            "processed_folder": str(_broker_dir / "processed"),
            # Broadcast (remote control) exchanges; kombu's default is ./control in the working directory.
            "control_folder": str(_broker_dir / "control"),
            "store_processed": False,
        }
    )
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The queue tasks are sent to and workers consume: one per deployment sharing a broker (a test
# worker and each benchmark get their own, so that runs sharing a Redis never take each other's jobs).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {}

# Schedules (seconds). Tests shorten them.
PAYMENTS_POLL_INTERVAL_SECONDS = env.int("PAYMENTS_POLL_INTERVAL_SECONDS", default=900)
OUTBOX_SWEEP_INTERVAL_SECONDS = env.int("OUTBOX_SWEEP_INTERVAL_SECONDS", default=60)
WEBHOOK_SWEEP_INTERVAL_SECONDS = env.int("WEBHOOK_SWEEP_INTERVAL_SECONDS", default=60)

# --- Audit sealing (audit/sealing.py explains the horizon) ----------------------------------
AUDIT_SEAL_INTERVAL_SECONDS = env.int("AUDIT_SEAL_INTERVAL_SECONDS", default=60)
AUDIT_SEAL_HORIZON_SECONDS = env.int("AUDIT_SEAL_HORIZON_SECONDS", default=60)
AUDIT_SEAL_MAX_ROWS = env.int("AUDIT_SEAL_MAX_ROWS", default=5000)
AUDIT_SEAL_MAX_BLOCKS = env.int("AUDIT_SEAL_MAX_BLOCKS", default=200)
CELERY_BEAT_SCHEDULE["audit-seal"] = {"task": "audit.seal", "schedule": AUDIT_SEAL_INTERVAL_SECONDS}

# --- Ledger limits and fees (integer kobo; enforced by wallets in the posting's transaction) ---
# KYC tier -> bounds on one outflow (transfer, withdrawal hold), on the day's total outflow (a
# day in LEDGER_LIMITS_TIME_ZONE) and on the wallet balance (None: unlimited). CBN-style tiers.
KYC_LIMITS = {
    0: {"single_max": 1_000_000, "daily_max": 1_000_000, "balance_max": 5_000_000},  # N10k / N10k / N50k
    1: {"single_max": 5_000_000, "daily_max": 5_000_000, "balance_max": 30_000_000},  # N50k / N50k / N300k
    2: {"single_max": 20_000_000, "daily_max": 20_000_000, "balance_max": 50_000_000},  # N200k / N200k / N500k
    3: {"single_max": 500_000_000, "daily_max": 2_500_000_000, "balance_max": None},  # N5m / N25m / unlimited
}
LEDGER_LIMITS_TIME_ZONE = "Africa/Lagos"
# Fee schedule (kobo). A flat fee, or bands [(upper bound inclusive or None, fee)], first match.
FEES = {
    "p2p": 0,
    "withdrawal": [(500_000, 1_000), (5_000_000, 2_500), (None, 5_000)],  # N10 to N5k, N25 to N50k, N50 above
}

# --- Monnify --------------------------------------------------------------------------------
MONNIFY_BASE_URL = env("MONNIFY_BASE_URL", default="https://sandbox.monnify.com")
MONNIFY_API_KEY = env("MONNIFY_API_KEY", default="")
MONNIFY_SECRET_KEY = env("MONNIFY_SECRET_KEY", default="")
MONNIFY_CONTRACT_CODE = env("MONNIFY_CONTRACT_CODE", default="")
MONNIFY_WALLET_ACCOUNT_NUMBER = env("MONNIFY_WALLET_ACCOUNT_NUMBER", default="")
MONNIFY_WEBHOOK_IPS = env.list("MONNIFY_WEBHOOK_IPS", default=[])
MONNIFY_CONNECT_TIMEOUT = env.float("MONNIFY_CONNECT_TIMEOUT", default=3.05)
MONNIFY_READ_TIMEOUT = env.float("MONNIFY_READ_TIMEOUT", default=15.0)
# Idempotent reads (status, summary, banks...) are retried this many times in all, backing off
# exponentially from this many seconds. Writes are never retried automatically.
MONNIFY_RETRY_ATTEMPTS = env.int("MONNIFY_RETRY_ATTEMPTS", default=3)
MONNIFY_RETRY_BACKOFF_SECONDS = env.float("MONNIFY_RETRY_BACKOFF_SECONDS", default=0.2)
# What Monnify charges per completed refund, in kobo (N10 for transfer payments, taken from the
# merchant wallet; the refund API does not report it). Booked as a provider fee; 0 books nothing.
MONNIFY_REFUND_FEE = env.int("MONNIFY_REFUND_FEE", default=1_000)
# Number of reverse proxies in front of the app whose X-Forwarded-For we trust (0: none).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

# --- Customer security ------------------------------------------------------------------------
PIN_PEPPER = env("PIN_PEPPER", default=SECRET_KEY)
PIN_MAX_ATTEMPTS = env.int("PIN_MAX_ATTEMPTS", default=5)
PIN_LOCK_MINUTES = env.int("PIN_LOCK_MINUTES", default=30)

# --- Notifications --------------------------------------------------------------------------
SLACK_WEBHOOK_URL = env("SLACK_WEBHOOK_URL", default="")
EMAIL_URL = env("EMAIL_URL", default="consolemail://")
globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CozonPay <no-reply@cozonpay.local>")

# --- Logging: one JSON object per line, with the request id ------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "cozonpay.logging.RequestIdFilter"}},
    "formatters": {"json": {"()": "cozonpay.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": LOG_LEVEL},
    },
}

# --- Idempotency keys (API.md) ----------------------------------------------------------------
IDEMPOTENCY_TTL_HOURS = env.int("IDEMPOTENCY_TTL_HOURS", default=48)
IDEMPOTENCY_LEASE_SECONDS = env.int("IDEMPOTENCY_LEASE_SECONDS", default=60)
IDEMPOTENCY_WAIT_SECONDS = env.float("IDEMPOTENCY_WAIT_SECONDS", default=2.0)
# Largest amount accepted by any API in kobo (NGN 100,000,000.00).
MAX_AMOUNT_KOBO = env.int("MAX_AMOUNT_KOBO", default=10_000_000_000)

# --- Webhook inbox --------------------------------------------------------------------------------
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=64 * 1024)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=3)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=PAYMENTS_POLL_INTERVAL_SECONDS)
WEBHOOK_LEASE_SECONDS = env.int("WEBHOOK_LEASE_SECONDS", default=300)
# New webhooks ring one coalesced doorbell per process per this window (webhooks.services).
WEBHOOK_DOORBELL_SECONDS = env.float("WEBHOOK_DOORBELL_SECONDS", default=0.2)
CELERY_BEAT_SCHEDULE["webhooks-sweep"] = {"task": "webhooks.sweep", "schedule": WEBHOOK_SWEEP_INTERVAL_SECONDS}

# --- Payment event pipeline (outbox) -------------------------------------------------------------
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=3)
OUTBOX_RETRY_BASE_SECONDS = env.float("OUTBOX_RETRY_BASE_SECONDS", default=10.0)
OUTBOX_RETRY_MAX_SECONDS = env.float("OUTBOX_RETRY_MAX_SECONDS", default=3600.0)
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
# New outbox events ring one coalesced drain task per process per this window (payments.events).
OUTBOX_DOORBELL_SECONDS = env.float("OUTBOX_DOORBELL_SECONDS", default=0.2)
CELERY_BEAT_SCHEDULE["outbox-sweep"] = {"task": "payments.outbox_sweep", "schedule": OUTBOX_SWEEP_INTERVAL_SECONDS}

# --- Deposits ----------------------------------------------------------------------------------------
# Monnify's checkout lives 40 minutes; we expire ours after that plus a margin, and only after Monnify
# confirms it was not paid.
DEPOSIT_CHECKOUT_TTL_SECONDS = env.int("DEPOSIT_CHECKOUT_TTL_SECONDS", default=40 * 60)
DEPOSIT_EXPIRY_MARGIN_SECONDS = env.int("DEPOSIT_EXPIRY_MARGIN_SECONDS", default=10 * 60)
# Deposits still pending this long are listed to ops by the end-of-day job.
DEPOSIT_STALE_AFTER_SECONDS = env.int("DEPOSIT_STALE_AFTER_SECONDS", default=6 * 3600)
# Fernet key for BVN/NIN kept until the dedicated account is opened; derived from SECRET_KEY if unset.
KYC_ENCRYPTION_KEY = env("KYC_ENCRYPTION_KEY", default="")
CELERY_BEAT_SCHEDULE["deposits-poll"] = {"task": "payments.deposits_poll", "schedule": PAYMENTS_POLL_INTERVAL_SECONDS}
CELERY_BEAT_SCHEDULE["deposit-accounts-sweep"] = {"task": "payments.deposit_accounts_sweep",
                                                  "schedule": PAYMENTS_POLL_INTERVAL_SECONDS}
CELERY_BEAT_SCHEDULE["deposits-end-of-day"] = {
    "task": "payments.deposits_end_of_day",
    "schedule": crontab(hour=23, minute=30),  # UTC
}

# --- Back office: disputes and reconciliation ---------------------------------------------------
# How long a dispute may stay open before it shows as overdue (the admin and the dashboard).
DISPUTE_TARGET_HOURS = env.int("DISPUTE_TARGET_HOURS", default=72)
# The ledger integrity check runs every this many seconds; the nightly full run (ledger, then
# yesterday's Monnify collections and disbursements) at RECONCILIATION_NIGHTLY_HOUR_UTC:30.
RECONCILIATION_LEDGER_INTERVAL_SECONDS = env.int("RECONCILIATION_LEDGER_INTERVAL_SECONDS", default=600)
RECONCILIATION_NIGHTLY_HOUR_UTC = env.int("RECONCILIATION_NIGHTLY_HOUR_UTC", default=0)
# A payment of ours still pending this long after it started counts as a status mismatch when
# Monnify says it is final (younger ones are still being polled).
RECONCILIATION_GRACE_SECONDS = env.int("RECONCILIATION_GRACE_SECONDS", default=3600)
# Reconciliation days are calendar days in this zone (Monnify's).
RECONCILIATION_TIME_ZONE = "Africa/Lagos"
CELERY_BEAT_SCHEDULE["reconcile-ledger"] = {"task": "payments.reconcile_ledger",
                                            "schedule": RECONCILIATION_LEDGER_INTERVAL_SECONDS}
CELERY_BEAT_SCHEDULE["reconcile-nightly"] = {
    "task": "payments.reconcile_nightly",
    "schedule": crontab(hour=RECONCILIATION_NIGHTLY_HOUR_UTC, minute=30),
}

# --- Withdrawals and refunds (payments/services/withdrawals.py, refunds.py) --------------------------
# Smallest withdrawal Monnify accepts (kobo).
WITHDRAWAL_MIN_AMOUNT_KOBO = env.int("WITHDRAWAL_MIN_AMOUNT_KOBO", default=1_000)
# How long a withdrawal's hold lives. Past it, the hold is released only when Monnify confirms the
# transfer failed or that it has no record of it (never on a timer alone).
WITHDRAWAL_HOLD_TTL_SECONDS = env.int("WITHDRAWAL_HOLD_TTL_SECONDS", default=24 * 3600)
# A claimed submission is not second-guessed by the poller before this many seconds (longer than
# one Monnify call can take).
WITHDRAWAL_SUBMIT_GRACE_SECONDS = env.int(
    "WITHDRAWAL_SUBMIT_GRACE_SECONDS", default=int(MONNIFY_CONNECT_TIMEOUT + MONNIFY_READ_TIMEOUT) + 15
)
# initiated / funds_held rows older than this (worker died, broker down) are re-driven by the poller.
WITHDRAWAL_STALE_SECONDS = env.int("WITHDRAWAL_STALE_SECONDS", default=120)
# Times the same reference is re-sent after Monnify said it has no record of it, before giving up
# (the hold is then released, once Monnify still has no record of it).
WITHDRAWAL_MAX_SUBMIT_ATTEMPTS = env.int("WITHDRAWAL_MAX_SUBMIT_ATTEMPTS", default=5)
# The end-of-day report alerts ops (Slack) about any payout still unresolved after this long.
WITHDRAWAL_UNKNOWN_ALERT_AGE_SECONDS = env.int("WITHDRAWAL_UNKNOWN_ALERT_AGE_SECONDS", default=3600)
# When the end-of-day report runs (UTC; 22:00 UTC is 23:00 in Lagos).
WITHDRAWAL_REPORT_HOUR_UTC = env.int("WITHDRAWAL_REPORT_HOUR_UTC", default=22)
CELERY_BEAT_SCHEDULE["withdrawals-poll"] = {"task": "payments.withdrawals_poll",
                                            "schedule": PAYMENTS_POLL_INTERVAL_SECONDS}
CELERY_BEAT_SCHEDULE["refunds-poll"] = {"task": "payments.refunds_poll", "schedule": PAYMENTS_POLL_INTERVAL_SECONDS}
CELERY_BEAT_SCHEDULE["withdrawals-eod-report"] = {"task": "payments.withdrawals_eod_report",
                                                  "schedule": crontab(hour=WITHDRAWAL_REPORT_HOUR_UTC, minute=0)}
