import json

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.foundation.urls_for_tests")]


def _envelope(response):
    body = json.loads(response.content)
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields", "request_id"}
    assert body["error"]["request_id"] == response["X-Request-ID"]
    return body["error"]


def test_validation_error_has_fields(api_client):
    # when
    response = api_client.post("/api/v1/test/echo", {"amount": "ten"}, format="json")
    # then
    assert response.status_code == 400
    error = _envelope(response)
    assert error["code"] == "validation_error"
    assert "amount" in error["fields"]


def test_malformed_json_is_validation_error(api_client):
    response = api_client.generic("POST", "/api/v1/test/echo", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert _envelope(response)["code"] == "validation_error"


@pytest.mark.parametrize("body", [b"[" * 20_000 + b"]" * 20_000, b'{"a":' * 5_000 + b"1" + b"}" * 5_000],
                         ids=["arrays", "objects"])
def test_json_nested_too_deeply_is_validation_error(api_client, body):
    # Python's parser raises RecursionError, not ValueError, past its nesting limit (was a 500)
    response = api_client.generic("POST", "/api/v1/test/echo", body, content_type="application/json")
    assert response.status_code == 400
    error = _envelope(response)
    assert (error["code"], error["message"]) == ("validation_error", "The body is not valid JSON.")


def test_unknown_api_path_is_404_envelope(api_client):
    response = api_client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert _envelope(response)["code"] == "not_found"


def test_wrong_method_is_405_envelope(api_client):
    response = api_client.delete("/api/v1/test/echo")
    assert response.status_code == 405
    assert _envelope(response)["code"] == "method_not_allowed"


def test_unhandled_exception_is_500_without_internals(api_client):
    api_client.raise_request_exception = False
    response = api_client.get("/api/v1/test/boom")
    assert response.status_code == 500
    error = _envelope(response)
    assert error["code"] == "server_error"
    assert b"hunter2" not in response.content
    assert b"Traceback" not in response.content


def test_unhandled_exception_in_plain_view_is_500_envelope(api_client):
    api_client.raise_request_exception = False
    response = api_client.get("/api/v1/test/plain-boom")
    assert response.status_code == 500
    assert _envelope(response)["code"] == "server_error"
    assert b"internals" not in response.content


def test_oversized_body_is_413(api_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 100
    response = api_client.post("/api/v1/test/echo", {"amount": 1, "pad": "x" * 200}, format="json")
    assert response.status_code == 413
    assert _envelope(response)["code"] == "payload_too_large"


def test_request_id_is_echoed(api_client):
    response = api_client.get("/api/v1/no/such/thing", HTTP_X_REQUEST_ID="client-req-42")
    assert response["X-Request-ID"] == "client-req-42"
    assert _envelope(response)["request_id"] == "client-req-42"


def test_forged_request_id_is_replaced(api_client):
    response = api_client.get("/api/v1/no/such/thing", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32
