from __future__ import annotations

import uuid

from django.conf import settings
from django.db.models import Q

from cozonpay.db import Columns, execute_prepared

from .models import User, email_is

_USER = Columns(User, "u")
_USER_BY_ID_SQL = f"SELECT {_USER.sql} FROM {User._meta.db_table} u WHERE u.id = %s"  # noqa: S608 - model constants


def user_limits(*, user: User) -> dict:
    """The user's KYC-tier limits in kobo (settings.KYC_LIMITS; None means no cap)."""
    tiers = getattr(settings, "KYC_LIMITS", {})
    limits = tiers.get(user.kyc_tier) or tiers.get(str(user.kyc_tier)) or {}
    return {
        "single_max": limits.get("single_max", 0),
        "daily_max": limits.get("daily_max", 0),
        "balance_max": limits.get("balance_max"),
    }


def recipient_lookup(identifier: str) -> tuple[str, str] | None:
    """How `identifier` names a transfer recipient: ("email", the address) or ("phone_number",
    its E.164 form, from any common Nigerian format); None when it can name nobody. Only active
    users are recipients."""
    identifier = (identifier or "").strip()
    if "@" in identifier:
        return "email", identifier
    from .apis import normalize_phone

    try:
        return "phone_number", normalize_phone(identifier)
    except Exception:
        return None


def user_find_recipient(*, identifier: str) -> User | None:
    """A transfer recipient by email or phone number (any common Nigerian format). The email is
    matched through the case-insensitive unique index (`email_is`)."""
    lookup = recipient_lookup(identifier)
    if lookup is None:
        return None
    kind, value = lookup
    match = email_is(value) if kind == "email" else Q(phone_number=value)
    return User.objects.filter(match, is_active=True).first()


def user_by_id(user_id) -> User | None:
    """The user with this id (a UUID or its text), or None: one prepared statement, for the
    authentication of every API request."""
    try:
        user_id = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError:
        return None
    rows = execute_prepared(_USER_BY_ID_SQL, [user_id])
    return _USER.build(rows[0]) if rows else None
