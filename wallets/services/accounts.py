"""Opening ledger accounts and changing their status."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from audit.services import audit_record

from .. import locks
from ..exceptions import AccountStateError, CurrencyMismatch, WalletUnavailable
from ..models import AccountKind, AccountStatus, LedgerAccount, SystemCode

SUPPORTED_CURRENCIES = ("NGN",)


def wallet_open(*, user, currency: str = "NGN", actor: Any = None) -> LedgerAccount:
    """The user's wallet in `currency`, opened if missing. Idempotent, and safe to nest: it uses a
    plain `atomic()` so that `user_register` can open the wallet in its own transaction."""
    if currency not in SUPPORTED_CURRENCIES:
        raise CurrencyMismatch(f"Wallets in {currency} are not offered.")
    with transaction.atomic():
        wallet, created = LedgerAccount.objects.get_or_create(
            kind=AccountKind.CUSTOMER_WALLET, owner=user, currency=currency,
            defaults={"allow_negative": False},
        )
        if created:
            audit_record(action="ledger.wallet.opened", actor=actor if actor is not None else user,
                         subject=wallet, payload={"currency": currency, "owner": str(user.pk)})
    return wallet


def system_account(code: str, currency: str = "NGN") -> LedgerAccount:
    """A system account (monnify_clearing, fees_revenue, withdrawals_in_flight, suspense).

    Created by a data migration; recreated here if missing (idempotent, unique per code and
    currency). System accounts may go negative, so their balance is derived from postings."""
    if code not in SystemCode.values:
        raise ValueError(f"unknown system account {code!r}")
    try:
        return LedgerAccount.objects.get(kind=AccountKind.SYSTEM, system_code=code, currency=currency)
    except LedgerAccount.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(kind=AccountKind.SYSTEM, system_code=code, currency=currency,
                                                allow_negative=True)
    except IntegrityError:
        return LedgerAccount.objects.get(kind=AccountKind.SYSTEM, system_code=code, currency=currency)


def _set_status(*, account: LedgerAccount, to_status: str, from_statuses: tuple[str, ...], actor: Any,
                reason: str, action: str, require_empty: bool = False) -> LedgerAccount:
    if account.kind != AccountKind.CUSTOMER_WALLET:
        raise WalletUnavailable("Only customer wallets can be frozen, unfrozen or closed.")
    with transaction.atomic(durable=True):
        rows = locks.execute(locks.ACCOUNT_SET_STATUS, {
            "account_id": account.id, "to_status": to_status, "from_statuses": list(from_statuses),
            "require_empty": require_empty,
        })
        account.refresh_from_db()
        if not rows:
            if account.status == to_status:
                return account  # already there: idempotent, nothing to record
            if require_empty and account.status != AccountStatus.CLOSED:
                raise AccountStateError("A wallet can be closed only when its balance and holds are zero.")
            raise AccountStateError(f"The wallet is {account.status}.")
        audit_record(action=action, actor=actor, subject=account, payload={"reason": reason, "status": to_status})
    return account


def wallet_freeze(*, account: LedgerAccount, actor: Any, reason: str = "") -> LedgerAccount:
    """Frozen: no debits (credits still land; captures of holds placed before still complete)."""
    return _set_status(account=account, to_status=AccountStatus.FROZEN, from_statuses=(AccountStatus.ACTIVE,),
                       actor=actor, reason=reason, action="ledger.wallet.frozen")


def wallet_unfreeze(*, account: LedgerAccount, actor: Any, reason: str = "") -> LedgerAccount:
    return _set_status(account=account, to_status=AccountStatus.ACTIVE, from_statuses=(AccountStatus.FROZEN,),
                       actor=actor, reason=reason, action="ledger.wallet.unfrozen")


def wallet_close(*, account: LedgerAccount, actor: Any, reason: str = "") -> LedgerAccount:
    """Closed for good: no debits, no credits. Only an empty wallet (balance 0, no holds) closes."""
    return _set_status(account=account, to_status=AccountStatus.CLOSED,
                       from_statuses=(AccountStatus.ACTIVE, AccountStatus.FROZEN), actor=actor, reason=reason,
                       action="ledger.wallet.closed", require_empty=True)
