"""Reconciliation against the Monnify sandbox (tests/payments/conftest.py fixtures), the ledger
integrity run, disbursements through the payout seam, and resolving discrepancies."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F

from audit.models import AuditEvent
from cozonpay.exceptions import Forbidden, InvalidStateTransition
from payments.models import Deposit, Discrepancy, ReconciliationRun
from payments.sandbox import collections as sandbox_collections
from payments.services import reconciliation
from tests.factories import make_wallet
from wallets.models import Journal, LedgerAccount, Posting

pytestmark = pytest.mark.django_db

LAGOS = ZoneInfo("Africa/Lagos")


@pytest.fixture
def day():
    return reconciliation.reconciliation_today() - dt.timedelta(days=1)


@pytest.fixture
def noon(day):
    return dt.datetime.combine(day, dt.time(12), tzinfo=LAGOS)


@pytest.fixture
def alerts(monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr("payments.services.notifications.ops_alert",
                        lambda *, text, dedupe_key=None: sent.append(text))
    return sent


def put_collection(sb, *, transaction_reference: str, payment_reference: str, amount: int, paid: int, status: str,
                   created_at: dt.datetime, product_type: str = "API_NOTIFICATION", product_reference: str = ""):
    """A collection in the sandbox's state, as if a customer had paid it (no webhook)."""
    with sb.lock:
        c = sandbox_collections._new_collection(
            sb, amount_kobo=amount, amount_paid_kobo=paid, status=status, created_at=created_at,
            paid_at=created_at if paid else None, product_type=product_type,
            product_reference=product_reference or payment_reference,
            customer={"email": "payer@example.ng", "name": "Payer"},
            payer={"accountName": "ADA OBI", "accountNumber": "0123456789", "bankCode": "058",
                   "sessionId": "0904"} if paid else None,
        )
        del sb.collections[c["transactionReference"]]
        c["transactionReference"], c["paymentReference"] = transaction_reference, payment_reference
        sb.collections[transaction_reference] = c
        sb.payment_refs[payment_reference] = transaction_reference


def _deposit(wallet, *, n: int, state: str, amount: int, created_at) -> Deposit:
    ref = f"{n:05d}-{uuid.uuid4().hex[:8]}"
    credited = amount if state in ("credited", "settled") else 0
    return Deposit(user_id=wallet.owner_id, wallet=wallet, channel="checkout", state=state,
                   payment_reference=f"dep_{ref}", transaction_reference=f"MNFY|{ref}", amount=amount,
                   amount_paid=amount if state != "failed" else 0, amount_credited=credited,
                   journal_reference=f"monnify:txn:MNFY|{ref}" if credited else "", created_at=created_at,
                   updated_at=created_at)


def _snapshot():
    return (list(Discrepancy.objects.order_by("id").values_list("id", "kind", "reference", "status", "ours", "theirs")),
            sorted(Journal.objects.values_list("id", flat=True)), Posting.objects.count(),
            sorted(LedgerAccount.objects.values_list("id", "balance", "held")), Deposit.objects.count())


