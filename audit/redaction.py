"""Redaction applied before anything is stored in the audit trail or written to a log.

Secrets, tokens, passwords and PINs are replaced entirely; BVN/NIN and card numbers keep only
their last 4 digits; bank account numbers keep their last 4 digits. Values are scanned too, so a
bearer token or Basic credential pasted into a free-text field does not slip through.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

REDACTED = "[REDACTED]"

# Keys whose value is dropped entirely (matched case-insensitively, ignoring _ and -).
_SECRET_KEYS = {
    "password", "password1", "password2", "currentpassword", "newpassword", "oldpassword",
    "pin", "currentpin", "newpin", "pinhash", "pinsalt",
    "secret", "secretkey", "clientsecret", "monnifysecretkey", "apikey", "apisecret",
    "token", "accesstoken", "refreshtoken", "refresh", "access", "idtoken",
    "authorization", "proxyauthorization", "cookie", "setcookie", "xapikey",
    "authorizationcode", "otp", "cvv", "cvv2", "cardtoken", "signature", "monnifysignature",
    "httpauthorization", "httpcookie", "httpmonnifysignature",
}
# Keys whose value keeps only its last 4 characters.
_LAST4_KEYS = {
    "bvn", "nin", "sourceaccountbvn", "pan", "cardnumber", "maskedpan",
    "accountnumber", "destinationaccountnumber", "sourceaccountnumber", "customeraccountnumber",
    "walletaccountnumber", "accountnuban", "senderaccount", "bankaccount",
}

# Keys that are secret whatever their prefix: "transaction_pin", "new_password2", "monnify_client_secret",
# "csrfmiddlewaretoken", "x_api_key". (Containment for the unambiguous words, suffix for the short ones.)
_SECRET_KEY_PARTS = ("password", "passwd", "secret", "credential", "privatekey")
_SECRET_KEY_SUFFIXES = ("token", "pin", "apikey", "signature", "cvv", "otp", "pepper")

# "password=...", "pin: 1234", '"client_secret": "..."' inside free text (query strings, messages,
# JSON or repr() pasted into a string).
_KEY_VALUE_RE = re.compile(
    r"""(?ix)
    (?P<key>["']?\b[\w\-]*(?:password|passwd|secret|pin|token|api[_\-]?key|authorization|signature|cvv|otp)\b["']?)
    (?P<sep>\s*[:=]\s*)
    (?:
        (?P<quote>["'])(?P<quoted>(?:\\.|(?!(?P=quote)).)*)(?P=quote)      # a quoted value, whole
      | (?P<value>(?:bearer\s+|basic\s+)?[^\s"'&,;}\]]+)                # a bare value, up to a separator
    )
    """
)
_BEARER_RE = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{8,}")
_JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}")
# Digit runs standing alone (not inside a UUID, a hash or another identifier): a BVN/NIN, a card.
_ELEVEN_DIGITS_RE = re.compile(r"(?<![0-9A-Za-z])\d{11}(?![0-9A-Za-z])")
_CARD_RE = re.compile(r"(?<![0-9A-Za-z])\d{13,19}(?![0-9A-Za-z])")

# Every pattern above needs one of these to match, so a text without any is returned as is after
# a single scan (most audited strings: references, ids, amounts, codes, ordinary narrations).
_MAYBE_SENSITIVE_RE = re.compile(
    r"(?i)passw|secret|pin|token|api[_\-]?key|authorization|signature|cvv|otp|bearer|basic|eyJ|\d{11}"
)

_extra_secret_values: set[str] = set()


def register_secret_value(value: str | None) -> None:
    """Make a configured secret (e.g. the Monnify secret key) redacted wherever it appears."""
    if value and len(value) >= 6:
        _extra_secret_values.add(value)


def _norm(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


def mask_last4(value: Any) -> str:
    text = str(value)
    if len(text) <= 4:
        return "*" * len(text)
    return "*" * (len(text) - 4) + text[-4:]


def _is_secret_key(norm: str) -> bool:
    return (
        norm in _SECRET_KEYS
        or any(part in norm for part in _SECRET_KEY_PARTS)
        or norm.endswith(_SECRET_KEY_SUFFIXES)
    )


def _redact_key_value(match: re.Match) -> str:
    if REDACTED in (match.group("value"), match.group("quoted")):
        return match.group(0)
    quote = match.group("quote") or ""
    return f"{match.group('key')}{match.group('sep')}{quote}{REDACTED}{quote}"


def redact_text(text: str) -> str:
    for secret in _extra_secret_values:
        if secret in text:
            text = text.replace(secret, REDACTED)
    if not _MAYBE_SENSITIVE_RE.search(text):
        return text
    return _redact_patterns(text)


def _redact_patterns(text: str) -> str:
    text = _KEY_VALUE_RE.sub(_redact_key_value, text)
    text = _BEARER_RE.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _JWT_RE.sub(REDACTED, text)
    text = _CARD_RE.sub(lambda m: mask_last4(m.group(0)), text)
    text = _ELEVEN_DIGITS_RE.sub(lambda m: mask_last4(m.group(0)), text)
    return text


@lru_cache(maxsize=4096)
def _key_rule(key: str) -> int:
    """0: an ordinary key; 1: a secret (value dropped); 2: keep the last 4 characters. Cached:
    the same few hundred keys come back in every payload."""
    norm = _norm(key)
    if _is_secret_key(norm):
        return 1
    return 2 if norm in _LAST4_KEYS else 0


def redact(value: Any, _key: str | None = None) -> Any:
    """Return a redacted deep copy of a JSON-like value."""
    if _key is not None:
        rule = _key_rule(_key)
        if rule == 1:
            return REDACTED if value not in (None, "") else value
        if rule == 2 and isinstance(value, str | int) and value != "":
            return mask_last4(value)
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
