from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from cozonpay.exceptions import InvalidStateTransition
from cozonpay.users.models import User
from payments.events import registry
from payments.events import services as events
from payments.models import HandlerRun, HandlerRunStatus, OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    settings.OUTBOX_MAX_ATTEMPTS = 3


@pytest.fixture
def handlers():
    saved = {k: dict(v) for k, v in registry._handlers.items()}
    calls: list[tuple[str, int]] = []
    yield calls
    registry._handlers.clear()
    registry._handlers.update(saved)


@pytest.fixture
def aggregate():
    return User.objects.create_user(email="agg@example.ng", password="x")


def _emit(aggregate, event_type="test.happened") -> OutboxEvent:
    with transaction.atomic():
        return events.outbox_emit(event_type=event_type, aggregate=aggregate, payload={"n": 1}, reference="ref-1")


@pytest.mark.django_db(transaction=True)
def test_emit_requires_the_changing_transaction(aggregate):
    with pytest.raises(RuntimeError):
        events.outbox_emit(event_type="test.happened", aggregate=aggregate)
    assert OutboxEvent.objects.count() == 0


def test_emit_creates_one_run_per_handler_and_rolls_back_with_the_change(aggregate, handlers):
    registry.event_handler("test.happened", name="a")(lambda e: None)
    registry.event_handler("test.happened", name="b")(lambda e: None)
    event = _emit(aggregate)
    assert sorted(HandlerRun.objects.filter(event=event).values_list("handler", flat=True)) == ["a", "b"]
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        events.outbox_emit(event_type="test.happened", aggregate=aggregate)
        raise ZeroDivisionError
    assert OutboxEvent.objects.count() == 1


def test_dispatch_runs_each_handler_once(aggregate, handlers):
    registry.event_handler("test.happened", name="a")(lambda e: handlers.append(("a", e.pk)))
    registry.event_handler("test.happened", name="b")(lambda e: handlers.append(("b", e.pk)))
    event = _emit(aggregate)
    assert events.outbox_dispatch(event_id=event.pk) == {"a": "succeeded", "b": "succeeded"}
    assert events.outbox_dispatch(event_id=event.pk) == {"a": None, "b": None}
    assert sorted(handlers) == [("a", event.pk), ("b", event.pk)]


def test_failing_handler_backs_off_dead_letters_and_retry_completes_once(aggregate, handlers, settings):
    state = {"fail": True}

    def flaky(event):
        if state["fail"]:
            raise ConnectionError("smtp down")
        handlers.append(("flaky", event.pk))

    registry.event_handler("test.happened", name="flaky")(flaky)
    registry.event_handler("test.happened", name="fine")(lambda e: handlers.append(("fine", e.pk)))
    event = _emit(aggregate)
    with mock.patch("payments.events.services._ring") as ring:
        assert events.outbox_dispatch(event_id=event.pk) == {"flaky": "failed", "fine": "succeeded"}
        assert ring.call_args.kwargs["countdown"] >= 0  # the retry is scheduled with a backoff
        assert events.outbox_dispatch(event_id=event.pk)["flaky"] == "failed"
        assert events.outbox_dispatch(event_id=event.pk)["flaky"] == "dead"
    run = HandlerRun.objects.get(event=event, handler="flaky")
    assert run.status == HandlerRunStatus.DEAD and run.attempts == 3 and "smtp down" in run.last_error
    assert events.outbox_dispatch(event_id=event.pk)["flaky"] is None
    assert AuditEvent.objects.filter(action="outbox.dead_lettered").count() == 1
    # when staff retry after the fix
    state["fail"] = False
    staff = User.objects.create_user(email="fin@cozonpay.local", password="x", is_staff=True)
    events.handler_run_retry(run=run, actor=staff)
    assert events.outbox_dispatch(event_id=event.pk) == {"flaky": "succeeded", "fine": None}
    assert events.outbox_dispatch(event_id=event.pk) == {"flaky": None, "fine": None}
    assert handlers.count(("flaky", event.pk)) == 1 and handlers.count(("fine", event.pk)) == 1
    with pytest.raises(InvalidStateTransition):
        events.handler_run_retry(run=run, actor=staff)


