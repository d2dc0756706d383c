"""Thin Celery tasks: load by id, call a service."""

from celery import shared_task

from .events import services as events


@shared_task(name="payments.outbox_dispatch", acks_late=True)
def outbox_dispatch_task(event_id: int) -> dict:
    return events.outbox_dispatch(event_id=event_id)


@shared_task(name="payments.outbox_sweep")
def outbox_sweep_task() -> int:
    return events.outbox_sweep()
