"""Static data and formatting helpers of the sandbox: banks, names, references, Monnify's
date and amount formats (which drift between endpoints on purpose, as Monnify's do)."""

from __future__ import annotations

import hashlib
import random
import string
from datetime import UTC, datetime
from decimal import Decimal

from payments.clients.monnify.parsing import LAGOS

# code, name (Monnify's spelling), ussdTemplate
BANKS: list[tuple[str, str, str | None]] = [
    ("044", "Access bank", "*901*Amount*AccountNumber#"),
    ("023", "Citibank Nigeria", None),
    ("063", "Access bank (Diamond)", "*426*Amount*AccountNumber#"),
    ("050", "Ecobank Nigeria", "*326*Amount*AccountNumber#"),
    ("070", "Fidelity Bank", "*770*AccountNumber*Amount#"),
    ("011", "First Bank of Nigeria", "*894*Amount*AccountNumber#"),
    ("214", "First City Monument Bank", "*329*Amount*AccountNumber#"),
    ("058", "GTBank", "*737*1*Amount*AccountNumber#"),
    ("030", "Heritage Bank", "*322*030*AccountNumber*Amount#"),
    ("082", "Keystone Bank", "*7111*Amount*AccountNumber#"),
    ("076", "Polaris Bank", "*833*Amount*AccountNumber#"),
    ("101", "Providus Bank", None),
    ("221", "Stanbic IBTC Bank", "*909*22*Amount*AccountNumber#"),
    ("232", "Sterling bank", "*822*5*Amount*AccountNumber#"),
    ("032", "Union Bank of Nigeria", "*826*1*Amount*AccountNumber#"),
    ("033", "United Bank for Africa", "*919*3*AccountNumber*Amount#"),
    ("215", "Unity Bank", "*7799*Amount*AccountNumber#"),
    ("035", "Wema bank", "*945*AccountNumber*Amount#"),
    ("057", "Zenith bank", "*966*Amount*AccountNumber#"),
    ("50515", "Moniepoint Microfinance Bank", None),
    ("999992", "OPay Digital Services Limited (OPay)", None),
    ("999991", "PalmPay", None),
    ("50211", "Kuda Microfinance Bank", None),
    ("305", "Paycom (OPay)", None),
]
BANK_NAMES = {code: name for code, name, _ in BANKS}
RESERVED_ACCOUNT_BANKS = ("50515", "035")  # where Monnify issues reserved NUBANs

FIRST_NAMES = ["CHIDINMA", "EMEKA", "AISHA", "IBRAHIM", "TUNDE", "NGOZI", "YUSUF", "FUNMILAYO", "OLUWASEUN",
               "BLESSING", "CHUKWUEMEKA", "HAUWA", "ADAEZE", "SEGUN", "ZAINAB", "KELECHI"]
MIDDLE_NAMES = ["GRACE", "JOHN", "AMINA", "DAVID", "ESTHER", "MUSA", "FAITH", "SAMUEL"]
SURNAMES = ["OKAFOR", "NWOSU", "BELLO", "MUSA", "BAKARE", "ADEYEMI", "OKONKWO", "ABUBAKAR", "EZE", "OGUNLEYE",
            "IBRAHIM", "ADEBAYO", "OKEKE", "DANJUMA", "OYELARAN", "UCHE"]

INSUFFICIENT_BALANCE_COMMENT = (
    "You do not have sufficient balance to process this request. Please fund your account and try again."
)


def account_holder_name(account_number: str, bank_code: str) -> str:
    digest = hashlib.sha256(f"{bank_code}:{account_number}".encode()).digest()
    return " ".join(
        (FIRST_NAMES[digest[0] % len(FIRST_NAMES)], MIDDLE_NAMES[digest[1] % len(MIDDLE_NAMES)],
         SURNAMES[digest[2] % len(SURNAMES)])
    )


def now_utc() -> datetime:
    return datetime.now(UTC)


def lagos(dt: datetime) -> datetime:
    return dt.astimezone(LAGOS)


# --- Monnify's date formats -------------------------------------------------------------------


def fmt_dmy_12(dt: datetime) -> str:
    """14/03/2025 09:30:12 AM (Lagos time): status API paidOn, disbursement webhooks."""
    return lagos(dt).strftime("%d/%m/%Y %I:%M:%S %p")


def fmt_dmy_12_nopad(dt: datetime) -> str:
    """14/03/2025 4:23:37 PM (Lagos time, hour not padded): refunds."""
    local = lagos(dt)
    return local.strftime("%d/%m/%Y ") + str(int(local.strftime("%I"))) + local.strftime(":%M:%S %p")


def fmt_ymd_ms(dt: datetime) -> str:
    """2025-03-14 09:30:12.447 (Lagos time): collection webhooks, reserved-account createdOn."""
    local = lagos(dt)
    return local.strftime("%Y-%m-%d %H:%M:%S.") + f"{local.microsecond // 1000:03d}"


def fmt_iso_0000(dt: datetime) -> str:
    """2022-11-03T14:13:38.140+0000 (UTC): disbursement initiate dateCreated."""
    utc = dt.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def fmt_iso_colon(dt: datetime) -> str:
    """2026-06-27T08:32:49.000+00:00 (UTC): disbursement summary createdOn."""
    utc = dt.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+00:00"


def compact_stamp(dt: datetime) -> str:
    return lagos(dt).strftime("%Y%m%d%H%M%S")


def epoch_ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


# --- Monnify's amount formats -----------------------------------------------------------------


def naira_str(kobo: int) -> str:
    """"25000.00": status API amounts, settlementAmount."""
    return f"{Decimal(kobo) / 100:.2f}"


def naira_num(kobo: int) -> int | Decimal:
    """25000 or 2500.50: webhook and disbursement amounts (numbers)."""
    if kobo % 100 == 0:
        return kobo // 100
    return (Decimal(kobo) / 100).quantize(Decimal("0.01"))


def naira_num2(kobo: int) -> Decimal:
    """10.00: fees."""
    return (Decimal(kobo) / 100).quantize(Decimal("0.01"))


def naira_num1(kobo: int) -> Decimal:
    """5000.0: refund webhooks (a Java double)."""
    value = Decimal(kobo) / 100
    return value.quantize(Decimal("0.1")) if kobo % 10 == 0 else value.quantize(Decimal("0.01"))


# --- references -------------------------------------------------------------------------------


def random_alnum(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(n))


def random_digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def collection_reference(rng: random.Random, seq: int, at: datetime) -> str:
    return f"MNFY|{rng.randint(10, 99)}|{compact_stamp(at)}|{seq % 1_000_000:06d}"


def disbursement_reference(rng: random.Random, seq: int, at: datetime) -> str:
    return f"MFDS876{compact_stamp(at)}{seq % 1_000_000:06d}{random_alnum(rng, 6)}"


def session_id(rng: random.Random, at: datetime) -> str:
    return "090405" + lagos(at).strftime("%y%m%d%H%M%S") + random_digits(rng, 12)


def nuban(rng: random.Random) -> str:
    return str(rng.randint(1, 9)) + random_digits(rng, 9)
