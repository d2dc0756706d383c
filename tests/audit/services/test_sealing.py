"""The sealer: blocks in id order, chained; only rows no open transaction can still precede;
one sealer at a time."""

import threading

import pytest
from django.db import connection, connections, transaction

from audit.hashing import EVENT_FIELDS, event_hash, format_row_hashes, rows_hash, seal_hash
from audit.models import GENESIS_SEAL_HASH, AuditEvent, AuditSeal
from audit.sealing import SEAL_LOCK_KEY
from audit.selectors import audit_chain_verify
from audit.services import audit_seal_pending
from audit.tasks import audit_seal

from ..conftest import record


@pytest.mark.django_db
def test_rows_are_sealed_in_id_order_into_chained_blocks():
    # given
    events = record(7)
    # when
    seals = audit_seal_pending(max_rows=3)
    # then
    ids = [e.id for e in events]
    assert [(s.first_event_id, s.last_event_id, s.event_count) for s in seals] == [
        (1, ids[2], 3), (ids[3], ids[5], 3), (ids[6], ids[6], 1),
    ]
    assert [s.previous_seal_hash for s in seals] == [GENESIS_SEAL_HASH, seals[0].seal_hash, seals[1].seal_hash]
    rows = AuditEvent.objects.filter(id__in=ids[:3]).order_by("id").values(*EVENT_FIELDS)
    text = format_row_hashes([(row["id"], event_hash(row)) for row in rows])
    assert seals[0].row_hashes == text
    assert seals[0].rows_hash == rows_hash(text)
    assert seals[0].seal_hash == seal_hash(previous_seal_hash=GENESIS_SEAL_HASH, rows_hash=rows_hash(text),
                                           first_event_id=1, last_event_id=ids[2], event_count=3,
                                           created_at=seals[0].created_at)
    assert audit_seal_pending() == []


@pytest.mark.django_db
def test_nothing_younger_than_the_horizon_is_sealed():
    # given
    record(3)
    # when
    seals = audit_seal_pending(horizon_seconds=3600)
    # then
    assert seals == []
    assert AuditSeal.objects.count() == 0


@pytest.mark.django_db
def test_the_beat_task_seals():
    # given
    record(2)
    # when
    created = audit_seal.apply().get()
    # then
    assert created == 1
    assert AuditSeal.objects.get().event_count == 2


def test_the_beat_schedule_runs_the_sealer(settings):
    assert settings.CELERY_BEAT_SCHEDULE["audit-seal"] == {
        "task": "audit.seal", "schedule": settings.AUDIT_SEAL_INTERVAL_SECONDS,
    }


@pytest.mark.django_db(transaction=True)
def test_an_open_transaction_that_has_written_holds_the_cutoff_back():
    # given: another session opened a transaction and wrote an audit row (a low id, uncommitted)
    sealed_before = record(1)[0]
    opened, release = threading.Event(), threading.Event()
    late: dict = {}

    def open_writer():
        with transaction.atomic():
            late["event"] = record(1, reference="late")[0]
            opened.set()
            release.wait(30)
        connections.close_all()

    thread = threading.Thread(target=open_writer)
    thread.start()
    opened.wait(30)
    after = record(2, reference="after")  # committed, with higher ids, while the other is open
    # when
    seals_while_open = audit_seal_pending()
    release.set()
    thread.join()
    seals_after = audit_seal_pending()
    # then: the first run sealed only what came before the open transaction; nothing is skipped
    assert late["event"].id < after[0].id
    assert [(s.first_event_id, s.last_event_id) for s in seals_while_open] == [(1, sealed_before.id)]
    assert [(s.first_event_id, s.last_event_id, s.event_count) for s in seals_after] == [
        (sealed_before.id + 1, after[1].id, 3),
    ]
    assert audit_chain_verify().findings == []


@pytest.mark.django_db(transaction=True)
def test_a_second_sealer_does_not_fork_the_chain():
    # given: another sealer holds the lock
    record(2)
    held, release = threading.Event(), threading.Event()

    def other_sealer():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
            held.set()
            release.wait(30)
        connections.close_all()

    thread = threading.Thread(target=other_sealer)
    thread.start()
    held.wait(30)
    # when
    skipped = audit_seal_pending()
    release.set()
    thread.join()
    # then
    assert skipped == []
    assert len(audit_seal_pending()) == 1
