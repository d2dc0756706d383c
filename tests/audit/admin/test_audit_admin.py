"""The audit trail in the admin: read-only; search by reference, actor, action and time range;
the timeline of a reference; CSV export of a search; verification; staff permission checks."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client

from audit.models import AuditEvent
from audit.services import Actor, audit_record, audit_seal_pending

from ..conftest import make_user

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/audit/auditevent/"


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(make_user(superuser=True))
    return client


@pytest.fixture
def events():
    """A deposit's life: three records share its reference; one other payment; one staff action."""
    customer = make_user()
    staff = make_user(staff=True)
    deposit = [
        audit_record(action="payment.deposit.initiated", actor=customer, subject=("payments.Deposit", "dep-1"),
                     references=["CZP-DEP-1"], payload={"amount": 500_000}),
        audit_record(action="webhook.received", actor=Actor.provider("monnify"), subject=("webhooks.Event", "7"),
                     references=["CZP-DEP-1", "MNFY|20|1"], payload={"eventType": "SUCCESSFUL_TRANSACTION"}),
        audit_record(action="ledger.journal.posted", actor=Actor.system("wallets"), subject=("wallets.Journal", "3"),
                     references=["CZP-DEP-1", "monnify:txn:MNFY|20|1"], payload={"amount": 500_000}),
    ]
    other = audit_record(action="payment.deposit.initiated", actor=customer, subject=("payments.Deposit", "dep-2"),
                         references=["CZP-DEP-2"], payload={"amount": 100})
    by_staff = audit_record(action="admin.users.user.changed", actor=staff, subject=customer,
                            references=[customer.pk], payload={"note": "=HYPERLINK(\"http://evil\")"},
                            request_id="req-staff-9")
    return {"deposit": deposit, "other": other, "by_staff": by_staff, "customer": customer, "staff": staff}


def _shown(response) -> list[int]:
    assert response.status_code == 200, response.content[:500]
    return [event.id for event in response.context["cl"].result_list]


def _ids(*events) -> list[int]:
    return sorted((e.id for e in events), reverse=True)


def test_search_by_any_reference_finds_exactly_the_rows_that_carry_it(admin_client, events):
    deposit = events["deposit"]
    assert _shown(admin_client.get(CHANGELIST, {"q": "CZP-DEP-1"})) == _ids(*deposit)
    assert _shown(admin_client.get(CHANGELIST, {"q": "MNFY|20|1"})) == _ids(deposit[1])
    assert _shown(admin_client.get(CHANGELIST, {"q": "monnify:txn:MNFY|20|1"})) == _ids(deposit[2])
    assert _shown(admin_client.get(CHANGELIST, {"q": "CZP-DEP"})) == []  # references match exactly


def test_search_by_actor_request_id_and_filters_by_action_and_actor_type(admin_client, events):
    staff, customer = events["staff"], events["customer"]
    assert _shown(admin_client.get(CHANGELIST, {"q": staff.email})) == _ids(events["by_staff"])
    assert _shown(admin_client.get(CHANGELIST, {"q": str(staff.pk)})) == _ids(events["by_staff"])
    assert _shown(admin_client.get(CHANGELIST, {"q": "req-staff-9"})) == _ids(events["by_staff"])
    assert _shown(admin_client.get(CHANGELIST, {"q": str(customer.pk)})) == _ids(
        events["deposit"][0], events["other"], events["by_staff"])
    assert _shown(admin_client.get(CHANGELIST, {"action": "payment.deposit.initiated"})) == _ids(
        events["deposit"][0], events["other"])
    assert _shown(admin_client.get(CHANGELIST, {"actor_type": "provider"})) == _ids(events["deposit"][1])


def test_time_range_filter(admin_client, events, triggers_disabled):
    # given: two rows moved to known days (triggers are off only inside this test's transaction)
    deposit = events["deposit"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET occurred_at = %s WHERE id = %s",
                       [datetime(2025, 3, 1, 23, 59, tzinfo=UTC), deposit[0].id])
        cursor.execute("UPDATE audit_auditevent SET occurred_at = %s WHERE id = %s",
                       [datetime(2025, 3, 3, 0, 0, tzinfo=UTC), deposit[1].id])
    # when / then: "to" is inclusive of its whole day
    assert _shown(admin_client.get(CHANGELIST, {"occurred_from": "2025-03-01", "occurred_to": "2025-03-02"})) == [
        deposit[0].id]
    assert _shown(admin_client.get(CHANGELIST, {"occurred_from": "2025-03-02", "occurred_to": "2025-03-03"})) == [
        deposit[1].id]
    assert _shown(admin_client.get(CHANGELIST, {"occurred_to": "2025-03-03", "q": "CZP-DEP-1"})) == _ids(
        deposit[0], deposit[1])
    assert admin_client.get(CHANGELIST, {"occurred_from": "not-a-date"}).status_code == 302  # ?e=1


