"""Pollers and reports: stale rows re-driven, the end-of-day alert, beat wiring, and customer
notifications from the outbox (exactly once)."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone

from payments.events import services as events
from payments.models import HandlerRun, HandlerRunStatus, Notification, OutboxEvent, Withdrawal, WithdrawalState
from payments.services import withdrawals as service

from .conftest import balances, create

pytestmark = pytest.mark.django_db

S = WithdrawalState


def test_a_request_that_died_before_the_hold_is_re_driven(wd, control, wallet):
    # given: tx1 committed, then the process died
    reference = service.reference_for("5f0e6d3c-1111-4222-8333-944455556666")
    w = Withdrawal.objects.create(user=wallet.owner, wallet=wallet, amount=200_000, fee=1_000, bank_code="058",
                                  account_number="0123456789", account_name="ADA OBI", reference=reference,
                                  hold_reference=service.hold_reference_for(reference))
    before = balances(wallet)
    # when: the poller passes twice (hold, then submit: the task's doorbell was lost with the broker)
    service.withdrawals_poll()
    assert Withdrawal.objects.get(pk=w.pk).state == S.FUNDS_HELD
    service.withdrawals_poll()
    # then
    assert Withdrawal.objects.get(pk=w.pk).state == S.SUCCEEDED
    assert balances(wallet)["balance"] == before["balance"] - 201_000


def test_end_of_day_report_alerts_about_old_unresolved_payouts(wd, control, wallet, settings):
    settings.WITHDRAWAL_UNKNOWN_ALERT_AGE_SECONDS = 3600
    control.config(faults={"api_error_rate": 1.0, "api_fault_paths": ["/api/v2/disbursements"]})
    old = service.withdrawal_submit(withdrawal_id=create(wallet).pk)
    new = service.withdrawal_submit(withdrawal_id=create(wallet, 300_000).pk)
    assert old.state == new.state == S.UNKNOWN
    Withdrawal.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))
    with mock.patch("payments.services.withdrawals.ops_alert") as alert:
        report = service.withdrawals_eod_report()
    assert report == {"unresolved": 2, "alerted": 1, "references": [old.reference]}
    assert alert.call_count == 1 and old.reference in alert.call_args.kwargs["text"]
    assert new.reference not in alert.call_args.kwargs["text"]


def test_beat_runs_the_pollers_and_the_report():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["withdrawals-poll"] == {"task": "payments.withdrawals_poll",
                                            "schedule": settings.PAYMENTS_POLL_INTERVAL_SECONDS}
    assert schedule["refunds-poll"]["task"] == "payments.refunds_poll"
    assert schedule["withdrawals-eod-report"]["task"] == "payments.withdrawals_eod_report"


def test_customer_is_notified_at_each_visible_step_once(wd, control, wallet):
    w = service.withdrawal_submit(withdrawal_id=create(wallet, 500_000).pk)
    for _ in range(2):  # a handler that runs again (crash before its completion was recorded) sends nothing twice
        for event in OutboxEvent.objects.filter(reference=w.reference):
            HandlerRun.objects.filter(event=event).update(status=HandlerRunStatus.PENDING)
            events.outbox_dispatch(event_id=event.pk)
    notes = {n.kind: n for n in Notification.objects.filter(user=wallet.owner)}
    assert set(notes) == {"withdrawal.accepted", "withdrawal.succeeded"}
    assert "₦5,000.00" in notes["withdrawal.succeeded"].body and "****6789" in notes["withdrawal.succeeded"].body
    # a failure and a reversal are told too
    control.config(disbursement_outcome="FAILED")
    failed = service.withdrawal_submit(withdrawal_id=create(wallet, 300_000).pk)
    for event in OutboxEvent.objects.filter(reference=failed.reference):
        events.outbox_dispatch(event_id=event.pk)
    assert Notification.objects.filter(user=wallet.owner, kind="withdrawal.failed").count() == 1
