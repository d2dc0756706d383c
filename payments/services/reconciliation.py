"""Reconciliation: find every discrepancy before a customer does.

Internal (`reconcile_ledger`, beat every RECONCILIATION_LEDGER_INTERVAL_SECONDS and nightly): the
ledger integrity check (wallets.integrity.ledger_integrity_check, one REPEATABLE READ snapshot);
each finding becomes a `ledger_integrity` discrepancy keyed by its kind and subject.

External (`reconcile_monnify(day=...)`, nightly for yesterday, on demand from the admin or
`manage.py reconcile --date`): one day (Africa/Lagos) of Monnify's collections
(`/api/v1/transactions/search`) matched with our deposits, and of its disbursements
(`/api/v2/disbursements/search-transactions`) matched with our payouts, by reference:

* `missing_ours`: Monnify has a paid collection (or a transfer) we have no record of;
* `missing_theirs`: we credited a deposit (or sent a payout) Monnify has no record of (checked
  with a direct status query before it is reported, so day boundaries cause no false alarms);
* `amount_mismatch`: both have it, the amounts differ (paid vs credited);
* `status_mismatch`: both have it, the outcomes disagree (Monnify: failed/reversed/pending, us:
  credited; Monnify: paid, us: failed, or still pending after RECONCILIATION_GRACE_SECONDS);
* `duplicate`: Monnify has more than one paid collection for one payment reference of ours (or
  more than one transfer for one payout reference).

A discrepancy is unique per (kind, reference) and is recorded once, with the evidence from both
sides as first found; a later run that finds it again records nothing (a run row, with found=0).

Healing, only where the rule is clear: a paid collection into one of our wallets' dedicated
accounts that we never heard of (its webhook was lost) becomes a deposit through the normal path,
`deposit_bank_transfer_record` then `deposit_verify`, which asks Monnify's status API and credits
with the journal `monnify:txn:<transactionReference>`; the discrepancy is recorded first, then
marked `healed` with that journal. Everything else waits for Finance (`discrepancy_resolve`).

New discrepancies alert ops on Slack (`ops_alert`) after the run commits. No network call runs
inside a transaction: Monnify is read first, then results are recorded.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import Actor, audit_record
from cozonpay.exceptions import Forbidden, InvalidStateTransition, ValidationFailed

from ..clients.monnify import errors as monnify_errors
from ..clients.monnify.client import get_client
from ..clients.monnify.parsing import to_kobo_or_none
from ..models import (
    Deposit,
    DepositState,
    Discrepancy,
    DiscrepancyKind,
    DiscrepancySource,
    DiscrepancyStatus,
    ReconciliationRun,
    ReconciliationScope,
    RunStatus,
)

logger = logging.getLogger("payments.reconciliation")

PAGE_SIZE = 100
PAID = ("PAID", "OVERPAID")
CREDITED = (DepositState.CREDITED, DepositState.SETTLED)
NOT_CREDITABLE = (DepositState.REFUND_PENDING, DepositState.REFUNDED)
PENDING = (DepositState.INITIATED, DepositState.AWAITING_PAYMENT, DepositState.VERIFYING)
# Our deposits worth a direct status query when Monnify's day list does not show them.
AT_STAKE = (*CREDITED, *NOT_CREDITABLE, DepositState.REVERSED)


@dataclass
class Finding:
    kind: str
    source: str
    reference: str
    summary: str
    ours: dict | None = None
    theirs: dict | None = None
    amount_ours: int | None = None
    amount_theirs: int | None = None
    heal: Callable[[], str] | None = field(default=None, repr=False)


# --- Runs ---------------------------------------------------------------------------------------


def _run_start(*, scope: str, triggered_by: str, day: dt.date | None = None, full: bool = False) -> ReconciliationRun:
    with transaction.atomic():
        return ReconciliationRun.objects.create(scope=scope, day=day, full=full, triggered_by=triggered_by[:200])


def _run_finish(run: ReconciliationRun, *, stats: dict, new: list[Discrepancy], healed: int) -> ReconciliationRun:
    with transaction.atomic():
        run.status = RunStatus.SUCCEEDED
        run.finished_at = timezone.now()
        run.stats = stats
        run.found = len(new)
        run.healed = healed
        run.save(update_fields=["status", "finished_at", "stats", "found", "healed"])
        audit_record(action=f"reconciliation.{run.scope}.completed", actor=Actor.system("reconciliation"),
                     subject=run, references=[f"reconciliation:{run.pk}", *[d.reference for d in new][:500]],
                     payload={"day": run.day, "found": run.found, "healed": healed, "stats": stats,
                              "triggered_by": run.triggered_by})
    _alert(run, new)
    return run


def _run_fail(run: ReconciliationRun, exc: Exception) -> None:
    with transaction.atomic():
        run.status = RunStatus.FAILED
        run.finished_at = timezone.now()
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.save(update_fields=["status", "finished_at", "error"])
    _safe_alert(f":warning: Reconciliation {run} failed: {run.error}", f"reconciliation-failed:{run.pk}")


def _jsonable(value: Any) -> Any:
    """Evidence as stored: Monnify's decimals become strings, exactly as they were ("1005.00")."""
    return None if value is None else json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _record(run: ReconciliationRun, findings: Iterable[Finding]) -> list[tuple[Discrepancy, Finding]]:
    """Insert the findings not recorded before (unique per kind and reference); return the new ones."""
    created = []
    for finding in findings:
        finding.ours, finding.theirs = _jsonable(finding.ours), _jsonable(finding.theirs)
        with transaction.atomic():
            discrepancy, was_created = Discrepancy.objects.get_or_create(
                kind=finding.kind, reference=finding.reference[:255],
                defaults={"source": finding.source, "summary": finding.summary[:255], "ours": finding.ours,
                          "theirs": finding.theirs, "amount_ours": finding.amount_ours,
                          "amount_theirs": finding.amount_theirs, "run": run, "day": run.day},
            )
            if was_created:
                audit_record(action="reconciliation.discrepancy.found", actor=Actor.system("reconciliation"),
                             subject=discrepancy, references=[finding.reference, f"reconciliation:{run.pk}"],
                             payload={"kind": finding.kind, "summary": finding.summary,
                                      "amount_ours": finding.amount_ours, "amount_theirs": finding.amount_theirs})
                created.append((discrepancy, finding))
    return created


