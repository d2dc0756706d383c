"""8 concurrent writers add 10,000 events while the sealer runs; then sealing and verifying are
clean (no row skipped, none reported inserted) and verifying 10,000 rows takes under 30 s."""

import threading
import time

import pytest
from django.db import connection, transaction

from audit.models import AuditEvent, AuditSeal
from audit.selectors import audit_chain_verify
from audit.services import Actor, audit_record, audit_seal_pending

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

WRITERS = 8
EVENTS = 10_000


def _writer(n: int, start: threading.Barrier, errors: list) -> None:
    try:
        start.wait()
        for i in range(EVENTS // WRITERS):
            with transaction.atomic():
                audit_record(action="ledger.journal.posted", actor=Actor.system(f"writer-{n}"),
                             subject=("wallets.Journal", f"{n}-{i}"), references=[f"transfer:{n}-{i}"],
                             payload={"writer": n, "i": i, "amount": 1000 + i, "password": "hunter2"})
    except Exception as exc:  # pragma: no cover - reported by the assertion below
        errors.append(exc)
    finally:
        connection.close()


def _sealer(stop: threading.Event, seals: list, errors: list) -> None:
    try:
        while not stop.is_set():
            # A 1 s horizon while writers run (audit/sealing.py explains why it must not be 0 here).
            seals.extend(audit_seal_pending(horizon_seconds=1, max_rows=700))
            time.sleep(0.05)
    except Exception as exc:  # pragma: no cover
        errors.append(exc)
    finally:
        connection.close()


def test_concurrent_writers_then_seal_and_verify_are_clean():
    # given: 8 writers and a sealer running at the same time
    errors: list = []
    seals_while_writing: list = []
    start, stop = threading.Barrier(WRITERS), threading.Event()
    writers = [threading.Thread(target=_writer, args=(n, start, errors)) for n in range(WRITERS)]
    sealer = threading.Thread(target=_sealer, args=(stop, seals_while_writing, errors))
    sealer.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    sealer.join()
    assert errors == []
    assert AuditEvent.objects.count() == EVENTS

    # when: the rest is sealed and the whole chain verified
    audit_seal_pending(horizon_seconds=0)
    started = time.monotonic()
    report = audit_chain_verify()
    elapsed = time.monotonic() - started

    # then
    print(f"\naudit_verify: {report.rows_checked} rows, {report.seals_checked} seals in {elapsed:.2f} s "
          f"({len(seals_while_writing)} seals made while writing)")
    assert [str(f) for f in report.findings] == []
    assert (report.rows_checked, report.rows_unsealed) == (EVENTS, 0)
    assert sum(AuditSeal.objects.values_list("event_count", flat=True)) == EVENTS
    assert elapsed < 30
