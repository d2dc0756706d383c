"""The sandbox's behaviour knobs (``GET/PATCH /sandbox/config``) and their validation."""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from typing import Any

CATEGORIES = ("transaction", "disbursement", "refund", "settlement", "wallet")

EVENT_CATEGORY = {
    "SUCCESSFUL_TRANSACTION": "transaction",
    "REJECTED_PAYMENT": "transaction",
    "SUCCESSFUL_DISBURSEMENT": "disbursement",
    "FAILED_DISBURSEMENT": "disbursement",
    "REVERSED_DISBURSEMENT": "disbursement",
    "SUCCESSFUL_REFUND": "refund",
    "FAILED_REFUND": "refund",
    "SETTLEMENT": "settlement",
    "ACCOUNT_ACTIVITY": "wallet",
    "LOW_BALANCE_ALERT": "wallet",
    "MANDATE_UPDATE": "wallet",
}

DEFAULT_CONFIG: dict[str, Any] = {
    "webhook_url": "",
    # Per-category targets (Monnify's dashboard has one URL per category); empty = webhook_url.
    "webhook_urls": {category: "" for category in CATEGORIES},
    "secret_key": "",
    "api_key": "",
    "contract_code": "",
    "wallet_account_number": "",
    "merchant_name": "CozonPay Sandbox Merchant",
    "wallet_balance": "1000000.00",  # naira; the disbursement wallet
    "otp_required": False,  # transfers wait in PENDING_AUTHORIZATION until validate-otp
    "otp_code": "123456",
    "disbursement_outcome": "SUCCESS",  # SUCCESS | FAILED | PENDING
    "disbursement_fee": "10.00",
    "duplicate_reference": "return_original",  # return_original | error
    "d07_window_s": 120,  # same account + amount within this window -> D07; 0 disables
    "async_settle_ms": 200,  # async=true transfers settle to disbursement_outcome after this
    "refund_outcome": None,  # None (stay IN_PROGRESS until resolved) | COMPLETED | FAILED
    "refund_settle_ms": 100,
    "checkout_expiry_s": 2400,
    "token_ttl_s": 3600,
    "underpayment_webhook": "REJECTED_PAYMENT",  # REJECTED_PAYMENT | SUCCESSFUL_TRANSACTION | NONE
    "invalid_account_prefixes": ["000"],
    "invalid_accounts": [],
    "omit_signature": False,
    "corrupt_signature": False,
    "webhook_retry": {"attempts": 12, "interval_s": 300},
    "webhook_timeout_s": 5,
    "api_timeout_s": 20,
    "api_timeout_after_commit": True,  # a hanging call does its work first (unknown outcome)
    "seed": None,
    "faults": {
        "webhook_duplicates": 0,
        "webhook_delay_ms": [0, 0],
        "webhook_shuffle": False,
        "webhook_shuffle_window_ms": 1000,
        "webhook_drop_rate": 0.0,
        "status_disagrees_rate": 0.0,
        "status_disagrees_with": "PENDING",  # PENDING | FAILED
        "status_disagrees_for_s": None,  # None: until the end; else the status API heals after this
        "api_error_rate": 0.0,
        "api_error_after_commit_rate": 0.0,
        "api_timeout_rate": 0.0,
        "api_fault_paths": [],  # path prefixes the api_* faults apply to; empty = every /api/ path
    },
}


class ConfigError(ValueError):
    pass


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ConfigError("must be true or false")
    return v


def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise ConfigError("must be a string")
    return v


