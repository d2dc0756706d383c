"""Admin (session) logins are recorded from Django's auth signals; API paths record themselves."""

import pytest
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory

from audit.models import AuditEvent

from ..conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

FIELDS = ("action", "actor_type", "actor_id", "subject_id", "references", "request_id", "ip", "payload")


def test_an_admin_login_and_logout_are_recorded_with_the_staff_member():
    # given
    staff = make_user(staff=True)
    client = Client(HTTP_X_REQUEST_ID="req-admin-login")
    # when
    response = client.post("/admin/login/?next=/admin/", {"username": staff.email, "password": PASSWORD})
    client.post("/admin/logout/")
    # then
    assert response.status_code == 302
    assert list(AuditEvent.objects.order_by("id").values_list(*FIELDS)) == [
        ("auth.login.succeeded", "staff", str(staff.pk), str(staff.pk), [str(staff.pk)], "req-admin-login",
         "127.0.0.1", {"channel": "admin"}),
        ("auth.logout", "staff", str(staff.pk), str(staff.pk), [str(staff.pk)], "req-admin-login",
         "127.0.0.1", {"channel": "admin"}),
    ]


def test_a_failed_admin_login_is_recorded_with_the_email_tried_and_never_the_password():
    # given
    staff = make_user(staff=True)
    # when
    response = Client(HTTP_X_REQUEST_ID="req-bad-login").post(
        "/admin/login/", {"username": staff.email, "password": "wrong-Password-77"})
    # then
    assert response.status_code == 200
    assert list(AuditEvent.objects.values_list(*FIELDS)) == [
        ("auth.login.failed", "anonymous", "", "", [], "req-bad-login", "127.0.0.1",
         {"email": staff.email, "channel": "admin"}),
    ]


def test_a_failed_authenticate_on_an_api_path_is_left_to_the_api_view():
    # given
    user = make_user()
    request = RequestFactory().post("/api/v1/auth/token")
    # when
    result = authenticate(request, email=user.email, password="wrong-Password-77")
    # then
    assert result is None
    assert AuditEvent.objects.count() == 0
