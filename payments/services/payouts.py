"""Our payouts as reconciliation sees them (payments.services.reconciliation's PayoutSource seam):
withdrawals listed by day and looked up by reference, with their state mapped to
pending/success/failed/reversed and whether they were ever sent to Monnify."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..models import Withdrawal, WithdrawalState
from .reconciliation import OurPayout, PayoutSource, payout_source_register

_STATUS = {WithdrawalState.SUCCEEDED: "success", WithdrawalState.FAILED: "failed",
           WithdrawalState.REVERSED: "reversed"}


def _payout(withdrawal: Withdrawal) -> OurPayout:
    return OurPayout(
        reference=withdrawal.reference,
        amount=withdrawal.amount,
        status=_STATUS.get(withdrawal.state, "pending"),
        submitted=withdrawal.submit_attempts > 0,
        evidence={"withdrawal": str(withdrawal.public_id), "state": withdrawal.state,
                  "provider_status": withdrawal.provider_status, "amount": withdrawal.amount,
                  "fee": withdrawal.fee, "created_at": withdrawal.created_at.isoformat()},
    )


def payouts_for_day(start: dt.datetime, end: dt.datetime) -> list[OurPayout]:
    return [_payout(w) for w in Withdrawal.objects.filter(created_at__gte=start, created_at__lt=end).iterator()]


def payouts_by_reference(references: Iterable[str]) -> dict[str, OurPayout]:
    return {w.reference: _payout(w) for w in Withdrawal.objects.filter(reference__in=list(references))}


def register() -> None:
    payout_source_register(PayoutSource(for_day=payouts_for_day, by_reference=payouts_by_reference))