def _alert(run: ReconciliationRun, new: list[Discrepancy]) -> None:
    if not new:
        return
    counts: dict[str, int] = defaultdict(int)
    for discrepancy in new:
        counts[discrepancy.kind] += 1
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    healed = sum(1 for d in new if d.status == DiscrepancyStatus.HEALED)
    text = (f":mag: Reconciliation {run}: {len(new)} new discrepanc{'y' if len(new) == 1 else 'ies'} ({kinds})"
            + (f", {healed} healed automatically" if healed else "")
            + f". {settings.PUBLIC_BASE_URL}/admin/payments/discrepancy/?status__exact=open")
    _safe_alert(text, f"reconciliation-run:{run.pk}")


def _safe_alert(text: str, dedupe_key: str) -> None:
    from .notifications import ops_alert

    try:
        ops_alert(text=text, dedupe_key=dedupe_key)
    except Exception:  # the run is recorded; a Slack outage must not fail it
        logger.exception("could not send the reconciliation alert", extra={"alert": text})


# --- Internal: the ledger ---------------------------------------------------------------------


def reconcile_ledger(*, triggered_by: str = "beat", full: bool = False) -> ReconciliationRun:
    from wallets.selectors import ledger_integrity_check

    run = _run_start(scope=ReconciliationScope.LEDGER, triggered_by=triggered_by, full=full)
    try:
        started = time.monotonic()
        report = ledger_integrity_check()
        findings = [
            Finding(kind=DiscrepancyKind.LEDGER_INTEGRITY, source=DiscrepancySource.LEDGER,
                    reference=f"{d.kind}:{d.subject}", summary=str(d),
                    ours={"check": d.kind, "subject": d.subject, "expected": str(d.expected), "found": str(d.found),
                          "detail": d.detail, "checked_at": report.checked_at.isoformat()})
            for d in report.discrepancies
        ]
        new = [d for d, _ in _record(run, findings)]
        stats = {"accounts": report.accounts, "journals": report.journals, "postings": report.postings,
                 "pending_holds": report.pending_holds, "findings": len(findings),
                 "seconds": round(time.monotonic() - started, 3)}
    except Exception as exc:
        _run_fail(run, exc)
        raise
    return _run_finish(run, stats=stats, new=new, healed=0)


