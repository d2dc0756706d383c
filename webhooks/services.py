"""Webhook inbox writes: store on receipt, then claim, process and record. See models.py."""

from __future__ import annotations

import hashlib
import json
import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from audit.services import AUDIT_COLUMN_LIST, AUDIT_COLUMNS, AUDIT_INSERT, Actor, audit_record, audit_row
from cozonpay.db import execute_as_transaction, execute_pipelined, execute_prepared
from cozonpay.enqueue import Doorbell, drain, safe_enqueue

from . import registry
from .models import WebhookEvent, WebhookStatus

logger = logging.getLogger("webhooks")

_CLAIMABLE = (WebhookStatus.RECEIVED, WebhookStatus.FAILED, WebhookStatus.PARKED)


# --- Receiving ---------------------------------------------------------------------------------


def _first(data: dict, *keys: str) -> str:
    for key in keys:
        value = data.get(key)
        if value not in (None, ""):
            return str(value)
    return ""


def webhook_identity(payload: dict, raw: bytes) -> tuple[str, str, str, str]:
    """(event_type, dedupe_key, reference, secondary_reference) for a Monnify payload.

    The dedupe key names the *fact* reported, not the delivery: the same transfer's SUCCESS
    delivered twice is one row, its later REVERSED is another."""
    event_type = str(payload.get("eventType") or "UNKNOWN")[:64]
    data = payload.get("eventData") if isinstance(payload.get("eventData"), dict) else {}
    if event_type in ("SUCCESSFUL_TRANSACTION", "REJECTED_PAYMENT"):
        reference = _first(data, "transactionReference")
        secondary = _first(data, "paymentReference")
        fact = _first(data, "paymentStatus") or event_type
    elif event_type.endswith("_DISBURSEMENT"):
        reference = _first(data, "reference")
        secondary = _first(data, "transactionReference")
        fact = _first(data, "status")
    elif event_type.endswith("_REFUND"):
        reference = _first(data, "refundReference")
        secondary = _first(data, "transactionReference")
        fact = _first(data, "refundStatus")
    elif event_type == "SETTLEMENT":
        reference = _first(data, "settlementReference")
        secondary = ""
        fact = ""
    else:
        reference = _first(data, "reference", "transactionReference", "paymentReference")
        secondary = ""
        fact = ""
    if reference:
        dedupe_key = f"monnify:{event_type}:{reference}:{fact}"
    else:
        dedupe_key = f"monnify:{event_type}:sha256:{hashlib.sha256(raw).hexdigest()}"
    product = data.get("product") if isinstance(data.get("product"), dict) else {}
    if not secondary and product.get("reference"):
        secondary = str(product["reference"])
    return event_type, dedupe_key[:255], reference[:255], secondary[:255]


@dataclass(frozen=True)
class Receipt:
    event_id: int
    created: bool


_TABLE = WebhookEvent._meta.db_table
# The inbox row and its audit row in one statement (the audit row says whether this delivery was
# new or a duplicate, and names the row it landed in). Values in audit.services.AUDIT_COLUMNS order,
# with the action and the subject id computed from the insert.
_RECEIVE = f"""
WITH inbox AS (
    INSERT INTO {_TABLE} (provider, event_type, dedupe_key, reference, secondary_reference, body, headers,
                          source_ip, status, attempts, deliveries, last_error, outcome, next_attempt_at,
                          received_at, last_delivered_at)
    VALUES ('monnify', %s, %s, %s, %s, %s, %s::jsonb, %s::inet, %s, 0, 1, '', '', %s, %s, %s)
    ON CONFLICT (dedupe_key) DO UPDATE
       SET deliveries = {_TABLE}.deliveries + 1, last_delivered_at = EXCLUDED.last_delivered_at
    RETURNING id, (xmax = 0) AS created
), audit AS (
    INSERT INTO audit_auditevent ({AUDIT_COLUMN_LIST})
    SELECT %s, %s, %s,
           CASE WHEN inbox.created THEN 'webhook.received' ELSE 'webhook.duplicate_received' END,
           %s, inbox.id::text, %s::varchar[], %s, %s::inet, %s::jsonb
      FROM inbox
)
SELECT id, created FROM inbox
"""  # noqa: S608 - table and column names are model constants
assert AUDIT_COLUMNS[3:6] == ("action", "subject_type", "subject_id"), "_RECEIVE follows AUDIT_COLUMNS"

# A handler's outcome on a row this worker still holds (status processing): processed_at is set
# for a final outcome, next_attempt_at for a parked one (NULL keeps the column as it is).
_RESULT = f"""
UPDATE {WebhookEvent._meta.db_table}
   SET status = %s, outcome = %s, last_error = '', locked_until = NULL,
       processed_at = COALESCE(%s, processed_at), next_attempt_at = COALESCE(%s, next_attempt_at)
 WHERE id = %s AND status = %s"""  # noqa: S608 - model constant


