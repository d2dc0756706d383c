"""The one API other apps call to record what happened.

    from audit.services import Actor, audit_record

    audit_record(action="ledger.journal.posted", actor=Actor.system("wallets"),
                 subject=journal, references=[journal.reference], payload={...})

Call it inside your own transaction: the record commits or rolls back with the change. The
payload is redacted (audit.redaction) before it is stored. Request id and client IP default to
the current request's (cozonpay.context), so services need not pass them.

Action codes are dotted, `<area>.<object>.<verb>`: ledger.journal.posted, auth.login.failed,
auth.pin.locked, admin.users.user.changed, payment.deposit.confirmed, monnify.call, webhook.received.

Also here: `audit_login` (logins from any channel) and `audit_seal_pending` (the beat job's
service, implemented in audit.sealing).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models

from cozonpay.context import current_client_ip, current_request_id
from cozonpay.db import execute_prepared

from .models import ActorType, AuditEvent
from .redaction import redact
from .sealing import audit_seal_pending

__all__ = ["AUDIT_COLUMNS", "Actor", "audit_login", "audit_record", "audit_row", "audit_seal_pending"]


@dataclass(frozen=True)
class Actor:
    type: str
    id: str = ""
    name: str = ""

    @classmethod
    def of_user(cls, user) -> Actor:
        if user is None or not getattr(user, "is_authenticated", False):
            return cls(ActorType.ANONYMOUS)
        kind = ActorType.STAFF if user.is_staff else ActorType.CUSTOMER
        return cls(kind, str(user.pk), user.email)

    @classmethod
    def system(cls, job: str) -> Actor:
        return cls(ActorType.SYSTEM, job, job)

    @classmethod
    def provider(cls, name: str = "monnify") -> Actor:
        return cls(ActorType.PROVIDER, name, name)

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(ActorType.ANONYMOUS)


def _json_native(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return True
    if kind is dict:
        return all(type(k) is str and _json_native(v) for k, v in value.items())
    if kind is list:
        return all(_json_native(v) for v in value)
    return False


def _json_safe(value: Any) -> Any:
    """Round-trip through Django's encoder so Decimals, UUIDs and datetimes store as JSON (skipped
    when the value is already made of JSON types only)."""
    if _json_native(value):
        return value
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _subject(subject: Any) -> tuple[str, str]:
    if subject is None:
        return "", ""
    if isinstance(subject, tuple):
        return str(subject[0]), str(subject[1])
    if isinstance(subject, models.Model):
        return subject._meta.label, str(getattr(subject, "public_id", None) or subject.pk)
    return type(subject).__name__, str(subject)


# The columns of an audit row a writer supplies, in the order of `audit_row`'s values. `id` and
# `occurred_at` come from the database (sequence; BEFORE INSERT trigger with clock_timestamp()).
AUDIT_COLUMNS = ("actor_type", "actor_id", "actor_name", "action", "subject_type", "subject_id", "references",
                 "request_id", "ip", "payload")
# SQL placeholders for those values, with the casts a prepared statement needs.
AUDIT_PLACEHOLDERS = "%s, %s, %s, %s, %s, %s, %s::varchar[], %s, %s::inet, %s::jsonb"
AUDIT_COLUMN_LIST = ", ".join('"' + column + '"' for column in AUDIT_COLUMNS)
# One audit row (values from `audit_row`), for writers that batch it with their own statements.
AUDIT_INSERT = (
    f"INSERT INTO audit_auditevent ({AUDIT_COLUMN_LIST}) VALUES ({AUDIT_PLACEHOLDERS}) "  # noqa: S608 (constants)
    "RETURNING id, occurred_at"
)


def audit_row(
    *,
    action: str,
    actor: Actor | Any | None,
    subject: Any = None,
    references: Iterable[str | uuid.UUID | None] = (),
    payload: dict | None = None,
    request_id: str | None = None,
    ip: str | None = None,
) -> tuple[tuple, dict]:
    """The values of one audit row (in AUDIT_COLUMNS order, the payload redacted and as JSON text)
    and the redacted payload. For writers that insert the row in their own statement (the ledger
    writes a journal and its audit row in one); everyone else calls `audit_record`."""
    if not isinstance(actor, Actor):
        actor = Actor.of_user(actor)
    subject_type, subject_id = _subject(subject)
    refs = sorted({str(r) for r in references if r not in (None, "")})
    redacted = redact(_json_safe(payload or {}))
    values = (actor.type, actor.id, actor.name, action, subject_type, subject_id, refs,
              request_id or current_request_id() or "", ip or current_client_ip(), json.dumps(redacted))
    return values, redacted


def audit_record(
    *,
    action: str,
    actor: Actor | Any | None,
    subject: Any = None,
    references: Iterable[str | uuid.UUID | None] = (),
    payload: dict | None = None,
    request_id: str | None = None,
    ip: str | None = None,
) -> AuditEvent:
    values, redacted = audit_row(action=action, actor=actor, subject=subject, references=references,
                                 payload=payload, request_id=request_id, ip=ip)
    # One prepared INSERT (the ORM's insert costs more Python than the row costs the database).
    event_id, occurred_at = execute_prepared(AUDIT_INSERT, values)[0]
    event = AuditEvent(id=event_id, occurred_at=occurred_at, **dict(zip(AUDIT_COLUMNS[:-1], values[:-1], strict=True)),
                       payload=redacted)
    event._state.adding = False
    event._state.db = connection.alias
    return event


def audit_login(*, user: Any, success: bool, email_attempted: str = "", request: Any = None,
                channel: str = "api") -> AuditEvent:
    """Record a login attempt: `auth.login.succeeded` by the user, or `auth.login.failed` by an
    anonymous actor with the email that was tried (never the password)."""
    if success:
        return audit_record(action="auth.login.succeeded", actor=user, subject=user,
                            references=[user.pk], payload={"channel": channel})
    return audit_record(action="auth.login.failed", actor=Actor.anonymous(),
                        references=[], payload={"email": email_attempted, "channel": channel})
