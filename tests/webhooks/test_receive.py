import json
import threading
from unittest import mock

import pytest
from django.db import DatabaseError, connection
from django.test import Client

from audit.models import AuditEvent
from webhooks.models import WebhookEvent, WebhookStatus
from webhooks.signatures import monnify_signature, monnify_signature_valid

from .conftest import SHARED, compact, post_webhook, sample

pytestmark = pytest.mark.django_db


def test_signature_reproduces_monnify_test_vector():
    vector = json.loads((SHARED / "SIGNATURE_TEST_VECTOR.json").read_text())
    body = vector["rawBody"].encode()
    assert monnify_signature(body, vector["secretKey"]) == vector["expectedSignature"]
    assert monnify_signature_valid(body, vector["secretKey"], vector["expectedSignature"].upper())
    assert not monnify_signature_valid(body, vector["secretKey"], vector["plainSha512OfSecretPlusBody_DOES_NOT_MATCH"])


def test_valid_webhook_is_stored_and_acknowledged(secret):
    # given
    body = compact(sample("SUCCESSFUL_TRANSACTION"))
    # when
    response = post_webhook(Client(), body, secret=secret)
    # then
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.event_type == "SUCCESSFUL_TRANSACTION"
    assert event.reference == "MNFY|47|20250314093012|004217"
    assert event.body == body.decode()
    assert event.status == WebhookStatus.RECEIVED
    assert "…" in event.headers["Monnify-Signature"]
    assert AuditEvent.objects.filter(action="webhook.received", references__contains=[event.reference]).count() == 1


def _variants(secret):
    payload = sample("SUCCESSFUL_TRANSACTION")
    good = compact(payload)
    reserialized = json.dumps(payload, indent=2).encode()  # same JSON, different bytes
    changed = compact({**payload, "eventData": {**payload["eventData"], "amountPaid": 99999999}})
    return {
        "wrong secret": (good, monnify_signature(good, "not-the-secret")),
        "re-serialized JSON": (reserialized, monnify_signature(good, secret)),
        "missing header": (good, None),
        "truncated signature": (good, monnify_signature(good, secret)[:64]),
        "body changed after signing": (changed, monnify_signature(good, secret)),
        "empty signature": (good, ""),
    }


@pytest.mark.parametrize("case", ["wrong secret", "re-serialized JSON", "missing header", "truncated signature",
                                  "body changed after signing", "empty signature"])
def test_signature_matrix_refuses_and_stores_nothing(secret, case):
    body, signature = _variants(secret)[case]
    client = Client()
    response = client.post("/webhooks/monnify", data=body, content_type="application/json",
                           **({"HTTP_MONNIFY_SIGNATURE": signature} if signature is not None else {}))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    assert WebhookEvent.objects.count() == 0
    assert AuditEvent.objects.filter(action="webhook.rejected").count() == 1


def test_rejections_are_rate_limited(secret):
    from django.core.cache import cache

    cache.clear()
    body = compact(sample("SUCCESSFUL_TRANSACTION"))
    for _ in range(5):
        assert post_webhook(Client(), body, secret=None, signature="0" * 128).status_code == 401
    assert AuditEvent.objects.filter(action="webhook.rejected").count() == 1
    cache.clear()


def test_source_ip_allowlist(secret, settings):
    settings.MONNIFY_WEBHOOK_IPS = ["35.242.133.146"]
    body = compact(sample("SUCCESSFUL_TRANSACTION"))
    refused = post_webhook(Client(), body, secret=secret, REMOTE_ADDR="10.1.2.3")
    assert refused.status_code == 403
    assert WebhookEvent.objects.count() == 0
    accepted = post_webhook(Client(), body, secret=secret, REMOTE_ADDR="35.242.133.146")
    assert accepted.status_code == 200
    assert WebhookEvent.objects.count() == 1


def test_source_ip_through_trusted_proxy(secret, settings):
    settings.MONNIFY_WEBHOOK_IPS = ["35.242.133.146"]
    settings.TRUSTED_PROXY_COUNT = 1
    body = compact(sample("SUCCESSFUL_DISBURSEMENT"))
    # A spoofed left-most entry is ignored: only the entry our one proxy appended counts.
    spoofed = post_webhook(Client(), body, secret=secret, REMOTE_ADDR="10.0.0.5",
                           HTTP_X_FORWARDED_FOR="35.242.133.146, 6.6.6.6")
    assert spoofed.status_code == 403
    via_proxy = post_webhook(Client(), body, secret=secret, REMOTE_ADDR="10.0.0.5",
                             HTTP_X_FORWARDED_FOR="35.242.133.146")
    assert via_proxy.status_code == 200


def test_oversized_body_is_413(secret, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 100
    body = compact(sample("SUCCESSFUL_TRANSACTION"))
    assert post_webhook(Client(), body, secret=secret).status_code == 413
    assert WebhookEvent.objects.count() == 0


def test_signed_non_json_is_400(secret):
    response = post_webhook(Client(), b"not json", secret=secret)
    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_signed_json_nested_too_deeply_is_400(secret):
    response = post_webhook(Client(), b"[" * 20_000 + b"]" * 20_000, secret=secret)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert WebhookEvent.objects.count() == 0


def test_database_down_answers_5xx_so_monnify_retries(secret):
    body = compact(sample("SUCCESSFUL_TRANSACTION"))
    with mock.patch("webhooks.services.webhook_receive", side_effect=DatabaseError("connection refused")):
        response = post_webhook(Client(), body, secret=secret)
    assert response.status_code == 503
    assert WebhookEvent.objects.count() == 0


def test_duplicates_are_one_row_and_reversal_is_another(secret):
    success = compact(sample("SUCCESSFUL_DISBURSEMENT"))
    reversed_ = sample("SUCCESSFUL_DISBURSEMENT")
    reversed_["eventType"] = "REVERSED_DISBURSEMENT"
    reversed_["eventData"]["status"] = "REVERSED"
    for _ in range(3):
        assert post_webhook(Client(), success, secret=secret).status_code == 200
    assert post_webhook(Client(), compact(reversed_), secret=secret).status_code == 200
    rows = {e.event_type: e for e in WebhookEvent.objects.all()}
    assert set(rows) == {"SUCCESSFUL_DISBURSEMENT", "REVERSED_DISBURSEMENT"}
    assert rows["SUCCESSFUL_DISBURSEMENT"].deliveries == 3
    assert rows["REVERSED_DISBURSEMENT"].deliveries == 1


@pytest.mark.django_db(transaction=True)
def test_one_webhook_50_times_concurrently_is_one_row_all_200(secret):
    body = compact(sample("SUCCESSFUL_TRANSACTION"))
    barrier = threading.Barrier(50)
    statuses: list[int] = []
    lock = threading.Lock()

    def deliver():
        try:
            barrier.wait(timeout=30)
            code = post_webhook(Client(), body, secret=secret).status_code
        finally:
            connection.close()
        with lock:
            statuses.append(code)

    threads = [threading.Thread(target=deliver) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for _ in range(50):  # and 50 replays in sequence
        statuses.append(post_webhook(Client(), body, secret=secret).status_code)
    assert statuses == [200] * 100
    event = WebhookEvent.objects.get()
    assert event.deliveries == 100
    assert AuditEvent.objects.filter(action="webhook.received").count() == 1
    assert AuditEvent.objects.filter(action="webhook.duplicate_received").count() == 99
