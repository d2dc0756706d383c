from celery import shared_task

from . import services


@shared_task(name="webhooks.process", acks_late=True)
def webhook_process_task(event_id: int) -> str | None:
    return services.webhook_process(event_id=event_id)


@shared_task(name="webhooks.sweep")
def webhook_sweep_task() -> int:
    return services.webhook_sweep()


@shared_task(name="webhooks.drain", acks_late=True)
def webhook_drain_task() -> int:
    return services.webhook_drain()
