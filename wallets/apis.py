"""Wallets and transfers of the public API (API.md "Wallets", "Transfers").

Views parse, call a selector or a service, render. Every serializer declares its fields
explicitly: a client can never set a balance, a status, an owner, a fee or a reference. Every id
in a path is a public UUID looked up together with the caller's ownership, so another user's
object answers 404 exactly like an unknown one, and is never touched.
"""

from __future__ import annotations

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cozonpay.exceptions import NotFound, ValidationFailed
from cozonpay.fields import KoboAmountField, MomentField, StrictCharField, StrictUUIDField
from cozonpay.idempotency.views import IDEMPOTENCY_KEY_PARAMETER, IdempotentCreateMixin
from cozonpay.pagination import CURSOR_PARAMETERS, keyset_page, page_size_of, paginate, paginated_serializer
from cozonpay.rendering import Renderer
from cozonpay.schema import ERROR_RESPONSES
from cozonpay.throttling import MoneyThrottle
from cozonpay.users.apis import PinField
from payments.selectors import deposit_accounts_for_wallets
from payments.services.transfers import transfer_completed_outbox

from . import selectors
from .models import Transfer
from .services import transfer_create

# --- Wallets -----------------------------------------------------------------------------------


class DepositAccountSerializer(serializers.Serializer):
    bank_name = serializers.CharField()
    bank_code = serializers.CharField()
    account_number = serializers.CharField()
    account_name = serializers.CharField()


class WalletSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    currency = serializers.CharField()
    balance = serializers.IntegerField(help_text="kobo")
    held = serializers.IntegerField(help_text="kobo reserved by pending withdrawals")
    available = serializers.IntegerField(help_text="kobo: balance - held")
    status = serializers.ChoiceField(choices=["active", "frozen", "closed"])
    deposit_accounts = DepositAccountSerializer(many=True, help_text="Bank accounts that fund this wallet")
    created_at = serializers.DateTimeField()


def render_wallets(wallets: list) -> list[dict]:
    accounts = deposit_accounts_for_wallets(wallet_ids=[w.id for w in wallets])
    return _render_wallet.many({
        "public_id": w.public_id, "currency": w.currency, "balance": w.balance, "held": w.held,
        "available": w.available, "status": w.status, "deposit_accounts": accounts[w.id],
        "created_at": w.created_at,
    } for w in wallets)


_render_wallet = Renderer(WalletSerializer)


WALLET_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The wallet's id")


def _owned_wallet(request, wallet_id: uuid.UUID):
    wallet = selectors.wallet_get_owned(user=request.user, public_id=wallet_id)
    if wallet is None:
        raise NotFound("Wallet not found.")
    return wallet


class WalletListApi(APIView):
    @extend_schema(responses={200: WalletSerializer(many=True), **ERROR_RESPONSES}, tags=["wallets"],
                   operation_id="wallets_list", summary="My wallets")
    def get(self, request):
        return Response(render_wallets(list(selectors.wallet_list_for_user(user=request.user))))


class WalletDetailApi(APIView):
    @extend_schema(parameters=[WALLET_ID], responses={200: WalletSerializer, **ERROR_RESPONSES}, tags=["wallets"],
                   summary="One of my wallets")
    def get(self, request, id: uuid.UUID):
        return Response(render_wallets([_owned_wallet(request, id)])[0])


def _statement_id(posting_id: int) -> uuid.UUID:
    """Postings have no public id; this stable UUID names a statement entry without exposing the
    row number."""
    return uuid.uuid5(_STATEMENT_NAMESPACE, str(posting_id))


_STATEMENT_NAMESPACE = uuid.UUID("6f1c1f55-2f0b-4b7c-9a57-0c8f2f7e1c11")


class WalletStatementApi(APIView):
    class FilterSerializer(serializers.Serializer):
        to = MomentField(required=False, end_of_day=True)
        cursor = serializers.CharField(required=False, max_length=200)

    FilterSerializer._declared_fields["from"] = MomentField(required=False)

    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        created_at = serializers.DateTimeField()
        type = serializers.CharField(help_text="The journal kind: deposit, transfer, withdrawal, reversal, ...")
        reference = serializers.CharField()
        amount = serializers.IntegerField(help_text="signed kobo: positive credits the wallet")
        currency = serializers.CharField()
        balance_after = serializers.IntegerField(allow_null=True, help_text="kobo, right after this entry")
        narration = serializers.CharField(allow_blank=True)
        counterparty = serializers.CharField(allow_null=True, help_text="The other customer of a transfer")

    @extend_schema(
        parameters=[
            WALLET_ID,
            OpenApiParameter("from", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                             description="ISO 8601 date or date-time, inclusive"),
            OpenApiParameter("to", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
                             description="ISO 8601 date (inclusive) or date-time (exclusive)"),
            *CURSOR_PARAMETERS,
        ],
        responses={200: paginated_serializer(OutputSerializer, "PaginatedWalletStatementList"), **ERROR_RESPONSES},
        operation_id="wallets_statement",
        tags=["wallets"], summary="The wallet's statement, newest first",
    )
    def get(self, request, id: uuid.UUID):
        wallet = _owned_wallet(request, id)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        since, until = filters.validated_data.get("from"), filters.validated_data.get("to")
        try:
            page = selectors.statement(account=wallet, cursor=filters.validated_data.get("cursor"),
                                       limit=page_size_of(request), since=since, until=until)
        except ValueError:
            raise ValidationFailed(fields={"cursor": ["This cursor is not valid."]})
        transfers = selectors.transfers_by_journal(journal_public_ids=[e.journal_public_id for e in page.entries])
        results = []
        for entry in page.entries:
            transfer = transfers.get(entry.journal_public_id)
            counterparty = None
            if transfer is not None:
                other = transfer.recipient if transfer.sender_id == request.user.pk else transfer.sender
                counterparty = other.full_name
            results.append(_render_entry({
                "id": _statement_id(entry.posting_id), "created_at": entry.created_at, "type": entry.kind,
                "reference": entry.reference, "amount": entry.amount, "currency": entry.currency,
                "balance_after": entry.balance_after, "narration": entry.narration, "counterparty": counterparty,
            }))
        return Response(keyset_page(request=request, results=results, next_cursor=page.next_cursor))


