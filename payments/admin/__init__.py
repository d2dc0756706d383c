"""Payments admin screens, one module per area; importing registers them."""

from . import events, refunds, withdrawals  # noqa: F401
