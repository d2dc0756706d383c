"""Every read of the ledger that is more than a `.get()`.

Balances are O(1) for wallets (the cached row, proven by the integrity check); statements and
balance-at-a-moment use the (account_id, created_at, id) index, so their cost depends on the
page size, not on the length of the history."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum

from cozonpay.db import Columns, execute_prepared
from cozonpay.users.models import User
from cozonpay.users.selectors import recipient_lookup

from .integrity import Discrepancy, IntegrityReport, ledger_integrity_check
from .models import AccountKind, LedgerAccount, Posting, Transfer
from .policy import fee_for, limits_for_tier

__all__ = [
    "Balance", "Discrepancy", "IntegrityReport", "StatementEntry", "StatementPage", "account_balance",
    "balance_at", "fee_for", "ledger_integrity_check", "limits_for_tier", "statement", "transfer_get_for_user",
    "transfer_list_for_user", "transfers_by_journal", "wallet_get_for_user", "wallet_get_owned", "wallet_list_for_user",
    "wallet_of_recipient", "wallet_with_owner",
]


@dataclass(frozen=True)
class Balance:
    balance: int
    held: int

    @property
    def available(self) -> int:
        return self.balance - self.held


# The two reads of every API transfer, as prepared statements (cozonpay.db.Columns): each is one
# query for the wallet and its owner, which the ORM's select_related spent more CPU compiling and
# loading than the ledger spends posting the transfer.
_WALLET = Columns(LedgerAccount, "w")
_OWNER = Columns(User, "u")
_WALLET_AND_OWNER = (f"SELECT {_WALLET.sql}, {_OWNER.sql} "  # noqa: S608 - model constants, no input
                     f"FROM {LedgerAccount._meta.db_table} w JOIN {User._meta.db_table} u ON u.id = w.owner_id")
WALLET_WITH_OWNER_SQL = f"{_WALLET_AND_OWNER} WHERE w.kind = %s AND w.owner_id = %s AND w.public_id = %s"
# By email through the unique index on lower(email) (see cozonpay.users.models.email_is).
WALLET_OF_RECIPIENT_SQL = {
    kind: f"{_WALLET_AND_OWNER} WHERE w.kind = %s AND w.currency = %s AND u.is_active AND {match} ORDER BY w.id LIMIT 1"
    for kind, match in (("email", "lower(u.email) = lower(%s)"), ("phone_number", "u.phone_number = %s"))
}


def _wallet_and_owner(rows: list[tuple]) -> LedgerAccount | None:
    if not rows:
        return None
    wallet = _WALLET.build(rows[0])
    wallet.owner = _OWNER.build(rows[0], start=_WALLET.width)
    return wallet


def wallet_with_owner(*, owner_id, public_id) -> LedgerAccount | None:
    """The customer wallet `public_id` if `owner_id` owns it (else None), with its owner loaded,
    so with the owner's PIN state as of now."""
    return _wallet_and_owner(execute_prepared(WALLET_WITH_OWNER_SQL,
                                              [AccountKind.CUSTOMER_WALLET.value, owner_id, public_id]))


def wallet_of_recipient(*, identifier: str, currency: str) -> LedgerAccount | None:
    """The `currency` wallet of the active customer that `identifier` (email or phone number)
    names, with its owner loaded; None when there is no such customer or wallet."""
    lookup = recipient_lookup(identifier)
    if lookup is None:
        return None
    kind, value = lookup
    return _wallet_and_owner(execute_prepared(WALLET_OF_RECIPIENT_SQL[kind],
                                              [AccountKind.CUSTOMER_WALLET.value, currency, value]))


def wallet_get_for_user(*, user, currency: str = "NGN") -> LedgerAccount:
    return LedgerAccount.objects.get(kind=AccountKind.CUSTOMER_WALLET, owner=user, currency=currency)


def account_balance(*, account: LedgerAccount) -> Balance:
    """Balance, held and available. One primary-key read for wallets; system accounts (which may
    go negative and are never locked) sum their postings."""
    if account.is_derived:
        total = Posting.objects.filter(account_id=account.id).aggregate(total=Sum("amount"))["total"] or 0
        return Balance(balance=total, held=0)
    balance, held = LedgerAccount.objects.filter(pk=account.pk).values_list("balance", "held").get()
    return Balance(balance=balance, held=held)


