"""Transaction PIN hashing.

A 4-digit PIN has 10,000 values, so no password hash can protect it offline, and a slow hash
would cost most of a second of CPU on every transfer. We store HMAC-SHA256(PIN_PEPPER, salt ||
pin): without the pepper (held outside the database) a stolen table reveals nothing, and online
guessing is stopped by the lockout in services.pin_verify.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings


def new_salt() -> str:
    return secrets.token_hex(16)


def pin_digest(pin: str, salt: str) -> str:
    return hmac.new(settings.PIN_PEPPER.encode(), f"{salt}:{pin}".encode(), hashlib.sha256).hexdigest()


def pin_matches(pin: str, salt: str, digest: str) -> bool:
    if not digest:
        return False
    return hmac.compare_digest(pin_digest(pin, salt), digest)
