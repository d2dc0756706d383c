"""`cozonpay.rendering.Renderer`: the same representation as the serializer, fields bound once."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from rest_framework import fields

from cozonpay.rendering import Renderer
from payments.apis.transactions import TransactionListApi
from payments.models import DepositAccount
from wallets.apis import TransferSerializer, WalletSerializer, WalletStatementApi

MOMENT = dt.datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=dt.UTC)

TRANSFER = {"id": uuid.uuid4(), "reference": "transfer:abc", "status": "completed", "direction": "out",
            "source_wallet": uuid.uuid4(), "destination_wallet": None, "sender": {"name": "Ada Obi"},
            "recipient": {"name": "Bola Ade"}, "amount": 250_000, "fee": 1_075, "currency": "NGN",
            "narration": "rent", "created_at": MOMENT}
WALLET = {"public_id": uuid.uuid4(), "currency": "NGN", "balance": 1_000, "held": 250, "available": 750,
          "status": "active", "created_at": MOMENT,
          "deposit_accounts": [DepositAccount(bank_code="035", bank_name="Wema Bank", account_number="7001234567",
                                              account_name="CozonPay/Ada Obi")]}
ENTRY = {"id": uuid.uuid4(), "created_at": MOMENT, "type": "transfer", "reference": "transfer:abc",
         "amount": -251_075, "currency": "NGN", "balance_after": None, "narration": "", "counterparty": None}
FEED_ITEM = {"id": uuid.uuid4(), "type": "deposit", "reference": "MNFY|1", "status": "completed",
             "amount": 500_000, "currency": "NGN", "created_at": MOMENT}


@pytest.mark.parametrize(("serializer_class", "values"), [
    (TransferSerializer, TRANSFER), (WalletSerializer, WALLET), (WalletStatementApi.OutputSerializer, ENTRY),
    (TransactionListApi.OutputSerializer, FEED_ITEM),
])
def test_renders_exactly_what_the_serializer_renders(serializer_class, values):
    render = Renderer(serializer_class)
    expected = serializer_class(values).data
    assert render(values) == expected
    assert render.many([values, values]) == [expected, expected]
    # the JSON types, not just equal-looking values
    assert render(values)["created_at"] == "2026-11-22T09:30:15.123456Z"


def test_fields_are_bound_once(monkeypatch):
    render = Renderer(TransferSerializer)
    render(TRANSFER)
    monkeypatch.setattr(fields.Field, "__deepcopy__", lambda self, memo: pytest.fail("fields rebuilt"))
    assert [row["amount"] for row in render.many([TRANSFER, {**TRANSFER, "amount": 7}])] == [250_000, 7]
