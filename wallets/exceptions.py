"""Refusals of the ledger. Each leaves every balance, hold and journal exactly as it was (the
service's transaction rolls back). Messages are safe to show a customer."""

from cozonpay.exceptions import DomainError, InvalidStateTransition


class LedgerError(DomainError):
    code = "ledger_error"
    http_status = 422
    default_message = "The ledger refused the operation."


class InsufficientFunds(LedgerError):
    code = "insufficient_funds"
    default_message = "The wallet does not have enough available funds."


class LimitExceeded(LedgerError):
    code = "limit_exceeded"
    default_message = "This would exceed the wallet's limits for its verification level."


class WalletUnavailable(LedgerError):
    code = "wallet_unavailable"
    default_message = "The wallet cannot be used for this operation right now."


class CurrencyMismatch(LedgerError):
    code = "currency_mismatch"
    default_message = "The currencies of the accounts do not match."


class SelfTransfer(LedgerError):
    code = "self_transfer"
    default_message = "You cannot send money to the same wallet."


class InvalidAmount(LedgerError):
    code = "invalid_amount"
    default_message = "The amount must be a positive whole number of kobo."


class UnbalancedJournal(LedgerError):
    code = "unbalanced_journal"
    default_message = "The journal's postings do not sum to zero."


class IdempotencyConflict(LedgerError):
    code = "idempotency_conflict"
    http_status = 409
    default_message = "This reference was already used for a different operation."


class AlreadyReversed(LedgerError):
    code = "already_reversed"
    http_status = 409
    default_message = "This journal has already been reversed."


class HoldNotPending(InvalidStateTransition):
    code = "hold_not_pending"
    default_message = "The hold is no longer pending."


class AccountStateError(InvalidStateTransition):
    code = "invalid_account_state"
    default_message = "That is not possible in the account's current state."


class RecipientNotFound(LedgerError):
    code = "recipient_not_found"
    default_message = "No CozonPay customer has that email address or phone number."


class AdjustmentNotPending(InvalidStateTransition):
    code = "adjustment_not_pending"
    default_message = "This adjustment has already been decided."


class MakerCheckerViolation(LedgerError):
    code = "maker_checker"
    http_status = 403
    default_message = "An adjustment must be approved or rejected by someone other than who proposed it."
