"""Withdrawals endpoints of API.md: ``POST /api/v1/withdrawals`` (202), ``GET /withdrawals`` and
``GET /withdrawals/{id}`` (own only; anyone else's is 404)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cozonpay.exceptions import NotFound
from cozonpay.fields import KoboAmountField, StrictCharField
from cozonpay.idempotency.views import IDEMPOTENCY_KEY_PARAMETER, IdempotentCreateMixin
from cozonpay.schema import ERROR_RESPONSES
from cozonpay.throttling import MoneyThrottle
from cozonpay.users.apis import PinField
from cozonpay.users.services import pin_verify
from wallets.models import AccountKind, LedgerAccount

from ..models import Withdrawal
from ..selectors import bank_account_resolve
from ..services.withdrawals import reference_for, withdrawal_create


class DestinationSerializer(serializers.Serializer):
    bank_code = serializers.CharField()
    bank_name = serializers.CharField()
    account_number = serializers.CharField()
    account_name = serializers.CharField()


class WithdrawalOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    status = serializers.CharField(source="state")
    amount = serializers.IntegerField()
    fee = serializers.IntegerField()
    currency = serializers.CharField()
    narration = serializers.CharField()
    destination = serializers.SerializerMethodField()
    failure_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_destination(self, obj) -> DestinationSerializer:
        return DestinationSerializer({"bank_code": obj.bank_code, "bank_name": obj.bank_name,
                                      "account_number": obj.account_number, "account_name": obj.account_name}).data


class WithdrawalListCreateApi(IdempotentCreateMixin, ListAPIView):
    """GET: the customer's withdrawals (cursor pages). POST: a new withdrawal (Idempotency-Key)."""

    idempotency_scope = "withdrawals.create"
    serializer_class = WithdrawalOutputSerializer

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method == "POST":
            throttles.append(MoneyThrottle())
        return throttles

    def get_queryset(self):
        return Withdrawal.objects.filter(user=self.request.user)

    @extend_schema(operation_id="withdrawals_list",
                   responses={200: WithdrawalOutputSerializer(many=True), **ERROR_RESPONSES})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    class InputSerializer(serializers.Serializer):
        wallet = serializers.UUIDField()
        amount = KoboAmountField()
        bank_code = serializers.RegexField(r"^[0-9]{3,6}$", error_messages={"invalid": "Enter a bank code."})
        account_number = serializers.RegexField(
            r"^[0-9]{10}$", error_messages={"invalid": "Enter a 10-digit account number."}
        )
        narration = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
        pin = PinField()

        def validate_amount(self, value: int) -> int:
            from django.conf import settings

            if value < settings.WITHDRAWAL_MIN_AMOUNT_KOBO:
                raise serializers.ValidationError(
                    f"The smallest withdrawal is {settings.WITHDRAWAL_MIN_AMOUNT_KOBO} kobo.")
            return value

    @extend_schema(operation_id="withdrawals_create", request=InputSerializer,
                   parameters=[IDEMPOTENCY_KEY_PARAMETER],
                   responses={202: WithdrawalOutputSerializer, **ERROR_RESPONSES},
                   description="Withdraw to a bank account: PIN, KYC limits, name enquiry, a hold for amount + fee; "
                               "202 with the withdrawal, which is then sent to Monnify and followed to a final "
                               "status (succeeded, failed, reversed).")
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def create(self, request: Request, *, idempotency_id) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        reference = reference_for(idempotency_id)
        existing = Withdrawal.objects.filter(reference=reference, user=request.user).first()
        if existing is None:
            wallet = LedgerAccount.objects.filter(public_id=data["wallet"], owner=request.user,
                                                  kind=AccountKind.CUSTOMER_WALLET).first()
            if wallet is None:
                raise NotFound()
            pin_verify(user=request.user, pin=data["pin"])
            # Name enquiry before anything is recorded: an outage is a 503 and an invalid account a 422,
            # with nothing changed.
            account = bank_account_resolve(bank_code=data["bank_code"], account_number=data["account_number"])
            existing = withdrawal_create(
                user=request.user, wallet=wallet, amount=data["amount"], bank_code=data["bank_code"],
                bank_name=account.bank_name, account_number=data["account_number"],
                account_name=account.account_name, narration=data["narration"], reference=reference,
            )
        return Response(WithdrawalOutputSerializer(existing).data, status=status.HTTP_202_ACCEPTED)


class WithdrawalDetailApi(APIView):
    @extend_schema(operation_id="withdrawals_retrieve", responses={200: WithdrawalOutputSerializer, **ERROR_RESPONSES})
    def get(self, request: Request, withdrawal_id) -> Response:
        withdrawal = Withdrawal.objects.filter(public_id=withdrawal_id, user=request.user).first()
        if withdrawal is None:
            raise NotFound()
        return Response(WithdrawalOutputSerializer(withdrawal).data)
