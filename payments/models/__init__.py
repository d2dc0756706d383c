"""Payments: money crossing the boundary (deposits, withdrawals, refunds), the payment event
pipeline, customer notifications, disputes and reconciliation.

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
    DepositAccountRequest,
    DepositAccountRequestStatus,
    DepositChannel,
    DepositFlag,
    DepositState,
)
from .disputes import (  # noqa: F401
    DISPUTE_ACTIVE_STATES,
    MONEY_OUTCOMES,
    Dispute,
    DisputeNote,
    DisputeOutcome,
    DisputeReason,
    DisputeStatus,
    DisputeSubject,
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
from .reconciliation import (  # noqa: F401
    Discrepancy,
    DiscrepancyKind,
    DiscrepancySource,
    DiscrepancyStatus,
    ReconciliationRun,
    ReconciliationScope,
    RunStatus,
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
    WITHDRAWAL_UNKNOWN_STATES,
    Withdrawal,
    WithdrawalState,
)
