"""GET /api/v1/banks and POST /api/v1/banks/resolve, backed by the sandbox."""

import pytest
from django.core.cache import cache

from cozonpay.users.models import User
from payments.selectors import BANKS_CACHE_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_client(api_client, monnify_settings):
    cache.delete(BANKS_CACHE_KEY)
    user = User.objects.create_user(email="ada@example.ng", password="a-long-password-123")
    api_client.force_authenticate(user)
    yield api_client
    cache.delete(BANKS_CACHE_KEY)


def test_banks_need_authentication(api_client, monnify_settings):
    response = api_client.get("/api/v1/banks")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
    assert api_client.post("/api/v1/banks/resolve", {}, format="json").status_code == 401


def test_bank_list_is_cached(user_client, control):
    response = user_client.get("/api/v1/banks")
    assert response.status_code == 200
    banks = response.json()
    assert {"code": "058", "name": "GTBank"} in banks and set(banks[0]) == {"code", "name"}
    # a Monnify outage after the first fetch does not matter: the list is cached
    control.config(faults={"api_error_rate": 1.0})
    assert user_client.get("/api/v1/banks").json() == banks
    assert len([r for r in control.get("/sandbox/requests") if r["path"] == "/api/v1/banks"]) == 1


def test_bank_list_during_an_outage_is_503(user_client, control):
    control.config(faults={"api_error_rate": 1.0})
    response = user_client.get("/api/v1/banks")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "provider_unavailable"


def test_resolve_answers_the_account_name(user_client):
    response = user_client.post("/api/v1/banks/resolve", {"bank_code": "058", "account_number": "0123456789"},
                                format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["account_name"] and body["account_number"] == "0123456789" and body["bank_code"] == "058"
    assert body["bank_name"] == "GTBank"


def test_resolve_an_invalid_account_is_422(user_client):
    response = user_client.post("/api/v1/banks/resolve", {"bank_code": "058", "account_number": "0001234567"},
                                format="json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "account_not_found"


@pytest.mark.parametrize("body", [{}, {"bank_code": "058", "account_number": "12345"},
                                  {"bank_code": "GTB", "account_number": "0123456789"},
                                  {"bank_code": "058", "account_number": 123456789}])
def test_resolve_bad_input_is_400(user_client, body):
    response = user_client.post("/api/v1/banks/resolve", body, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"


def test_resolve_during_an_outage_is_503(user_client, control, monnify_settings):
    control.config(faults={"api_timeout_rate": 1.0}, api_timeout_s=2)
    monnify_settings.MONNIFY_READ_TIMEOUT = 0.2
    response = user_client.post("/api/v1/banks/resolve", {"bank_code": "058", "account_number": "0123456789"},
                                format="json")
    assert response.status_code == 503 and response.json()["error"]["code"] == "provider_unavailable"


def test_wrong_credentials_are_503_not_a_customer_error(user_client, control):
    control.config(api_key="MK_TEST_SOMETHING_ELSE")
    response = user_client.post("/api/v1/banks/resolve", {"bank_code": "058", "account_number": "0123456789"},
                                format="json")
    assert response.status_code == 503
