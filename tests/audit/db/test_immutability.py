"""The database refuses any change to audit rows and seals, whatever the application does."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent, AuditSeal
from audit.services import audit_seal_pending

from ..conftest import record

pytestmark = pytest.mark.django_db


def _refused(sql: str, params=()) -> str:
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(caught.value)


@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditevent SET action = 'forged' WHERE id = %s",
    "UPDATE audit_auditevent SET payload = '{}'::jsonb",
    "DELETE FROM audit_auditevent WHERE id = %s",
    "DELETE FROM audit_auditevent",
])
def test_update_and_delete_of_events_are_refused(sql):
    # given
    (event,) = record(1)
    # when
    message = _refused(sql, [event.pk] if "%s" in sql else [])
    # then
    assert "append-only" in message
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event.recorded"
    assert AuditEvent.objects.count() == 1


def test_truncate_of_events_is_refused():
    # given
    record(2)
    # when
    message = _refused("TRUNCATE audit_auditevent")
    # then
    assert "TRUNCATE on audit_auditevent is refused" in message
    assert AuditEvent.objects.count() == 2


@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditseal SET event_count = 0",
    "DELETE FROM audit_auditseal",
    "TRUNCATE audit_auditseal",
    "TRUNCATE audit_auditseal, audit_auditevent",
])
def test_seals_are_append_only_too(sql):
    # given
    record(3)
    (seal,) = audit_seal_pending()
    # when
    message = _refused(sql)
    # then
    assert "append-only" in message
    assert AuditSeal.objects.get().event_count == seal.event_count == 3


def test_orm_update_and_delete_are_refused():
    # given
    (event,) = record(1)
    # when / then
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor_name="someone else")
    with pytest.raises(DatabaseError), transaction.atomic():
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk, actor_name="tests").exists()


def test_the_database_stamps_the_time_and_a_backdate_is_ignored():
    # given
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        (before,) = cursor.fetchone()
        # when: a writer tries to backdate a record
        cursor.execute(
            "INSERT INTO audit_auditevent (occurred_at, actor_type, actor_id, actor_name, action, subject_type,"
            " subject_id, \"references\", request_id, payload)"
            " VALUES ('2001-01-01T00:00:00Z', 'system', 'x', 'x', 'backdated', '', '', '{}', '', '{}') RETURNING id"
        )
        (event_id,) = cursor.fetchone()
    # then
    assert AuditEvent.objects.get(pk=event_id).occurred_at >= before
