"""The Celery app. Redis (or any kombu URL) is the doorbell; PostgreSQL is the truth.

Reliability settings live in settings.py (CELERY_*): late acks, reject on worker lost,
prefetch 1, JSON only, time limits and one visibility timeout for broker and result backend.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cozonpay.settings")

app = Celery("cozonpay")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
