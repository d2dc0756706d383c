"""Payments admin screens, one module per area; importing registers them."""

from . import disputes, events, reconciliation, refunds, withdrawals  # noqa: F401
