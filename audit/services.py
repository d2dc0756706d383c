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

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from cozonpay.context import current_client_ip, current_request_id

from .models import ActorType, AuditEvent
from .redaction import redact
from .sealing import audit_seal_pending

__all__ = ["Actor", "audit_login", "audit_record", "audit_seal_pending"]


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


def _json_safe(value: Any) -> Any:
    """Round-trip through Django's encoder so Decimals, UUIDs and datetimes store as JSON."""
    import json

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _subject(subject: Any) -> tuple[str, str]:
    if subject is None:
        return "", ""
    if isinstance(subject, tuple):
        return str(subject[0]), str(subject[1])
    if isinstance(subject, models.Model):
        return subject._meta.label, str(getattr(subject, "public_id", None) or subject.pk)
    return type(subject).__name__, str(subject)


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
    if not isinstance(actor, Actor):
        actor = Actor.of_user(actor)
    subject_type, subject_id = _subject(subject)
    refs = sorted({str(r) for r in references if r not in (None, "")})
    return AuditEvent.objects.create(
        actor_type=actor.type,
        actor_id=actor.id,
        actor_name=actor.name,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        references=refs,
        request_id=request_id or current_request_id() or "",
        ip=ip or current_client_ip(),
        payload=redact(_json_safe(payload or {})),
    )


def audit_login(*, user: Any, success: bool, email_attempted: str = "", request: Any = None,
                channel: str = "api") -> AuditEvent:
    """Record a login attempt: `auth.login.succeeded` by the user, or `auth.login.failed` by an
    anonymous actor with the email that was tried (never the password)."""
    if success:
        return audit_record(action="auth.login.succeeded", actor=user, subject=user,
                            references=[user.pk], payload={"channel": channel})
    return audit_record(action="auth.login.failed", actor=Actor.anonymous(),
                        references=[], payload={"email": email_attempted, "channel": channel})
