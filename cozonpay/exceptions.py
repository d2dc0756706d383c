"""Domain errors and the one place that renders the API error envelope of API.md:

    {"error": {"code": "...", "message": "...", "fields": {...}, "request_id": "..."}}

Anticipated refusals are `DomainError`s carrying a message safe to show a customer. Anything
else is a bug: logged with context, answered 500 `server_error` with no internals.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from .context import current_request_id

logger = logging.getLogger("cozonpay.errors")


class DomainError(Exception):
    """A refusal the customer (or staff) should see. Subclass per app with a fixed code."""

    code = "domain_error"
    http_status = 422
    default_message = "The request was refused."

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 http_status: int | None = None, fields: dict | None = None,
                 headers: dict | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        if http_status:
            self.http_status = http_status
        self.fields = fields or {}
        self.headers = headers or {}
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = "validation_error"
    http_status = 400
    default_message = "The request is not valid."


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
    default_message = "Not found."


class Forbidden(DomainError):
    """The actor lacks the permission (staff roles: Support, Finance)."""

    code = "permission_denied"
    http_status = 403
    default_message = "You do not have permission to do that."


class InvalidStateTransition(DomainError):
    code = "invalid_state_transition"
    http_status = 409
    default_message = "That is not possible in the object's current state."


def error_body(code: str, message: str, fields: dict | None = None) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "fields": fields or {},
            "request_id": current_request_id(),
        }
    }


def error_response(status: int, code: str, message: str, fields: dict | None = None,
                   headers: dict | None = None) -> JsonResponse:
    response = JsonResponse(error_body(code, message, fields), status=status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


_DRF_CODES = {
    drf_exceptions.NotAuthenticated: ("not_authenticated", "Authentication credentials were not provided."),
    drf_exceptions.AuthenticationFailed: ("not_authenticated", "The access token is missing, expired or invalid."),
    drf_exceptions.PermissionDenied: ("permission_denied", "You may not do that."),
    drf_exceptions.NotFound: ("not_found", "Not found."),
    drf_exceptions.MethodNotAllowed: ("method_not_allowed", None),
    drf_exceptions.NotAcceptable: ("not_acceptable", None),
    drf_exceptions.UnsupportedMediaType: ("unsupported_media_type", None),
    drf_exceptions.Throttled: ("throttled", None),
    drf_exceptions.ParseError: ("validation_error", "The body is not valid JSON."),
    drf_exceptions.ValidationError: ("validation_error", "The request is not valid."),
}


def _flatten_fields(detail: Any) -> dict:
    if isinstance(detail, dict):
        return {k: (v if isinstance(v, list | dict) else [str(v)]) for k, v in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": [str(d) for d in detail]}
    return {"non_field_errors": [str(detail)]}


def api_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: every error on an API view becomes the envelope."""
    from django_fsm import TransitionNotAllowed

    if isinstance(exc, TransitionNotAllowed):
        exc = InvalidStateTransition()
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    if isinstance(exc, DomainError):
        set_rollback()
        response = Response(error_body(exc.code, exc.message, exc.fields), status=exc.http_status)
        for key, value in exc.headers.items():
            response[key] = value
        return response

    if isinstance(exc, drf_exceptions.APIException):
        set_rollback()
        code, message = "error", None
        for cls, (mapped_code, mapped_message) in _DRF_CODES.items():
            if isinstance(exc, cls):
                code, message = mapped_code, mapped_message
                break
        fields: dict = {}
        if isinstance(exc, drf_exceptions.ValidationError):
            fields = _flatten_fields(exc.detail)
        elif message is None:
            message = str(exc.detail)
        if isinstance(exc, drf_exceptions.Throttled) and exc.wait is not None:
            message = f"Too many requests. Try again in {int(exc.wait) + 1} seconds."
        response = Response(error_body(code, message or str(exc.detail), fields), status=exc.status_code)
        if getattr(exc, "auth_header", None):
            response["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            response["Retry-After"] = str(int(exc.wait) + 1)
        return response

    # Not anticipated: a bug. The middleware logs it and answers 500 with no internals.
    return None
