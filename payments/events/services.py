"""The outbox: emit inside the state change's transaction, dispatch after commit.

    outbox_emit(event_type="payment.confirmed", aggregate=deposit, payload={...})

`outbox_emit` must be called inside the transaction that changes the payment, so the event exists
if and only if the change committed (`outbox_statement` is the same as a statement, for the
ledger's one-round-trip transfers). On commit it rings the coalesced doorbell: at most one
`outbox_drain` task per process per OUTBOX_DOORBELL_SECONDS runs every pending handler run. If the
broker is down the beat sweeper re-dispatches. Dispatch claims each due (event, handler) run,
calls the handler outside any transaction, and records success, or failure with exponential
backoff (the retry is rung per event), dead-lettering after OUTBOX_MAX_ATTEMPTS. Staff retry or
discard dead letters from the admin.
"""

from __future__ import annotations

import json
import logging
import random
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audit.services import Actor, audit_record
from cozonpay.db import Statement
from cozonpay.enqueue import Doorbell, drain, safe_enqueue

from ..models import HandlerRun, HandlerRunStatus, OutboxEvent
from . import registry

logger = logging.getLogger("payments.events")

_DUE = (HandlerRunStatus.PENDING, HandlerRunStatus.FAILED)


def outbox_emit(*, event_type: str, aggregate, payload: dict | None = None, reference: str = "") -> OutboxEvent:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_emit must run inside the transaction that makes the change")
    event = OutboxEvent.objects.create(
        event_type=event_type,
        aggregate_type=aggregate._meta.model_name,
        aggregate_id=str(getattr(aggregate, "public_id", None) or aggregate.pk),
        reference=reference or getattr(aggregate, "reference", "") or "",
        payload=payload or {},
    )
    HandlerRun.objects.bulk_create(
        [HandlerRun(event=event, handler=name) for name in registry.handlers_for(event_type)]
    )
    transaction.on_commit(DOORBELL.ring)
    return event


# The event and its handler runs in one statement, for a transaction another module runs
# (`outbox_statement`).
_EMIT = """
WITH event AS (
    INSERT INTO payments_outboxevent (public_id, event_type, aggregate_type, aggregate_id, reference, payload,
                                      created_at)
    VALUES (%s, %s, %s, %s, %s, %s::jsonb, now())
    RETURNING id
), runs AS (
    INSERT INTO payments_handlerrun (event_id, handler, status, attempts, last_error, next_attempt_at, created_at)
    SELECT event.id, handler, %s, 0, '', now(), now() FROM event, unnest(%s::varchar[]) AS handler
)
SELECT id FROM event
"""


def outbox_statement(*, event_type: str, aggregate_type: str, aggregate_id: str, reference: str,
                     payload: dict) -> Statement:
    """`outbox_emit` as a statement, for a transaction owned by another module that runs it in its
    own round trip (the ledger's: `wallets.services.transfer_send`). The coalesced doorbell
    (`DOORBELL`, an `outbox_drain` task) rings on commit."""
    params = (uuid.uuid4(), event_type, aggregate_type, aggregate_id, reference, json.dumps(payload),
              HandlerRunStatus.PENDING.value, list(registry.handlers_for(event_type)))

    return Statement(_EMIT, params, on_rows=lambda rows: transaction.on_commit(DOORBELL.ring))


# New events share one coalesced drain task per process per OUTBOX_DOORBELL_SECONDS instead of a
# Celery publish each.
DOORBELL = Doorbell("payments.tasks.outbox_drain_task", lambda: settings.OUTBOX_DOORBELL_SECONDS)


def outbox_drain(*, batch: int = 10, budget_seconds: float = 20.0) -> int:
    """Run every pending handler run that is due, oldest first, until none is left or the time
    budget is spent (then another drain is queued). Runs are claimed a batch at a time (`FOR UPDATE
    SKIP LOCKED`, then leased like any claim), so drains, per-event dispatches and the sweeper never
    run one twice; a drain killed mid-batch leaves its runs to the sweeper once their lease ends.
    Failed runs are not taken here: their retry is rung per event with its backoff."""
    from ..tasks import outbox_drain_task

    return drain(claim=lambda: _claim_batch(batch), run=_execute, requeue=lambda: safe_enqueue(outbox_drain_task),
                 budget_seconds=budget_seconds)


def _claim_batch(size: int) -> list[HandlerRun]:
    now = timezone.now()
    with transaction.atomic():
        runs = list(
            HandlerRun.objects.select_for_update(skip_locked=True, of=("self",)).select_related("event")
            .filter(status=HandlerRunStatus.PENDING, next_attempt_at__lte=now)
            .order_by("pk")[:size]
        )
        if not runs:
            return []
        locked_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        HandlerRun.objects.filter(pk__in=[run.pk for run in runs]).update(
            status=HandlerRunStatus.RUNNING, attempts=F("attempts") + 1, locked_until=locked_until)
        OutboxEvent.objects.filter(pk__in={run.event_id for run in runs}, dispatched_at__isnull=True).update(
            dispatched_at=now)
    for run in runs:
        run.status, run.attempts, run.locked_until = HandlerRunStatus.RUNNING, run.attempts + 1, locked_until
    return runs


def _ring(event_id: int, countdown: float | None = None) -> None:
    from ..tasks import outbox_dispatch_task

    safe_enqueue(outbox_dispatch_task, args=(event_id,), countdown=countdown)


def _backoff(attempts: int) -> timedelta:
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    delay = min(base * (2 ** max(attempts - 1, 0)), settings.OUTBOX_RETRY_MAX_SECONDS)
    return timedelta(seconds=delay * (1 + random.random() * 0.1))


