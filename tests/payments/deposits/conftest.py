"""Deposit tests drive the real flow against the in-process Monnify sandbox: the sandbox sends its
webhooks to a recording receiver (exact bytes and signature), and `Flow.forward()` posts them to our
receiver as Monnify would, then processes the inbox and the outbox synchronously."""

from __future__ import annotations

import pytest
from django.test import Client

from cozonpay.users.services import user_kyc_submit
from payments.events import services as events
from payments.models import HandlerRun, HandlerRunStatus, OutboxEvent
from wallets.models import AccountKind, LedgerAccount
from webhooks import services as inbox
from webhooks.models import WebhookEvent, WebhookStatus

from ...users.conftest import make_user


class Flow:
    def __init__(self, control, receiver):
        self.control = control
        self.receiver = receiver
        self.forwarded = 0
        self.client = Client()

    def forward(self, *, only_new: bool = True) -> list[int]:
        """Deliver what the sandbox sent (in the order it sent it) to /webhooks/monnify."""
        codes = []
        calls = self.receiver.calls[self.forwarded:] if only_new else list(self.receiver.calls)
        for call in calls:
            headers = {}
            if "monnify-signature" in call["headers"]:
                headers["HTTP_MONNIFY_SIGNATURE"] = call["headers"]["monnify-signature"]
            response = self.client.post("/webhooks/monnify", data=call["body"], content_type="application/json",
                                        **headers)
            codes.append(response.status_code)
        self.forwarded = len(self.receiver.calls)
        self.process()
        return codes

    def process(self) -> None:
        """Run the inbox and the outbox until nothing is due (what the worker would do)."""
        for _ in range(10):
            due = list(WebhookEvent.objects.filter(status__in=[WebhookStatus.RECEIVED])
                       .values_list("pk", flat=True))
            for event_id in due:
                inbox.webhook_process(event_id=event_id)
            runs = list(HandlerRun.objects.filter(status=HandlerRunStatus.PENDING)
                        .values_list("event_id", flat=True).distinct())
            for event_id in runs:
                events.outbox_dispatch(event_id=event_id)
            if not due and not runs:
                return


@pytest.fixture
def flow(monnify_settings, control, receiver) -> Flow:
    return Flow(control, receiver)


def wallet_of(user) -> LedgerAccount:
    return LedgerAccount.objects.get(owner=user, kind=AccountKind.CUSTOMER_WALLET)


@pytest.fixture
def customer(db):
    user = make_user()
    user_kyc_submit(user=user, bvn="22233344455")
    user.refresh_from_db()
    return user


def event_types(deposit) -> list[str]:
    return list(OutboxEvent.objects.filter(aggregate_id=str(deposit.public_id)).order_by("id")
                .values_list("event_type", flat=True))
