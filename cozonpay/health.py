"""Liveness and readiness. Readiness checks what the app cannot work without: the database and
the broker. Each check is bounded by a short timeout so a dead dependency answers 503 quickly."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def live(request):
    return JsonResponse({"status": "ok"})


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not ready"
        return f"{type(exc).__name__}"
    return None


def check_broker() -> str | None:
    from cozonpay.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"{type(exc).__name__}"
    return None


@require_GET
def ready(request):
    failures = {}
    if error := check_database():
        failures["database"] = error
    if error := check_broker():
        failures["broker"] = error
    checks = {name: ("down: " + failures[name]) if name in failures else "ok" for name in ("database", "broker")}
    if failures:
        down = ", ".join(sorted(failures))
        return JsonResponse(
            {"status": "unavailable", "down": sorted(failures), "checks": checks,
             "error": {"code": "service_unavailable", "message": f"Not ready: {down} unreachable.",
                       "fields": {}, "request_id": getattr(request, "request_id", None)}},
            status=503,
        )
    return JsonResponse({"status": "ok", "checks": checks, "broker": settings.CELERY_BROKER_URL.split("://")[0]})
