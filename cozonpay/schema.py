"""OpenAPI pieces shared by every app: the error envelope and the bearer scheme."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. insufficient_funds")
    message = serializers.CharField(help_text="Safe to show to the customer")
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    request_id = serializers.CharField(allow_null=True)


class ErrorEnvelopeSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def _err(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorEnvelopeSerializer, description=description)


ERROR_RESPONSES = {
    400: _err("validation_error / idempotency_key_required"),
    401: _err("not_authenticated"),
    403: _err("invalid_pin / pin_not_set / permission_denied"),
    404: _err("not_found"),
    409: _err("idempotency_request_in_progress / invalid_state_transition"),
    413: _err("payload_too_large"),
    422: _err("business refusal: insufficient_funds, limit_exceeded, ... (nothing changed)"),
    423: _err("pin_locked"),
    429: _err("throttled"),
    503: _err("provider_unavailable"),
}


from drf_spectacular.openapi import AutoSchema as _AutoSchema  # noqa: E402


class AutoSchema(_AutoSchema):
    """Names nested serializers after their view (`RegisterApi.InputSerializer` becomes
    `RegisterInput`), so every view can keep its own InputSerializer / OutputSerializer."""

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False):
        cls = serializer if isinstance(serializer, type) else type(serializer)
        qualname = getattr(cls, "__qualname__", "")
        if "." in qualname and not getattr(getattr(cls, "Meta", None), "ref_name", None):
            outer, inner = qualname.split(".")[-2:]
            return outer.removesuffix("Api") + inner.removesuffix("Serializer")
        return super()._get_serializer_name(serializer, direction, bypass_extensions)
