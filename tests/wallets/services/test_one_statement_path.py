"""The ledger services again, with real commits: outside any atomic block the posting engine
sends a journal as ONE autocommitted statement (`ledger_post_journal`), which the other service
tests (inside the test's transaction) never reach. Every amount, posting, `balance_after`,
refusal and replay asserted there must hold on this path too."""

import pytest

from audit.models import AuditEvent
from audit.services import Actor
from tests.factories import make_wallet
from wallets import locks
from wallets.exceptions import InsufficientFunds
from wallets.models import SystemCode
from wallets.services import _engine, system_account, transfer

from .test_journal_post import *  # noqa: F403 (the same tests, collected again here)
from .test_reversal import *  # noqa: F403
from .test_transfer import *  # noqa: F403
from .test_transfer_send import *  # noqa: F403

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def system_accounts():
    """A transactional test starts from empty tables: the system accounts the data migration made
    are gone, and opening one inside a test would show in its before/after snapshot."""
    for code in SystemCode.values:
        system_account(code)


def test_a_journal_is_one_statement_and_a_refusal_is_explained_after_it(monkeypatch):
    # given: a spy on the engine's statements
    source, destination = make_wallet(balance=10_000), make_wallet()
    sent: list[str] = []
    real_execute, real_pipelined = locks.execute, locks.execute_pipelined
    monkeypatch.setattr(locks, "execute", lambda sql, params: sent.append(sql) or real_execute(sql, params))
    monkeypatch.setattr(locks, "execute_pipelined", lambda statements: sent.extend(s for s, _ in statements)
                        or real_pipelined(statements))
    actor = Actor.system("tests")
    # when: a transfer that fits
    transfer(source=source, destination=destination, amount=4_000, reference="one-statement", actor=actor)
    # then: one statement did it all
    assert sent == [_engine.POST_JOURNAL]
    source.refresh_from_db()
    destination.refresh_from_db()
    assert (source.balance, destination.balance) == (6_000, 4_000)
    assert AuditEvent.objects.filter(action="ledger.journal.posted", references=["one-statement"]).count() == 1
    # when: one that does not fit
    sent.clear()
    with pytest.raises(InsufficientFunds):
        transfer(source=source, destination=destination, amount=6_001, reference="one-statement-2", actor=actor)
    # then: the statement was rolled back, then the row was read to say why
    assert sent == [_engine.POST_JOURNAL, locks.ACCOUNT_DIAGNOSE]
    source.refresh_from_db()
    assert source.balance == 6_000
    assert not AuditEvent.objects.filter(references=["one-statement-2"]).exists()
