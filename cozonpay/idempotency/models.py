"""Idempotency keys for money-moving POSTs (API.md, "Idempotency").

One row per (user, scope, key). It is claimed (`in_progress`, with a lease) in its own committed
transaction before the request runs, and completed with the stored response afterwards, so a
retry sees either the finished answer or that the first is still running. The row's `id` is the
stable identity of the request: views derive their business reference from it (e.g. the ledger
reference `transfer:<id>`), so even a request re-run after its worker died cannot move money twice.
"""

import uuid

from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=100, help_text="The endpoint, e.g. transfers.create")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    locked_until = models.DateTimeField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The answer exactly as rendered (JSON text), so a replay returns it byte for byte: jsonb would
    # reorder its keys.
    response_body = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_user_scope_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key} ({self.status})"
