"""Random sequences of ledger operations against a simple model, checked after every step."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from audit.services import Actor
from tests.factories import make_wallet
from wallets.exceptions import (
    AlreadyReversed,
    HoldNotPending,
    InsufficientFunds,
    WalletUnavailable,
)
from wallets.models import Hold, Journal, LedgerAccount, Posting
from wallets.selectors import ledger_integrity_check
from wallets.services import (
    hold_capture,
    hold_expire,
    hold_place,
    hold_release,
    journal_reverse,
    transfer,
    wallet_freeze,
    wallet_unfreeze,
)

ACTOR = Actor.system("state-machine")
WALLETS = 3
_run = itertools.count()


class LedgerMachine(RuleBasedStateMachine):
    """Model: balance and held per wallet, frozen flags, pending holds, reversible journals."""

    @initialize()
    def open_wallets(self):
        self.run = next(_run)
        self.wallets = [make_wallet(balance=50_000) for _ in range(WALLETS)]
        self.balance = [50_000] * WALLETS
        self.held = [0] * WALLETS
        self.frozen = [False] * WALLETS
        self.holds: dict[int, tuple[int, int, Hold]] = {}  # hold id -> (wallet index, amount, hold)
        self.journals: list[tuple[Journal, dict[int, int]]] = []  # reversible journals and their wallet deltas
        self.reversed: set[int] = set()
        self.references: list[str] = []
        self.n = 0

    def _ref(self, kind: str) -> str:
        self.n += 1
        reference = f"sm{self.run}:{kind}:{self.n}"
        self.references.append(reference)
        return reference

    def _available(self, i: int) -> int:
        return self.balance[i] - self.held[i]

    @rule(src=st.integers(0, WALLETS - 1), dst=st.integers(0, WALLETS - 1), amount=st.integers(1, 60_000))
    def do_transfer(self, src, dst, amount):
        if src == dst:
            return
        reference = self._ref("transfer")
        try:
            journal = transfer(source=self.wallets[src], destination=self.wallets[dst], amount=amount,
                               reference=reference, actor=ACTOR)
        except WalletUnavailable:
            assert self.frozen[src]
            return
        except InsufficientFunds:
            assert not self.frozen[src] and amount > self._available(src)
            return
        assert not self.frozen[src] and amount <= self._available(src)
        self.balance[src] -= amount
        self.balance[dst] += amount
        self.journals.append((journal, {src: -amount, dst: amount}))

    @rule(i=st.integers(0, WALLETS - 1), amount=st.integers(1, 60_000))
    def place_hold(self, i, amount):
        reference = self._ref("hold")
        try:
            hold = hold_place(account=self.wallets[i], amount=amount, reference=reference,
                              expires_at=timezone.now() + dt.timedelta(hours=1), actor=ACTOR)
        except WalletUnavailable:
            assert self.frozen[i]
            return
        except InsufficientFunds:
            assert amount > self._available(i)
            return
        assert not self.frozen[i] and amount <= self._available(i)
        self.held[i] += amount
        self.holds[hold.id] = (i, amount, hold)

    @rule(data=st.data(), dst=st.integers(0, WALLETS - 1), part=st.integers(1, 100))
    def capture_hold(self, data, dst, part):
        if not self.holds:
            return
        hold_id = data.draw(st.sampled_from(sorted(self.holds)))
        i, amount, hold = self.holds.pop(hold_id)
        if dst == i:
            dst = (i + 1) % WALLETS
        capture = max(1, amount * part // 100)
        journal = hold_capture(hold=hold, reference=self._ref("capture"), destination=self.wallets[dst],
                               amount=capture, actor=ACTOR)
        self.held[i] -= amount
        self.balance[i] -= capture
        self.balance[dst] += capture
        self.journals.append((journal, {i: -capture, dst: capture}))

    @rule(data=st.data(), expire=st.booleans())
    def release_or_expire_hold(self, data, expire):
        if not self.holds:
            return
        hold_id = data.draw(st.sampled_from(sorted(self.holds)))
        i, amount, hold = self.holds.pop(hold_id)
        if expire:
            hold_expire(hold=hold, now=hold.expires_at + dt.timedelta(seconds=1))
        else:
            hold_release(hold=hold, actor=ACTOR)
        self.held[i] -= amount

    @rule(data=st.data())
    def reverse_journal(self, data):
        if not self.journals:
            return
        journal, deltas = data.draw(st.sampled_from(self.journals))
        try:
            journal_reverse(journal=journal, actor=ACTOR, reference=self._ref("reversal"))
        except AlreadyReversed:
            assert journal.id in self.reversed
            return
        except InsufficientFunds:
            assert journal.id not in self.reversed
            assert any(self.balance[i] - d < self.held[i] for i, d in deltas.items())
            return
        assert journal.id not in self.reversed
        self.reversed.add(journal.id)
        for i, d in deltas.items():
            self.balance[i] -= d

    @rule(i=st.integers(0, WALLETS - 1))
    def toggle_freeze(self, i):
        if self.frozen[i]:
            wallet_unfreeze(account=self.wallets[i], actor=ACTOR)
        else:
            wallet_freeze(account=self.wallets[i], actor=ACTOR)
        self.frozen[i] = not self.frozen[i]

    @rule(i=st.integers(0, WALLETS - 1))
    def capture_released_hold_is_refused(self, i):
        done = Hold.objects.filter(account=self.wallets[i]).exclude(status="pending").first()
        if done is None:
            return
        with pytest.raises(HoldNotPending):
            hold_release(hold=done, actor=ACTOR) if done.status == "captured" else hold_capture(
                hold=done, reference=self._ref("late-capture"), destination=self.wallets[(i + 1) % WALLETS],
                actor=ACTOR)

    @invariant()
    def matches_model(self):
        if not hasattr(self, "wallets"):
            return
        rows = {a.id: a for a in LedgerAccount.objects.filter(id__in=[w.id for w in self.wallets])}
        for i, wallet in enumerate(self.wallets):
            row = rows[wallet.id]
            assert (row.balance, row.held) == (self.balance[i], self.held[i])
            assert row.status == ("frozen" if self.frozen[i] else "active")
        assert Posting.objects.aggregate(total=Sum("amount"))["total"] == 0
        used = Journal.objects.filter(reference__in=self.references).values_list("reference", flat=True)
        assert len(used) == len(set(used))
        report = ledger_integrity_check()
        assert report.ok, report.discrepancies


@pytest.mark.django_db
def test_ledger_state_machine():
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=25, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
