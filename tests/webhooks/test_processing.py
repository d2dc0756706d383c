import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from cozonpay import enqueue
from webhooks import services
from webhooks.models import WebhookEvent, WebhookStatus
from webhooks.registry import PARKED, HandlerResult

from .conftest import compact, post_webhook, sample

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_retries(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_MAX_ATTEMPTS = 3


def _receive(secret, name="SUCCESSFUL_TRANSACTION") -> WebhookEvent:
    assert post_webhook(Client(), compact(sample(name)), secret=secret).status_code == 200
    return WebhookEvent.objects.order_by("-id").first()


def test_processed_by_registered_handler_once(secret, test_handlers):
    # given
    registry, calls = test_handlers
    registry.webhook_handler("SUCCESSFUL_TRANSACTION")(lambda event, data: calls.append(data) or HandlerResult())
    event = _receive(secret)
    # when
    first = services.webhook_process(event_id=event.pk)
    second = services.webhook_process(event_id=event.pk)
    # then
    assert (first, second) == ("processed", None)
    assert len(calls) == 1 and calls[0]["transactionReference"] == event.reference
    event.refresh_from_db()
    assert event.status == WebhookStatus.PROCESSED and event.attempts == 1 and event.processed_at


def test_unknown_event_type_is_stored_and_ignored(secret):
    assert post_webhook(Client(), compact({"eventType": "SOMETHING_NEW", "eventData": {"x": 1}}),
                        secret=secret).status_code == 200
    event = WebhookEvent.objects.get()
    assert services.webhook_process(event_id=event.pk) == "ignored"
    event.refresh_from_db()
    assert event.status == WebhookStatus.IGNORED


def test_failing_handler_retries_then_dead_letters_then_replay_completes_once(secret, test_handlers):
    registry, calls = test_handlers
    state = {"fail": True}

    def flaky(event, data):
        if state["fail"]:
            raise RuntimeError("downstream exploded")
        calls.append(event.pk)
        return HandlerResult()

    registry.webhook_handler("SUCCESSFUL_TRANSACTION")(flaky)
    event = _receive(secret)
    assert services.webhook_process(event_id=event.pk) == "failed"
    assert services.webhook_process(event_id=event.pk) == "failed"
    assert services.webhook_process(event_id=event.pk) == "dead"
    event.refresh_from_db()
    assert event.status == WebhookStatus.DEAD and event.attempts == 3
    assert "downstream exploded" in event.last_error
    assert services.webhook_process(event_id=event.pk) is None  # dead letters are not picked up again
    assert AuditEvent.objects.filter(action="webhook.dead_lettered", subject_id=str(event.pk)).count() == 1
    # when staff replay after the fix
    state["fail"] = False
    from cozonpay.users.models import User

    staff = User.objects.create_user(email="ops@cozonpay.local", password="x", is_staff=True)
    services.webhook_replay(event=event, actor=staff)
    assert services.webhook_process(event_id=event.pk) == "processed"
    assert services.webhook_process(event_id=event.pk) is None
    assert calls == [event.pk]
    assert AuditEvent.objects.filter(action="webhook.replayed", actor_id=str(staff.pk)).count() == 1


def test_parked_event_waits_then_applies_when_woken(secret, test_handlers):
    registry, calls = test_handlers
    state = {"ready": False}

    def needs_prerequisite(event, data):
        if not state["ready"]:
            return HandlerResult(PARKED, "payment not known yet")
        calls.append(event.pk)
        return HandlerResult()

    registry.webhook_handler("SUCCESSFUL_TRANSACTION")(needs_prerequisite)
    event = _receive(secret)
    assert services.webhook_process(event_id=event.pk) == "parked"
    WebhookEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now() + timezone.timedelta(hours=1))
    assert services.webhook_process(event_id=event.pk) is None  # not due yet
    state["ready"] = True
    assert services.webhook_wake(references=[event.reference]) == 1
    assert services.webhook_process(event_id=event.pk) == "processed"
    assert calls == [event.pk]


def test_sweeper_picks_up_rows_never_dispatched_and_stale_leases(secret, test_handlers, settings):
    registry, calls = test_handlers
    registry.webhook_handler("SUCCESSFUL_TRANSACTION")(lambda event, data: calls.append(event.pk) or HandlerResult())
    received = _receive(secret)
    stuck = _receive(secret, "SUCCESSFUL_DISBURSEMENT")
    WebhookEvent.objects.filter(pk=stuck.pk).update(status=WebhookStatus.PROCESSING,
                                                    locked_until=timezone.now() - timezone.timedelta(seconds=1))
    from unittest import mock

    with mock.patch.object(services, "safe_enqueue") as enqueue:
        assert services.webhook_sweep() == 2
    assert sorted(call.kwargs["args"][0] for call in enqueue.call_args_list) == sorted([received.pk, stuck.pk])
    assert services.webhook_process(event_id=stuck.pk) == "ignored"  # no disbursement handler registered here


def _receive_ref(secret, reference: str) -> WebhookEvent:
    payload = sample("SUCCESSFUL_TRANSACTION")
    payload["eventData"]["transactionReference"] = reference
    assert post_webhook(Client(), compact(payload), secret=secret).status_code == 200
    return WebhookEvent.objects.get(reference=reference)


def test_drain_processes_every_due_row_once_and_leaves_the_rest(secret, test_handlers):
    # given: three due rows and one whose retry is not due yet
    registry, calls = test_handlers
    registry.webhook_handler("SUCCESSFUL_TRANSACTION")(
        lambda event, data: calls.append(data["transactionReference"]) or HandlerResult())
    due = [_receive_ref(secret, f"MNFY|DRAIN|{n}") for n in range(3)]
    later = _receive_ref(secret, "MNFY|DRAIN|LATER")
    WebhookEvent.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timezone.timedelta(hours=1))
    # when: drained twice (the second finds nothing)
    first = services.webhook_drain(batch=2)
    second = services.webhook_drain(batch=2)
    # then
    assert (first, second) == (3, 0)
    assert calls == [event.reference for event in due]
    assert {e.pk: (e.status, e.attempts, e.locked_until) for e in WebhookEvent.objects.all()} == {
        **{event.pk: (WebhookStatus.PROCESSED, 1, None) for event in due}, later.pk: (WebhookStatus.RECEIVED, 0, None)}


def test_doorbell_rings_once_per_window_and_again_after_a_failed_enqueue(settings, monkeypatch):
    # given: a 0.2 s window, a controllable clock and a recording broker
    settings.WEBHOOK_DOORBELL_SECONDS = 0.2
    clock = {"now": 1000.0}
    sent: list[dict] = []
    broker = {"up": True}

    def fake_enqueue(task, **kwargs):
        if broker["up"]:
            sent.append({"task": task.name, **kwargs})
        return broker["up"]

    monkeypatch.setattr(enqueue.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr("cozonpay.enqueue.safe_enqueue", fake_enqueue)
    services.DOORBELL.reset()
    # when: three rings inside one window, then one after it
    for _ in range(3):
        services.DOORBELL.ring()
        clock["now"] += 0.05
    clock["now"] += 0.1
    services.DOORBELL.ring()
    # then: one drain per window, each scheduled for the end of its window
    assert sent == [{"task": "webhooks.drain", "countdown": 0.2}, {"task": "webhooks.drain", "countdown": 0.2}]
    # when: the broker refuses, the window is not taken, so the very next ring tries again
    broker["up"] = False
    clock["now"] += 1
    services.DOORBELL.ring()
    broker["up"] = True
    services.DOORBELL.ring()
    assert len(sent) == 3
