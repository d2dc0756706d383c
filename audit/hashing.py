"""The canonical form of audit rows and seals, and their hashes. The sealer and the verifier
both use exactly these functions, reading rows through the same query (`EVENT_FIELDS`).

A row's canonical form is every column as JSON with sorted keys and compact separators; the
time is ISO 8601 in UTC. `payload` is stored as jsonb, which normalizes key order and
whitespace; sorting keys makes the form independent of that. Numbers round-trip unchanged
(jsonb keeps numerics exactly, and the row is always hashed as read back from the database).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

EVENT_FIELDS = (
    "id", "occurred_at", "actor_type", "actor_id", "actor_name", "action", "subject_type", "subject_id",
    "references", "request_id", "ip", "payload",
)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def event_canonical(row: dict[str, Any]) -> bytes:
    """`row` is a dict of EVENT_FIELDS as returned by `AuditEvent.objects.values(*EVENT_FIELDS)`."""
    data = dict(row)
    data["occurred_at"] = _iso_utc(row["occurred_at"])
    data["references"] = list(row["references"] or [])
    data["ip"] = str(row["ip"]) if row["ip"] is not None else None
    return _dumps(data)


def event_hash(row: dict[str, Any]) -> str:
    return hashlib.sha256(event_canonical(row)).hexdigest()


def format_row_hashes(pairs: list[tuple[int, str]]) -> str:
    """The seal's per-row list: one "<id> <hash>" line per row, in id order."""
    return "".join(f"{event_id} {digest}\n" for event_id, digest in pairs)


def parse_row_hashes(text: str) -> list[tuple[int, str]]:
    pairs = []
    for line in text.splitlines():
        event_id, _, digest = line.partition(" ")
        pairs.append((int(event_id), digest))
    return pairs


def rows_hash(row_hashes_text: str) -> str:
    return hashlib.sha256(row_hashes_text.encode()).hexdigest()


def seal_hash(*, previous_seal_hash: str, rows_hash: str, first_event_id: int, last_event_id: int,
              event_count: int, created_at: datetime) -> str:
    return hashlib.sha256(_dumps({
        "previous_seal_hash": previous_seal_hash,
        "rows_hash": rows_hash,
        "first_event_id": first_event_id,
        "last_event_id": last_event_id,
        "event_count": event_count,
        "created_at": _iso_utc(created_at),
    })).hexdigest()