def _rate(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 1:
        raise ConfigError("must be a number between 0 and 1")
    return float(v)  # a fault rate (probability), not money


def _nonneg(v: Any) -> float | int:
    if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
        raise ConfigError("must be a number >= 0")
    return v


def _count(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ConfigError("must be an integer >= 0")
    return v


def _opt_nonneg(v: Any) -> float | None:
    return None if v is None else _nonneg(v)


def _naira(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, str | int | float):
        raise ConfigError("must be an amount in naira")
    try:
        value = Decimal(str(v))
    except InvalidOperation:
        raise ConfigError("must be an amount in naira")
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise ConfigError("must be a non-negative amount with at most 2 decimal places")
    return f"{value:.2f}"


def _enum(*choices: Any):
    def check(v: Any) -> Any:
        if v not in choices:
            raise ConfigError(f"must be one of {list(choices)}")
        return v

    return check


def _str_list(v: Any) -> list[str]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ConfigError("must be a list of strings")
    return v


def _delay_range(v: Any) -> list[float]:
    if not isinstance(v, list) or len(v) != 2:
        raise ConfigError("must be [min, max]")
    low, high = _nonneg(v[0]), _nonneg(v[1])
    if low > high:
        raise ConfigError("min must not exceed max")
    return [low, high]


def _seed(v: Any) -> int | None:
    if v is None or (isinstance(v, int) and not isinstance(v, bool)):
        return v
    raise ConfigError("must be an integer or null")


_RETRY = {"attempts": lambda v: max(1, _count(v)), "interval_s": _nonneg}
_FAULTS = {
    "webhook_duplicates": _count,
    "webhook_delay_ms": _delay_range,
    "webhook_shuffle": _bool,
    "webhook_shuffle_window_ms": _nonneg,
    "webhook_drop_rate": _rate,
    "status_disagrees_rate": _rate,
    "status_disagrees_with": _enum("PENDING", "FAILED"),
    "status_disagrees_for_s": _opt_nonneg,
    "api_error_rate": _rate,
    "api_error_after_commit_rate": _rate,
    "api_timeout_rate": _rate,
    "api_fault_paths": _str_list,
}
_TOP = {
    "webhook_url": _str,
    "secret_key": _str,
    "api_key": _str,
    "contract_code": _str,
    "wallet_account_number": _str,
    "merchant_name": _str,
    "wallet_balance": _naira,
    "otp_required": _bool,
    "otp_code": _str,
    "disbursement_outcome": _enum("SUCCESS", "FAILED", "PENDING"),
    "disbursement_fee": _naira,
    "duplicate_reference": _enum("return_original", "error"),
    "d07_window_s": _nonneg,
    "async_settle_ms": _nonneg,
    "refund_outcome": _enum(None, "COMPLETED", "FAILED"),
    "refund_settle_ms": _nonneg,
    "checkout_expiry_s": _nonneg,
    "token_ttl_s": _nonneg,
    "underpayment_webhook": _enum("REJECTED_PAYMENT", "SUCCESSFUL_TRANSACTION", "NONE"),
    "invalid_account_prefixes": _str_list,
    "invalid_accounts": _str_list,
    "omit_signature": _bool,
    "corrupt_signature": _bool,
    "webhook_timeout_s": _nonneg,
    "api_timeout_s": _nonneg,
    "api_timeout_after_commit": _bool,
    "seed": _seed,
}


def merge_config(current: dict, patch: Any) -> dict:
    """Validate ``patch`` against the schema and answer a new config; ConfigError names the field."""
    if not isinstance(patch, dict):
        raise ConfigError("the body must be a JSON object")
    new = copy.deepcopy(current)
    for key, value in patch.items():
        try:
            if key in _TOP:
                new[key] = _TOP[key](value)
            elif key in ("webhook_retry", "faults", "webhook_urls"):
                if not isinstance(value, dict):
                    raise ConfigError("must be an object")
                schema = {"webhook_retry": _RETRY, "faults": _FAULTS}.get(key) or {c: _str for c in CATEGORIES}
                for sub, sub_value in value.items():
                    if sub not in schema:
                        raise ConfigError(f"unknown field {sub!r}")
                    try:
                        new[key][sub] = schema[sub](sub_value)
                    except ConfigError as exc:
                        raise ConfigError(f"{sub}: {exc}")
            else:
                raise ConfigError("unknown field")
        except ConfigError as exc:
            raise ConfigError(f"{key}: {exc}")
    return new


def initial_config(**overrides: Any) -> dict:
    return merge_config(DEFAULT_CONFIG, {k: v for k, v in overrides.items() if v is not None})
