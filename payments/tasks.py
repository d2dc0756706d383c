"""Thin Celery tasks: load by id, call a service."""

from celery import shared_task

from .events import services as events


@shared_task(name="payments.outbox_dispatch", acks_late=True)
def outbox_dispatch_task(event_id: int) -> dict:
    return events.outbox_dispatch(event_id=event_id)


@shared_task(name="payments.outbox_sweep")
def outbox_sweep_task() -> int:
    return events.outbox_sweep()


@shared_task(name="payments.reconcile_ledger")
def reconcile_ledger_task() -> int:
    from .services.reconciliation import reconcile_ledger

    return reconcile_ledger(triggered_by="beat").pk


@shared_task(name="payments.reconcile_nightly")
def reconcile_nightly_task() -> list[int]:
    from .services.reconciliation import reconcile_nightly

    return [run.pk for run in reconcile_nightly()]


@shared_task(name="payments.reconcile_monnify")
def reconcile_monnify_task(day: str, triggered_by: str = "admin") -> int:
    import datetime as dt

    from .services.reconciliation import reconcile_monnify

    return reconcile_monnify(day=dt.date.fromisoformat(day), triggered_by=triggered_by).pk