@pytest.mark.slow
def test_a_day_of_1000_payments_with_20_planted_discrepancies(sandbox, monnify_settings, noon, day, alerts):
    sb = sandbox.sandbox
    wallets = [make_wallet() for _ in range(20)]
    # given: 1,000 payments of ours, each one agreeing with Monnify, in four outcomes
    states = ["credited"] * 850 + ["settled"] * 50 + ["failed"] * 60 + ["refund_pending"] * 40
    deposits = Deposit.objects.bulk_create([
        _deposit(wallets[n % 20], n=n, state=state, amount=100_000 + n * 100, created_at=noon)
        for n, state in enumerate(states)
    ])
    their_status = {"credited": "PAID", "settled": "PAID", "failed": "FAILED", "refund_pending": "PARTIALLY_PAID"}
    planted: set[tuple[str, str]] = set()
    skip = set()
    # 5 missing at Monnify: credited by us, no collection there
    for d in deposits[:5]:
        skip.add(d.pk)
        planted.add(("missing_theirs", d.transaction_reference))
    for n, d in enumerate(deposits):
        if d.pk in skip:
            continue
        status, paid = their_status[d.state], d.amount_paid
        if 5 <= n < 10:  # 5 amount mismatches: Monnify says less was paid than we credited
            paid = d.amount - 1_000
            planted.add(("amount_mismatch", d.transaction_reference))
        elif 10 <= n < 13:  # 3 status mismatches: we credited, Monnify says it failed or was reversed
            status, paid = ("FAILED", 0) if n < 12 else ("REVERSED", d.amount)
            planted.add(("status_mismatch", d.transaction_reference))
        put_collection(sb, transaction_reference=d.transaction_reference, payment_reference=d.payment_reference,
                       amount=d.amount, paid=paid, status=status, created_at=noon)
    for d in [d for d in deposits if d.state == "failed"][:2]:  # 2 more: we failed it, Monnify has it paid
        sb.collections[d.transaction_reference].update(status="PAID", amount_paid_kobo=d.amount)
        planted.add(("status_mismatch", d.transaction_reference))
    # 5 missing on our side: 3 transfers into our wallets' dedicated accounts (webhooks lost: healable),
    # 2 paid checkouts that are not ours at all (Finance decides)
    healable = {}
    for i in range(3):
        ref = f"MNFY|RSV{i}{uuid.uuid4().hex[:10]}"
        healable[ref] = (wallets[i], 70_000 + i)
        put_collection(sb, transaction_reference=ref, payment_reference=ref, amount=70_000 + i, paid=70_000 + i,
                       status="PAID", created_at=noon, product_type="RESERVED_ACCOUNT",
                       product_reference=str(wallets[i].public_id))
        planted.add(("missing_ours", ref))
    for i in range(2):
        ref = f"MNFY|UNK{i}{uuid.uuid4().hex[:10]}"
        put_collection(sb, transaction_reference=ref, payment_reference=f"someone-else-{i}", amount=9_900,
                       paid=9_900, status="PAID", created_at=noon)
        planted.add(("missing_ours", ref))
    # noise Monnify has on other days and unpaid collections we never heard of: not discrepancies
    put_collection(sb, transaction_reference="MNFY|OTHERDAY", payment_reference="x", amount=100, paid=100,
                   status="PAID", created_at=noon - dt.timedelta(days=2))
    put_collection(sb, transaction_reference="MNFY|ABANDONED", payment_reference="y", amount=100, paid=0,
                   status="PENDING", created_at=noon)
    assert len(planted) == 20
    balances_before = {w.pk: LedgerAccount.objects.get(pk=w.pk).balance for w in wallets}
    journals_before = set(Journal.objects.values_list("id", flat=True))
    postings_before = Posting.objects.count()

    # when
    started = time.monotonic()
    run = reconciliation.reconcile_monnify(day=day, triggered_by="test")
    first = time.monotonic() - started

    # then: exactly the 20 planted, with both sides' evidence
    found = set(Discrepancy.objects.values_list("kind", "reference"))
    assert found == planted
    assert (run.status, run.found, run.healed) == ("succeeded", 20, 3)
    assert run.stats["collections"]["theirs"] == 995 + 3 + 2 + 1  # the day's collections, paid or not
    assert run.stats["disbursements"] == {"theirs": 0, "ours": 0, "status_lookups": 0}  # no payouts that day
    mismatch = Discrepancy.objects.get(kind="amount_mismatch", reference=deposits[5].transaction_reference)
    assert (mismatch.amount_ours, mismatch.amount_theirs) == (deposits[5].amount, deposits[5].amount - 1_000)
    assert mismatch.ours["deposit"] == str(deposits[5].public_id)
    assert mismatch.theirs["transactionReference"] == deposits[5].transaction_reference
    assert Discrepancy.objects.get(reference=deposits[0].transaction_reference).theirs is None
    # healing: only the 3 transfers into our dedicated accounts, only by new deposit journals
    assert set(Discrepancy.objects.filter(status="healed").values_list("reference", flat=True)) == set(healable)
    assert Discrepancy.objects.filter(status="open").count() == 17
    new_journals = Journal.objects.exclude(id__in=journals_before)
    assert sorted(new_journals.values_list("reference", "kind")) == sorted(
        (f"monnify:txn:{ref}", "deposit") for ref in healable)
    assert Posting.objects.count() == postings_before + 6
    for ref, (_wallet, amount) in healable.items():
        assert Discrepancy.objects.get(reference=ref).heal_reference == f"monnify:txn:{ref}"
        assert sorted(Journal.objects.get(reference=f"monnify:txn:{ref}").postings.values_list("amount", flat=True)) \
            == [-amount, amount]
        assert Deposit.objects.get(transaction_reference=ref).state == "credited"
    for wallet in wallets:
        expected = balances_before[wallet.pk] + sum(a for w, a in healable.values() if w.pk == wallet.pk)
        assert LedgerAccount.objects.get(pk=wallet.pk).balance == expected
    assert len(alerts) == 1 and "20 new discrepancies" in alerts[0] and "3 healed" in alerts[0]
    assert AuditEvent.objects.filter(action="reconciliation.discrepancy.found").count() == 20

    # when: it runs again
    before = _snapshot()
    started = time.monotonic()
    again = reconciliation.reconcile_monnify(day=day, triggered_by="test")
    second = time.monotonic() - started
    # then: nothing new, nothing changed
    assert (again.status, again.found, again.healed) == ("succeeded", 0, 0)
    assert _snapshot() == before
    assert len(alerts) == 1
    print(f"\nreconciliation of 1,000 payments (+ 20 planted): first run {first:.2f}s, re-run {second:.2f}s")
    assert first < 60 and second < 60  # the bound


