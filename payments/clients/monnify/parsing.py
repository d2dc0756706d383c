"""Normalising Monnify's drifting formats. No Django, no network: pure functions.

Amounts: Monnify sends naira as strings (``"100.00"``), integers (``3000``) or decimals
(``10.00``). Everything becomes integer kobo through ``Decimal(str(value))``, exactly; a value
with more than 2 decimal places of significance is refused rather than rounded. Responses are
parsed with ``parse_float=Decimal`` so a float never exists in the first place.

Dates: a dozen formats, sometimes several in one payload (MONNIFY.md §1.4). Values with no
offset are Lagos wall-clock time (WAT, UTC+1, no DST): Monnify's own MFDS references and NIBSS
session ids carry the same clock one hour ahead of the UTC ``dateCreated`` they come with.

JSON out: ``dumps_compact`` writes Decimals as JSON numbers with their exact digits
(``2500.00``), never through float.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from cozonpay.parsers import json_loads

LAGOS = timezone(timedelta(hours=1), "WAT")
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


class AmountError(ValueError):
    """An amount that cannot be converted to kobo exactly."""


def to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise AmountError(f"not an amount: {value!r}")
    if isinstance(value, Decimal):
        number = value
    else:
        text = str(value).strip().replace(",", "")
        if not text:
            raise AmountError("empty amount")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise AmountError(f"not an amount: {value!r}")
    if not number.is_finite():
        raise AmountError(f"not a finite amount: {value!r}")
    return number


def to_kobo(value: Any) -> int:
    """Naira (str, int, Decimal; a float via its shortest repr) to integer kobo, exactly."""
    kobo = to_decimal(value) * _HUNDRED
    if kobo != kobo.to_integral_value():
        raise AmountError(f"more than 2 decimal places: {value!r}")
    return int(kobo)


def to_kobo_or_none(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return to_kobo(value)


def kobo_to_naira(kobo: int) -> Decimal:
    """Integer kobo to a 2-decimal-place naira Decimal (250000 -> Decimal('2500.00'))."""
    if isinstance(kobo, bool) or not isinstance(kobo, int):
        raise AmountError(f"kobo must be an int, got {kobo!r}")
    return (Decimal(kobo) / _HUNDRED).quantize(_CENT)


# --- dates --------------------------------------------------------------------------------

# Order matters only for speed; each format is anchored by strptime.
_DATE_FORMATS_AWARE = (
    "%Y-%m-%dT%H:%M:%S.%f%z",  # 2022-07-31T14:31:33.759+0000, 2026-06-27T08:32:49.289+00:00
    "%Y-%m-%dT%H:%M:%S%z",  # 2025-09-01T23:13:19Z
    "%Y-%m-%d %H:%M:%S.%f%z",
    "%Y-%m-%d %H:%M:%S%z",
)
_DATE_FORMATS_NAIVE = (
    "%Y-%m-%d %H:%M:%S.%f",  # 2021-11-17 11:28:42.615, 2025-12-31 08:00:00.0
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y %I:%M:%S %p",  # 17/03/2021 3:23:32 AM, 25/07/2022 11:20:20 AM
    "%d/%m/%Y %I:%M %p",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d %I:%M:%p",  # 2025-03-04 10:27:AM
    "%Y-%m-%d %I:%M %p",
    "%Y-%m-%dT%H:%M:%S.%f",  # 2021-01-16T13:56:39.492
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
    "%d/%m/%Y",
)


def parse_monnify_datetime(raw: Any) -> datetime | None:
    """Any of Monnify's date formats to an aware UTC datetime; None if empty or unparseable.

    Epoch milliseconds (int or digit string of 12+ digits) are accepted too. Callers keep the
    raw value next to the parsed one (the typed results carry ``*_raw`` fields).
    """
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int | Decimal | float):
        try:
            return datetime.fromtimestamp(int(raw) / 1000, tz=UTC)  # epoch milliseconds
        except (OverflowError, OSError, ValueError):
            return None
    text = str(raw).strip()
    if not text:
        return None
    if text.isdigit() and len(text) >= 12:
        return parse_monnify_datetime(int(text))
    # strptime's %f takes at most 6 digits; %z wants +HHMM or +HH:MM or Z.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    for fmt in _DATE_FORMATS_AWARE:
        try:
            return datetime.strptime(text, fmt).astimezone(UTC)
        except ValueError:
            continue
    upper = text.upper()
    for fmt in _DATE_FORMATS_NAIVE:
        try:
            return datetime.strptime(upper, fmt).replace(tzinfo=LAGOS).astimezone(UTC)
        except ValueError:
            continue
    return None


# --- payment source information -----------------------------------------------------------


def normalize_payment_source_information(raw: Any) -> list[dict]:
    """``paymentSourceInformation`` (and ``accountPayments``) arrive as a list of payers, a
    single payer object, ``{}``, ``[]`` or null. Always answer a list of non-empty dicts."""
    if raw is None:
        return []
    if isinstance(raw, dict):
        return [raw] if raw else []
    if isinstance(raw, list | tuple):
        return [item for item in raw if isinstance(item, dict) and item]
    return []


# --- JSON out -----------------------------------------------------------------------------


def _swap_decimals(value: Any, found: dict[str, str], tag: str) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise AmountError(f"not a finite amount: {value!r}")
        key = f"{tag}{len(found)}"
        found[key] = format(value, "f")
        return key
    if isinstance(value, dict):
        return {k: _swap_decimals(v, found, tag) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_swap_decimals(v, found, tag) for v in value]
    if isinstance(value, float):
        raise TypeError("floats are not allowed in Monnify payloads; use Decimal")
    return value


def dumps_compact(value: Any) -> str:
    """Compact JSON (no whitespace, as Monnify sends and signs) with Decimals as exact numbers.

    json cannot emit a raw number for a Decimal, so each Decimal is swapped for a unique
    placeholder string, the document is encoded, and each quoted placeholder is replaced by the
    Decimal's plain digits. The placeholder carries a random tag, so it cannot collide with data.
    """
    found: dict[str, str] = {}
    tag = f"__dec_{uuid.uuid4().hex}_"
    text = json.dumps(_swap_decimals(value, found, tag), separators=(",", ":"), ensure_ascii=False)
    for key, digits in found.items():
        text = text.replace(f'"{key}"', digits, 1)
    return text


def loads(text: str | bytes) -> Any:
    """Parse Monnify JSON with every non-integer number as a Decimal (no floats, ever). Anything
    unreadable, a body nested too deeply included, is a ValueError."""
    return json_loads(text, parse_float=Decimal)


def first_present(data: dict, keys: Iterable[str], default: Any = None) -> Any:
    for key in keys:
        if key in data and data[key] is not None:
            return data[key]
    return default
