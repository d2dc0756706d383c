"""`IdempotentCreateMixin`: one reusable piece applied to every money-moving POST.

    class TransferCreateApi(IdempotentCreateMixin, APIView):
        idempotency_scope = "transfers.create"

        def create(self, request, idempotency_id):  # returns a Response
            ...

The mixin validates the header, fingerprints the body, claims the key, runs `create` (passing the
record id, from which the view derives its business reference), stores the answer (any status but
5xx and 429, including business refusals) and replays it with `Idempotent-Replayed: true`.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from cozonpay.exceptions import api_exception_handler

from . import services

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key", type=OpenApiTypes.STR, location=OpenApiParameter.HEADER, required=True,
    description="1 to 255 printable ASCII characters, unique per intended operation. Same key and body: the "
                "stored answer is replayed (Idempotent-Replayed: true). Different body: 422. Still running: 409.",
)


class IdempotentCreateMixin:
    idempotency_scope: str = ""

    def post(self, request, *args, **kwargs):
        key = services.idempotency_key_validate(request.headers.get("Idempotency-Key"))
        fingerprint = services.request_fingerprint(method=request.method, path=request.path, body=request.data)
        claim = services.idempotency_claim(
            user=request.user, scope=self.idempotency_scope, key=key, request_hash=fingerprint,
        )
        record = claim.record
        if claim.replay:
            response = Response(record.response_body, status=record.response_status)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = self.create(request, *args, idempotency_id=record.pk, **kwargs)
        except Exception as exc:
            response = api_exception_handler(exc, {"view": self, "request": request})
            if response is None:  # a bug: release the key so a retry may run, then let it surface
                services.idempotency_release(record=record)
                raise
        services.idempotency_complete(record=record, status=response.status_code, body=response.data)
        return response

    def create(self, request, *args, idempotency_id, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError
