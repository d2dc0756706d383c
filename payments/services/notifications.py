"""Customer notifications (in-app and email) and ops alerts (Slack).

Every send is idempotent by `dedupe_key` (usually `<event public id>:<kind>:<user>`): the in-app
row is inserted once, and the email is claimed (`emailed_at` set by a conditional UPDATE) before
it is sent, so a handler that runs twice sends nothing twice. If the SMTP call fails after the
claim, the claim is released so the handler's retry sends it. Network calls happen outside any
transaction.
"""

from __future__ import annotations

import logging

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import Notification

logger = logging.getLogger("payments.notifications")


def notify(*, user, kind: str, title: str, body: str, dedupe_key: str, email: bool = True) -> Notification:
    try:
        with transaction.atomic():
            notification = Notification.objects.create(user=user, kind=kind, title=title, body=body,
                                                       dedupe_key=dedupe_key)
    except IntegrityError:
        notification = Notification.objects.get(dedupe_key=dedupe_key)
    if email and user.email:
        _email_once(notification, user.email)
    return notification


def _email_once(notification: Notification, address: str) -> None:
    claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return
    try:
        send_mail(subject=f"CozonPay: {notification.title}", message=notification.body,
                  from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[address], fail_silently=False)
    except Exception:
        Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
        raise


def notification_mark_read(*, notification: Notification) -> None:
    Notification.objects.filter(pk=notification.pk, read=False).update(read=True)


def ops_alert(*, text: str, dedupe_key: str | None = None) -> None:
    """Tell ops on Slack (SLACK_WEBHOOK_URL), or in the log when it is unset. With a dedupe_key,
    the same alert is sent at most once a day."""
    from django.core.cache import cache

    key = f"ops-alert:{dedupe_key}" if dedupe_key else None
    if key and not cache.add(key, 1, timeout=86400):
        return
    if not settings.SLACK_WEBHOOK_URL:
        logger.warning("ops alert", extra={"alert": text})
        return
    try:
        response = requests.post(settings.SLACK_WEBHOOK_URL, json={"text": text}, timeout=(3.05, 10),
                                 allow_redirects=False)
        response.raise_for_status()
    except Exception:
        if key:
            cache.delete(key)  # let the handler's retry send it
        raise
