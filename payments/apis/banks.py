"""Banks endpoints of API.md: ``GET /api/v1/banks`` and ``POST /api/v1/banks/resolve``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors import bank_account_resolve, bank_list


class BankListApi(APIView):
    @extend_schema_serializer(component_name="Bank")
    class OutputSerializer(serializers.Serializer):
        code = serializers.CharField()
        name = serializers.CharField()

    @extend_schema(operation_id="banks_list", responses={200: OutputSerializer(many=True)},
                   description="Nigerian banks a withdrawal can go to (cached for a day).")
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(bank_list(), many=True).data)


class BankAccountResolveApi(APIView):
    @extend_schema_serializer(component_name="BankAccountResolveRequest")
    class InputSerializer(serializers.Serializer):
        bank_code = serializers.RegexField(r"^[0-9]{3,6}$", error_messages={"invalid": "Enter a bank code."})
        account_number = serializers.RegexField(
            r"^[0-9]{10}$", error_messages={"invalid": "Enter a 10-digit account number."}
        )

    @extend_schema_serializer(component_name="ResolvedBankAccount")
    class OutputSerializer(serializers.Serializer):
        account_name = serializers.CharField()
        account_number = serializers.CharField()
        bank_code = serializers.CharField()
        bank_name = serializers.CharField()

    @extend_schema(operation_id="banks_resolve", request=InputSerializer, responses={200: OutputSerializer},
                   description="Name enquiry: the holder's name of a bank account, before a withdrawal.")
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = bank_account_resolve(**serializer.validated_data)
        return Response(self.OutputSerializer(account).data)
