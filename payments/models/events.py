"""The payment event pipeline: outbox events and one run per (event, handler)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class OutboxEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=64, db_index=True)
    aggregate_type = models.CharField(max_length=64)
    aggregate_id = models.CharField(max_length=64, db_index=True)
    reference = models.CharField(max_length=255, blank=True, db_index=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)

    def __str__(self) -> str:
        return f"{self.event_type} {self.aggregate_type}:{self.aggregate_id}"


class HandlerRunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (will retry)"
    DEAD = "dead", "Dead letter"
    DISCARDED = "discarded", "Discarded by staff"


class HandlerRun(models.Model):
    event = models.ForeignKey(OutboxEvent, on_delete=models.PROTECT, related_name="runs")
    handler = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=HandlerRunStatus.choices, default=HandlerRunStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-id",)
        permissions = [
            ("retry_handlerrun", "Can retry dead letters"),
            ("discard_handlerrun", "Can discard dead letters (the handler's effect will never happen)"),
        ]
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="handler_run_event_handler_unique")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="handler_run_due_idx"),
            # The drain's claim: pending runs in id order (partial: a run leaves it when claimed; see
            # webhooks.WebhookEvent's webhook_received_idx).
            models.Index(fields=["id"], name="handler_run_pending_idx", condition=models.Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.handler} for event #{self.event_id} ({self.status})"


class DeadLetter(HandlerRun):
    """Admin proxy: the handler runs that need a person."""

    class Meta:
        proxy = True
        verbose_name = "dead letter"
