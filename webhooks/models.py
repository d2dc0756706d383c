"""The webhook inbox.

Receiving and processing are separate, so Monnify's delivery never waits on our business logic
and nothing received is ever lost:

1. Receive (webhooks.apis): check size and signature over the raw bytes, then INSERT the raw
   event with a dedupe key (`ON CONFLICT DO NOTHING`), commit, ring the Celery doorbell, answer
   200. A duplicate delivery finds its row already there and is acknowledged without a new row.
2. Process (webhooks.services.webhook_process): claim a row (`FOR UPDATE SKIP LOCKED`, lease,
   commit), run the handler registered for its eventType (which may call Monnify: never inside a
   transaction), record the outcome. Failures retry with exponential backoff and are dead-lettered
   after WEBHOOK_MAX_ATTEMPTS. A handler may *park* an event whose prerequisite is missing; parked
   events are retried on the same schedule until it exists.
3. Sweep (beat): rows left `received` (broker down, worker killed) or due for retry are picked up.

Rows are never deleted; the raw body and headers (signature redacted) stay for staff to read.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WebhookStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored (unknown or irrelevant type)"
    PARKED = "parked", "Parked (waiting for a prerequisite)"
    FAILED = "failed", "Failed (will retry)"
    DEAD = "dead", "Dead letter"


class WebhookEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    provider = models.CharField(max_length=20, default="monnify")
    event_type = models.CharField(max_length=64, db_index=True)
    dedupe_key = models.CharField(max_length=255, unique=True)
    reference = models.CharField(max_length=255, blank=True, db_index=True,
                                 help_text="transactionReference / reference / refundReference")
    secondary_reference = models.CharField(max_length=255, blank=True, db_index=True,
                                           help_text="paymentReference or accountReference")
    body = models.TextField(help_text="The raw body exactly as received")
    headers = models.JSONField(default=dict)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=WebhookStatus.choices, default=WebhookStatus.RECEIVED,
                              db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    deliveries = models.PositiveIntegerField(default=1, help_text="How many times Monnify delivered it")
    last_error = models.TextField(blank=True)
    outcome = models.CharField(max_length=255, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_delivered_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)
        permissions = [("replay_webhookevent", "Can replay webhooks")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_due_idx"),
            # The drain's claim: new rows in id order. Partial, so a row leaves it when it is claimed;
            # an index scan (unlike the bitmap scan the other index gets) marks the entries of rows
            # already processed as dead, so a burst does not leave the next claim scanning them.
            models.Index(fields=["id"], name="webhook_received_idx", condition=models.Q(status="received")),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.reference} ({self.status})"
