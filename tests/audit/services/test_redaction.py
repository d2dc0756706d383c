"""A secret key, a bearer token, a password, a PIN and a BVN pushed through every recording path
(audit_record payloads, nested and as free text; the audited admin; the admin login; the JSON log
formatter) appear in no audit row and no log line."""

import json
import logging
import re

import pytest
from django.conf import settings
from django.test import Client
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from audit.redaction import REDACTED, redact
from audit.services import Actor, audit_record
from cozonpay.logging import JsonFormatter, RequestIdFilter
from cozonpay.users.models import User

from ..conftest import make_user

SECRET_KEY = settings.MONNIFY_SECRET_KEY
BEARER_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjdXN0b21lci0xIn0.Zm9yZ2VkLXNpZ25hdHVyZS12YWx1ZQ"
OPAQUE_TOKEN = "opaqueAccessToken9f8e7d6c5b4a"
PASSWORD = "Tr0ub4dor-and-3-Horses"
NEW_PASSWORD = "Zq-unrelated-78-Walrus"
PIN = "4921"
BVN = "22233344455"
SECRETS = (SECRET_KEY, BEARER_TOKEN, OPAQUE_TOKEN, PASSWORD, NEW_PASSWORD, BVN)
_PIN_RE = re.compile(rf"(?<![0-9A-Za-z]){PIN}(?![0-9A-Za-z])")


def _leaks(text: str) -> list[str]:
    found = [secret for secret in SECRETS if secret in text]
    if _PIN_RE.search(text):
        found.append(PIN)
    return found


@pytest.fixture
def log_lines():
    """Every log record of every logger, formatted as production formats it."""
    stream = []

    class ListHandler(logging.Handler):
        def emit(self, record):
            stream.append(self.format(record))

    handler = ListHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def _all_rows_text() -> str:
    fields = [f.name for f in AuditEvent._meta.concrete_fields if f.name not in ("id", "occurred_at")]
    return json.dumps(list(AuditEvent.objects.values(*fields)), default=str)


def _log_text(lines: list[str]) -> str:
    # the timestamp is not data: drop it so a PIN-like run of digits in it cannot match
    return "\n".join(json.dumps({k: v for k, v in json.loads(line).items() if k != "ts"}) for line in lines)


