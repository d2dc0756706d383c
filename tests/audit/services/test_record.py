"""audit_record: each recorded kind with the right actor, subject, references, request context and
payload; the record commits or rolls back with the caller's transaction."""

import pytest
from django.db import transaction

from audit.models import AuditEvent
from audit.services import Actor, audit_login, audit_record
from cozonpay.context import client_ip_var, request_id_var

from ..conftest import make_user

pytestmark = pytest.mark.django_db

ROW = ("actor_type", "actor_id", "actor_name", "action", "subject_type", "subject_id", "references",
       "request_id", "ip", "payload")


def _row(event: AuditEvent) -> tuple:
    event = AuditEvent.objects.get(pk=event.pk)
    return tuple(getattr(event, name) for name in ROW)


def test_a_ledger_journal_is_recorded_by_the_system_with_its_references():
    # given: what the ledger calls inside its posting transaction
    payload = {"amount": 150_000, "currency": "NGN",
               "postings": [{"account": 11, "amount": -150_000}, {"account": 12, "amount": 150_000}]}
    # when
    with transaction.atomic():
        event = audit_record(action="ledger.journal.posted", actor=Actor.system("wallets"),
                             subject=("wallets.Journal", "42"),
                             references=["transfer:9f1c", "MNFY|20|2024|000123", None, "", "transfer:9f1c"],
                             payload=payload, request_id="req-1", ip="10.1.2.3")
    # then
    assert _row(event) == ("system", "wallets", "wallets", "ledger.journal.posted", "wallets.Journal", "42",
                           ["MNFY|20|2024|000123", "transfer:9f1c"], "req-1", "10.1.2.3", payload)


def test_a_customer_and_a_staff_member_are_told_apart_and_the_request_context_is_taken():
    # given
    customer, staff = make_user(), make_user(staff=True)
    rid, ip = request_id_var.set("req-ctx-7"), client_ip_var.set("197.210.1.1")
    try:
        # when
        by_customer = audit_record(action="auth.pin.locked", actor=customer, subject=customer,
                                   references=[customer.pk], payload={"attempts": 5})
        by_staff = audit_record(action="admin.users.user.changed", actor=Actor.of_user(staff), subject=customer)
    finally:
        request_id_var.reset(rid)
        client_ip_var.reset(ip)
    # then
    assert _row(by_customer) == ("customer", str(customer.pk), customer.email, "auth.pin.locked", "users.User",
                                 str(customer.pk), [str(customer.pk)], "req-ctx-7", "197.210.1.1", {"attempts": 5})
    assert _row(by_staff)[:6] == ("staff", str(staff.pk), staff.email, "admin.users.user.changed", "users.User",
                                  str(customer.pk))


def test_a_provider_call_keeps_request_and_response():
    # given
    call = {"request": {"method": "GET", "url": "/api/v2/transactions/MNFY|1"},
            "response": {"status": 200, "body": {"paymentStatus": "PAID", "amountPaid": "1500.00"}},
            "latency_ms": 231}
    # when
    event = audit_record(action="monnify.call", actor=Actor.provider("monnify"), references=["MNFY|1"], payload=call)
    # then
    assert _row(event) == ("provider", "monnify", "monnify", "monnify.call", "", "", ["MNFY|1"], "", None, call)


def test_an_anonymous_actor_and_a_none_actor_are_anonymous():
    # when
    first = audit_record(action="webhook.received", actor=Actor.anonymous())
    second = audit_record(action="webhook.received", actor=None)
    # then
    assert _row(first)[:3] == _row(second)[:3] == ("anonymous", "", "")


def test_the_record_rolls_back_with_the_callers_transaction():
    # when
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="ledger.journal.posted", actor=Actor.system("wallets"))
        raise RuntimeError("the change failed")
    # then
    assert AuditEvent.objects.count() == 0


def test_audit_login_records_success_by_the_user_and_failure_by_anonymous_with_the_email_only():
    # given
    user = make_user()
    # when
    ok = audit_login(user=user, success=True, channel="api")
    failed = audit_login(user=None, success=False, email_attempted="who@example.com", channel="api")
    # then
    assert _row(ok) == ("customer", str(user.pk), user.email, "auth.login.succeeded", "users.User", str(user.pk),
                        [str(user.pk)], "", None, {"channel": "api"})
    assert _row(failed) == ("anonymous", "", "", "auth.login.failed", "", "", [], "", None,
                            {"email": "who@example.com", "channel": "api"})
