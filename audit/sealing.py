"""Sealing: the tamper-evidence chain over audit rows, built after the fact so that writers
never wait on it.

A seal (`AuditSeal`) covers an explicit id range [first_event_id, last_event_id], starting
right after the previous seal's range, and records the id and hash of exactly the rows present
in that range when it was sealed, the count, the hash of that list and the previous seal's hash.
Writers only INSERT audit rows; only the sealer reads them back, and only one sealer runs at a
time (a transaction-scoped advisory lock, `pg_try_advisory_xact_lock`), so concurrent beat runs
cannot fork the chain (the unique `previous_seal_hash` is a second guard).

Why the sealer does not simply seal "every row up to the current max id": ids come from a
sequence when a row is INSERTed, but transactions commit in any order, so when the sealer looks,
a transaction that took id 100 may still be open while id 101 is already committed. Sealing up
to 101 would seal a range without row 100, and when row 100 commits, `audit_verify` would
(rightly) report it as inserted into a sealed range: a false alarm. The sealer therefore only
seals up to the newest row whose time is before a cut-off that no open transaction can still
write below:

    cut-off = min(now() - AUDIT_SEAL_HORIZON_SECONDS,
                  xact_start of the oldest other transaction in this database that has written)

Why that is safe: `occurred_at` is stamped by the database at INSERT with clock_timestamp(), in
a BEFORE INSERT trigger that runs after the id was drawn, so a row's id was drawn no later than
its occurred_at. An open transaction T that will commit audit rows has written (it has an xid,
`pg_stat_activity.backend_xid`), and every id it draws is drawn after it started
(xact_start). If the newest sealed row L has occurred_at < cut-off <= xact_start(T), then L's id
was drawn before any id of T, so every row T commits later has an id above the sealed range.
Transactions that start after the cut-off is computed draw ids later still. The horizon covers
what the pg_stat_activity check cannot see: the instant between a transaction drawing its first
id and its first write being given an xid, sessions of other database roles whose xact_start is
hidden without pg_read_all_stats, and clock steps. 60 s in production; the tests use 0 except
where they seal while writers are running.

If the reasoning were ever defeated (a row committing inside an already sealed range), nothing
is lost or hidden: `audit_verify` names that row as "inserted into sealed range", and a person
can look at it. Rows are never left out silently.

An open transaction that has written and stays open (a stuck session) holds the cut-off back, so
sealing pauses until it ends; the sealer logs the age of that transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .hashing import EVENT_FIELDS, event_hash, format_row_hashes, rows_hash, seal_hash
from .models import GENESIS_SEAL_HASH, AuditEvent, AuditSeal

logger = logging.getLogger("cozonpay.audit")

# pg_try_advisory_xact_lock key: int.from_bytes(b"AUDITSEA", "big") & 0x7FFF_FFFF_FFFF_FFFF.
SEAL_LOCK_KEY = 0x4155_4449_5453_4541


@dataclass(frozen=True)
class SealCutoff:
    at: datetime
    oldest_writer_started: datetime | None


def _seal_cutoff(horizon_seconds: int) -> SealCutoff:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT clock_timestamp(),
                   (SELECT min(xact_start) FROM pg_stat_activity
                     WHERE datname = current_database() AND pid <> pg_backend_pid()
                       AND backend_xid IS NOT NULL)
            """
        )
        now, oldest_writer = cursor.fetchone()
    at = now - timedelta(seconds=horizon_seconds)
    if oldest_writer is not None and oldest_writer < at:
        at = oldest_writer
    return SealCutoff(at=at, oldest_writer_started=oldest_writer)


def _seal_one_block(*, horizon_seconds: int, max_rows: int) -> AuditSeal | None:
    """Seal the next block, or return None when there is nothing (yet) to seal or another
    sealer holds the lock. One transaction per block."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
            (locked,) = cursor.fetchone()
        if not locked:
            logger.info("audit seal skipped: another sealer is running")
            return None
        head = AuditSeal.objects.order_by("-id").only("last_event_id", "seal_hash").first()
        first_event_id = head.last_event_id + 1 if head else 1
        previous = head.seal_hash if head else GENESIS_SEAL_HASH

        cutoff = _seal_cutoff(horizon_seconds)
        rows = list(
            AuditEvent.objects.filter(id__gte=first_event_id).order_by("id").values(*EVENT_FIELDS)[:max_rows]
        )
        eligible = [row["id"] for row in rows if row["occurred_at"] < cutoff.at]
        if not eligible:
            if rows and cutoff.oldest_writer_started is not None:
                logger.info("audit seal waiting for an open transaction",
                            extra={"open_since": cutoff.oldest_writer_started.isoformat()})
            return None
        last_event_id = max(eligible)
        pairs = [(row["id"], event_hash(row)) for row in rows if row["id"] <= last_event_id]
        text = format_row_hashes(pairs)
        digest = rows_hash(text)
        created_at = timezone.now()
        seal = AuditSeal.objects.create(
            created_at=created_at,
            first_event_id=first_event_id,
            last_event_id=last_event_id,
            event_count=len(pairs),
            row_hashes=text,
            rows_hash=digest,
            previous_seal_hash=previous,
            seal_hash=seal_hash(previous_seal_hash=previous, rows_hash=digest, first_event_id=first_event_id,
                                last_event_id=last_event_id, event_count=len(pairs), created_at=created_at),
        )
    # The log line is an anchor outside the database: with it, even removing the newest seals
    # is detectable (`audit_verify --anchor <seal id>:<hash>`).
    logger.info("audit sealed", extra={"seal_id": seal.id, "seal_hash": seal.seal_hash,
                                       "first_event_id": first_event_id, "last_event_id": last_event_id,
                                       "event_count": seal.event_count})
    return seal


def audit_seal_pending(*, horizon_seconds: int | None = None, max_rows: int | None = None,
                       max_blocks: int | None = None) -> list[AuditSeal]:
    """Seal every row old enough to seal, in blocks of at most `max_rows` rows, each block in its
    own short transaction. Returns the seals created (empty if another sealer was running)."""
    horizon = settings.AUDIT_SEAL_HORIZON_SECONDS if horizon_seconds is None else horizon_seconds
    rows_per_block = max_rows or settings.AUDIT_SEAL_MAX_ROWS
    blocks = max_blocks or settings.AUDIT_SEAL_MAX_BLOCKS
    seals: list[AuditSeal] = []
    while len(seals) < blocks:
        seal = _seal_one_block(horizon_seconds=horizon, max_rows=rows_per_block)
        if seal is None:
            break
        seals.append(seal)
    return seals