def test_ledger_integrity_run_records_each_finding_once(alerts):
    wallet = make_wallet(balance=5_000)
    clean = reconciliation.reconcile_ledger(triggered_by="test")
    assert (clean.status, clean.found) == ("succeeded", 0)
    assert clean.stats["findings"] == 0
    # given: a cached balance that no longer equals its postings
    LedgerAccount.objects.filter(pk=wallet.pk).update(balance=F("balance") + 1)
    # when
    run = reconciliation.reconcile_ledger(triggered_by="test", full=True)
    again = reconciliation.reconcile_ledger(triggered_by="test")
    # then
    discrepancy = Discrepancy.objects.get()
    assert (discrepancy.kind, discrepancy.source, discrepancy.status) == ("ledger_integrity", "ledger", "open")
    assert discrepancy.reference.startswith(f"balance_mismatch:account {wallet.pk} ")
    assert discrepancy.ours["expected"] == "5000" and discrepancy.ours["found"] == "5001"
    assert (run.found, again.found) == (1, 0)
    assert len(alerts) == 1
    assert ReconciliationRun.objects.count() == 3


def test_disbursements_through_the_payout_seam(sandbox, monnify_settings, noon, day, alerts):
    sb = sandbox.sandbox
    ours = {}
    for n in range(6):
        reference = f"wd_{n}"
        with sb.lock:
            sb.disbursements[reference] = {
                "reference": reference, "amount_kobo": 50_000, "fee_kobo": 2_500, "status": "SUCCESS",
                "narration": "x", "destinationAccountNumber": "0123456789", "destinationBankCode": "058",
                "destinationBankName": "GTBank", "destinationAccountName": "ADA OBI",
                "transactionReference": f"MFDS{n}", "created_at": noon, "completed_at": noon, "comment": "",
                "two_fa": False, "async": False, "debited": True, "initiate_calls": 1,
            }
        ours[reference] = reconciliation.OurPayout(reference=reference, amount=50_000, status="success",
                                                   submitted=True, evidence={"withdrawal": reference})
    ours["wd_1"] = reconciliation.OurPayout("wd_1", 40_000, "success", True, {})  # amount mismatch
    ours["wd_2"] = reconciliation.OurPayout("wd_2", 50_000, "failed", True, {})  # status mismatch
    del ours["wd_3"]  # Monnify sent it; we have no payout: missing on our side
    ours["wd_9"] = reconciliation.OurPayout("wd_9", 10_000, "success", True, {})  # missing at Monnify
    ours["wd_10"] = reconciliation.OurPayout("wd_10", 10_000, "pending", False, {})  # never submitted: fine
    reconciliation.payout_source_register(reconciliation.PayoutSource(
        for_day=lambda start, end: list(ours.values()),
        by_reference=lambda refs: {r: ours[r] for r in refs if r in ours}))
    try:
        run = reconciliation.reconcile_monnify(day=day, triggered_by="test")
        again = reconciliation.reconcile_monnify(day=day, triggered_by="test")
    finally:
        from payments.services import payouts

        payouts.register()  # back to the real source (our withdrawals)
    assert set(Discrepancy.objects.values_list("kind", "source", "reference")) == {
        ("amount_mismatch", "disbursement", "wd_1"), ("status_mismatch", "disbursement", "wd_2"),
        ("missing_ours", "disbursement", "wd_3"), ("missing_theirs", "disbursement", "wd_9")}
    assert (run.found, again.found) == (4, 0)
    assert run.stats["disbursements"] == {"theirs": 6, "ours": 7, "status_lookups": 1}


def test_finance_resolves_with_a_note_others_cannot(finance, support, plain_staff):
    run = ReconciliationRun.objects.create(scope="monnify", triggered_by="test")
    discrepancy = Discrepancy.objects.create(kind="missing_ours", source="collection", reference="MNFY|1",
                                             summary="s", run=run)
    for actor in (support, plain_staff):
        with pytest.raises(Forbidden):
            reconciliation.discrepancy_resolve(discrepancy_id=discrepancy.pk, actor=actor, note="x")
    assert Discrepancy.objects.get(pk=discrepancy.pk).status == "open"
    resolved = reconciliation.discrepancy_resolve(discrepancy_id=discrepancy.pk, actor=finance,
                                                  note="Refunded the payer at Monnify")
    assert (resolved.status, resolved.resolved_by_id, resolved.resolution_note) == (
        "resolved", finance.pk, "Refunded the payer at Monnify")
    resolved_audit = AuditEvent.objects.filter(action="reconciliation.discrepancy.resolved", actor_id=str(finance.pk))
    assert resolved_audit.count() == 1
    with pytest.raises(InvalidStateTransition):
        reconciliation.discrepancy_resolve(discrepancy_id=discrepancy.pk, actor=finance, note="again")
