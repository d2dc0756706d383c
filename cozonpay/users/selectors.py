from __future__ import annotations

from django.conf import settings

from .models import User


def user_limits(*, user: User) -> dict:
    """The user's KYC-tier limits in kobo (settings.KYC_LIMITS; None means no cap)."""
    tiers = getattr(settings, "KYC_LIMITS", {})
    limits = tiers.get(user.kyc_tier) or tiers.get(str(user.kyc_tier)) or {}
    return {
        "single_max": limits.get("single_max", 0),
        "daily_max": limits.get("daily_max", 0),
        "balance_max": limits.get("balance_max"),
    }


def user_find_recipient(*, identifier: str) -> User | None:
    """A transfer recipient by email or phone number (any common Nigerian format)."""
    identifier = (identifier or "").strip()
    if "@" in identifier:
        return User.objects.filter(email__iexact=identifier, is_active=True).first()
    from .apis import normalize_phone

    try:
        phone = normalize_phone(identifier)
    except Exception:
        return None
    return User.objects.filter(phone_number=phone, is_active=True).first()
