"""Thin Celery tasks: load by id, call a service."""

from celery import shared_task

from .events import services as events


@shared_task(name="payments.outbox_dispatch", acks_late=True)
def outbox_dispatch_task(event_id: int) -> dict:
    return events.outbox_dispatch(event_id=event_id)


@shared_task(name="payments.outbox_sweep")
def outbox_sweep_task() -> int:
    return events.outbox_sweep()


# --- Withdrawals and refunds (payments/services/withdrawals.py, refunds.py) --------------------------
# Tasks are thin and idempotent: a redelivered message finds the row past the state it expects and
# does nothing; the pollers re-drive anything whose message was lost.


@shared_task(name="payments.withdrawal_submit", acks_late=True)
def withdrawal_submit_task(withdrawal_id: int) -> str:
    from .services.withdrawals import withdrawal_submit

    return withdrawal_submit(withdrawal_id=withdrawal_id).state


@shared_task(name="payments.withdrawals_poll")
def withdrawals_poll_task() -> dict:
    from .services.withdrawals import withdrawals_poll

    return withdrawals_poll()


@shared_task(name="payments.withdrawals_eod_report")
def withdrawals_eod_report_task() -> dict:
    from .services.withdrawals import withdrawals_eod_report

    return withdrawals_eod_report()


@shared_task(name="payments.refund_submit", acks_late=True)
def refund_submit_task(refund_id: int) -> str:
    from .services.refunds import refund_submit

    return refund_submit(refund_id=refund_id).state


@shared_task(name="payments.refunds_poll")
def refunds_poll_task() -> dict:
    from .services.refunds import refunds_poll

    return refunds_poll()
