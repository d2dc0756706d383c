"""Payments admin screens, one module per area; importing registers them."""

from . import events  # noqa: F401