# --- External: Monnify -------------------------------------------------------------------------


def reconciliation_today() -> dt.date:
    return timezone.now().astimezone(ZoneInfo(settings.RECONCILIATION_TIME_ZONE)).date()


def day_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(settings.RECONCILIATION_TIME_ZONE)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    return start, start + dt.timedelta(days=1)


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _pages(fetch: Callable[[int], Any]) -> Iterator[Any]:
    page = 0
    while True:
        result = fetch(page)
        yield from result.items
        if result.last or not result.items:
            return
        page += 1


def reconcile_monnify(*, day: dt.date, triggered_by: str = "beat") -> ReconciliationRun:
    run = _run_start(scope=ReconciliationScope.MONNIFY, triggered_by=triggered_by, day=day)
    try:
        started = time.monotonic()
        client = get_client()
        start, end = day_window(day)
        collections, collection_stats = _collection_findings(client, start, end)
        disbursements, disbursement_stats = _disbursement_findings(client, start, end)
        created = _record(run, [*collections, *disbursements])
        healed = _heal(created)
        stats = {"collections": collection_stats, "disbursements": disbursement_stats,
                 "seconds": round(time.monotonic() - started, 3)}
    except Exception as exc:
        _run_fail(run, exc)
        raise
    return _run_finish(run, stats=stats, new=[d for d, _ in created], healed=healed)


def reconcile_nightly(*, today: dt.date | None = None) -> list[ReconciliationRun]:
    """The nightly full run: the ledger, then yesterday's Monnify day."""
    today = today or reconciliation_today()
    runs = [reconcile_ledger(triggered_by="beat:nightly", full=True)]
    runs.append(reconcile_monnify(day=today - dt.timedelta(days=1), triggered_by="beat:nightly"))
    return runs


# --- Collections <-> deposits -------------------------------------------------------------------


def _deposit_evidence(deposit: Deposit) -> dict:
    return {
        "deposit": str(deposit.public_id), "state": deposit.state, "channel": deposit.channel,
        "payment_reference": deposit.payment_reference, "transaction_reference": deposit.transaction_reference,
        "amount": deposit.amount, "amount_paid": deposit.amount_paid, "amount_credited": deposit.amount_credited,
        "provider_status": deposit.provider_status, "journal_reference": deposit.journal_reference,
        "user": str(deposit.user_id), "created_at": deposit.created_at.isoformat(),
    }


def _paid_kobo(item) -> int:
    """What Monnify says was paid: `amountPaid` of a search item, else its amount."""
    raw = getattr(item, "raw", {}) or {}
    if "amountPaid" in raw:
        return to_kobo_or_none(raw.get("amountPaid")) or 0
    return getattr(item, "amount_paid_kobo", None) or getattr(item, "amount_kobo", None) or 0


