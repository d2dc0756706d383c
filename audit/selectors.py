"""Reads of the audit trail: search, the timeline of one reference, chain verification."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from .models import AuditEvent
from .verification import VerificationReport, audit_chain_verify

__all__ = ["VerificationReport", "audit_chain_verify", "audit_event_list", "audit_search_q", "audit_timeline"]


def audit_search_q(term: str) -> Q:
    """What a search box term matches: any reference exactly (payment reference, Monnify
    transactionReference, journal reference, public ids), the actor's id exactly or name by its
    beginning (any case), the subject's id, the request id, or the action code. Each condition has
    an index (AuditEvent.Meta), so the OR is a union of index scans whatever the table's size."""
    term = term.strip()
    return (
        Q(references__contains=[term])
        | Q(actor_id=term)
        | Q(actor_name__istartswith=term)
        | Q(subject_id=term)
        | Q(request_id=term)
        | Q(action=term)
    )


def audit_event_list(*, search: str = "", reference: str = "", actor_id: str = "", action: str = "",
                     occurred_from: datetime | None = None, occurred_to: datetime | None = None
                     ) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if search:
        events = events.filter(audit_search_q(search))
    if reference:
        events = events.filter(references__contains=[reference])
    if actor_id:
        events = events.filter(actor_id=actor_id)
    if action:
        events = events.filter(Q(action=action) | Q(action__startswith=f"{action}."))
    if occurred_from:
        events = events.filter(occurred_at__gte=occurred_from)
    if occurred_to:
        events = events.filter(occurred_at__lt=occurred_to)
    return events.order_by("id")


def audit_timeline(*, reference: str) -> QuerySet[AuditEvent]:
    """Everything recorded about one reference, in the order it happened: rows that list it as a
    reference, or whose subject it is."""
    reference = reference.strip()
    return AuditEvent.objects.filter(Q(references__contains=[reference]) | Q(subject_id=reference)).order_by(
        "occurred_at", "id"
    )