def webhook_receive(*, raw: bytes, payload: dict, headers: dict, source_ip: str | None) -> Receipt:
    """Persist one authenticated delivery. Idempotent: a duplicate only bumps `deliveries`.

    One statement writes the inbox row and its audit row; in production (this is the outermost
    transaction) BEGIN, that statement and COMMIT travel in one round trip. Returns only once the
    row is committed: the caller acknowledges after that, never before."""
    event_type, dedupe_key, reference, secondary = webhook_identity(payload, raw)
    now = timezone.now()
    audit, _ = audit_row(
        action="webhook.received", actor=Actor.provider("monnify"), subject=("webhooks.WebhookEvent", ""),
        references=[reference, secondary], ip=source_ip,
        # The inbox row keeps the raw body; the audit row seals its digest, so an altered body is
        # detectable without a second (redacted) copy of the payload in the trail.
        payload={"event_type": event_type, "dedupe_key": dedupe_key,
                 "body_sha256": hashlib.sha256(raw).hexdigest(), "body_bytes": len(raw)},
    )
    params = (event_type, dedupe_key, reference, secondary, raw.decode("utf-8", errors="replace"),
              json.dumps(headers), source_ip, WebhookStatus.RECEIVED, now, now, now,
              *audit[:3], audit[4], *audit[6:])
    with transaction.atomic(durable=True):
        if len(connection.atomic_blocks) == 1:  # outermost: the COMMIT travels with the statement
            rows = execute_pipelined([(_RECEIVE, params), ("COMMIT", None)])[0]
        else:
            rows = execute_prepared(_RECEIVE, params)
        event_id, created = rows[0]
        if created:
            transaction.on_commit(DOORBELL.ring)
    return Receipt(event_id=event_id, created=created)


def webhook_record_rejection(*, reason: str, source_ip: str | None, raw: bytes, headers: dict) -> None:
    """A security record for an unauthenticated delivery, at most one per IP and reason per minute
    so that a flood cannot fill the audit table."""
    from django.core.cache import cache

    if not cache.add(f"webhook-rejected:{source_ip}:{reason}", 1, timeout=60):
        return
    audit_record(
        action="webhook.rejected", actor=Actor.anonymous(), ip=source_ip,
        payload={"reason": reason, "size": len(raw), "headers": headers,
                 "body_prefix": raw[:512].decode("utf-8", errors="replace")},
    )


# New webhooks share one coalesced drain task per process per WEBHOOK_DOORBELL_SECONDS.
DOORBELL = Doorbell("webhooks.tasks.webhook_drain_task", lambda: settings.WEBHOOK_DOORBELL_SECONDS)


def webhook_drain(*, batch: int = 10, budget_seconds: float = 20.0) -> int:
    """Process every received row that is due, oldest first, until none is left or the time
    budget is spent (then another drain is queued to continue). Rows are claimed a batch at a time
    (`FOR UPDATE SKIP LOCKED`, then leased as any claim is), so concurrent drains and single-row
    tasks never take the same row and never wait on each other; a drain killed mid-batch leaves
    its rows to the sweeper once their lease runs out."""
    from .tasks import webhook_drain_task

    return drain(claim=lambda: _claim_batch(batch), run=_run, requeue=lambda: safe_enqueue(webhook_drain_task),
                 budget_seconds=budget_seconds)


def _claim_batch(size: int) -> list[WebhookEvent]:
    now = timezone.now()
    with transaction.atomic():
        events = list(
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookStatus.RECEIVED, next_attempt_at__lte=now)
            .order_by("pk")[:size]
        )
        if not events:
            return []
        locked_until = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
        WebhookEvent.objects.filter(pk__in=[e.pk for e in events]).update(
            status=WebhookStatus.PROCESSING, attempts=F("attempts") + 1, locked_until=locked_until)
    for event in events:
        event.status, event.attempts, event.locked_until = WebhookStatus.PROCESSING, event.attempts + 1, locked_until
    return events


def _ring(event_id: int) -> None:
    from .tasks import webhook_process_task

    safe_enqueue(webhook_process_task, args=(event_id,))


# --- Processing --------------------------------------------------------------------------------


def _backoff(attempts: int) -> timedelta:
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    delay = min(base * (2 ** max(attempts - 1, 0)), settings.WEBHOOK_RETRY_MAX_SECONDS)
    return timedelta(seconds=delay * (1 + random.random() * 0.1))


def _claim(event_id: int) -> WebhookEvent | None:
    now = timezone.now()
    with transaction.atomic():
        event = (
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id)
            .first()
        )
        if event is None:
            return None
        due = event.status in _CLAIMABLE and event.next_attempt_at <= now
        stale = event.status == WebhookStatus.PROCESSING and event.locked_until and event.locked_until <= now
        if not (due or stale):
            return None
        event.status = WebhookStatus.PROCESSING
        event.attempts += 1
        event.locked_until = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
        event.save(update_fields=["status", "attempts", "locked_until"])
    return event


def webhook_process(*, event_id: int) -> str | None:
    """Process one inbox row if it is due. Returns the resulting status, or None if not claimed."""
    event = _claim(event_id)
    if event is None:
        return None
    return _run(event)