def _collection_findings(client, start: dt.datetime, end: dt.datetime) -> tuple[list[Finding], dict]:
    theirs = list(_pages(lambda page: client.transaction_search(from_ms=_ms(start), to_ms=_ms(end) - 1, page=page,
                                                                size=PAGE_SIZE)))
    findings: list[Finding] = []

    by_payment: dict[str, list] = defaultdict(list)
    for item in theirs:
        by_payment[item.payment_reference].append(item)
    transaction_refs = {i.transaction_reference for i in theirs if i.transaction_reference}
    payment_refs = {i.payment_reference for i in theirs if i.payment_reference}
    ours = Deposit.objects.filter(Q(transaction_reference__in=transaction_refs) | Q(payment_reference__in=payment_refs))
    by_txn = {d.transaction_reference: d for d in ours if d.transaction_reference}
    by_pay = {d.payment_reference: d for d in ours}

    for payment_reference, items in by_payment.items():
        paid = [i for i in items if i.payment_status in PAID]
        deposit = by_pay.get(payment_reference)
        if len(paid) > 1 and deposit is not None:
            findings.append(Finding(
                kind=DiscrepancyKind.DUPLICATE, source=DiscrepancySource.COLLECTION, reference=payment_reference,
                summary=f"{len(paid)} paid collections at Monnify for one deposit {payment_reference}",
                ours=_deposit_evidence(deposit), theirs={"collections": [i.raw for i in paid]},
                amount_ours=deposit.amount_credited, amount_theirs=sum(_paid_kobo(i) for i in paid),
            ))

    matched: set[int] = set()
    lookups = 0
    for item in theirs:
        deposit = by_txn.get(item.transaction_reference)
        if deposit is None:
            deposit = by_pay.get(item.payment_reference)
            if deposit is not None and deposit.transaction_reference and \
                    deposit.transaction_reference != item.transaction_reference:
                continue  # another collection for a deposit matched elsewhere: the duplicate above
        if deposit is None:
            if item.payment_status in PAID:
                findings.append(_missing_ours(client, item))
            continue
        matched.add(deposit.pk)
        finding = _compare(deposit, item.payment_status, _paid_kobo(item), item.raw)
        if finding:
            findings.append(finding)

    grace = timezone.now() - dt.timedelta(seconds=settings.RECONCILIATION_GRACE_SECONDS)
    ours_of_the_day = (Deposit.objects.filter(created_at__gte=start, created_at__lt=end)
                       .filter(Q(state__in=AT_STAKE) | Q(state__in=PENDING, created_at__lt=grace)))
    for deposit in ours_of_the_day.iterator(chunk_size=2000):
        if deposit.pk in matched:
            continue  # skipped here rather than by a NOT IN of the whole day's ids
        lookups += 1
        try:
            if deposit.transaction_reference:
                status = client.transaction_status(deposit.transaction_reference)
            else:
                status = client.transaction_status_by_payment_reference(deposit.payment_reference)
        except monnify_errors.MonnifyNotFound:
            if deposit.state in AT_STAKE:
                findings.append(Finding(
                    kind=DiscrepancyKind.MISSING_THEIRS, source=DiscrepancySource.COLLECTION,
                    reference=deposit.transaction_reference or deposit.payment_reference,
                    summary=f"deposit {deposit.payment_reference} is {deposit.state} but Monnify has no record of it",
                    ours=_deposit_evidence(deposit), theirs=None, amount_ours=deposit.amount_credited,
                ))
            continue
        finding = _compare(deposit, status.payment_status, status.amount_paid_kobo, status.raw)
        if finding:
            findings.append(finding)
    return findings, {"theirs": len(theirs), "matched": len(matched), "status_lookups": lookups}


def _compare(deposit: Deposit, their_status: str, their_paid: int, raw: dict) -> Finding | None:
    reference = deposit.transaction_reference or deposit.payment_reference
    ours = _deposit_evidence(deposit)

    def status_mismatch(why: str) -> Finding:
        return Finding(kind=DiscrepancyKind.STATUS_MISMATCH, source=DiscrepancySource.COLLECTION, reference=reference,
                       summary=f"deposit {deposit.payment_reference}: {why}", ours=ours, theirs=raw,
                       amount_ours=deposit.amount_credited, amount_theirs=their_paid)

    credited = deposit.state in CREDITED
    stale = deposit.created_at < timezone.now() - dt.timedelta(seconds=settings.RECONCILIATION_GRACE_SECONDS)
    if their_status in PAID:
        if credited:
            if deposit.amount_credited != their_paid:
                return Finding(
                    kind=DiscrepancyKind.AMOUNT_MISMATCH, source=DiscrepancySource.COLLECTION, reference=reference,
                    summary=f"deposit {deposit.payment_reference}: credited {deposit.amount_credited} kobo, "
                            f"Monnify says {their_paid} kobo paid",
                    ours=ours, theirs=raw, amount_ours=deposit.amount_credited, amount_theirs=their_paid)
            return None
        if deposit.state in NOT_CREDITABLE:
            return None  # could not be credited: refunded (or being refunded) through Monnify
        if deposit.state in PENDING and not stale:
            return None  # still being verified by the poller
        return status_mismatch(f"Monnify says {their_status}, we say {deposit.state}")
    if credited:
        return status_mismatch(f"we credited it, Monnify says {their_status}")
    return None


