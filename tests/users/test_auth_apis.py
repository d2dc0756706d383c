import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cozonpay.users.models import User

from .conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

REGISTER = {
    "email": "Chidinma.Okafor@Example.ng",
    "password": "a-very-long-passphrase-77",
    "first_name": "Chidinma",
    "last_name": "Okafor",
    "phone_number": "0803 123 4567",
}


def test_register_creates_user_and_answers_me_shape(api_client):
    # when
    response = api_client.post("/api/v1/auth/register", REGISTER, format="json")
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "email", "first_name", "last_name", "phone_number", "kyc_tier", "limits",
                         "has_pin", "created_at"}
    assert body["email"] == "chidinma.okafor@example.ng"
    assert body["phone_number"] == "+2348031234567"
    assert body["kyc_tier"] == 0
    assert body["has_pin"] is False
    user = User.objects.get(email="chidinma.okafor@example.ng")
    assert user.check_password(REGISTER["password"])
    assert "password" not in body


def test_register_ignores_privileged_fields(api_client):
    response = api_client.post("/api/v1/auth/register", {**REGISTER, "kyc_tier": 3, "is_staff": True},
                               format="json")
    assert response.status_code == 201
    user = User.objects.get(email="chidinma.okafor@example.ng")
    assert user.kyc_tier == 0 and user.is_staff is False


@pytest.mark.parametrize(
    "change, field",
    [
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "password123"}, "password"),
        ({"phone_number": "12345"}, "phone_number"),
        ({"first_name": ""}, "first_name"),
    ],
)
def test_register_validation(api_client, change, field):
    response = api_client.post("/api/v1/auth/register", {**REGISTER, **change}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["fields"]
    assert User.objects.count() == 0


def test_register_duplicate_email_and_phone(api_client):
    api_client.post("/api/v1/auth/register", REGISTER, format="json")
    again = api_client.post("/api/v1/auth/register", {**REGISTER, "email": "CHIDINMA.okafor@example.ng"},
                            format="json")
    assert again.status_code == 400
    assert "email" in again.json()["error"]["fields"]
    phone = api_client.post("/api/v1/auth/register", {**REGISTER, "email": "x@example.ng",
                                                     "phone_number": "+2348031234567"}, format="json")
    assert phone.status_code == 400
    assert "phone_number" in phone.json()["error"]["fields"]
    assert User.objects.count() == 1


def test_token_refresh_rotation_and_logout():
    user = make_user()
    client = APIClient()
    # when: log in
    tokens = client.post("/api/v1/auth/token", {"email": user.email.upper(), "password": PASSWORD}, format="json")
    assert tokens.status_code == 200
    access, refresh = tokens.json()["access"], tokens.json()["refresh"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert client.get("/api/v1/me").json()["id"] == str(user.pk)
    # rotation: the old refresh token is blacklisted after use
    rotated = client.post("/api/v1/auth/token/refresh", {"refresh": refresh}, format="json")
    assert rotated.status_code == 200
    new_refresh = rotated.json()["refresh"]
    assert new_refresh != refresh
    reused = client.post("/api/v1/auth/token/refresh", {"refresh": refresh}, format="json")
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "not_authenticated"
    # logout blacklists the current refresh token
    assert client.post("/api/v1/auth/logout", {"refresh": new_refresh}, format="json").status_code == 204
    after = client.post("/api/v1/auth/token/refresh", {"refresh": new_refresh}, format="json")
    assert after.status_code == 401
    assert AuditEvent.objects.filter(action="auth.login.succeeded", actor_id=str(user.pk)).count() == 1
    assert AuditEvent.objects.filter(action="auth.logout", actor_id=str(user.pk)).count() == 1


def test_logout_refuses_another_users_token():
    alice, bob = make_user(), make_user()
    bob_refresh = APIClient().post("/api/v1/auth/token", {"email": bob.email, "password": PASSWORD},
                                   format="json").json()["refresh"]
    client = APIClient()
    client.force_authenticate(alice)
    response = client.post("/api/v1/auth/logout", {"refresh": bob_refresh}, format="json")
    assert response.status_code == 400
    # Bob's token still works.
    assert APIClient().post("/api/v1/auth/token/refresh", {"refresh": bob_refresh}, format="json").status_code == 200


def test_failed_login_has_one_generic_message():
    user = make_user()
    client = APIClient()
    wrong_password = client.post("/api/v1/auth/token", {"email": user.email, "password": "nope-nope-1"},
                                 format="json")
    unknown_email = client.post("/api/v1/auth/token", {"email": "ghost@example.ng", "password": "nope-nope-1"},
                                format="json")
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json()["error"]["message"] == unknown_email.json()["error"]["message"]
    failures = AuditEvent.objects.filter(action="auth.login.failed")
    assert failures.count() == 2
    assert all("nope-nope-1" not in str(e.payload) for e in failures)


@pytest.mark.parametrize("header", ["", "Bearer garbage", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.forged", "Basic abc"])
def test_me_requires_a_valid_token(header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_login_throttled_per_account(settings):
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "login_account": "3/min"}}
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    api_settings.reload()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        user = make_user()
        client = APIClient()
        codes = [client.post("/api/v1/auth/token", {"email": user.email, "password": "wrong-pass-1"},
                             format="json").status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        throttled = client.post("/api/v1/auth/token", {"email": user.email, "password": PASSWORD}, format="json")
        assert throttled.status_code == 429
        assert throttled.json()["error"]["code"] == "throttled"
        assert "Retry-After" in throttled
    finally:
        cache.clear()
