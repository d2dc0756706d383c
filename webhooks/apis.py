"""`POST /webhooks/monnify`: authenticate, persist, acknowledge. Nothing else happens here;
processing is asynchronous (webhooks.services.webhook_process)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cozonpay.context import current_client_ip
from cozonpay.exceptions import error_response
from cozonpay.parsers import json_loads

from . import services
from .signatures import monnify_signature_valid

logger = logging.getLogger("webhooks")

_KEPT_HEADERS = ("Content-Type", "Content-Length", "User-Agent", "Monnify-Signature", "X-Forwarded-For")


def _headers(request) -> dict:
    kept = {name: request.headers[name] for name in _KEPT_HEADERS if name in request.headers}
    if "Monnify-Signature" in kept:  # keep a prefix for staff to compare, never the whole value
        kept["Monnify-Signature"] = kept["Monnify-Signature"][:12] + "…"
    return kept


@csrf_exempt
@require_POST
def monnify_webhook(request):
    source_ip = current_client_ip()
    raw = request.body
    if len(raw) > settings.WEBHOOK_MAX_BODY_BYTES:
        return error_response(413, "payload_too_large", "The webhook body is too large.")
    allowed = settings.MONNIFY_WEBHOOK_IPS
    if allowed and source_ip not in allowed:
        services.webhook_record_rejection(reason="ip_not_allowed", source_ip=source_ip, raw=raw,
                                          headers=_headers(request))
        return error_response(403, "permission_denied", "Source address not allowed.")
    if not monnify_signature_valid(raw, settings.MONNIFY_SECRET_KEY, request.headers.get("monnify-signature")):
        reason = "signature_missing" if not request.headers.get("monnify-signature") else "signature_invalid"
        services.webhook_record_rejection(reason=reason, source_ip=source_ip, raw=raw, headers=_headers(request))
        return error_response(401, "invalid_signature", "The webhook signature is missing or invalid.")
    try:
        payload = json_loads(raw)
        if not isinstance(payload, dict):
            raise ValueError("not an object")
    except ValueError:
        return error_response(400, "validation_error", "The webhook body is not a JSON object.")
    try:
        receipt = services.webhook_receive(raw=raw, payload=payload, headers=_headers(request), source_ip=source_ip)
    except DatabaseError:
        # Not stored, so not acknowledged: Monnify will deliver it again.
        logger.exception("webhook could not be stored")
        return error_response(503, "service_unavailable", "Temporarily unable to accept webhooks.")
    return JsonResponse({"status": "ok", "id": receipt.event_id, "duplicate": not receipt.created})