def _claim(run_id: int) -> HandlerRun | None:
    now = timezone.now()
    with transaction.atomic():
        run = (
            HandlerRun.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event")
            .filter(pk=run_id)
            .filter(Q(status__in=_DUE, next_attempt_at__lte=now)
                    | Q(status=HandlerRunStatus.RUNNING, locked_until__lte=now))
            .first()
        )
        if run is None:
            return None
        run.status = HandlerRunStatus.RUNNING
        run.attempts += 1
        run.locked_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        run.save(update_fields=["status", "attempts", "locked_until"])
    return run


def handler_run_execute(*, run_id: int) -> str | None:
    run = _claim(run_id)
    if run is None:
        return None
    return _execute(run)


def _execute(run: HandlerRun) -> str:
    """Call a claimed run's handler outside any transaction and record the outcome."""
    func = registry.handler(run.event.event_type, run.handler)
    try:
        if func is None:
            raise LookupError(f"no handler {run.handler!r} registered for {run.event.event_type}")
        func(run.event)
    except Exception as exc:
        logger.exception("event handler failed", extra={"event_id": run.event_id, "handler": run.handler})
        return _record_failure(run, exc)
    HandlerRun.objects.filter(pk=run.pk, status=HandlerRunStatus.RUNNING).update(
        status=HandlerRunStatus.SUCCEEDED, completed_at=timezone.now(), locked_until=None, last_error="",
    )
    return HandlerRunStatus.SUCCEEDED


def _record_failure(run: HandlerRun, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    dead = run.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    status = HandlerRunStatus.DEAD if dead else HandlerRunStatus.FAILED
    delay = _backoff(run.attempts)
    with transaction.atomic():
        HandlerRun.objects.filter(pk=run.pk, status=HandlerRunStatus.RUNNING).update(
            status=status, last_error=error, locked_until=None, next_attempt_at=timezone.now() + delay,
        )
        if dead:
            audit_record(action="outbox.dead_lettered", actor=Actor.system("outbox"), subject=run.event,
                         references=[run.event.reference, run.event.aggregate_id],
                         payload={"handler": run.handler, "event_type": run.event.event_type, "error": error,
                                  "attempts": run.attempts})
    if not dead:
        _ring(run.event_id, countdown=delay.total_seconds())
    return status


def outbox_dispatch(*, event_id: int) -> dict[str, str | None]:
    """Run every due handler of one event; returns {handler: outcome}."""
    outcomes: dict[str, str | None] = {}
    OutboxEvent.objects.filter(pk=event_id, dispatched_at__isnull=True).update(dispatched_at=timezone.now())
    for run_id, name in HandlerRun.objects.filter(event_id=event_id).values_list("pk", "handler"):
        outcomes[name] = handler_run_execute(run_id=run_id)
    return outcomes


def outbox_sweep(*, limit: int = 500) -> int:
    """Re-dispatch events with due runs: committed but never picked up, retries whose doorbell was
    lost, and runs stuck past their lease (worker killed)."""
    now = timezone.now()
    event_ids = list(
        HandlerRun.objects.filter(
            Q(status__in=_DUE, next_attempt_at__lte=now) | Q(status=HandlerRunStatus.RUNNING, locked_until__lte=now)
        )
        .order_by("event_id")
        .values_list("event_id", flat=True)
        .distinct()[:limit]
    )
    for event_id in event_ids:
        _ring(event_id)
    return len(event_ids)


def handler_run_retry(*, run: HandlerRun, actor) -> HandlerRun:
    """Staff: give a dead letter a fresh set of attempts. The handler is idempotent, so a run that
    in fact completed its effect before failing will not repeat it."""
    with transaction.atomic(durable=True):
        locked = HandlerRun.objects.select_for_update().select_related("event").get(pk=run.pk)
        if locked.status not in (HandlerRunStatus.DEAD, HandlerRunStatus.FAILED, HandlerRunStatus.DISCARDED):
            from cozonpay.exceptions import InvalidStateTransition

            raise InvalidStateTransition(
                f"Only dead, failed or discarded runs can be retried (this one is {locked.status})."
            )
        before = locked.status
        locked.status = HandlerRunStatus.PENDING
        locked.attempts = 0
        locked.next_attempt_at = timezone.now()
        locked.save(update_fields=["status", "attempts", "next_attempt_at"])
        audit_record(action="outbox.retried", actor=actor, subject=locked.event,
                     references=[locked.event.reference, locked.event.aggregate_id],
                     payload={"handler": locked.handler, "before": {"status": before},
                              "after": {"status": locked.status}})
        transaction.on_commit(lambda: _ring(locked.event_id))
    return locked


def handler_run_discard(*, run: HandlerRun, actor, reason: str) -> HandlerRun:
    with transaction.atomic(durable=True):
        locked = HandlerRun.objects.select_for_update().select_related("event").get(pk=run.pk)
        if locked.status not in (HandlerRunStatus.DEAD, HandlerRunStatus.FAILED):
            from cozonpay.exceptions import InvalidStateTransition

            raise InvalidStateTransition(f"Only dead or failed runs can be discarded (this one is {locked.status}).")
        before = locked.status
        locked.status = HandlerRunStatus.DISCARDED
        locked.save(update_fields=["status"])
        audit_record(action="outbox.discarded", actor=actor, subject=locked.event,
                     references=[locked.event.reference, locked.event.aggregate_id],
                     payload={"handler": locked.handler, "reason": reason, "before": {"status": before},
                              "after": {"status": locked.status}})
    return locked
