"""`Renderer`: an output serializer's representation without rebuilding its fields for every object.

DRF deep-copies a serializer's declared fields each time one is instantiated: for a transfer
(13 fields, one nested) that costs more CPU than turning the values into JSON types, and a list
page paid it once per row. An output serializer that only converts values already loaded (no
`context`, no method fields, no queries) needs its fields bound once: `to_representation` reads
them and keeps no state, so one instance per process serves every request and thread. The
serializer class stays the one definition of the output, and the schema (drf-spectacular reads
the class).

    render_transfer_values = Renderer(TransferSerializer)
    render_transfer_values(values) == TransferSerializer(values).data
"""

from __future__ import annotations

from collections.abc import Iterable

from rest_framework import serializers


class Renderer:
    def __init__(self, serializer_class: type[serializers.Serializer]):
        self.serializer_class = serializer_class
        self._serializer: serializers.Serializer | None = None

    def _bound(self) -> serializers.Serializer:
        serializer = self._serializer
        if serializer is None:  # built on first use, once the app registry and settings are ready
            serializer = self.serializer_class()
            serializer.fields  # noqa: B018 - binds the fields (a cached property) before sharing
            self._serializer = serializer
        return serializer

    def __call__(self, instance) -> dict:
        return self._bound().to_representation(instance)

    def many(self, instances: Iterable) -> list[dict]:
        to_representation = self._bound().to_representation
        return [to_representation(instance) for instance in instances]
