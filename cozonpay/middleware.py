"""Cross-cutting middleware: request ids, body size limit, and the error envelope for every
error on an API path, including those Django raises before or after DRF (unknown URL, 405
from a plain view, 413, unhandled exceptions)."""

from __future__ import annotations

import json
import logging
import re
import uuid

from django.conf import settings

from .context import client_ip_var, request_id_var
from .exceptions import error_response

logger = logging.getLogger("cozonpay.errors")

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
API_PREFIXES = ("/api/", "/webhooks/", "/health/")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def client_ip(request) -> str | None:
    """The client's address, trusting exactly TRUSTED_PROXY_COUNT proxies' X-Forwarded-For."""
    remote = request.META.get("REMOTE_ADDR")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
    chain = forwarded + ([remote] if remote else [])
    # The rightmost `hops` entries were added by our proxies; the one before them is the client.
    if len(chain) > hops:
        return chain[-hops - 1]
    return chain[0] if chain else None


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        rid_token = request_id_var.set(request_id)
        ip_token = client_ip_var.set(client_ip(request))
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(rid_token)
            client_ip_var.reset(ip_token)
        response["X-Request-ID"] = request_id
        return response


class BodySizeLimitMiddleware:
    """Refuse oversized bodies by Content-Length before anything reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BODY_BYTES:
            return error_response(
                413, "payload_too_large",
                f"The body is larger than {settings.MAX_REQUEST_BODY_BYTES} bytes.",
            )
        return self.get_response(request)


_STATUS_CODES = {
    400: ("validation_error", "The request is not valid."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("permission_denied", "You may not do that."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
    413: ("payload_too_large", "The body is too large."),
    429: ("throttled", "Too many requests."),
    500: ("server_error", "Something went wrong on our side. It has been logged."),
    503: ("service_unavailable", "The service is unavailable."),
}


class ApiErrorEnvelopeMiddleware:
    """On API paths, turn any non-envelope error response (Django's own 404/405/500 pages) and
    any unhandled exception into the envelope. Internals never reach the client."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not is_api_path(request.path) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            try:
                if "error" in json.loads(response.content or b"{}"):
                    return response
            except (ValueError, AttributeError):
                pass
            if request.path.startswith("/health/"):
                return response
        code, message = _STATUS_CODES.get(response.status_code, ("error", "The request failed."))
        enveloped = error_response(response.status_code, code, message)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                enveloped[header] = response[header]
        return enveloped

    def process_exception(self, request, exception):
        if not is_api_path(request.path):
            return None
        from django.core.exceptions import RequestDataTooBig

        if isinstance(exception, RequestDataTooBig):
            return error_response(413, "payload_too_large", "The body is too large.")
        logger.exception(
            "unhandled exception", extra={"path": request.path, "method": request.method}
        )
        return error_response(500, *_STATUS_CODES[500])
