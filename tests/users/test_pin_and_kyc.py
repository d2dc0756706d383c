import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cozonpay.users.exceptions import InvalidPin, PinLocked, PinNotSet
from cozonpay.users.models import User
from cozonpay.users.services import pin_verify

from .conftest import PASSWORD, make_user


@pytest.mark.django_db
def test_set_pin_with_password_then_change_with_current_pin(auth_client, user):
    # given / when
    assert auth_client.put("/api/v1/me/pin", {"pin": "4821", "password": PASSWORD}, format="json").status_code == 204
    user.refresh_from_db()
    # then: stored as a keyed hash, never the digits
    assert user.has_pin and "4821" not in user.pin_hash and len(user.pin_hash) == 64
    assert auth_client.get("/api/v1/me").json()["has_pin"] is True
    changed = auth_client.put("/api/v1/me/pin", {"pin": "9999", "current_pin": "4821"}, format="json")
    assert changed.status_code == 204
    pin_verify(user=user, pin="9999")


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"pin": "12345", "password": PASSWORD}, {"pin": "12a4", "password": PASSWORD},
                                  {"pin": 1234, "password": PASSWORD}, {"pin": "1234"},
                                  {"pin": "1234", "password": PASSWORD, "current_pin": "1111"}])
def test_set_pin_validation(auth_client, user, body):
    response = auth_client.put("/api/v1/me/pin", body, format="json")
    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.has_pin


@pytest.mark.django_db
def test_set_pin_wrong_password_changes_nothing(auth_client, user):
    response = auth_client.put("/api/v1/me/pin", {"pin": "1234", "password": "wrong"}, format="json")
    assert response.status_code == 403
    user.refresh_from_db()
    assert not user.has_pin


@pytest.mark.django_db
def test_pin_not_set(user):
    with pytest.raises(PinNotSet):
        pin_verify(user=user, pin="1234")


@pytest.mark.django_db
def test_wrong_pins_count_down_then_lock(user_with_pin):
    for remaining in (4, 3, 2, 1):
        with pytest.raises(InvalidPin) as exc:
            pin_verify(user=user_with_pin, pin="0000")
        assert f"{remaining} attempt" in exc.value.message
    with pytest.raises(PinLocked):
        pin_verify(user=user_with_pin, pin="0000")
    # the right PIN is refused while locked
    with pytest.raises(PinLocked):
        pin_verify(user=user_with_pin, pin="1234")
    assert AuditEvent.objects.filter(action="auth.pin.locked", subject_id=str(user_with_pin.pk)).count() == 1


@pytest.mark.django_db
def test_right_pin_resets_the_count(user_with_pin):
    for _ in range(3):
        with pytest.raises(InvalidPin):
            pin_verify(user=user_with_pin, pin="0000")
    pin_verify(user=user_with_pin, pin="1234")
    assert User.objects.get(pk=user_with_pin.pk).pin_failed_attempts == 0


@pytest.mark.django_db(transaction=True)
def test_pin_lockout_under_50_concurrent_wrong_attempts():
    # given
    from cozonpay.users.services import pin_set

    user = make_user()
    pin_set(user=user, pin="1234", password=PASSWORD)
    barrier = threading.Barrier(50)
    outcomes: list[str] = []
    lock = threading.Lock()

    def guess():
        try:
            barrier.wait(timeout=30)
            pin_verify(user=user, pin="0000")
            result = "accepted"
        except InvalidPin:
            result = "invalid"
        except PinLocked:
            result = "locked"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=guess) for _ in range(50)]
    # when
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # then: exactly 5 guesses were evaluated (4 "invalid" + the 5th that locks), the rest refused locked
    assert len(outcomes) == 50
    assert outcomes.count("accepted") == 0
    assert outcomes.count("invalid") == 4
    assert outcomes.count("locked") == 46
    fresh = User.objects.get(pk=user.pk)
    assert fresh.pin_failed_attempts == 5
    assert fresh.pin_locked_until is not None
    assert AuditEvent.objects.filter(action="auth.pin.locked", subject_id=str(user.pk)).count() == 1
    with pytest.raises(PinLocked):
        pin_verify(user=user, pin="1234")


@pytest.mark.django_db
def test_kyc_raises_tier_and_keeps_only_last4(auth_client, user):
    response = auth_client.post("/api/v1/me/kyc", {"bvn": "22233344455"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["kyc_tier"] == 1
    user.refresh_from_db()
    assert user.bvn_last4 == "4455"
    both = auth_client.post("/api/v1/me/kyc", {"nin": "12345678901"}, format="json")
    assert both.json()["kyc_tier"] == 2
    events = AuditEvent.objects.filter(action="kyc.submitted", subject_id=str(user.pk))
    assert events.count() == 2
    assert all("22233344455" not in str(e.payload) and "12345678901" not in str(e.payload) for e in events)


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"bvn": "123"}, {"bvn": "2223334445a"}, {"nin": "123456789012"},
                                  {"bvn": 22233344455}])
def test_kyc_validation_changes_nothing(auth_client, user, body):
    response = auth_client.post("/api/v1/me/kyc", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    user.refresh_from_db()
    assert user.kyc_tier == 0 and user.bvn_last4 == ""


def test_unauthenticated_cannot_reach_account_endpoints(db):
    client = APIClient()
    for method, path in [("get", "/api/v1/me"), ("put", "/api/v1/me/pin"), ("post", "/api/v1/me/kyc"),
                         ("post", "/api/v1/auth/logout")]:
        response = getattr(client, method)(path, {}, format="json")
        assert response.status_code == 401, path
