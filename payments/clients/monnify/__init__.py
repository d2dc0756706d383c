"""Monnify provider client. See ``client`` for the contract, ``errors`` for the failure classes."""

from .client import MonnifyClient, clear_token_cache, get_client
from .errors import (
    MonnifyAuthError,
    MonnifyError,
    MonnifyInvalidResponse,
    MonnifyNotFound,
    MonnifyRetryableError,
    MonnifyTerminalError,
    MonnifyUnknownOutcome,
)
from .types import (
    AccountName,
    Bank,
    Disbursement,
    InitTransactionResult,
    Page,
    PaymentSource,
    RefundDetails,
    ReservedAccount,
    ReservedBankAccount,
    TransactionStatus,
    TransactionSummary,
    WalletBalance,
)

__all__ = [
    "AccountName", "Bank", "Disbursement", "InitTransactionResult", "MonnifyAuthError", "MonnifyClient",
    "MonnifyError", "MonnifyInvalidResponse", "MonnifyNotFound", "MonnifyRetryableError", "MonnifyTerminalError",
    "MonnifyUnknownOutcome", "Page", "PaymentSource", "RefundDetails", "ReservedAccount", "ReservedBankAccount",
    "TransactionStatus", "TransactionSummary", "WalletBalance", "clear_token_cache", "get_client",
]
