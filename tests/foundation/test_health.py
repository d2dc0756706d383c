from unittest import mock

import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db


def test_live(api_client):
    response = api_client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_database_and_broker_answer(api_client):
    response = api_client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_ready_503_when_database_down(api_client):
    with mock.patch("cozonpay.health.connection.cursor", side_effect=OperationalError("connection refused")):
        response = api_client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["database"]
    assert body["checks"]["broker"] == "ok"
    assert body["error"]["code"] == "service_unavailable"


def test_ready_503_when_broker_down(api_client, settings):
    from kombu import Connection

    from cozonpay.celery import app

    # A real connection attempt to a port where nothing listens.
    def dead_broker(*args, **kwargs):
        return Connection("redis://127.0.0.1:1/0", connect_timeout=1)

    with mock.patch.object(app, "connection_for_write", side_effect=dead_broker):
        response = api_client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["broker"]
    assert "database" not in body["down"]
