"""Payments: money crossing the boundary (deposits, withdrawals, refunds), the payment event
pipeline, and customer notifications.

Event pipeline. Every payment state change writes an `OutboxEvent` in the same transaction. Each
event fans out to one `HandlerRun` per registered handler (payments.events.registry), which is
the unit of retry and of dead-lettering: a handler that fails OUTBOX_MAX_ATTEMPTS times is parked
as `dead` for staff to retry or discard. PostgreSQL is the truth; Celery only rings the bell.
"""

from .deposits import (  # noqa: F401
    DEPOSIT_FINAL_STATES,
    DEPOSIT_PENDING_STATES,
    Deposit,
    DepositAccount,
    DepositChannel,
    DepositFlag,
    DepositState,
)
from .events import (  # noqa: F401
    DeadLetter,
    HandlerRun,
    HandlerRunStatus,
    OutboxEvent,
)
from .notifications import (  # noqa: F401
    Notification,
)
from .refunds import (  # noqa: F401
    REFUND_FINAL_STATES,
    REFUND_PENDING_STATES,
    Refund,
    RefundOrigin,
    RefundState,
)
from .withdrawals import (  # noqa: F401
    WITHDRAWAL_AT_PROVIDER_STATES,
    WITHDRAWAL_FINAL_STATES,
    WITHDRAWAL_PENDING_STATES,
    Withdrawal,
    WithdrawalState,
)
