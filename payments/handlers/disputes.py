"""Tell the customer about each step of their dispute (in-app and email), once per event."""

from __future__ import annotations

from ..events.registry import event_handler
from ..models import Dispute, OutboxEvent
from ..services.notifications import notify

_MESSAGES = {
    "dispute.opened": ("We received your dispute",
                       "We have received your dispute about {reference}. We aim to answer within {hours} hours."),
    "dispute.investigating": ("We are looking into your dispute",
                              "A member of our team is investigating your dispute about {reference}."),
    "dispute.resolved": ("Your dispute is resolved", "Your dispute about {reference} is resolved. {note}"),
    "dispute.rejected": ("Your dispute is closed", "We closed your dispute about {reference}. {note}"),
}


def notify_customer(event: OutboxEvent) -> None:
    from django.conf import settings

    dispute = Dispute.objects.select_related("user").get(public_id=event.aggregate_id)
    title, body = _MESSAGES[event.event_type]
    notify(user=dispute.user, kind=event.event_type, title=title,
           body=body.format(reference=dispute.reference, note=dispute.resolution_note,
                            hours=settings.DISPUTE_TARGET_HOURS).strip(),
           dedupe_key=f"{event.public_id}:{event.event_type}:{dispute.user_id}")


for _event_type in _MESSAGES:
    event_handler(_event_type, name="notify_customer")(notify_customer)
