"""Deposits API: start a checkout, list and read deposits, ask for a fresh check with Monnify."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from cozonpay.exceptions import NotFound
from cozonpay.fields import KoboAmountField
from cozonpay.idempotency.views import IDEMPOTENCY_KEY_PARAMETER, IdempotentCreateMixin
from cozonpay.schema import ERROR_RESPONSES
from cozonpay.throttling import MoneyThrottle, VerifyThrottle
from wallets.models import AccountKind, LedgerAccount

from ..clients.monnify.errors import MonnifyError
from ..exceptions import ProviderUnavailable
from ..models import Deposit
from ..services import deposits as deposit_services


class DepositOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField(source="payment_reference")
    channel = serializers.CharField()
    status = serializers.CharField(source="state")
    amount = serializers.IntegerField(help_text="kobo expected (checkout) or reported (bank transfer)")
    amount_paid = serializers.IntegerField(help_text="kobo Monnify confirmed")
    currency = serializers.CharField()
    checkout_url = serializers.CharField(allow_blank=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


def _own_deposit(user, deposit_id) -> Deposit:
    deposit = Deposit.objects.filter(public_id=deposit_id, user=user).first()
    if deposit is None:
        raise NotFound()
    return deposit


class DepositCollectionApi(IdempotentCreateMixin, ListAPIView):
    """GET: my deposits, newest first. POST: start a hosted-checkout deposit."""

    idempotency_scope = "deposits.create"
    serializer_class = DepositOutputSerializer

    class InputSerializer(serializers.Serializer):
        wallet = serializers.UUIDField()
        amount = KoboAmountField(min_value=2000, help_text="kobo; Monnify's minimum is NGN 20.00")

    def get_throttles(self):
        throttles = super().get_throttles()
        return [*throttles, MoneyThrottle()] if self.request.method == "POST" else throttles

    def get_queryset(self):
        return Deposit.objects.filter(user=self.request.user)

    @extend_schema(tags=["deposits"], summary="My deposits, newest first", responses={
        200: DepositOutputSerializer(many=True), **ERROR_RESPONSES})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=InputSerializer, responses={201: DepositOutputSerializer, **ERROR_RESPONSES},
                   parameters=[IDEMPOTENCY_KEY_PARAMETER], tags=["deposits"],
                   summary="Start a hosted-checkout deposit (pay at checkout_url)")
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def create(self, request, *args, idempotency_id, **kwargs):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wallet = LedgerAccount.objects.filter(public_id=data.validated_data["wallet"], owner=request.user,
                                              kind=AccountKind.CUSTOMER_WALLET).first()
        if wallet is None:
            raise NotFound("Wallet not found.")
        deposit = deposit_services.deposit_checkout_create(user=request.user, wallet=wallet,
                                                           amount=data.validated_data["amount"])
        return Response(DepositOutputSerializer(deposit).data, status=status.HTTP_201_CREATED)


class DepositDetailApi(APIView):
    @extend_schema(responses={200: DepositOutputSerializer, **ERROR_RESPONSES}, tags=["deposits"],
                   summary="One deposit")
    def get(self, request, deposit_id):
        return Response(DepositOutputSerializer(_own_deposit(request.user, deposit_id)).data)


class DepositVerifyApi(APIView):
    throttle_classes = [VerifyThrottle]

    @extend_schema(request=None, responses={200: DepositOutputSerializer, **ERROR_RESPONSES}, tags=["deposits"],
                   summary="Check the deposit with Monnify now and return it")
    def post(self, request, deposit_id):
        deposit = _own_deposit(request.user, deposit_id)
        try:
            deposit = deposit_services.deposit_verify(deposit_id=deposit.pk, actor=request.user)
        except MonnifyError:
            raise ProviderUnavailable("We could not reach our payment provider to check this deposit. "
                                      "It will be checked again automatically.")
        return Response(DepositOutputSerializer(deposit).data)
