"""Monnify's webhook signature: HMAC-SHA512 of the exact raw body, keyed with the client secret,
lowercase hex, in the `monnify-signature` header (MONNIFY.md §6.2). Never re-serialize JSON."""

from __future__ import annotations

import hashlib
import hmac


def monnify_signature(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


def monnify_signature_valid(body: bytes, secret: str, header: str | None) -> bool:
    if not header or not secret:
        return False
    return hmac.compare_digest(monnify_signature(body, secret), header.strip().lower())
