"""Event (outbox) and webhook handlers of the payments app, one module per flow.
Imported by PaymentsConfig.ready() so they are registered before anything is emitted."""

from . import deposits, disputes, refunds, transfers, withdrawals  # noqa: F401
