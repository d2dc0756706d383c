"""Thin Celery tasks: load by id, call a service."""

from celery import shared_task

from .events import services as events


@shared_task(name="payments.outbox_dispatch", acks_late=True)
def outbox_dispatch_task(event_id: int) -> dict:
    return events.outbox_dispatch(event_id=event_id)


@shared_task(name="payments.outbox_drain", acks_late=True)
def outbox_drain_task() -> int:
    return events.outbox_drain()


@shared_task(name="payments.outbox_sweep")
def outbox_sweep_task() -> int:
    return events.outbox_sweep()


# --- Deposits -------------------------------------------------------------------------------------


@shared_task(name="payments.deposit_verify", acks_late=True, autoretry_for=(Exception,), retry_backoff=5,
             retry_backoff_max=600, retry_jitter=True, max_retries=5)
def deposit_verify_task(deposit_id: int) -> str:
    from .services.deposits import deposit_verify

    return deposit_verify(deposit_id=deposit_id).state


@shared_task(name="payments.deposits_poll")
def deposits_poll_task() -> dict:
    """Beat: re-query pending deposits that are due, and discover dedicated-account transfers whose
    webhook never came."""
    from cozonpay.enqueue import safe_enqueue

    from .services.deposits import deposits_discover_bank_transfers, deposits_due_for_check

    due = deposits_due_for_check()
    for deposit_id in due:
        safe_enqueue(deposit_verify_task, args=(deposit_id,))
    discovered = deposits_discover_bank_transfers()
    return {"due": len(due), "discovered": discovered}


@shared_task(name="payments.deposits_end_of_day")
def deposits_end_of_day_task() -> dict:
    from .services.deposits import deposits_end_of_day

    return deposits_end_of_day()


@shared_task(name="payments.deposit_account_open", acks_late=True, autoretry_for=(Exception,), retry_backoff=10,
             retry_backoff_max=900, retry_jitter=True, max_retries=None)
def deposit_account_open_task(request_id: int) -> int:
    from .services.deposit_accounts import deposit_account_open

    return len(deposit_account_open(request_id=request_id))


@shared_task(name="payments.deposit_accounts_sweep")
def deposit_accounts_sweep_task() -> int:
    from .services.deposit_accounts import deposit_accounts_sweep

    return deposit_accounts_sweep()


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
