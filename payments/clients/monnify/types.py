"""Typed results of Monnify calls. Amounts are integer kobo; dates are aware UTC datetimes with
the raw string kept beside them (``*_raw``); ``raw`` is the untouched ``responseBody``.

Each ``from_body`` raises ``ValueError`` (``AmountError``) on a body it cannot read exactly;
the client turns that into ``MonnifyInvalidResponse`` (a read) or ``MonnifyUnknownOutcome``
(a write whose answer we could not read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from .parsing import (
    first_present,
    normalize_payment_source_information,
    parse_monnify_datetime,
    to_kobo,
    to_kobo_or_none,
)

T = TypeVar("T")

# Payment (collection) statuses, MONNIFY.md §2.4.
PAID_STATUSES = frozenset({"PAID", "OVERPAID"})
UNPAID_FINAL_STATUSES = frozenset({"FAILED", "EXPIRED", "ABANDONED", "CANCELLED", "REVERSED", "REFUNDED"})

# Transfer statuses, MONNIFY.md §4.2.
DISBURSEMENT_PENDING = frozenset(
    {"PENDING", "AWAITING_PROCESSING", "IN_PROGRESS", "PENDING_AUTHORIZATION", "PENDING_BATCH_AUTHORIZATION",
     "OTP_EMAIL_DISPATCH_FAILED"}
)
DISBURSEMENT_FINAL = frozenset({"SUCCESS", "COMPLETED", "FAILED", "REVERSED", "EXPIRED"})


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class PaymentSource:
    """One payer of a collection (from ``paymentSourceInformation`` or ``accountPayments``)."""

    account_name: str
    account_number: str
    bank_code: str
    amount_paid_kobo: int | None
    session_id: str

    @classmethod
    def from_dict(cls, data: dict) -> PaymentSource:
        return cls(
            account_name=_s(data.get("accountName")),
            account_number=_s(data.get("accountNumber")),
            bank_code=_s(data.get("bankCode")),
            amount_paid_kobo=to_kobo_or_none(data.get("amountPaid")),
            session_id=_s(data.get("sessionId")),
        )


def payment_sources(raw: Any) -> tuple[PaymentSource, ...]:
    return tuple(PaymentSource.from_dict(item) for item in normalize_payment_source_information(raw))


@dataclass(frozen=True)
class InitTransactionResult:
    transaction_reference: str
    payment_reference: str
    checkout_url: str
    merchant_name: str
    enabled_payment_methods: tuple[str, ...]
    raw: dict = field(repr=False, compare=False, hash=False, default_factory=dict)

    @classmethod
    def from_body(cls, body: dict) -> InitTransactionResult:
        return cls(
            transaction_reference=_s(body.get("transactionReference")),
            payment_reference=_s(body.get("paymentReference")),
            checkout_url=_s(body.get("checkoutUrl")),
            merchant_name=_s(body.get("merchantName")),
            enabled_payment_methods=tuple(body.get("enabledPaymentMethod") or ()),
            raw=body,
        )


@dataclass(frozen=True)
class TransactionStatus:
    """A collection as the status API (or a webhook, same normaliser) describes it."""

    transaction_reference: str
    payment_reference: str
    payment_status: str
    amount_paid_kobo: int
    total_payable_kobo: int | None
    settlement_amount_kobo: int | None
    paid_on: datetime | None
    paid_on_raw: str
    payment_method: str
    currency: str
    payment_description: str
    product_type: str
    product_reference: str
    customer_email: str
    customer_name: str
    payment_sources: tuple[PaymentSource, ...]
    meta_data: dict = field(compare=False, hash=False, default_factory=dict)
    raw: dict = field(repr=False, compare=False, hash=False, default_factory=dict)

    @property
    def is_paid(self) -> bool:
        return self.payment_status in PAID_STATUSES

    @property
    def is_final(self) -> bool:
        return self.payment_status in PAID_STATUSES or self.payment_status in UNPAID_FINAL_STATUSES

    @classmethod
    def from_body(cls, body: dict) -> TransactionStatus:
        product = _dict(body.get("product"))
        customer = _dict(body.get("customer"))
        sources_raw = first_present(body, ("paymentSourceInformation", "accountPayments"))
        if not sources_raw and body.get("accountDetails"):
            sources_raw = body.get("accountDetails")
        paid_raw = _s(first_present(body, ("paidOn", "completedOn")))
        meta = body.get("metaData")
        return cls(
            transaction_reference=_s(body.get("transactionReference")),
            payment_reference=_s(body.get("paymentReference")),
            payment_status=_s(body.get("paymentStatus")).upper(),
            amount_paid_kobo=to_kobo_or_none(body.get("amountPaid")) or 0,
            total_payable_kobo=to_kobo_or_none(body.get("totalPayable")),
            settlement_amount_kobo=to_kobo_or_none(body.get("settlementAmount")),
            paid_on=parse_monnify_datetime(paid_raw),
            paid_on_raw=paid_raw,
            payment_method=_s(body.get("paymentMethod")),
            currency=_s(first_present(body, ("currency", "currencyCode"), "NGN")),
            payment_description=_s(body.get("paymentDescription")),
            product_type=_s(product.get("type")),
            product_reference=_s(product.get("reference")),
            customer_email=_s(customer.get("email")),
            customer_name=_s(customer.get("name")),
            payment_sources=payment_sources(sources_raw),
            meta_data=meta if isinstance(meta, dict) else {},
            raw=body,
        )


@dataclass(frozen=True)
class TransactionSummary:
    """One item of ``/api/v1/transactions/search``."""

    transaction_reference: str
    payment_reference: str
    payment_status: str
    amount_kobo: int | None
    payment_method: str
    created_on: datetime | None
    created_on_raw: str
    completed_on: datetime | None
    completed_on_raw: str
    customer_email: str
    customer_name: str
    raw: dict = field(repr=False, compare=False, hash=False, default_factory=dict)

    @classmethod
    def from_body(cls, body: dict) -> TransactionSummary:
        customer = _dict(first_present(body, ("customerDTO", "customer")))
        created = _s(body.get("createdOn"))
        completed = _s(body.get("completedOn"))
        return cls(
            transaction_reference=_s(body.get("transactionReference")),
            payment_reference=_s(body.get("paymentReference")),
            payment_status=_s(body.get("paymentStatus")).upper(),
            amount_kobo=to_kobo_or_none(first_present(body, ("amount", "amountPaid"))),
            payment_method=_s(body.get("paymentMethod")),
            created_on=parse_monnify_datetime(created),
            created_on_raw=created,
            completed_on=parse_monnify_datetime(completed),
            completed_on_raw=completed,
            customer_email=_s(customer.get("email")),
            customer_name=_s(customer.get("name")),
            raw=body,
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    """A Spring page (``content``, ``totalElements``...). Page numbers start at 0."""

    items: tuple[T, ...]
    number: int
    size: int
    total_elements: int
    total_pages: int
    last: bool

    @classmethod
    def from_body(cls, body: dict, item_type: Any) -> Page:
        content = body.get("content") or []
        return cls(
            items=tuple(item_type.from_body(item) for item in content),
            number=int(body.get("number") or 0),
            size=int(body.get("size") or len(content)),
            total_elements=int(body.get("totalElements") or len(content)),
            total_pages=int(body.get("totalPages") or (1 if content else 0)),
            last=bool(body.get("last", True)),
        )


@dataclass(frozen=True)
class ReservedBankAccount:
    bank_code: str
    bank_name: str
    account_number: str
    account_name: str


@dataclass(frozen=True)
class ReservedAccount:
    account_reference: str
    account_name: str
    reservation_reference: str
    status: str
    customer_email: str
    customer_name: str
    accounts: tuple[ReservedBankAccount, ...]
    created_on: datetime | None
    created_on_raw: str
    raw: dict = field(repr=False, compare=False, hash=False, default_factory=dict)

    @classmethod
    def from_body(cls, body: dict) -> ReservedAccount:
        accounts = tuple(
            ReservedBankAccount(
                bank_code=_s(a.get("bankCode")),
                bank_name=_s(a.get("bankName")),
                account_number=_s(a.get("accountNumber")),
                account_name=_s(a.get("accountName")),
            )
            for a in body.get("accounts") or []
            if isinstance(a, dict)
        )
        created = _s(body.get("createdOn"))
        return cls(
            account_reference=_s(body.get("accountReference")),
            account_name=_s(body.get("accountName")),
            reservation_reference=_s(body.get("reservationReference")),
            status=_s(body.get("status")),
            customer_email=_s(body.get("customerEmail")),
            customer_name=_s(body.get("customerName")),
            accounts=accounts,
            created_on=parse_monnify_datetime(created),
            created_on_raw=created,
            raw=body,
        )


@dataclass(frozen=True)
class Disbursement:
    """A single transfer, from initiate, validate-otp or summary (and the disbursement webhooks).

    ``status`` is Monnify's: PENDING_AUTHORIZATION, PENDING, IN_PROGRESS, SUCCESS, FAILED,
    REVERSED... A 200 answer with ``status == "FAILED"`` (insufficient balance) is returned, not
    raised: the transfer exists at Monnify and has failed; ``comment`` says why.
    """

    reference: str
    status: str
    amount_kobo: int
    fee_kobo: int | None
    transaction_reference: str
    destination_account_number: str
    destination_account_name: str
    destination_bank_code: str
    destination_bank_name: str
    narration: str
    comment: str
    session_id: str
    created_on: datetime | None
    created_on_raw: str
    completed_on: datetime | None
    completed_on_raw: str
    raw: dict = field(repr=False, compare=False, hash=False, default_factory=dict)

    @property
    def is_success(self) -> bool:
        return self.status in ("SUCCESS", "COMPLETED")

    @property
    def is_failed(self) -> bool:
        return self.status in ("FAILED", "EXPIRED")

    @property
    def is_reversed(self) -> bool:
        return self.status == "REVERSED"

    @property
    def is_pending(self) -> bool:
        return self.status not in DISBURSEMENT_FINAL

    @property
    def needs_otp(self) -> bool:
        return self.status == "PENDING_AUTHORIZATION"

    @classmethod
    def from_body(cls, body: dict) -> Disbursement:
        created = _s(first_present(body, ("dateCreated", "createdOn")))
        completed = _s(body.get("completedOn"))
        return cls(
            reference=_s(body.get("reference")),
            status=_s(body.get("status")).upper(),
            amount_kobo=to_kobo(body.get("amount")),
            fee_kobo=to_kobo_or_none(first_present(body, ("totalFee", "fee"))),
            transaction_reference=_s(body.get("transactionReference")),
            destination_account_number=_s(body.get("destinationAccountNumber")),
            destination_account_name=_s(body.get("destinationAccountName")),
            destination_bank_code=_s(body.get("destinationBankCode")),
            destination_bank_name=_s(body.get("destinationBankName")),
            narration=_s(body.get("narration")),
            comment=_s(first_present(body, ("comment", "transactionDescription"))),
            session_id=_s(body.get("sessionId")),
            created_on=parse_monnify_datetime(created),
            created_on_raw=created,
            completed_on=parse_monnify_datetime(completed),
            completed_on_raw=completed,
            raw=body,
        )


@dataclass(frozen=True)
class WalletBalance:
    available_kobo: int
    ledger_kobo: int | None

    @classmethod
    def from_body(cls, body: dict) -> WalletBalance:
        return cls(
            available_kobo=to_kobo(body.get("availableBalance")),
            ledger_kobo=to_kobo_or_none(body.get("ledgerBalance")),
        )


@dataclass(frozen=True)
class Bank:
    code: str
    name: str
    ussd_template: str | None = None

    @classmethod
    def from_body(cls, body: dict) -> Bank:
        return cls(code=_s(body.get("code")), name=_s(body.get("name")), ussd_template=body.get("ussdTemplate"))


@dataclass(frozen=True)
class AccountName:
    account_number: str
    account_name: str
    bank_code: str
    bank_name: str = ""

    @classmethod
    def from_body(cls, body: dict) -> AccountName:
        return cls(
            account_number=_s(body.get("accountNumber")),
            account_name=_s(body.get("accountName")),
            bank_code=_s(body.get("bankCode")),
            bank_name=_s(body.get("bankName")),
        )


@dataclass(frozen=True)
class RefundDetails:
    """A refund. ``refund_status``: IN_PROGRESS (PENDING is folded into it), COMPLETED, FAILED."""

    refund_reference: str
    transaction_reference: str
    refund_status: str
    refund_amount_kobo: int
    refund_type: str
    refund_reason: str
    customer_note: str
    comment: str
    created_on: datetime | None
    created_on_raw: str
    completed_on: datetime | None
    completed_on_raw: str
    raw: dict = field(repr=False, compare=False, hash=False, default_factory=dict)

    @property
    def is_final(self) -> bool:
        return self.refund_status in ("COMPLETED", "FAILED")

    @classmethod
    def from_body(cls, body: dict) -> RefundDetails:
        status = _s(body.get("refundStatus")).upper()
        if status == "PENDING":
            status = "IN_PROGRESS"
        created = _s(body.get("createdOn"))
        completed = _s(body.get("completedOn"))
        return cls(
            refund_reference=_s(body.get("refundReference")),
            transaction_reference=_s(body.get("transactionReference")),
            refund_status=status,
            refund_amount_kobo=to_kobo(body.get("refundAmount")),
            refund_type=_s(body.get("refundType")),
            refund_reason=_s(first_present(body, ("refundReason", "merchantReason"))),
            customer_note=_s(body.get("customerNote")),
            comment=_s(body.get("comment")),
            created_on=parse_monnify_datetime(created),
            created_on_raw=created,
            completed_on=parse_monnify_datetime(completed),
            completed_on_raw=completed,
            raw=body,
        )
