"""Redis is a doorbell, PostgreSQL the truth: with the broker down, webhooks are still stored and
acknowledged; when it returns, the beat sweeper and a real worker process every one of them."""

import json
import shutil

import pytest
from django.test import Client

from webhooks.models import WebhookEvent, WebhookStatus
from webhooks.signatures import monnify_signature

from ..worker import RedisServer, wait_for
from .conftest import sample

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed on this machine")
def test_redis_down_while_200_webhooks_arrive_then_all_processed(settings, caplog, monkeypatch, request):
    redis = RedisServer()  # not started: "Redis is down"
    monkeypatch.setenv("REDIS_URL", redis.url)
    worker_process = request.getfixturevalue("worker_process")  # this process now publishes to that Redis
    payload = sample("SUCCESSFUL_DISBURSEMENT")
    client = Client()
    codes = []
    for i in range(200):
        payload["eventData"]["reference"] = f"wd_outage_{i:03d}"
        body = json.dumps(payload, separators=(",", ":")).encode()
        response = client.post("/webhooks/monnify", data=body, content_type="application/json",
                               HTTP_MONNIFY_SIGNATURE=monnify_signature(body, settings.MONNIFY_SECRET_KEY))
        codes.append(response.status_code)
    # then: all acknowledged, all durable, none processed yet
    assert codes == [200] * 200
    failures = [r for r in caplog.records if r.getMessage().startswith("enqueue failed")]
    errors = [str(getattr(r, "error", "")) for r in failures]
    assert errors and all("Connection refused" in e or "Error 111" in e for e in errors), errors
    assert WebhookEvent.objects.filter(status=WebhookStatus.RECEIVED).count() == 200
    # when Redis returns, with a worker and the beat sweeper running
    redis.start()
    request.addfinalizer(redis.stop)
    worker_process(beat=True, env={"WEBHOOK_SWEEP_INTERVAL_SECONDS": "2"})
    wait_for(lambda: not WebhookEvent.objects.filter(
        status__in=[WebhookStatus.RECEIVED, WebhookStatus.PROCESSING, WebhookStatus.FAILED]).exists(),
        timeout=60, interval=0.5, message="all 200 webhooks processed within a minute")
    assert WebhookEvent.objects.count() == 200
    assert WebhookEvent.objects.exclude(status__in=[WebhookStatus.PROCESSED, WebhookStatus.IGNORED]).count() == 0
    assert set(WebhookEvent.objects.values_list("attempts", flat=True)) == {1}
