"""Limits and fees from settings (KYC_LIMITS, FEES, LEDGER_LIMITS_TIME_ZONE). Pure functions:
the ledger's SQL enforces the limits, this module only says what they are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

# Used where a limit is "unlimited": larger than any sum of kobo the ledger can hold.
UNLIMITED = 2**62


@dataclass(frozen=True)
class TierLimits:
    single_max: int
    daily_max: int
    balance_max: int  # UNLIMITED when the setting says None


def limits_for_tier(tier: int | None) -> TierLimits:
    if tier is None:  # accounts without an owner: no customer limits
        return TierLimits(UNLIMITED, UNLIMITED, UNLIMITED)
    raw = settings.KYC_LIMITS[int(tier)]
    return TierLimits(
        single_max=UNLIMITED if raw["single_max"] is None else int(raw["single_max"]),
        daily_max=UNLIMITED if raw["daily_max"] is None else int(raw["daily_max"]),
        balance_max=UNLIMITED if raw["balance_max"] is None else int(raw["balance_max"]),
    )


def limit_arrays() -> tuple[list[int], list[int], list[int]]:
    """single, daily and balance maxima indexed by tier (SQL arrays are 1-based: tier + 1)."""
    tiers = [limits_for_tier(t) for t in sorted(settings.KYC_LIMITS)]
    return ([t.single_max for t in tiers], [t.daily_max for t in tiers], [t.balance_max for t in tiers])


def limits_day(now: dt.datetime | None = None) -> dt.date:
    """The calendar day the daily outflow limit counts in (Lagos time by default)."""
    now = now or timezone.now()
    return now.astimezone(ZoneInfo(settings.LEDGER_LIMITS_TIME_ZONE)).date()


def fee_for(kind: str, amount: int) -> int:
    """The fee in kobo for an operation of `kind` ("p2p", "withdrawal") moving `amount` kobo."""
    schedule = settings.FEES[kind]
    if isinstance(schedule, int):
        return schedule
    for upper, fee in schedule:
        if upper is None or amount <= upper:
            return int(fee)
    raise ValueError(f"fee schedule {kind!r} has no band for {amount}")
