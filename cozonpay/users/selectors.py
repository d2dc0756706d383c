from __future__ import annotations

from django.conf import settings
from django.db.models import Q

from .models import User, email_is


def user_limits(*, user: User) -> dict:
    """The user's KYC-tier limits in kobo (settings.KYC_LIMITS; None means no cap)."""
    tiers = getattr(settings, "KYC_LIMITS", {})
    limits = tiers.get(user.kyc_tier) or tiers.get(str(user.kyc_tier)) or {}
    return {
        "single_max": limits.get("single_max", 0),
        "daily_max": limits.get("daily_max", 0),
        "balance_max": limits.get("balance_max"),
    }


def _recipient_filter(identifier: str) -> dict | None:
    """The lookup of a transfer recipient by email or phone number (any common Nigerian format),
    as filter arguments on users; None when the identifier can name nobody."""
    identifier = (identifier or "").strip()
    if "@" in identifier:
        return {"email": identifier, "is_active": True}
    from .apis import normalize_phone

    try:
        phone = normalize_phone(identifier)
    except Exception:
        return None
    return {"phone_number": phone, "is_active": True}


def _filters(lookup: dict, *, path: str = "") -> list:
    """`_recipient_filter`'s lookup as filter expressions on users (at `path`); the email is
    matched through the case-insensitive unique index (`email_is`)."""
    filters = [Q(**{f"{path}{key}": value}) for key, value in lookup.items() if key != "email"]
    if "email" in lookup:
        filters.append(email_is(lookup["email"], path=f"{path}email"))
    return filters


def user_find_recipient(*, identifier: str) -> User | None:
    """A transfer recipient by email or phone number (any common Nigerian format)."""
    lookup = _recipient_filter(identifier)
    return None if lookup is None else User.objects.filter(*_filters(lookup)).first()


def user_wallets_for_recipient(*, identifier: str):
    """The customer wallets of the recipient `identifier` names (a queryset; empty when it names
    nobody), so a caller can fetch the wallet it needs and its owner in one query."""
    from wallets.models import AccountKind, LedgerAccount

    lookup = _recipient_filter(identifier)
    if lookup is None:
        return LedgerAccount.objects.none()
    return LedgerAccount.objects.filter(*_filters(lookup, path="owner__"), kind=AccountKind.CUSTOMER_WALLET)
