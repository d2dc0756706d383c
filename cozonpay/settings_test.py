"""Test settings: the real settings with test defaults for whatever the environment leaves unset.
Still PostgreSQL (DATABASE_URL is required; `make test` provides one)."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("MONNIFY_BASE_URL", "http://monnify.test")
os.environ.setdefault("MONNIFY_API_KEY", "MK_TEST_UNITTESTKEY")
os.environ.setdefault("MONNIFY_SECRET_KEY", "unit-test-monnify-secret")
os.environ.setdefault("MONNIFY_CONTRACT_CODE", "7059707855")
os.environ.setdefault("MONNIFY_WALLET_ACCOUNT_NUMBER", "9988776655")
os.environ.setdefault("PIN_PEPPER", "unit-test-pin-pepper")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Seal rows as soon as they are committed (tests that seal while writing pass a horizon).
os.environ.setdefault("AUDIT_SEAL_HORIZON_SECONDS", "0")
if not os.environ.get("CELERY_BROKER_URL"):
    os.environ["CELERY_BROKER_URL"] = "memory://"
# Each pytest-xdist worker gets its own Redis database: tests clear the cache (FLUSHDB), which
# must not wipe another worker's throttle counters or cached banks mid-test.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if os.environ.get("REDIS_URL") and _worker.startswith("gw"):
    from urllib.parse import urlsplit, urlunsplit

    _parts = urlsplit(os.environ["REDIS_URL"])
    _db = 15 - (int(_worker[2:]) % 12)
    os.environ["REDIS_URL"] = urlunsplit(_parts._replace(path=f"/{_db}"))

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {  # noqa: F405
    key: "100000/min" for key in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]  # noqa: F405
}