_render_entry = Renderer(WalletStatementApi.OutputSerializer)


# --- Transfers ---------------------------------------------------------------------------------


class PartySerializer(serializers.Serializer):
    name = serializers.CharField()


class TransferSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=["completed"])
    direction = serializers.ChoiceField(choices=["out", "in"], help_text="out: you sent it; in: you received it")
    source_wallet = serializers.UUIDField(allow_null=True, help_text="Your wallet it left (null when received)")
    destination_wallet = serializers.UUIDField(allow_null=True, help_text="Your wallet it reached (null when sent)")
    sender = PartySerializer()
    recipient = PartySerializer()
    amount = serializers.IntegerField(help_text="kobo")
    fee = serializers.IntegerField(help_text="kobo paid by the sender (0 when received)")
    currency = serializers.CharField()
    narration = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


def render_transfer(transfer: Transfer, *, viewer_id) -> dict:
    outgoing = transfer.sender_id == viewer_id
    return _render_transfer({
        "id": transfer.public_id, "reference": transfer.journal.reference, "status": "completed",
        "direction": "out" if outgoing else "in",
        "source_wallet": transfer.source.public_id if outgoing else None,
        "destination_wallet": None if outgoing else transfer.destination.public_id,
        "sender": {"name": transfer.sender.full_name}, "recipient": {"name": transfer.recipient.full_name},
        "amount": transfer.amount, "fee": transfer.fee if outgoing else 0, "currency": transfer.currency,
        "narration": transfer.narration, "created_at": transfer.created_at,
    })


_render_transfer = Renderer(TransferSerializer)


class TransferListCreateApi(IdempotentCreateMixin, APIView):
    """GET lists my transfers (sent and received); POST sends money (Idempotency-Key required)."""

    idempotency_scope = "transfers.create"

    class InputSerializer(serializers.Serializer):
        source_wallet = StrictUUIDField(help_text="The id of your wallet to debit")
        recipient = StrictCharField(max_length=254, help_text="The recipient's email or phone number")
        amount = KoboAmountField(help_text="kobo to send; the fee is debited on top")
        narration = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
        pin = PinField(help_text="Your 4-digit transaction PIN")

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method == "POST":
            throttles.append(MoneyThrottle())
        return throttles

    @extend_schema(parameters=CURSOR_PARAMETERS,
                   responses={200: paginated_serializer(TransferSerializer, "PaginatedTransferList"),
                              **ERROR_RESPONSES},
                   tags=["transfers"], summary="My transfers, sent and received, newest first",
                   operation_id="transfers_list")
    def get(self, request):
        return Response(paginate(
            view=self, request=request, queryset=selectors.transfer_list_for_user(user=request.user),
            serialize=lambda rows: [render_transfer(t, viewer_id=request.user.pk) for t in rows],
        ))

    @extend_schema(request=InputSerializer, parameters=[IDEMPOTENCY_KEY_PARAMETER],
                   responses={201: TransferSerializer, **ERROR_RESPONSES}, tags=["transfers"],
                   summary="Send money to another customer (email or phone number)",
                   description="Refusals (nothing changes): recipient_not_found, self_transfer, insufficient_funds, "
                               "limit_exceeded, wallet_unavailable, currency_mismatch (422); pin_not_set, "
                               "invalid_pin (403); pin_locked (423).")
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def create(self, request, *, idempotency_id):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        transfer = transfer_create(
            user=request.user, source_public_id=values["source_wallet"], recipient_identifier=values["recipient"],
            amount=values["amount"], narration=values["narration"], pin=values["pin"],
            reference=f"transfer:{idempotency_id}", outbox=transfer_completed_outbox,
        )
        return Response(render_transfer(transfer, viewer_id=request.user.pk), status=status.HTTP_201_CREATED)


class TransferDetailApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
                   responses={200: TransferSerializer, **ERROR_RESPONSES}, tags=["transfers"],
                   summary="One transfer I sent or received")
    def get(self, request, id: uuid.UUID):
        transfer = selectors.transfer_get_for_user(user=request.user, public_id=id)
        if transfer is None:
            raise NotFound("Transfer not found.")
        return Response(render_transfer(transfer, viewer_id=request.user.pk))
