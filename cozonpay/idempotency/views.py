"""`IdempotentCreateMixin`: one reusable piece applied to every money-moving POST.

    class TransferCreateApi(IdempotentCreateMixin, APIView):
        idempotency_scope = "transfers.create"

        def create(self, request, idempotency_id):  # returns a Response
            ...

The mixin validates the header, fingerprints the body, claims the key, runs `create` (passing the
record id, from which the view derives its business reference), stores the answer as rendered (any status
but 5xx and 429, including business refusals) and replays it byte for byte with
`Idempotent-Replayed: true`.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import JSONRenderer

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
        if claim.replay:  # the stored answer, byte for byte
            response = HttpResponse(record.response_body, status=record.response_status,
                                    content_type="application/json")
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = self.create(request, *args, idempotency_id=record.pk, **kwargs)
        except Exception as exc:
            response = api_exception_handler(exc, {"view": self, "request": request})
            if response is None:  # a bug: release the key so a retry may run, then let it surface
                services.idempotency_release(record=record)
                raise
        # Stored as the JSON renderer (the API's only one) renders it, so the replay is the same bytes.
        services.idempotency_complete(record=record, status=response.status_code,
                                      body=JSONRenderer().render(response.data).decode())
        return response

    def create(self, request, *args, idempotency_id, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError
