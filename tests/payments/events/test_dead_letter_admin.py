"""Dead letters are handled from the admin: the retry action gives a dead run fresh attempts and it
completes once; replaying a dead webhook processes it once."""

import pytest
from django.db import transaction
from django.test import Client

from cozonpay.users.models import User
from payments.events import registry
from payments.events import services as events
from payments.models import HandlerRun, HandlerRunStatus
from webhooks import registry as webhook_registry
from webhooks import services as inbox
from webhooks.models import WebhookEvent, WebhookStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    user = User.objects.create_superuser(email="finance@cozonpay.local", password="x")
    client = Client()
    client.force_login(user)
    return client


def test_dead_letter_retried_from_admin_completes_once(staff_client):
    saved = {k: dict(v) for k, v in registry._handlers.items()}
    calls, state = [], {"fail": True}

    def flaky(event):
        if state["fail"]:
            raise ConnectionError("provider down")
        calls.append(event.pk)

    try:
        registry.event_handler("test.admin", name="flaky")(flaky)
        owner = User.objects.create_user(email="o@example.ng", password="x")
        with transaction.atomic():
            event = events.outbox_emit(event_type="test.admin", aggregate=owner, reference="ref-admin")
        for _ in range(3):
            events.outbox_dispatch(event_id=event.pk)
        run = HandlerRun.objects.get(event=event)
        assert run.status == HandlerRunStatus.DEAD
        listing = staff_client.get("/admin/payments/deadletter/")
        assert listing.status_code == 200 and b"flaky" in listing.content
        state["fail"] = False
        response = staff_client.post("/admin/payments/deadletter/", {"action": "retry", "_selected_action": [run.pk]})
        assert response.status_code == 302
        assert events.outbox_dispatch(event_id=event.pk) == {"flaky": "succeeded"}
        assert events.outbox_dispatch(event_id=event.pk) == {"flaky": None}
        assert calls == [event.pk]
    finally:
        registry._handlers.clear()
        registry._handlers.update(saved)


def test_dead_webhook_replayed_from_admin_processes_once(staff_client, settings):
    import json

    from webhooks.signatures import monnify_signature

    saved = dict(webhook_registry._handlers)
    calls, state = [], {"fail": True}

    def flaky(event, data):
        if state["fail"]:
            raise RuntimeError("bug")
        calls.append(event.pk)
        return webhook_registry.HandlerResult()

    try:
        webhook_registry.webhook_handler("TEST_EVENT")(flaky)
        body = json.dumps({"eventType": "TEST_EVENT", "eventData": {"reference": "r-1"}}).encode()
        Client().post("/webhooks/monnify", data=body, content_type="application/json",
                      HTTP_MONNIFY_SIGNATURE=monnify_signature(body, settings.MONNIFY_SECRET_KEY))
        event = WebhookEvent.objects.get()
        for _ in range(3):
            inbox.webhook_process(event_id=event.pk)
        assert WebhookEvent.objects.get().status == WebhookStatus.DEAD
        state["fail"] = False
        response = staff_client.post("/admin/webhooks/webhookevent/", {"action": "replay",
                                                                       "_selected_action": [event.pk]})
        assert response.status_code == 302
        assert inbox.webhook_process(event_id=event.pk) == "processed"
        assert inbox.webhook_process(event_id=event.pk) is None
        assert calls == [event.pk]
    finally:
        webhook_registry._handlers.clear()
        webhook_registry._handlers.update(saved)
