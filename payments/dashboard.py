"""The back-office dashboard (admin index): a selector that reads what needs a person now.

Each figure links to the change list filtered to exactly what it counts (Django's admin accepts
lookups on a model's own fields in the query string). Figures whose screen is not registered
(yet) are shown without a link.

Withdrawals (issue 8) plug in by exporting from payments.models: `Withdrawal` (with `state` and
`created_at`), `WITHDRAWAL_PENDING_STATES` and `WITHDRAWAL_UNKNOWN_STATES` (submitted to Monnify,
outcome unknown). Until then their rows show a placeholder; nothing else changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Min, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cozonpay.backoffice import naira
from webhooks.models import WebhookEvent, WebhookStatus

from . import models
from .models import (
    DEPOSIT_PENDING_STATES,
    DISPUTE_ACTIVE_STATES,
    Deposit,
    Discrepancy,
    DiscrepancyStatus,
    Dispute,
    HandlerRun,
    HandlerRunStatus,
)

AGE_BUCKETS = (
    ("under 15 min", dt.timedelta(0), dt.timedelta(minutes=15)),
    ("15 min to 1 h", dt.timedelta(minutes=15), dt.timedelta(hours=1)),
    ("1 h to 24 h", dt.timedelta(hours=1), dt.timedelta(hours=24)),
    ("over 24 h", dt.timedelta(hours=24), None),
)


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    url: str = ""
    alert: bool = False


@dataclass
class Panel:
    title: str
    figures: list[Figure] = field(default_factory=list)
    placeholder: str = ""


def _url(name: str, **params) -> str:
    try:
        base = reverse(f"admin:{name}")
    except NoReverseMatch:
        return ""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{base}?{query}" if query else base


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(sep=" ", timespec="seconds")


def _age_buckets(queryset, changelist: str, now: dt.datetime, **params) -> list[Figure]:
    figures = []
    for label, young, old in AGE_BUCKETS:
        bucket = queryset.filter(created_at__lte=now - young)
        bounds = {"created_at__lte": _iso(now - young)}
        if old is not None:
            bucket = bucket.filter(created_at__gt=now - old)
            bounds["created_at__gt"] = _iso(now - old)
        count = bucket.count()
        figures.append(Figure(label, str(count), _url(changelist, **params, **bounds),
                              alert=bool(count) and old is None))
    return figures


def _pending_deposits(now) -> Panel:
    states = ",".join(DEPOSIT_PENDING_STATES)
    return Panel("Pending deposits by age", _age_buckets(Deposit.objects.filter(state__in=DEPOSIT_PENDING_STATES),
                                                          "payments_deposit_changelist", now, state__in=states))


def _withdrawals(now) -> tuple[Panel, Figure]:
    Withdrawal = getattr(models, "Withdrawal", None)
    if Withdrawal is None:
        note = "Withdrawals are not live yet."
        return Panel("Pending withdrawals by age", placeholder=note), Figure("Unknown-outcome payouts", "-")
    pending = tuple(getattr(models, "WITHDRAWAL_PENDING_STATES", ()))
    unknown = tuple(getattr(models, "WITHDRAWAL_UNKNOWN_STATES", ()))
    panel = Panel("Pending withdrawals by age", _age_buckets(Withdrawal.objects.filter(state__in=pending),
                                                             "payments_withdrawal_changelist", now,
                                                             state__in=",".join(pending)))
    count = Withdrawal.objects.filter(state__in=unknown).count()
    return panel, Figure("Unknown-outcome payouts", str(count),
                         _url("payments_withdrawal_changelist", state__in=",".join(unknown)), alert=bool(count))


def _attention(now, unknown_payouts: Figure) -> Panel:
    dead_runs = HandlerRun.objects.filter(status=HandlerRunStatus.DEAD).count()
    dead_webhooks = WebhookEvent.objects.filter(status=WebhookStatus.DEAD).count()
    by_kind = dict(Discrepancy.objects.filter(status=DiscrepancyStatus.OPEN).values_list("kind")
                   .annotate(n=Count("id")).values_list("kind", "n"))
    figures = [
        unknown_payouts,
        Figure("Dead letters (event handlers)", str(dead_runs),
               _url("payments_deadletter_changelist", status__exact=HandlerRunStatus.DEAD), alert=bool(dead_runs)),
        Figure("Dead webhooks", str(dead_webhooks),
               _url("webhooks_webhookevent_changelist", status__exact=WebhookStatus.DEAD), alert=bool(dead_webhooks)),
        Figure("Open discrepancies", str(sum(by_kind.values())),
               _url("payments_discrepancy_changelist", status__exact=DiscrepancyStatus.OPEN),
               alert=bool(by_kind)),
    ]
    figures += [Figure(f"\u2003{kind.replace('_', ' ')}", str(n),
                       _url("payments_discrepancy_changelist", status__exact=DiscrepancyStatus.OPEN, kind__exact=kind))
                for kind, n in sorted(by_kind.items())]
    return Panel("Needs attention", figures)


def _disputes(now) -> Panel:
    target = settings.DISPUTE_TARGET_HOURS
    active = Dispute.objects.filter(status__in=DISPUTE_ACTIVE_STATES)
    stats = active.aggregate(n=Count("id"), oldest=Min("created_at"))
    cutoff = now - dt.timedelta(hours=target)
    overdue = active.filter(created_at__lt=cutoff).count()
    oldest = "-"
    if stats["oldest"]:
        hours = int((now - stats["oldest"]).total_seconds() // 3600)
        oldest = f"{hours // 24}d {hours % 24}h" if hours >= 24 else f"{hours}h"
    states = ",".join(DISPUTE_ACTIVE_STATES)
    return Panel(f"Open disputes (target {target} h)", [
        Figure("Open or investigating", str(stats["n"]), _url("payments_dispute_changelist", status__in=states)),
        Figure(f"Over the {target} h target", str(overdue), _url("payments_dispute_changelist", overdue="yes"),
               alert=bool(overdue)),
        Figure("Oldest open", oldest, _url("payments_dispute_changelist", status__in=states, o="7")),
    ])


def _volumes(now) -> Panel:
    """Today's (Africa/Lagos) money in and out, from the ledger: deposit journals credited to
    customer wallets, and withdrawal journals debited from them."""
    from wallets.models import AccountKind, Posting

    zone = ZoneInfo(settings.RECONCILIATION_TIME_ZONE)
    start = dt.datetime.combine(now.astimezone(zone).date(), dt.time.min, tzinfo=zone)
    postings = Posting.objects.filter(journal__created_at__gte=start, account__kind=AccountKind.CUSTOMER_WALLET)
    money_in = postings.filter(journal__kind="deposit", amount__gt=0).aggregate(
        total=Sum("amount"), n=Count("journal", distinct=True))
    money_out = postings.filter(journal__kind="withdrawal", amount__lt=0).aggregate(
        total=Sum("amount"), n=Count("journal", distinct=True))
    since = _iso(start)
    return Panel(f"Today ({start:%d %b %Y}, Lagos)", [
        Figure(f"In: {money_in['n']} deposit(s)", naira(money_in["total"] or 0),
               _url("wallets_journal_changelist", kind__exact="deposit", created_at__gte=since)),
        Figure(f"Out: {money_out['n']} withdrawal(s)", naira(-(money_out["total"] or 0)),
               _url("wallets_journal_changelist", kind__exact="withdrawal", created_at__gte=since)),
    ])


def dashboard_get(*, now: dt.datetime | None = None) -> list[Panel]:
    now = now or timezone.now()
    withdrawals, unknown_payouts = _withdrawals(now)
    return [_attention(now, unknown_payouts), _disputes(now), _pending_deposits(now), withdrawals, _volumes(now)]
