"""Disputes of API.md: ``POST /api/v1/disputes``, ``GET /api/v1/disputes``, ``GET /api/v1/disputes/{id}``.
A customer sees only their own disputes (others answer 404) and only the public resolution note."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from cozonpay.exceptions import NotFound
from cozonpay.schema import ERROR_RESPONSES

from ..models import Dispute, DisputeReason
from ..services.disputes import dispute_open


class DisputeOutputSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    resolution_note = serializers.SerializerMethodField()

    class Meta:
        model = Dispute
        fields = ("id", "reference", "status", "reason", "description", "outcome", "resolution_note",
                  "created_at", "updated_at")
        read_only_fields = fields

    def get_resolution_note(self, obj: Dispute) -> str | None:
        return obj.resolution_note or None


class DisputeListCreateApi(GenericAPIView):
    class InputSerializer(serializers.Serializer):
        reference = serializers.CharField(max_length=255)
        reason = serializers.ChoiceField(choices=DisputeReason.choices)
        description = serializers.CharField(max_length=2000)

    serializer_class = DisputeOutputSerializer

    def get_queryset(self):
        return Dispute.objects.filter(user=self.request.user)

    @extend_schema(operation_id="disputes_list", responses={200: DisputeOutputSerializer(many=True), **ERROR_RESPONSES},
                   tags=["disputes"], summary="My disputes, newest first")
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DisputeOutputSerializer(page, many=True).data)

    @extend_schema(operation_id="disputes_create", request=InputSerializer,
                   responses={201: DisputeOutputSerializer, **ERROR_RESPONSES}, tags=["disputes"],
                   summary="Dispute one of my transactions",
                   description="`reference` is the transaction's reference as shown in my history (a deposit's "
                               "payment reference, a transfer's reference, ...). 404 `transaction_not_found` when "
                               "no transaction of mine has it; 409 `dispute_exists` while one is still open.")
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dispute = dispute_open(user=request.user, **serializer.validated_data)
        return Response(DisputeOutputSerializer(dispute).data, status=status.HTTP_201_CREATED)


class DisputeDetailApi(GenericAPIView):
    serializer_class = DisputeOutputSerializer

    @extend_schema(operation_id="disputes_retrieve", responses={200: DisputeOutputSerializer, **ERROR_RESPONSES},
                   tags=["disputes"], summary="One of my disputes")
    def get(self, request: Request, dispute_id) -> Response:
        dispute = Dispute.objects.filter(user=request.user, public_id=dispute_id).first()
        if dispute is None:
            raise NotFound()
        return Response(DisputeOutputSerializer(dispute).data)
