"""Payments services, one module per capability (deposits, withdrawals, refunds, notifications).
Import from the module: `from payments.services.notifications import notify`."""
