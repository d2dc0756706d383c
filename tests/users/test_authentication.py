"""Bearer tokens: the user behind a token is read by a prepared statement, with simplejwt's checks."""

import uuid

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from cozonpay.users.models import User
from cozonpay.users.selectors import user_by_id

from .conftest import make_user

pytestmark = pytest.mark.django_db


def _me(token) -> tuple[int, dict]:
    response = APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    return response.status_code, response.json()


def test_a_valid_token_authenticates_its_user():
    user = make_user()
    status, body = _me(AccessToken.for_user(user))
    assert status == 200
    assert body["email"] == user.email


def test_a_token_for_no_user_is_refused():
    token = AccessToken.for_user(make_user())
    token["sub"] = str(uuid.uuid4())  # USER_ID_CLAIM
    status, body = _me(token)
    assert status == 401
    assert body["error"]["code"] == "not_authenticated"


def test_a_token_of_a_deactivated_user_is_refused():
    user = make_user()
    token = AccessToken.for_user(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    status, body = _me(token)
    assert status == 401
    assert body["error"]["code"] == "not_authenticated"


def test_user_by_id_reads_the_same_user_as_the_orm():
    user = make_user()
    found = user_by_id(str(user.pk))
    assert {f.attname: getattr(found, f.attname) for f in User._meta.concrete_fields} == {
        f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields}
    assert user_by_id("not-a-uuid") is None
    assert user_by_id(uuid.uuid4()) is None


def test_the_openapi_document_keeps_the_bearer_scheme():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
