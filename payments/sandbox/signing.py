"""Webhook bytes and signature exactly as Monnify makes them (MONNIFY.md §6.2): compact JSON
(no whitespace, non-ASCII kept as UTF-8), ``monnify-signature`` = HMAC-SHA512 of those exact
bytes keyed with the merchant's secret key, lowercase hex."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from payments.clients.monnify.parsing import dumps_compact

SIGNATURE_HEADER = "monnify-signature"


def compact_body(payload: Any) -> bytes:
    return dumps_compact(payload).encode("utf-8")


def sign_body(body: bytes, secret_key: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), body, hashlib.sha512).hexdigest()
