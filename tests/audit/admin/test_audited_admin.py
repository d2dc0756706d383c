"""Every staff action in the admin is an audit record: add, change (before/after), delete,
bulk delete and admin actions, by the staff member, in the transaction of the change."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from cozonpay.users.models import User

from ..conftest import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.audit.admin.urls_for_tests")]


@pytest.fixture
def admin_user():
    return make_user(superuser=True)


@pytest.fixture
def client(admin_user):
    client = Client(HTTP_X_REQUEST_ID="req-staff-1")
    client.force_login(admin_user)
    return client


def _events(action_prefix: str = "admin."):
    return list(AuditEvent.objects.filter(action__startswith=action_prefix).order_by("id"))


def _change_form_data(user: User, **changes) -> dict:
    data = {
        "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
        "phone_number": user.phone_number or "", "kyc_tier": user.kyc_tier,
        "is_active": "on" if user.is_active else "", "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_adding_a_user_is_recorded_with_the_staff_actor_and_the_new_values(client, admin_user):
    # when
    response = client.post("/admin/users/user/add/", {
        "email": "new@cozonpay.test", "first_name": "Ada", "last_name": "Obi",
        "password1": "Very-Long-Pass-123", "password2": "Very-Long-Pass-123",
    })
    # then
    assert response.status_code == 302, response.content
    created = User.objects.get(email="new@cozonpay.test")
    (event,) = _events()
    assert (event.action, event.actor_type, event.actor_id, event.actor_name, event.subject_type, event.subject_id,
            event.references, event.request_id, event.ip) == (
        "admin.users.user.added", "staff", str(admin_user.pk), admin_user.email, "users.User", str(created.pk),
        [str(created.pk)], "req-staff-1", "127.0.0.1")
    after = event.payload["after"]
    assert (after["email"], after["first_name"], after["last_name"], after["password"], after["pin_hash"]) == (
        "new@cozonpay.test", "Ada", "Obi", "[REDACTED]", "")
    assert event.payload["message"] == [{"added": {}}]


def test_changing_a_user_records_before_after_and_the_changed_fields(client, admin_user):
    # given
    customer = make_user(first_name="Chidi", last_name="Eze")
    # when
    response = client.post(f"/admin/users/user/{customer.pk}/change/",
                           _change_form_data(customer, first_name="Chidinma", kyc_tier=2))
    # then
    assert response.status_code == 302, response.content
    (event,) = _events()
    assert (event.action, event.actor_id, event.subject_id) == (
        "admin.users.user.changed", str(admin_user.pk), str(customer.pk))
    assert event.payload["changed_fields"] == ["first_name", "kyc_tier"]
    assert (event.payload["before"]["first_name"], event.payload["before"]["kyc_tier"]) == ("Chidi", 0)
    assert (event.payload["after"]["first_name"], event.payload["after"]["kyc_tier"]) == ("Chidinma", 2)
    assert event.payload["message"] == [{"changed": {"fields": ["First name", "Kyc tier"]}}]


def test_changing_a_password_in_the_admin_is_recorded_without_the_password(client, admin_user):
    # given
    customer = make_user()
    # when
    response = client.post(f"/admin/users/user/{customer.pk}/password/",
                           {"password1": "Brand-New-Pass-456", "password2": "Brand-New-Pass-456"})
    # then
    assert response.status_code == 302, response.content
    (event,) = _events()
    assert (event.action, event.subject_id, event.payload["message"]) == (
        "admin.users.user.changed", str(customer.pk), [{"changed": {"fields": ["password"]}}])
    assert event.payload["after"]["password"] == "[REDACTED]"
    assert "Brand-New-Pass-456" not in str(event.payload)


def test_deleting_a_user_is_recorded_with_its_last_values(client, admin_user):
    # given
    customer = make_user(first_name="Bola")
    # when
    response = client.post(f"/admin/users/user/{customer.pk}/delete/", {"post": "yes"})
    # then
    assert response.status_code == 302
    assert not User.objects.filter(pk=customer.pk).exists()
    (event,) = _events()
    assert (event.action, event.actor_id, event.subject_id, event.payload["before"]["first_name"]) == (
        "admin.users.user.deleted", str(admin_user.pk), str(customer.pk), "Bola")


def test_bulk_delete_records_one_deletion_per_object(client):
    # given
    first, second = make_user(), make_user()
    # when
    response = client.post("/admin/users/user/", {
        "action": "delete_selected", "_selected_action": [str(first.pk), str(second.pk)], "post": "yes"})
    # then
    assert response.status_code == 302
    assert sorted((e.action, e.subject_id) for e in _events()) == sorted([
        ("admin.users.user.deleted", str(first.pk)), ("admin.users.user.deleted", str(second.pk))])


def test_a_decorated_action_is_recorded_under_its_code(client, admin_user):
    # given
    first, second = make_user(kyc_tier=2), make_user(kyc_tier=1)
    # when
    response = client.post("/test-admin/users/user/", {
        "action": "reset_kyc_tier", "_selected_action": [str(first.pk), str(second.pk)]})
    # then
    assert response.status_code == 302
    (event,) = _events()
    assert (event.action, event.actor_type, event.actor_id, event.subject_type) == (
        "admin.users.user.kyc_reset", "staff", str(admin_user.pk), "users.User")
    assert sorted(event.references) == sorted([str(first.pk), str(second.pk)])
    assert sorted(event.payload["object_ids"]) == sorted([str(first.pk), str(second.pk)])
    assert (event.payload["admin_action"], event.payload["ids_truncated"]) == ("reset_kyc_tier", False)
    assert set(User.objects.filter(pk__in=[first.pk, second.pk]).values_list("kyc_tier", flat=True)) == {0}


def test_an_undecorated_action_is_recorded_under_the_default_code(client):
    # given
    customer = make_user()
    # when
    client.post("/test-admin/users/user/", {"action": "deactivate", "_selected_action": [str(customer.pk)]})
    # then
    (event,) = _events()
    assert (event.action, event.references) == ("admin.users.user.action.deactivate", [str(customer.pk)])


def test_a_failing_action_leaves_neither_its_change_nor_its_record(client):
    # given
    customer = make_user()
    client.raise_request_exception = True
    # when
    with pytest.raises(RuntimeError):
        client.post("/test-admin/users/user/", {"action": "fail_halfway", "_selected_action": [str(customer.pk)]})
    # then
    assert _events() == []
    assert User.objects.get(pk=customer.pk).is_active is True

