"""Payments admin screens, one module per area; importing registers them."""

from . import disputes, events, reconciliation  # noqa: F401
