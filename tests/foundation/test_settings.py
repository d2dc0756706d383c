"""Settings load in test mode (this process) and in production mode (a fresh interpreter with a
production environment), and the production checks are clean."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def test_test_settings():
    assert settings.DATABASES["default"]["ENGINE"] == "cozonpay.postgresql"
    assert settings.DATABASES["default"]["ATOMIC_REQUESTS"] is False
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]


def _production_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG", "SECURE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="cozonpay.settings",
        DEBUG="false",
        SECRET_KEY="a-production-like-secret-key-with-enough-entropy-1234567890-abcdefgh",
        ALLOWED_HOSTS="api.cozonpay.example",
        DATABASE_URL=os.environ["DATABASE_URL"],
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    return env


def test_production_settings_pass_deploy_check():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=_production_env(), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_values():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS > 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT, env=_production_env(), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "True"]


def test_settings_refuse_to_start_without_secret_key():
    env = _production_env()
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