@pytest.mark.django_db
def test_no_secret_reaches_any_row_or_log_line_by_any_recording_path(log_lines):
    # given: a staff member and a customer
    staff = make_user(superuser=True)
    customer = make_user(first_name="Amaka")
    client = Client(HTTP_X_REQUEST_ID="req-redaction-1")

    # when 1: audit_record with the secrets as nested keys, in lists, and as free text
    audit_record(
        action="monnify.call", actor=Actor.provider("monnify"), references=["MNFY|1"],
        payload={
            "request": {
                "headers": {"Authorization": f"Bearer {BEARER_TOKEN}", "X-Api-Key": SECRET_KEY},
                "body": {"password": PASSWORD, "transactionPin": PIN, "bvn": BVN, "secretKey": SECRET_KEY,
                         "customer": {"nin": BVN, "access_token": OPAQUE_TOKEN, "pin": int(PIN)}},
            },
            "response": {"accessToken": BEARER_TOKEN, "items": [{"pin": PIN}, {"client_secret": SECRET_KEY}]},
            "note": (f"customer typed password={PASSWORD} and pin: {PIN}, bvn {BVN}; we sent "
                     f"Authorization: Bearer {OPAQUE_TOKEN} with key {SECRET_KEY} and token {BEARER_TOKEN}"),
            "raw": json.dumps({"password": PASSWORD, "pin": PIN, "bvn": BVN}),
            "query": f"/login?email=a@b.c&password={PASSWORD}&pin={PIN}",
        },
    )
    # when 2: the audited admin, with the secrets typed into form fields
    client.force_login(staff)
    added = client.post("/admin/users/user/add/", {
        "email": "added@cozonpay.test", "first_name": f"pin={PIN}", "last_name": SECRET_KEY,
        "password1": PASSWORD, "password2": PASSWORD,
    })
    changed = client.post(f"/admin/users/user/{customer.pk}/change/", {
        "email": customer.email, "first_name": f"Bearer {OPAQUE_TOKEN}", "last_name": f"password: {PASSWORD}",
        "phone_number": BVN, "kyc_tier": 1, "is_active": "on",
    })
    password_changed = client.post(f"/admin/users/user/{customer.pk}/password/",
                                   {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    # when 3: the admin login path, with the password (and the PIN as the "email")
    Client().post("/admin/login/", {"username": customer.email, "password": PASSWORD})
    Client().post("/admin/login/", {"username": f"pin={PIN}", "password": PASSWORD})
    # when 4: application logs with the secrets in the message, in extra fields and in an exception
    logger = logging.getLogger("cozonpay.payments")
    logger.warning("monnify call failed: Authorization: Bearer %s password=%s pin=%s bvn=%s key=%s",
                   BEARER_TOKEN, PASSWORD, PIN, BVN, SECRET_KEY,
                   extra={"request_body": {"password": PASSWORD, "pin": PIN, "bvn": BVN},
                          "headers": {"Authorization": f"Bearer {OPAQUE_TOKEN}"}, "secret_key": SECRET_KEY})
    try:
        raise RuntimeError(f"login with password={PASSWORD} and token {BEARER_TOKEN} for bvn {BVN}")
    except RuntimeError:
        logger.exception("unexpected: %s", SECRET_KEY)

    # then: every path recorded (or logged) something ...
    assert (added.status_code, changed.status_code, password_changed.status_code) == (302, 302, 302), (
        added.content[:300], changed.content[:300])
    actions = sorted(AuditEvent.objects.values_list("action", flat=True))
    assert actions == sorted(["monnify.call", "auth.login.succeeded", "admin.users.user.added",
                              "admin.users.user.changed", "admin.users.user.changed",
                              "auth.login.failed", "auth.login.failed"])
    assert User.objects.get(pk=customer.pk).check_password(NEW_PASSWORD)
    assert len(log_lines) >= 2
    # ... and no secret is in any row or log line
    assert _leaks(_all_rows_text()) == []
    assert _leaks(_log_text(log_lines)) == []
    # while what is not secret survives
    call = AuditEvent.objects.get(action="monnify.call").payload
    assert call["request"]["body"]["bvn"] == "*******4455"
    assert call["request"]["body"]["password"] == REDACTED
    assert call["response"]["items"] == [{"pin": REDACTED}, {"client_secret": REDACTED}]
    changed_row = AuditEvent.objects.filter(action="admin.users.user.changed").order_by("id").first()
    assert changed_row.payload["after"]["phone_number"] == "*******4455"
    assert changed_row.payload["before"]["first_name"] == "Amaka"


@pytest.mark.parametrize("value, expected", [
    ({"transaction_pin": "1234", "new_password2": "x", "csrfmiddlewaretoken": "abc", "x-api-key": "k"},
     {"transaction_pin": REDACTED, "new_password2": REDACTED, "csrfmiddlewaretoken": REDACTED, "x-api-key": REDACTED}),
    ({"pin_failed_attempts": 3, "pin_locked_until": None, "shipping": "ok", "token_type": "Bearer"},
     {"pin_failed_attempts": 3, "pin_locked_until": None, "shipping": "ok", "token_type": "Bearer"}),
    ({"cardNumber": "5399831234567890", "bvn": 22233344455}, {"cardNumber": "************7890", "bvn": "*******4455"}),
    ("Authorization: Basic bWs6c2VjcmV0LXZhbHVl", f"Authorization: {REDACTED}"),
    ('{"password": "p@ss word", "amount": 100}', f'{{"password": "{REDACTED}", "amount": 100}}'),
    ("pin='1 2 3 4' then", f"pin='{REDACTED}' then"),
    ("card 5399 8312 3456 7890", "card 5399 8312 3456 7890"),
])
def test_redaction_rules(value, expected):
    assert redact(value) == expected


def test_the_monnify_basic_credential_is_registered_as_a_secret():
    import base64

    credential = base64.b64encode(f"{settings.MONNIFY_API_KEY}:{SECRET_KEY}".encode()).decode()
    assert redact({"note": f"sent {credential}"}) == {"note": f"sent {REDACTED}"}


def test_digit_runs_inside_identifiers_are_not_mistaken_for_bvns_or_cards():
    from audit.redaction import redact_text

    # UUIDs and hashes can hold 11+ consecutive digits; they are identifiers, not secrets.
    assert redact_text("3a18719b-68aa-4bcd-9c0c-c61046726304") == "3a18719b-68aa-4bcd-9c0c-c61046726304"
    assert redact_text("ref f04fb635e04d71648bd3cc7999003da6") == "ref f04fb635e04d71648bd3cc7999003da6"
    assert redact_text("bvn 22233344455, card 4111111111111111") == "bvn *******4455, card ************1111"


_FRAGMENTS = ["password", "PassWD", "secret", "pin", "PIN", "token", "api_key", "api-key", "authorization",
              "signature", "cvv", "otp", "bearer ", "Basic ", "eyJ", "abc", "ref", "MNFY|", "-", "_", " ", ":", "=",
              "'", '"', "&", ",", ";", "}", "]", "0", "1", "42", "1234", "98765432", "5399831234567890",
              "22233344455", ".", "x" * 9]


@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map("".join))
@hypothesis_settings(max_examples=400, deadline=None)
def test_the_prefilter_never_changes_what_redaction_produces(text):
    # the prefilter only skips texts no pattern can match: the result equals the full pattern pass
    from audit.redaction import _redact_patterns, redact_text

    assert redact_text(text) == _redact_patterns(text)
