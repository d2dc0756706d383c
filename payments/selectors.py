"""Reads of the payments app: the bank list and account name enquiry, which call Monnify, and the
wallets' dedicated deposit accounts.

The Monnify reads are idempotent; the client retries them. Failures become domain errors:
- Monnify unreachable / 5xx / unreadable / our credentials refused -> ``ProviderUnavailable`` (503)
- Monnify refuses the name enquiry (invalid account or bank) -> ``AccountNotFound`` (422)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.cache import cache
from psycopg.types.numeric import Int8

from cozonpay.db import Columns, execute_prepared

from .clients.monnify import (
    MonnifyAuthError,
    MonnifyError,
    MonnifyInvalidResponse,
    MonnifyTerminalError,
    get_client,
)
from .exceptions import AccountNotFound, ProviderUnavailable
from .models import DepositAccount

logger = logging.getLogger("payments.selectors")

BANKS_CACHE_KEY = "payments:monnify:banks:v1"
BANKS_CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class ResolvedAccount:
    account_name: str
    account_number: str
    bank_code: str
    bank_name: str


def _unavailable(exc: MonnifyError) -> ProviderUnavailable:
    if isinstance(exc, MonnifyAuthError | MonnifyInvalidResponse):
        logger.error("Monnify call failed in a way that needs an engineer: %s", exc)
    else:
        logger.warning("Monnify unavailable: %s", exc)
    return ProviderUnavailable()


def bank_list() -> list[dict[str, str]]:
    """``[{code, name}]`` sorted by name; cached for a day (the list changes rarely)."""
    cached = cache.get(BANKS_CACHE_KEY)
    if cached is not None:
        return cached
    try:
        banks = get_client().banks()
    except MonnifyError as exc:
        raise _unavailable(exc)
    result = sorted(({"code": b.code, "name": b.name} for b in banks if b.code and b.name),
                    key=lambda b: b["name"].lower())
    if result:
        cache.set(BANKS_CACHE_KEY, result, BANKS_CACHE_SECONDS)
    return result


def bank_account_resolve(*, bank_code: str, account_number: str) -> ResolvedAccount:
    try:
        account = get_client().account_validate(account_number=account_number, bank_code=bank_code)
    except (MonnifyAuthError, MonnifyInvalidResponse) as exc:
        raise _unavailable(exc)
    except MonnifyTerminalError:
        raise AccountNotFound()
    except MonnifyError as exc:
        raise _unavailable(exc)
    if not account.account_name:
        raise AccountNotFound()
    return ResolvedAccount(
        account_name=account.account_name,
        account_number=account.account_number or account_number,
        bank_code=account.bank_code or bank_code,
        bank_name=account.bank_name,
    )


# --- Reads without Monnify -----------------------------------------------------------------------


_DEPOSIT_ACCOUNT = Columns(DepositAccount, "d")
DEPOSIT_ACCOUNTS_SQL = (f"SELECT {_DEPOSIT_ACCOUNT.sql} FROM {DepositAccount._meta.db_table} d "  # noqa: S608
                        "WHERE d.wallet_id = ANY(%s) ORDER BY d.created_at, d.id")


def deposit_accounts_for_wallets(*, wallet_ids: list[int]) -> dict[int, list]:
    """{wallet id: [DepositAccount, ...]} (oldest first), in one prepared query for a page of
    wallets (every wallet read of the API renders them)."""
    result: dict[int, list] = {wallet_id: [] for wallet_id in wallet_ids}
    if wallet_ids:
        for row in execute_prepared(DEPOSIT_ACCOUNTS_SQL, [[Int8(wallet_id) for wallet_id in wallet_ids]]):
            account = _DEPOSIT_ACCOUNT.build(row)
            result[account.wallet_id].append(account)
    return result