def balance_at(*, account: LedgerAccount, at: dt.datetime) -> int:
    """The account's balance at moment `at`: the `balance_after` of its last posting at or before
    it (one index probe); derived accounts sum their postings up to `at`."""
    postings = Posting.objects.filter(account_id=account.id, created_at__lte=at)
    if account.is_derived:
        return postings.aggregate(total=Sum("amount"))["total"] or 0
    last = postings.order_by("-created_at", "-id").values_list("balance_after", flat=True).first()
    return last or 0


@dataclass(frozen=True)
class StatementEntry:
    posting_id: int
    created_at: dt.datetime
    amount: int
    balance_after: int | None
    currency: str
    journal_public_id: str
    reference: str
    kind: str
    narration: str


@dataclass(frozen=True)
class StatementPage:
    entries: list[StatementEntry]
    next_cursor: str | None


def _encode_cursor(created_at: dt.datetime, posting_id: int) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{posting_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        moment, posting_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return dt.datetime.fromisoformat(moment), int(posting_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("invalid statement cursor") from exc


def statement(*, account: LedgerAccount, cursor: str | None = None, limit: int = 50,
              since: dt.datetime | None = None, until: dt.datetime | None = None) -> StatementPage:
    """The account's postings, newest first, `limit` per page. Keyset pagination on
    (created_at, id): pass the page's `next_cursor` to get the next (older) page. `since` is
    inclusive, `until` exclusive."""
    limit = max(1, min(int(limit), 500))
    qs = Posting.objects.filter(account_id=account.id)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    if cursor:
        moment, posting_id = _decode_cursor(cursor)
        # (created_at, id) < (moment, posting_id); the `lte` bound lets the index range-scan.
        qs = qs.filter(Q(created_at__lt=moment) | Q(created_at=moment, id__lt=posting_id), created_at__lte=moment)
    rows = list(
        qs.order_by("-created_at", "-id")
        .values_list("id", "created_at", "amount", "balance_after", "currency", "journal__public_id",
                     "journal__reference", "journal__kind", "journal__narration")[: limit + 1]
    )
    entries = [StatementEntry(r[0], r[1], r[2], r[3], r[4], str(r[5]), r[6], r[7], r[8]) for r in rows[:limit]]
    next_cursor = _encode_cursor(entries[-1].created_at, entries[-1].posting_id) if len(rows) > limit else None
    return StatementPage(entries=entries, next_cursor=next_cursor)


# --- Customer-facing reads (the public API) ------------------------------------------------------


def wallet_list_for_user(*, user) -> QuerySet[LedgerAccount]:
    return LedgerAccount.objects.filter(kind=AccountKind.CUSTOMER_WALLET, owner=user).order_by("created_at", "id")


WALLET_OWNED_SQL = (f"SELECT {_WALLET.sql} FROM {LedgerAccount._meta.db_table} w "  # noqa: S608 - model constants
                    "WHERE w.kind = %s AND w.owner_id = %s AND w.public_id = %s")


def wallet_get_owned(*, user, public_id) -> LedgerAccount | None:
    """The user's wallet with this public id, or None: another user's wallet is not found, the
    same answer as an unknown id. (Prepared: every wallet-scoped request starts here.)"""
    rows = execute_prepared(WALLET_OWNED_SQL, [AccountKind.CUSTOMER_WALLET.value, user.pk, public_id])
    return _WALLET.build(rows[0]) if rows else None


def _transfers() -> QuerySet[Transfer]:
    return Transfer.objects.select_related("journal", "source", "destination", "sender", "recipient")


def transfer_list_for_user(*, user) -> QuerySet[Transfer]:
    """Transfers the user sent or received (each side has its own index)."""
    return _transfers().filter(Q(sender=user) | Q(recipient=user))


def transfer_get_for_user(*, user, public_id) -> Transfer | None:
    return transfer_list_for_user(user=user).filter(public_id=public_id).first()


def transfers_by_journal(*, journal_public_ids: list[str]) -> dict[str, Transfer]:
    """{journal public id: Transfer} for the given journals (statement counterparties)."""
    if not journal_public_ids:
        return {}
    rows = Transfer.objects.select_related("sender", "recipient", "journal").filter(
        journal__public_id__in=journal_public_ids
    )
    return {str(t.journal.public_id): t for t in rows}
