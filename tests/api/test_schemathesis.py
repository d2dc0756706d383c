"""Schemathesis against the live OpenAPI document, in-process through the WSGI app, with a valid
bearer token: every documented operation of /api/v1 gets generated requests (valid and invalid),
and each answer must be no 5xx, a documented status code, and match the documented schema.

Deterministic (`derandomize`) and bounded (MAX_EXAMPLES per operation) so the suite stays fast.
The banks endpoints are left out: they call Monnify (tests/payments cover them with the sandbox).
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from audit.services import Actor
from payments.services.notifications import notify
from tests.factories import make_customer
from wallets.services import transfer_send

MAX_EXAMPLES = 60
STATUSES: Counter = Counter()
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def in_process_wsgi(db):
    """Requests through the WSGI app would close the test's database connection at the end of
    each request (Django's `close_old_connections` signal handlers); Django's own test client
    disconnects them the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(in_process_wsgi):
    from cozonpay.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application).exclude(path_regex=r"/banks")


@pytest.fixture
def fuzz_world(db) -> dict:
    """A funded customer with a PIN, a transfer and a notification, so that generated requests can
    be pointed at real objects (see `_realistic`) and reach the happy paths, not only the 404s."""
    customer = make_customer(balance=5_000_000, first_name="Fuzz")
    recipient = make_customer(email="recipient@example.ng", phone_number="+2348030000001")
    sent = transfer_send(source=customer.wallet, destination=recipient.wallet, amount=1_000,
                         reference="fuzz:seed", actor=Actor.system("tests"))
    note = notify(user=customer, kind="test", title="hello", body="world", dedupe_key="fuzz:seed", email=False)
    return {
        "headers": {"Authorization": f"Bearer {RefreshToken.for_user(customer).access_token}"},
        "ids": {"wallets": str(customer.wallet.public_id), "transfers": str(sent.public_id),
                "notifications": str(note.pk)},
        "transfer": {"source_wallet": str(customer.wallet.public_id), "recipient": recipient.email, "pin": "1234"},
    }


def _realistic(case, world: dict):
    """Point a generated case at the customer's own objects: a real id in the path; for a transfer,
    a real source wallet, recipient and PIN (amount and narration stay generated)."""
    if case.path_parameters and "id" in case.path_parameters:
        collection = case.operation.path.split("/")[3]
        case.path_parameters = {**case.path_parameters, "id": world["ids"][collection]}
    if case.operation.label == "POST /api/v1/transfers" and isinstance(case.body, dict):
        case.body = {**case.body, **world["transfer"]}
    return case


def _run_operation(operation, world: dict) -> None:
    generated = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE))
    strategy = st.tuples(generated, st.booleans()).map(lambda pair: _realistic(pair[0], world) if pair[1] else pair[0])
    headers = world["headers"]

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case) -> None:
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        STATUSES[f"{operation.label} {response.status_code}"] += 1

    run()


def test_api_conforms_to_its_schema(api_schema, fuzz_world):
    # (schemathesis's own pytest loader needs a pytest internal that pytest 9 removed, so the
    # operations are driven here with hypothesis directly.)
    failures, labels = {}, []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        try:
            _run_operation(operation, fuzz_world)
        except Exception as exc:  # one operation's failure must not hide another's
            failures[operation.label] = f"{type(exc).__name__}: {exc}"[:3000]
    assert len(labels) >= 15, labels
    assert not failures, "\n\n".join(f"{label}\n{text}" for label, text in failures.items())
