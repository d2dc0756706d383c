"""User writes. Registration opens the customer's NGN wallet in the same transaction."""

from __future__ import annotations

from django.db import transaction

from wallets.services import wallet_open

from .models import User


def user_register(*, email: str, password: str, first_name: str, last_name: str,
                  phone_number: str | None) -> User:
    with transaction.atomic(durable=True):
        user = User.objects.create_user(
            email=email, password=password, first_name=first_name, last_name=last_name,
            phone_number=phone_number,
        )
        wallet_open(user=user, currency="NGN", actor=user)
    return user


# --- Transaction PIN -------------------------------------------------------------------------


def pin_set(*, user: User, pin: str, password: str | None = None, current_pin: str | None = None) -> None:
    """Set the PIN (proving the password) or change it (proving the current PIN).

    Changing with a wrong current PIN counts as a wrong PIN attempt (and can lock)."""
    from audit.services import audit_record

    from . import pin as pin_hashing
    from .exceptions import InvalidCredentials

    if current_pin is not None:
        pin_verify(user=user, pin=current_pin)
    elif password is None or not user.check_password(password):
        raise InvalidCredentials("The password is incorrect.")
    salt = pin_hashing.new_salt()
    with transaction.atomic(durable=True):
        User.objects.filter(pk=user.pk).update(
            pin_salt=salt, pin_hash=pin_hashing.pin_digest(pin, salt), pin_failed_attempts=0, pin_locked_until=None,
        )
        audit_record(action="auth.pin.changed" if current_pin is not None else "auth.pin.set",
                     actor=user, subject=user, references=[user.pk])
    user.refresh_from_db(fields=["pin_hash", "pin_salt", "pin_failed_attempts", "pin_locked_until"])


def pin_verify(*, user: User, pin: str, fresh: bool = False) -> None:
    """Raise unless `pin` is the user's PIN and the PIN is not locked.

    One conditional UPDATE both checks the lock and counts the attempt, so concurrent wrong
    guesses are counted exactly: once PIN_MAX_ATTEMPTS wrong ones have been counted, every
    further attempt is refused as locked without its PIN being evaluated. A right PIN with no
    wrong attempts to forget and no lock is a pure read (the common case on every transfer).
    `fresh=True` says `user`'s PIN fields were read from the database by the caller's current
    request just now (e.g. with the wallet being debited), which spares reading them again."""
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from audit.services import audit_record

    from . import pin as pin_hashing
    from .exceptions import InvalidPin, PinLocked, PinNotSet

    if fresh:
        pin_hash, pin_salt, attempts, locked_until = (
            user.pin_hash, user.pin_salt, user.pin_failed_attempts, user.pin_locked_until)
    else:
        pin_hash, pin_salt, attempts, locked_until = User.objects.values_list(
            "pin_hash", "pin_salt", "pin_failed_attempts", "pin_locked_until").get(pk=user.pk)
    if not pin_hash:
        raise PinNotSet()
    if locked_until is not None and locked_until > timezone.now():
        raise PinLocked(_locked_message(locked_until))
    ok = pin_hashing.pin_matches(pin, pin_salt, pin_hash)
    if ok and attempts == 0 and locked_until is None:
        return
    table = User._meta.db_table
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {table}
                   SET pin_failed_attempts = CASE WHEN %(ok)s THEN 0 ELSE pin_failed_attempts + 1 END,
                       pin_locked_until = CASE
                           WHEN NOT %(ok)s AND pin_failed_attempts + 1 >= %(max)s
                           THEN now() + make_interval(mins => %(minutes)s)
                           ELSE NULL END
                 WHERE id = %(id)s AND (pin_locked_until IS NULL OR pin_locked_until <= now())
             RETURNING pin_failed_attempts, pin_locked_until
                """,  # noqa: S608 - table name is a model constant
                {"ok": ok, "max": settings.PIN_MAX_ATTEMPTS, "minutes": settings.PIN_LOCK_MINUTES, "id": user.pk},
            )
            row = cursor.fetchone()
        if row is None:
            locked_until = User.objects.values_list("pin_locked_until", flat=True).get(pk=user.pk)
            raise PinLocked(_locked_message(locked_until))
        attempts, locked_until = row
        if ok:
            return
        if locked_until is not None:
            audit_record(action="auth.pin.locked", actor=user, subject=user, references=[user.pk],
                         payload={"attempts": attempts, "locked_until": locked_until})
    if locked_until is not None:
        raise PinLocked(_locked_message(locked_until))
    remaining = max(settings.PIN_MAX_ATTEMPTS - attempts, 0)
    raise InvalidPin(f"The PIN is incorrect. {remaining} attempt{'s' if remaining != 1 else ''} remaining.")


def _locked_message(locked_until) -> str:
    return f"Too many wrong PINs. Money movement is locked until {locked_until.isoformat()}."


# --- KYC -------------------------------------------------------------------------------------


def user_kyc_submit(*, user: User, bvn: str | None = None, nin: str | None = None) -> User:
    """Record a BVN and/or NIN (format-checked by the caller) and raise the tier: one of them is
    tier 1, both tier 2. Only the last 4 digits are kept; the full number goes to Monnify once, to
    open the wallet's dedicated deposit account, and is never stored or logged."""
    from django.utils import timezone

    from audit.services import audit_record

    from .models import KycTier

    with transaction.atomic(durable=True):
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = {"kyc_tier": locked.kyc_tier, "bvn_last4": locked.bvn_last4, "nin_last4": locked.nin_last4}
        if bvn:
            locked.bvn_last4 = bvn[-4:]
        if nin:
            locked.nin_last4 = nin[-4:]
        tier = KycTier.TIER_2 if (locked.bvn_last4 and locked.nin_last4) else KycTier.TIER_1
        locked.kyc_tier = max(locked.kyc_tier, tier)
        locked.kyc_verified_at = locked.kyc_verified_at or timezone.now()
        locked.save(update_fields=["bvn_last4", "nin_last4", "kyc_tier", "kyc_verified_at"])
        audit_record(
            action="kyc.submitted", actor=user, subject=locked, references=[user.pk],
            payload={"before": before, "after": {"kyc_tier": locked.kyc_tier, "bvn_last4": locked.bvn_last4,
                                                  "nin_last4": locked.nin_last4}},
        )
        transaction.on_commit(lambda: _after_kyc(user_id=str(locked.pk), bvn=bvn, nin=nin))
    return locked


def _after_kyc(*, user_id: str, bvn: str | None, nin: str | None) -> None:
    """Queue the dedicated deposit account (payments). KYC never waits on the provider."""
    from payments.services.deposit_accounts import deposit_account_request_for_user

    deposit_account_request_for_user(user_id=user_id, bvn=bvn, nin=nin)
