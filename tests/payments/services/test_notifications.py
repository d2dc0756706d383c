from unittest import mock

import pytest
import responses
from django.core import mail

from cozonpay.users.models import User
from payments.models import Notification
from payments.services.notifications import notify, ops_alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return User.objects.create_user(email="kemi@example.ng", password="x", first_name="Kemi")


def test_notify_is_idempotent_in_app_and_by_email(customer):
    for _ in range(3):
        notify(user=customer, kind="deposit.credited", title="Wallet funded", body="NGN 2,500.00 arrived.",
               dedupe_key="evt-1:deposit.credited")
    assert Notification.objects.filter(user=customer).count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kemi@example.ng"]
    assert "Wallet funded" in mail.outbox[0].subject


def test_failed_email_is_released_for_the_retry(customer):
    with mock.patch("payments.services.notifications.send_mail", side_effect=ConnectionError("smtp down")), \
            pytest.raises(ConnectionError):
        notify(user=customer, kind="k", title="t", body="b", dedupe_key="evt-2:k")
    assert Notification.objects.get(dedupe_key="evt-2:k").emailed_at is None
    notify(user=customer, kind="k", title="t", body="b", dedupe_key="evt-2:k")
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(dedupe_key="evt-2:k").count() == 1


@responses.activate
def test_ops_alert_posts_to_slack_once_per_key(settings):
    settings.SLACK_WEBHOOK_URL = "https://hooks.slack.test/services/T/B/X"
    responses.add(responses.POST, settings.SLACK_WEBHOOK_URL, status=200)
    ops_alert(text="3 payouts in unknown state", dedupe_key="unknown-2026-11-21")
    ops_alert(text="3 payouts in unknown state", dedupe_key="unknown-2026-11-21")
    assert len(responses.calls) == 1
    assert b"3 payouts" in responses.calls[0].request.body


def test_ops_alert_without_slack_is_logged(settings, caplog):
    settings.SLACK_WEBHOOK_URL = ""
    ops_alert(text="hello ops")
    assert any(getattr(r, "alert", None) == "hello ops" for r in caplog.records)
