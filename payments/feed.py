"""Selectors of the transactions feed (`GET /api/v1/transactions`): one newest-first list of
everything that moved a customer's money, merged from one source per kind of object.

A source is a function registered with `@feed_source(types=..., statuses=...)` that returns, for
one `FeedQuery`, at most `query.limit` items of its own, newest first by (created_at, id), strictly
older than `query.before`, within the query's filters. `transaction_feed` asks each source that
can match the `type`/`status` filters for a page, merges them (heapq), keeps `limit` and derives
the keyset cursor from the last item. Every source is one index range scan per page, so a page
costs O(sources x limit) whatever the length of the history. A new kind (withdrawals, refunds)
plugs in with a model query and a few lines:

    @feed_source(types=("withdrawal",), statuses=tuple(WithdrawalState.values))
    def _withdrawals(query: FeedQuery) -> list[FeedItem]:
        rows = keyset(Withdrawal.objects.filter(user=query.user), query)
        if query.status:
            rows = rows.filter(state=query.status)
        return [FeedItem(w.public_id, "withdrawal", w.reference, w.state, w.amount, w.currency, w.created_at)
                for w in rows[: query.limit]]

Ids are the objects' public UUIDs; the tie-break on equal timestamps compares them as PostgreSQL
does (byte order), which is Python's `uuid.UUID` order too.
"""

from __future__ import annotations

import base64
import datetime as dt
import heapq
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum

from wallets.models import AccountKind, JournalKind, Posting, Transfer

from .models import Deposit, DepositState


@dataclass(frozen=True)
class FeedItem:
    id: uuid.UUID
    type: str
    reference: str
    status: str
    amount: int
    currency: str
    created_at: dt.datetime

    @property
    def sort_key(self) -> tuple[dt.datetime, uuid.UUID]:
        return (self.created_at, self.id)


@dataclass(frozen=True)
class FeedQuery:
    user: object
    status: str | None
    since: dt.datetime | None
    until: dt.datetime | None
    before: tuple[dt.datetime, uuid.UUID] | None
    limit: int


@dataclass(frozen=True)
class FeedSource:
    types: tuple[str, ...]
    statuses: tuple[str, ...]
    fetch: Callable[[FeedQuery], list[FeedItem]]


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    next_cursor: str | None


_SOURCES: list[FeedSource] = []


def feed_source(*, types: tuple[str, ...], statuses: tuple[str, ...]):
    def register(fetch: Callable[[FeedQuery], list[FeedItem]]):
        _SOURCES.append(FeedSource(types=types, statuses=statuses, fetch=fetch))
        return fetch

    return register


def feed_types() -> list[str]:
    return sorted({t for s in _SOURCES for t in s.types})


def feed_statuses() -> list[str]:
    return sorted({st for s in _SOURCES for st in s.statuses})


def keyset(qs: QuerySet, query: FeedQuery, *, time_field: str = "created_at", id_field: str = "public_id") -> QuerySet:
    """Apply the date filters and the cursor, newest first, to one source's queryset."""
    if query.since is not None:
        qs = qs.filter(**{f"{time_field}__gte": query.since})
    if query.until is not None:
        qs = qs.filter(**{f"{time_field}__lt": query.until})
    if query.before is not None:
        moment, last_id = query.before
        qs = qs.filter(Q(**{f"{time_field}__lt": moment}) | Q(**{time_field: moment, f"{id_field}__lt": last_id}),
                       **{f"{time_field}__lte": moment})
    return qs.order_by(f"-{time_field}", f"-{id_field}")


def encode_cursor(item: FeedItem) -> str:
    return base64.urlsafe_b64encode(f"{item.created_at.isoformat()}|{item.id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    try:
        moment, item_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        parsed = dt.datetime.fromisoformat(moment)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, uuid.UUID(item_id)
    except (ValueError, UnicodeError, TypeError) as exc:
        raise ValueError("invalid feed cursor") from exc


def transaction_feed(*, user, type: str | None = None, status: str | None = None,
                     since: dt.datetime | None = None, until: dt.datetime | None = None,
                     cursor: str | None = None, limit: int = 20) -> FeedPage:
    """One page of the user's transactions, newest first. Raises ValueError on a bad cursor."""
    before = decode_cursor(cursor) if cursor else None
    query = FeedQuery(user=user, status=status, since=since, until=until, before=before, limit=limit + 1)
    streams = []
    for source in _SOURCES:
        if status and status not in source.statuses:
            continue
        if type and type not in source.types:
            continue
        items = source.fetch(query)
        if type:
            items = [i for i in items if i.type == type]
        streams.append(items)
    merged = list(heapq.merge(*streams, key=lambda i: i.sort_key, reverse=True))
    page = merged[:limit]
    next_cursor = encode_cursor(page[-1]) if len(merged) > limit else None
    return FeedPage(items=page, next_cursor=next_cursor)


# --- Sources -----------------------------------------------------------------------------------


@feed_source(types=("deposit",), statuses=tuple(DepositState.values))
def _deposits(query: FeedQuery) -> list[FeedItem]:
    rows = keyset(Deposit.objects.filter(user=query.user), query)
    if query.status:
        rows = rows.filter(state=query.status)
    rows = rows.only("public_id", "payment_reference", "state", "amount", "amount_credited", "currency",
                     "created_at")[: query.limit]
    return [FeedItem(d.public_id, "deposit", d.payment_reference, d.state, d.amount_credited or d.amount,
                     d.currency, d.created_at) for d in rows]


def _transfers(query: FeedQuery, *, side: str, type_: str) -> list[FeedItem]:
    rows = keyset(Transfer.objects.filter(**{side: query.user}), query).select_related("journal")
    return [FeedItem(t.public_id, type_, t.journal.reference, "completed", t.amount + (t.fee if side == "sender"
                     else 0), t.currency, t.created_at) for t in rows[: query.limit]]


@feed_source(types=("transfer_out",), statuses=("completed",))
def _transfers_out(query: FeedQuery) -> list[FeedItem]:
    return _transfers(query, side="sender", type_="transfer_out")


@feed_source(types=("transfer_in",), statuses=("completed",))
def _transfers_in(query: FeedQuery) -> list[FeedItem]:
    return _transfers(query, side="recipient", type_="transfer_in")


@feed_source(types=("reversal",), statuses=("completed",))
def _reversals(query: FeedQuery) -> list[FeedItem]:
    """Reversal journals touching the user's wallets; the amount is the net change to them."""
    postings = Posting.objects.filter(account__owner=query.user, account__kind=AccountKind.CUSTOMER_WALLET,
                                      journal__kind=JournalKind.REVERSAL)
    rows = (
        keyset(postings, query, time_field="journal__created_at", id_field="journal__public_id")
        .values("journal__public_id", "journal__reference", "journal__created_at", "currency")
        .annotate(net=Sum("amount"))[: query.limit]
    )
    return [FeedItem(r["journal__public_id"], "reversal", r["journal__reference"], "completed", abs(r["net"]),
                     r["currency"], r["journal__created_at"]) for r in rows]

