"""Claim, run, record. See models.py for the contract."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from cozonpay.db import execute_prepared

from .exceptions import IdempotencyKeyRequired, IdempotencyKeyReused, IdempotencyRequestInProgress
from .models import IdempotencyRecord

# The two statements of every money-moving request, prepared (cozonpay.db).
_TABLE = IdempotencyRecord._meta.db_table
_CLAIM_SQL = f"""INSERT INTO {_TABLE} (id, user_id, scope, key, request_hash, status, locked_until, created_at)
                 VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                 ON CONFLICT (user_id, scope, key) DO NOTHING RETURNING id"""  # noqa: S608 - model constant
_COMPLETE_SQL = f"""UPDATE {_TABLE} SET status = %s, response_status = %s, response_body = %s, completed_at = %s
                    WHERE id = %s"""  # noqa: S608 - model constant

_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")


def idempotency_key_validate(key: str | None) -> str:
    if not key or not _KEY_RE.match(key):
        raise IdempotencyKeyRequired()
    return key


def request_fingerprint(*, method: str, path: str, body: object) -> str:
    """A keyed hash of the request: the body may hold a PIN, so a plain hash would let anyone with
    the table brute-force it; with the server key it reveals nothing."""
    canonical = json.dumps({"m": method, "p": path, "b": body}, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(settings.SECRET_KEY.encode(), canonical.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Claim:
    record: IdempotencyRecord
    replay: bool  # True: record.response_* is the answer to return unchanged


def _lease() -> timedelta:
    return timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)


def idempotency_claim(*, user, scope: str, key: str, request_hash: str) -> Claim:
    """Claim the key for this request, or return the stored answer, or refuse.

    Waits up to IDEMPOTENCY_WAIT_SECONDS for a concurrent first request to finish so that
    identical retries get the same answer; past that, 409."""
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    while True:
        now = timezone.now()
        record = _insert_claim(user=user, scope=scope, key=key, request_hash=request_hash,
                               locked_until=now + _lease())
        if record is not None:
            return Claim(record=record, replay=False)
        record = IdempotencyRecord.objects.filter(user=user, scope=scope, key=key).first()
        if record is None:  # completed with a 5xx/429 and released in between: try again
            continue
        if not hmac.compare_digest(record.request_hash, request_hash):
            raise IdempotencyKeyReused()
        if record.status == IdempotencyRecord.Status.COMPLETED:
            return Claim(record=record, replay=True)
        if record.locked_until <= now:
            # The first request's worker died mid-way. Take over its lease; the view re-runs
            # with the same record id, hence the same business reference: no double movement.
            taken = IdempotencyRecord.objects.filter(
                pk=record.pk, status=IdempotencyRecord.Status.IN_PROGRESS, locked_until=record.locked_until,
            ).update(locked_until=now + _lease())
            if taken:
                record.refresh_from_db()
                return Claim(record=record, replay=False)
            continue
        if time.monotonic() >= deadline:
            raise IdempotencyRequestInProgress()
        time.sleep(0.05)


def _insert_claim(*, user, scope: str, key: str, request_hash: str, locked_until) -> IdempotencyRecord | None:
    """One autocommitted `INSERT ... ON CONFLICT DO NOTHING`: the claim is durable before the
    request runs, in a single round trip. None when the key is already taken."""
    record_id = uuid.uuid4()
    created = timezone.now()
    if not execute_prepared(_CLAIM_SQL, [record_id, user.pk, scope, key, request_hash,
                                         IdempotencyRecord.Status.IN_PROGRESS.value, locked_until, created]):
        return None
    return IdempotencyRecord(id=record_id, user_id=user.pk, scope=scope, key=key, request_hash=request_hash,
                             status=IdempotencyRecord.Status.IN_PROGRESS, locked_until=locked_until,
                             created_at=created)


def idempotency_complete(*, record: IdempotencyRecord, status: int, body: str) -> None:
    """Store the answer (`body`: the rendered JSON text), or release the key when the answer must
    not be stored (5xx, 429)."""
    if status >= 500 or status == 429:
        IdempotencyRecord.objects.filter(pk=record.pk, status=IdempotencyRecord.Status.IN_PROGRESS).delete()
        return
    execute_prepared(_COMPLETE_SQL, [IdempotencyRecord.Status.COMPLETED.value, status, body, timezone.now(), record.pk])


def idempotency_release(*, record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk, status=IdempotencyRecord.Status.IN_PROGRESS).delete()


def idempotency_purge_expired() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