def test_backoff_is_exponential(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    delays = [events._backoff(n).total_seconds() for n in (1, 2, 3)]
    assert 10 <= delays[0] <= 11 and 20 <= delays[1] <= 22 and 40 <= delays[2] <= 44


def test_discard(aggregate, handlers):
    registry.event_handler("test.happened", name="boom")(lambda e: 1 / 0)
    event = _emit(aggregate)
    for _ in range(3):
        with mock.patch("payments.events.services._ring"):
            events.outbox_dispatch(event_id=event.pk)
    run = HandlerRun.objects.get(event=event)
    staff = User.objects.create_user(email="fin2@cozonpay.local", password="x", is_staff=True)
    events.handler_run_discard(run=run, actor=staff, reason="duplicate alert")
    run.refresh_from_db()
    assert run.status == HandlerRunStatus.DISCARDED
    assert events.outbox_dispatch(event_id=event.pk) == {"boom": None}


def test_sweeper_redispatches_undispatched_and_stale(aggregate, handlers):
    registry.event_handler("test.happened", name="a")(lambda e: handlers.append(("a", e.pk)))
    never = _emit(aggregate)
    stale = _emit(aggregate)
    HandlerRun.objects.filter(event=stale).update(status=HandlerRunStatus.RUNNING,
                                                  locked_until=timezone.now() - timezone.timedelta(seconds=1))
    with mock.patch("payments.events.services._ring") as ring:
        assert events.outbox_sweep() == 2
    assert sorted(c.args[0] for c in ring.call_args_list) == sorted([never.pk, stale.pk])
    assert events.outbox_dispatch(event_id=stale.pk) == {"a": "succeeded"}


def test_drain_runs_every_pending_run_once_and_leaves_failed_and_future_ones(aggregate, handlers):
    # given: two events with two handlers each, one handler failing; a run not due yet
    registry.event_handler("test.happened", name="a")(lambda e: handlers.append(("a", e.pk)))

    def broken(event):
        raise RuntimeError("downstream down")

    registry.event_handler("test.happened", name="b")(broken)
    first, second = _emit(aggregate), _emit(aggregate)
    later = _emit(aggregate)
    HandlerRun.objects.filter(event=later).update(next_attempt_at=timezone.now() + timezone.timedelta(hours=1))
    # when: drained, then drained again
    with mock.patch.object(events, "_ring"):  # the failed runs' own retry doorbells
        done = events.outbox_drain(batch=3)
        again = events.outbox_drain(batch=3)
    # then: each due run ran exactly once; the failing one waits for its retry; the future ones wait
    assert (done, again) == (4, 0)
    assert handlers == [("a", first.pk), ("a", second.pk)]
    runs = {(r.event_id, r.handler): (r.status, r.attempts) for r in HandlerRun.objects.all()}
    assert runs == {
        (first.pk, "a"): (HandlerRunStatus.SUCCEEDED, 1), (first.pk, "b"): (HandlerRunStatus.FAILED, 1),
        (second.pk, "a"): (HandlerRunStatus.SUCCEEDED, 1), (second.pk, "b"): (HandlerRunStatus.FAILED, 1),
        (later.pk, "a"): (HandlerRunStatus.PENDING, 0), (later.pk, "b"): (HandlerRunStatus.PENDING, 0),
    }
    assert set(OutboxEvent.objects.filter(dispatched_at__isnull=False).values_list("pk", flat=True)) == {
        first.pk, second.pk}


def test_outbox_statement_writes_the_event_its_runs_and_rings_the_drain_on_commit(
        aggregate, handlers, django_capture_on_commit_callbacks):
    # given
    registry.event_handler("test.statement", name="a")(lambda e: None)
    registry.event_handler("test.statement", name="b")(lambda e: None)
    statement = events.outbox_statement(event_type="test.statement", aggregate_type="user",
                                        aggregate_id=str(aggregate.pk), reference="ref-9", payload={"n": 9})
    # when: run in a transaction, as the ledger runs it
    with mock.patch.object(events.DOORBELL, "ring") as ring:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with transaction.get_connection().cursor() as cursor:
                cursor.execute(statement.sql, statement.params)
                rows = cursor.fetchall()
            statement.on_rows(rows)
            assert ring.call_count == 0  # not before the commit
    # then
    assert len(callbacks) == 1 and ring.call_count == 1
    event = OutboxEvent.objects.get(event_type="test.statement")
    assert rows == [(event.pk,)]
    assert (event.aggregate_type, event.aggregate_id, event.reference, event.payload) == (
        "user", str(aggregate.pk), "ref-9", {"n": 9})
    assert sorted(HandlerRun.objects.filter(event=event).values_list("handler", "status", "attempts")) == [
        ("a", "pending", 0), ("b", "pending", 0)]