def _missing_ours(client, item) -> Finding:
    finding = Finding(
        kind=DiscrepancyKind.MISSING_OURS, source=DiscrepancySource.COLLECTION, reference=item.transaction_reference,
        summary=f"Monnify collection {item.transaction_reference} ({item.payment_status}) has no deposit of ours",
        ours=None, theirs=item.raw, amount_theirs=_paid_kobo(item),
    )
    if (item.raw or {}).get("collectionChannel") == "RESERVED_ACCOUNT" or not item.raw.get("collectionChannel"):
        finding.heal = lambda: _heal_bank_transfer(client, item.transaction_reference)
    return finding


def _heal_bank_transfer(client, transaction_reference: str) -> str:
    """The one clear rule: a paid transfer into one of our wallets' dedicated accounts becomes a
    deposit, verified and credited through the normal path. Returns the journal reference, or ""
    when the rule does not apply (not a dedicated account of ours, not paid after all)."""
    from .deposits import deposit_bank_transfer_record, deposit_verify

    status = client.transaction_status(transaction_reference)
    if status.product_type != "RESERVED_ACCOUNT" or status.payment_status not in PAID:
        return ""
    deposit = deposit_bank_transfer_record(
        transaction_reference=status.transaction_reference, account_reference=status.product_reference,
        amount=status.amount_paid_kobo or 1, currency=status.currency or "NGN",
        payer_name=status.payment_sources[0].account_name if status.payment_sources else "",
    )
    if deposit is None:
        return ""
    deposit = deposit_verify(deposit_id=deposit.pk, actor=Actor.system("reconciliation"))
    return deposit.journal_reference if deposit.state in CREDITED else ""


def _heal(created: list[tuple[Discrepancy, Finding]]) -> int:
    healed = 0
    for discrepancy, finding in created:
        if finding.heal is None:
            continue
        try:
            journal_reference = finding.heal()
        except Exception:
            logger.exception("healing failed; the discrepancy stays open for Finance",
                             extra={"reference": discrepancy.reference})
            continue
        if not journal_reference:
            continue
        with transaction.atomic():
            updated = Discrepancy.objects.filter(pk=discrepancy.pk, status=DiscrepancyStatus.OPEN).update(
                status=DiscrepancyStatus.HEALED, heal_reference=journal_reference)
            if updated:
                audit_record(action="reconciliation.discrepancy.healed", actor=Actor.system("reconciliation"),
                             subject=discrepancy, references=[discrepancy.reference, journal_reference],
                             payload={"journal": journal_reference})
        discrepancy.status, discrepancy.heal_reference = DiscrepancyStatus.HEALED, journal_reference
        healed += 1
    return healed


# --- Disbursements <-> payouts (withdrawals: issue 8) ---------------------------------------------


@dataclass(frozen=True)
class OurPayout:
    """A payout of ours as reconciliation sees it. `status`: pending, success, failed or reversed;
    `submitted`: whether it was ever sent to Monnify (only those can be missing at Monnify)."""

    reference: str
    amount: int
    status: str
    submitted: bool
    evidence: dict


@dataclass(frozen=True)
class PayoutSource:
    for_day: Callable[[dt.datetime, dt.datetime], list[OurPayout]]
    by_reference: Callable[[Iterable[str]], dict[str, OurPayout]]


_payout_source: PayoutSource | None = None


def payout_source_register(source: PayoutSource | None) -> None:
    """The seam for withdrawals (issue 8): call once at startup with functions that list our payouts
    created in [start, end) and look payouts up by reference. Until then disbursements are not
    reconciled (the run's stats say so) rather than every transfer reported missing."""
    global _payout_source
    _payout_source = source


_THEIR_STATUS = {"SUCCESS": "success", "COMPLETED": "success", "FAILED": "failed", "EXPIRED": "failed",
                 "REVERSED": "reversed"}


