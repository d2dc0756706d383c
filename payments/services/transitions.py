"""One way to change a payment's state (deposits, withdrawals, refunds).

Call inside the transaction that locked the row (`select_for_update`): the transition's field
changes, its outbox event and its audit record commit together or not at all. Each model says what
its events carry (`event_body()`) and what its audit rows are searchable by (`search_references()`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from audit.services import audit_record
from cozonpay.exceptions import InvalidStateTransition

from ..events.services import outbox_emit


def transition_apply(obj, method: str, event_type: str, *, actor, payload: dict | None = None, **kwargs):
    kind = obj._meta.model_name
    before = obj.state
    try:
        getattr(obj, method)(**kwargs)
    except TransitionNotAllowed:
        raise InvalidStateTransition(f"A {kind} that is {before} cannot {method.replace('_', ' ')}.")
    obj.updated_at = timezone.now()
    obj.save()
    body = {kind: str(obj.public_id), "state": obj.state, "from": before, **obj.event_body(), **(payload or {})}
    outbox_emit(event_type=event_type, aggregate=obj, payload=body, reference=obj.reference)
    audit_record(action=f"{kind}.{method}", actor=actor, subject=obj, references=obj.search_references(),
                 payload={"before": {"state": before}, "after": {"state": obj.state}, **body})
    return obj


def next_poll_at() -> datetime:
    """When a payment still open at Monnify is next asked about: PAYMENTS_POLL_INTERVAL_SECONDS from now."""
    return timezone.now() + timedelta(seconds=settings.PAYMENTS_POLL_INTERVAL_SECONDS)


def submit_grace_at() -> datetime:
    """When a payment just submitted to Monnify is first asked about if no webhook has settled it:
    WITHDRAWAL_SUBMIT_GRACE_SECONDS from now."""
    return timezone.now() + timedelta(seconds=settings.WITHDRAWAL_SUBMIT_GRACE_SECONDS)