def _run(event: WebhookEvent) -> str:
    """Dispatch a claimed row to its handler and record the outcome."""
    handler = registry.handler_for(event.event_type)
    try:
        payload = json.loads(event.body)
        if handler is None:
            result = registry.HandlerResult(registry.IGNORED, f"no handler for {event.event_type}")
        else:
            data = payload.get("eventData") if isinstance(payload.get("eventData"), dict) else {}
            result = handler(event, data)
    except Exception as exc:  # a failed handler: retry with backoff, dead-letter after the limit
        logger.exception("webhook handler failed", extra={"webhook_id": event.pk, "event_type": event.event_type})
        return _record_failure(event, exc)
    return _record_result(event, result)


def _record_result(event: WebhookEvent, result: registry.HandlerResult) -> str:
    """The handler's outcome on the row and, unless parked, its audit record: one transaction, in
    one round trip (two prepared statements and the COMMIT)."""
    now = timezone.now()
    parked = result.status == registry.PARKED
    status = WebhookStatus.PARKED.value if parked else str(result.status)
    statements = [(_RESULT, [status, result.note[:255], None if parked else now,
                             now + _backoff(event.attempts) if parked else None, event.pk,
                             WebhookStatus.PROCESSING.value])]
    if not parked:
        values, _ = audit_row(action=f"webhook.{result.status}", actor=Actor.system("webhooks"),
                              subject=event, references=[event.reference, event.secondary_reference],
                              payload={"event_type": event.event_type, "note": result.note,
                                       "attempts": event.attempts})
        statements.append((AUDIT_INSERT, values))
    execute_as_transaction(statements)
    return status


def _record_failure(event: WebhookEvent, exc: Exception) -> str:
    now = timezone.now()
    error = f"{type(exc).__name__}: {exc}"[:2000]
    dead = event.attempts >= settings.WEBHOOK_MAX_ATTEMPTS
    status = WebhookStatus.DEAD if dead else WebhookStatus.FAILED
    with transaction.atomic():
        WebhookEvent.objects.filter(pk=event.pk, status=WebhookStatus.PROCESSING).update(
            status=status, last_error=error, locked_until=None, next_attempt_at=now + _backoff(event.attempts),
        )
        if dead:
            audit_record(action="webhook.dead_lettered", actor=Actor.system("webhooks"), subject=event,
                         references=[event.reference, event.secondary_reference],
                         payload={"event_type": event.event_type, "error": error, "attempts": event.attempts})
    if not dead:
        from .tasks import webhook_process_task

        safe_enqueue(webhook_process_task, args=(event.pk,), countdown=_backoff(event.attempts).total_seconds())
    return status


def webhook_replay(*, event: WebhookEvent, actor) -> WebhookEvent:
    """Staff: process this webhook again now. Safe because processing is idempotent: a webhook
    already applied finds its payment final and changes nothing."""
    from .exceptions import WebhookNotReplayable

    with transaction.atomic(durable=True):
        locked = WebhookEvent.objects.select_for_update().get(pk=event.pk)
        now = timezone.now()
        if locked.status == WebhookStatus.PROCESSING and locked.locked_until and locked.locked_until > now:
            raise WebhookNotReplayable()
        before = locked.status
        locked.status = WebhookStatus.RECEIVED
        locked.attempts = 0
        locked.next_attempt_at = now
        locked.locked_until = None
        locked.save(update_fields=["status", "attempts", "next_attempt_at", "locked_until"])
        audit_record(action="webhook.replayed", actor=actor, subject=locked,
                     references=[locked.reference, locked.secondary_reference],
                     payload={"before": {"status": before}, "after": {"status": locked.status}})
        transaction.on_commit(lambda: _ring(locked.pk))
    return locked


def webhook_wake(*, references: list[str]) -> int:
    """Make parked webhooks about these references due now (their prerequisite just appeared)."""
    refs = [r for r in references if r]
    if not refs:
        return 0
    from django.db.models import Q

    ids = list(
        WebhookEvent.objects.filter(status=WebhookStatus.PARKED)
        .filter(Q(reference__in=refs) | Q(secondary_reference__in=refs))
        .values_list("pk", flat=True)
    )
    if ids:
        WebhookEvent.objects.filter(pk__in=ids, status=WebhookStatus.PARKED).update(next_attempt_at=timezone.now())
        for event_id in ids:
            transaction.on_commit(lambda event_id=event_id: _ring(event_id))
    return len(ids)


def webhook_sweep(*, limit: int = 500) -> int:
    """Ring the doorbell again for every row that is due: never picked up (broker down, worker
    killed before it started), due for retry, parked and due, or stuck past its lease."""
    from django.db.models import Q

    from .tasks import webhook_process_task

    now = timezone.now()
    ids = list(
        WebhookEvent.objects.filter(
            Q(status__in=_CLAIMABLE, next_attempt_at__lte=now)
            | Q(status=WebhookStatus.PROCESSING, locked_until__lte=now)
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    for event_id in ids:
        safe_enqueue(webhook_process_task, args=(event_id,))
    return len(ids)