def _disbursement_findings(client, start: dt.datetime, end: dt.datetime) -> tuple[list[Finding], dict]:
    source = _payout_source
    if source is None:
        return [], {"skipped": "no payout source registered (withdrawals not wired yet)"}
    theirs = list(_pages(lambda page: client.disbursement_search(from_ms=_ms(start), to_ms=_ms(end) - 1, page=page,
                                                                 size=PAGE_SIZE)))
    ours_today = {p.reference: p for p in source.for_day(start, end)}
    by_reference: dict[str, list] = defaultdict(list)
    for item in theirs:
        by_reference[item.reference].append(item)
    missing = [ref for ref in by_reference if ref not in ours_today]
    ours = {**source.by_reference(missing), **ours_today} if missing else dict(ours_today)
    findings: list[Finding] = []
    for reference, items in by_reference.items():
        payout = ours.get(reference)
        item = items[0]
        if len(items) > 1:
            findings.append(Finding(
                kind=DiscrepancyKind.DUPLICATE, source=DiscrepancySource.DISBURSEMENT, reference=reference,
                summary=f"{len(items)} Monnify transfers with the reference {reference}",
                ours=payout.evidence if payout else None, theirs={"transfers": [i.raw for i in items]},
                amount_ours=payout.amount if payout else None, amount_theirs=sum(i.amount_kobo for i in items)))
        if payout is None:
            findings.append(Finding(
                kind=DiscrepancyKind.MISSING_OURS, source=DiscrepancySource.DISBURSEMENT, reference=reference,
                summary=f"Monnify transfer {reference} ({item.status}) has no payout of ours",
                theirs=item.raw, amount_theirs=item.amount_kobo))
            continue
        finding = _compare_payout(payout, item.status, item.amount_kobo, item.raw)
        if finding:
            findings.append(finding)
    lookups = 0
    for reference, payout in ours_today.items():
        if reference in by_reference or not payout.submitted:
            continue
        lookups += 1
        try:
            summary = client.disbursement_summary(reference)
        except monnify_errors.MonnifyNotFound:
            if payout.status in ("success", "pending"):
                findings.append(Finding(
                    kind=DiscrepancyKind.MISSING_THEIRS, source=DiscrepancySource.DISBURSEMENT, reference=reference,
                    summary=f"payout {reference} is {payout.status} but Monnify has no transfer with this reference",
                    ours=payout.evidence, amount_ours=payout.amount))
            continue
        finding = _compare_payout(payout, summary.status, summary.amount_kobo, summary.raw)
        if finding:
            findings.append(finding)
    return findings, {"theirs": len(theirs), "ours": len(ours_today), "status_lookups": lookups}


def _compare_payout(payout: OurPayout, their_status: str, their_amount: int, raw: dict) -> Finding | None:
    theirs = _THEIR_STATUS.get(their_status, "pending")
    if payout.amount != their_amount:
        return Finding(kind=DiscrepancyKind.AMOUNT_MISMATCH, source=DiscrepancySource.DISBURSEMENT,
                       reference=payout.reference,
                       summary=f"payout {payout.reference}: {payout.amount} kobo ours, {their_amount} kobo at Monnify",
                       ours=payout.evidence, theirs=raw, amount_ours=payout.amount, amount_theirs=their_amount)
    if payout.status != theirs and not (payout.status == "pending" or theirs == "pending"):
        return Finding(kind=DiscrepancyKind.STATUS_MISMATCH, source=DiscrepancySource.DISBURSEMENT,
                       reference=payout.reference,
                       summary=f"payout {payout.reference}: {payout.status} ours, {their_status} at Monnify",
                       ours=payout.evidence, theirs=raw, amount_ours=payout.amount, amount_theirs=their_amount)
    return None


# --- Finance closes what needs judgement --------------------------------------------------------


def discrepancy_resolve(*, discrepancy_id: int, actor, note: str) -> Discrepancy:
    if not (actor is not None and actor.is_active and actor.is_staff
            and actor.has_perm("payments.resolve_discrepancy")):
        raise Forbidden()
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("Say what was found and done.", fields={"note": ["This field is required."]})
    with transaction.atomic(durable=True):
        discrepancy = Discrepancy.objects.select_for_update().get(pk=discrepancy_id)
        if discrepancy.status != DiscrepancyStatus.OPEN:
            raise InvalidStateTransition(f"The discrepancy is already {discrepancy.status}.")
        discrepancy.status = DiscrepancyStatus.RESOLVED
        discrepancy.resolution_note = note
        discrepancy.resolved_by = actor
        discrepancy.resolved_at = timezone.now()
        discrepancy.save(update_fields=["status", "resolution_note", "resolved_by", "resolved_at"])
        audit_record(action="reconciliation.discrepancy.resolved", actor=actor, subject=discrepancy,
                     references=[discrepancy.reference, str(discrepancy.public_id)],
                     payload={"kind": discrepancy.kind, "note": note})
    return discrepancy
