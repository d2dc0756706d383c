"""The custom user: email is the login, a phone number identifies a transfer recipient, and the
KYC tier bounds what the wallet may do (limits live in settings, enforced by the ledger).

The transaction PIN is 4 digits, so a slow password hash cannot protect it; it is stored as a
keyed hash (HMAC-SHA256 with PIN_PEPPER, held outside the database, and a per-user salt). Wrong
attempts are counted atomically; PIN_MAX_ATTEMPTS in a row lock money movement until
`pin_locked_until`.
"""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils import timezone


def email_is(email: str, *, path: str = "email") -> Exact:
    """A filter: the user's email (at `path`, e.g. "owner__email" from a wallet) equals `email`
    ignoring case, as `lower(email) = lower(%s)`, the expression of the unique index
    `user_email_ci_unique`. (`email__iexact` compiles to `UPPER(email) = UPPER(%s)`, which that
    index cannot serve: every login and every transfer by email scanned the whole table.)"""
    return Exact(Lower(path), Lower(Value(email)))


class KycTier(models.IntegerChoices):
    TIER_0 = 0, "Tier 0 (unverified)"
    TIER_1 = 1, "Tier 1 (BVN or NIN)"
    TIER_2 = 2, "Tier 2 (BVN and NIN)"
    TIER_3 = 3, "Tier 3 (full KYC)"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email_is(username))


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80, blank=True)
    phone_number = models.CharField(max_length=20, null=True, blank=True, help_text="E.164, e.g. +2348031234567")
    kyc_tier = models.PositiveSmallIntegerField(choices=KycTier.choices, default=KycTier.TIER_0)
    bvn_last4 = models.CharField(max_length=4, blank=True, help_text="Only the last 4 digits are kept.")
    nin_last4 = models.CharField(max_length=4, blank=True, help_text="Only the last 4 digits are kept.")
    kyc_verified_at = models.DateTimeField(null=True, blank=True)

    pin_hash = models.CharField(max_length=128, blank=True)
    pin_salt = models.CharField(max_length=64, blank=True)
    pin_failed_attempts = models.PositiveSmallIntegerField(default=0)
    pin_locked_until = models.DateTimeField(null=True, blank=True)

    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.UniqueConstraint(fields=["phone_number"], name="user_phone_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def has_pin(self) -> bool:
        return bool(self.pin_hash)
