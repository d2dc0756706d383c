"""Every write of the ledger. Entry points are keyword-only, typed, and own a durable
transaction (`transaction.atomic(durable=True)`), except `wallet_open`, which nests inside
`user_register`'s transaction, and `system_account`, a self-healing lookup."""

from ._engine import PostingSpec
from .accounts import system_account, wallet_close, wallet_freeze, wallet_open, wallet_unfreeze
from .adjustments import adjustment_approve, adjustment_propose, adjustment_reject
from .holds import hold_capture, hold_expire, hold_place, hold_release, holds_expire_due
from .journals import (
    journal_post,
    journal_reverse,
    provider_fee_book,
    transfer,
    transfer_send,
    wallet_credit_from_provider,
)
from .transfers import transfer_create

__all__ = [
    "PostingSpec",
    "adjustment_approve",
    "adjustment_propose",
    "adjustment_reject",
    "hold_capture",
    "hold_expire",
    "hold_place",
    "hold_release",
    "holds_expire_due",
    "journal_post",
    "journal_reverse",
    "provider_fee_book",
    "system_account",
    "transfer",
    "transfer_create",
    "transfer_send",
    "wallet_close",
    "wallet_credit_from_provider",
    "wallet_freeze",
    "wallet_open",
    "wallet_unfreeze",
]