def test_the_timeline_shows_everything_about_a_reference_in_order(admin_client, events):
    # when
    response = admin_client.get("/admin/audit/auditevent/timeline/", {"reference": "CZP-DEP-1"})
    # then
    assert response.status_code == 200
    assert [e.id for e in response.context["events"]] == [e.id for e in events["deposit"]]
    body = response.content.decode()
    assert "SUCCESSFUL_TRANSACTION" in body and "ledger.journal.posted" in body
    assert body.index("payment.deposit.initiated") < body.index("webhook.received") < body.index(
        "ledger.journal.posted")


def test_the_timeline_of_a_subject_includes_rows_about_it(admin_client, events):
    response = admin_client.get("/admin/audit/auditevent/timeline/", {"reference": "dep-2"})
    assert [e.id for e in response.context["events"]] == [events["other"].id]


def test_csv_export_of_a_search_has_exactly_its_rows_and_is_itself_recorded(admin_client, events):
    # when
    response = admin_client.get("/admin/audit/auditevent/export.csv", {"q": "CZP-DEP-1"})
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["id", "occurred_at", "actor_type", "actor_id", "actor_name", "action", "subject_type",
                       "subject_id", "references", "request_id", "ip", "payload"]
    assert [(int(r[0]), r[5], r[8]) for r in rows[1:]] == [
        (events["deposit"][0].id, "payment.deposit.initiated", '["CZP-DEP-1"]'),
        (events["deposit"][1].id, "webhook.received", '["CZP-DEP-1", "MNFY|20|1"]'),
        (events["deposit"][2].id, "ledger.journal.posted", '["CZP-DEP-1", "monnify:txn:MNFY|20|1"]'),
    ]
    assert AuditEvent.objects.filter(action="audit.exported", payload={"query": {"q": "CZP-DEP-1"}}).count() == 1


def test_csv_cells_cannot_inject_formulas(admin_client, events):
    response = admin_client.get("/admin/audit/auditevent/export.csv", {"q": "req-staff-9"})
    (row,) = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))[1:]
    assert row[11] == '{"note": "=HYPERLINK(\\"http://evil\\")"}'
    dangerous = audit_record(action="=cmd|' /C calc'!A0", actor=Actor.system("x"), references=["inj"])
    response = admin_client.get("/admin/audit/auditevent/export.csv", {"q": "inj"})
    (row,) = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))[1:]
    assert (int(row[0]), row[5]) == (dangerous.id, "'=cmd|' /C calc'!A0")


def test_verify_from_the_admin_shows_the_report_and_is_recorded(admin_client, events, triggers_disabled):
    # given
    audit_seal_pending()
    assert admin_client.get("/admin/audit/auditevent/verify/").status_code == 200
    clean = admin_client.post("/admin/audit/auditevent/verify/")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET payload = '{}' WHERE id = %s", [events["other"].id])
    # when
    tampered = admin_client.post("/admin/audit/auditevent/verify/")
    # then
    assert clean.context["report"].ok is True
    assert "OK: no alteration found" in clean.content.decode()
    assert [str(f) for f in tampered.context["report"].findings] == [f"row {events['other'].id} altered (seal 1)"]
    assert f"row {events['other'].id} altered (seal 1)" in tampered.content.decode()
    recorded = list(AuditEvent.objects.filter(action="audit.verified").order_by("id").values_list("payload", flat=True))
    assert [(p["ok"], p["findings"]) for p in recorded] == [
        (True, []), (False, [f"row {events['other'].id} altered (seal 1)"])]


def test_audit_rows_are_read_only_in_the_admin(admin_client, events):
    event_id = events["other"].id
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.get(f"{CHANGELIST}{event_id}/delete/").status_code == 403
    assert admin_client.post(f"{CHANGELIST}{event_id}/change/", {"action": "forged"}).status_code == 403
    detail = admin_client.get(f"{CHANGELIST}{event_id}/change/")
    assert detail.status_code == 200 and b"payment.deposit.initiated" in detail.content
    assert admin_client.get(CHANGELIST).context["action_form"] is None
    assert admin_client.get("/admin/audit/auditseal/add/").status_code == 403
    assert AuditEvent.objects.get(pk=event_id).action == "payment.deposit.initiated"


@pytest.mark.parametrize("url", [
    CHANGELIST, "/admin/audit/auditevent/timeline/?reference=x", "/admin/audit/auditevent/export.csv",
    "/admin/audit/auditevent/verify/",
])
def test_custom_views_need_staff_and_the_view_permission(url):
    # given
    anonymous = Client()
    staff_without = Client()
    staff_without.force_login(make_user(staff=True))
    auditor = make_user(staff=True)
    auditor.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    staff_with = Client()
    staff_with.force_login(auditor)
    # when / then
    response = anonymous.get(url)
    assert (response.status_code, response["Location"].split("?")[0]) == (302, "/admin/login/")
    assert staff_without.get(url).status_code == 403
    assert staff_with.get(url).status_code == 200
