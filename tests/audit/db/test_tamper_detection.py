"""With the triggers disabled by a superuser, every alteration of a sealed row or seal is named
exactly by audit_verify, and nothing else is."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from audit.models import AuditEvent, AuditSeal
from audit.selectors import audit_chain_verify
from audit.services import audit_seal_pending

from ..conftest import record

pytestmark = pytest.mark.django_db(transaction=True)


def _run_command(*args) -> tuple[int, list[str]]:
    out = io.StringIO()
    try:
        call_command("audit_verify", *args, stdout=out)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue().splitlines()


def _sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _two_sealed_blocks() -> tuple[list[AuditEvent], list[AuditSeal]]:
    events = record(10)
    seals = audit_seal_pending(max_rows=5)
    assert [(s.first_event_id, s.last_event_id, s.event_count) for s in seals] == [
        (1, events[4].id, 5),
        (events[5].id, events[9].id, 5),
    ]
    return events, seals


def test_a_clean_chain_verifies_with_exit_0():
    # given
    events, seals = _two_sealed_blocks()
    record(2)  # not sealed yet: not a finding
    # when
    code, lines = _run_command()
    # then
    assert code == 0
    assert len(lines) == 1
    assert re.fullmatch(
        rf"OK: no alteration found\. 2 seal\(s\), 10 sealed row\(s\) checked, 2 row\(s\) not sealed yet; "
        rf"head seal {seals[1].id} {seals[1].seal_hash} \(\d+\.\d\d s\)", lines[0]
    )


def test_one_altered_row_and_one_deleted_row_are_reported_exactly(triggers_disabled):
    # given
    events, seals = _two_sealed_blocks()
    altered, removed = events[2], events[7]
    # when: a superuser rewrites one row's payload and deletes another
    _sql("UPDATE audit_auditevent SET payload = jsonb_set(payload, '{i}', '99') WHERE id = %s", [altered.id])
    _sql("DELETE FROM audit_auditevent WHERE id = %s", [removed.id])
    code, lines = _run_command()
    # then
    assert code == 1
    assert lines[:-1] == [
        f"row {altered.id} altered (seal {seals[0].id})",
        f"row {removed.id} removed (seal {seals[1].id})",
    ]
    assert lines[-1].startswith("FAILED: 2 finding(s). 2 seal(s), 9 sealed row(s) checked")


@pytest.mark.parametrize("column, value", [
    ("actor_name", "someone else"),
    ("occurred_at", "2001-01-01T00:00:00Z"),
    ("references", "{other-ref}"),
    ("ip", "10.0.0.1"),
    ("request_id", "forged"),
])
def test_any_column_change_is_an_alteration(triggers_disabled, column, value):
    # given
    events, seals = _two_sealed_blocks()
    # when
    _sql(f'UPDATE audit_auditevent SET "{column}" = %s WHERE id = %s', [value, events[6].id])  # noqa: S608
    report = audit_chain_verify()
    # then
    assert [str(f) for f in report.findings] == [f"row {events[6].id} altered (seal {seals[1].id})"]


def test_a_row_inserted_into_a_sealed_range_is_reported():
    # given: an id inside the range that no committed row holds (its transaction rolled back)
    first = record(1)[0]
    with pytest.raises(RuntimeError), transaction.atomic():
        record(1)
        raise RuntimeError("roll back")
    last = record(1)[0]
    (seal,) = audit_seal_pending()
    hole = first.id + 1
    assert (seal.first_event_id <= hole <= seal.last_event_id, seal.event_count, last.id) == (True, 2, hole + 1)
    # when: a row appears later with that id (INSERT is allowed; this is what a late commit looks like)
    _sql("INSERT INTO audit_auditevent (id, actor_type, actor_id, actor_name, action, subject_type, subject_id,"
         " \"references\", request_id, payload) VALUES (%s, 'system', 'x', 'x', 'late', '', '', '{}', '', '{}')",
         [hole])
    code, lines = _run_command()
    # then
    assert code == 1
    assert lines[:-1] == [f"row {hole} inserted into sealed range (seal {seal.id})"]


def test_an_altered_seal_is_reported(triggers_disabled):
    # given
    events, seals = _two_sealed_blocks()
    # when: the seal's recorded count is rewritten
    _sql("UPDATE audit_auditseal SET event_count = 4 WHERE id = %s", [seals[0].id])
    report = audit_chain_verify()
    # then
    assert [str(f) for f in report.findings] == [
        f"seal {seals[0].id} altered: its fields do not match seal_hash; it lists 5 rows but records a count of 4",
    ]


def test_a_rewritten_row_and_its_seal_rehashed_breaks_the_chain_at_the_next_seal(triggers_disabled):
    # given
    from audit.hashing import EVENT_FIELDS, event_hash, format_row_hashes, rows_hash, seal_hash

    events, seals = _two_sealed_blocks()
    # when: a superuser rewrites a row and recomputes its seal consistently
    _sql("UPDATE audit_auditevent SET actor_name = 'forger' WHERE id = %s", [events[0].id])
    rows = AuditEvent.objects.filter(id__range=(seals[0].first_event_id, seals[0].last_event_id)).order_by("id")
    text = format_row_hashes([(r["id"], event_hash(r)) for r in rows.values(*EVENT_FIELDS)])
    s = seals[0]
    new_hash = seal_hash(previous_seal_hash=s.previous_seal_hash, rows_hash=rows_hash(text),
                         first_event_id=s.first_event_id, last_event_id=s.last_event_id,
                         event_count=s.event_count, created_at=s.created_at)
    _sql("UPDATE audit_auditseal SET row_hashes = %s, rows_hash = %s, seal_hash = %s WHERE id = %s",
         [text, rows_hash(text), new_hash, s.id])
    report = audit_chain_verify()
    # then
    assert [str(f) for f in report.findings] == [
        f"seal {seals[1].id} chain broken: its previous_seal_hash does not match seal {seals[0].id} "
        "(a seal was removed, inserted or rewritten)",
    ]


def test_a_removed_seal_breaks_the_chain(triggers_disabled):
    # given
    events = record(9)
    seals = audit_seal_pending(max_rows=3)
    assert len(seals) == 3
    # when
    _sql("DELETE FROM audit_auditseal WHERE id = %s", [seals[1].id])
    report = audit_chain_verify()
    # then
    assert [str(f) for f in report.findings] == [
        f"seal {seals[2].id} chain broken: its previous_seal_hash does not match seal {seals[0].id} "
        "(a seal was removed, inserted or rewritten)",
        f"seal {seals[2].id} chain broken: its range starts at event {events[6].id}, expected {events[3].id}",
        f"row {events[3].id} inserted into sealed range (no seal)",
        f"row {events[4].id} inserted into sealed range (no seal)",
        f"row {events[5].id} inserted into sealed range (no seal)",
    ]


def test_removing_the_newest_seal_is_caught_by_an_anchor(triggers_disabled):
    # given: the hash of the newest seal was kept outside the database (the "audit sealed" log line)
    events, seals = _two_sealed_blocks()
    anchor = f"{seals[1].id}:{seals[1].seal_hash}"
    assert _run_command("--anchor", anchor)[0] == 0
    # when
    _sql("DELETE FROM audit_auditseal WHERE id = %s", [seals[1].id])
    code, lines = _run_command("--anchor", anchor)
    # then
    assert code == 1
    assert lines[:-1] == [f"seal {seals[1].id}: the anchored seal is missing"]
