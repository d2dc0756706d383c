"""The audit trail: append-only records of who did what to which object, when, from where.

Design:
- One row per event. `references` holds every identifier a person may search by (payment
  reference, Monnify transactionReference, journal reference, public ids), GIN-indexed.
- Rows are written inside the caller's transaction (`audit.services.audit_record`), so the
  record commits or rolls back with the change it describes.
- Database triggers refuse UPDATE, DELETE and TRUNCATE (see sql/).
- Tamper evidence: a periodic job seals new rows, in id order, into `AuditSeal` blocks whose
  hash covers the rows' canonical form and the previous seal. Writers never wait on the chain.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone


class ActorType(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    STAFF = "staff", "Staff"
    SYSTEM = "system", "System job"
    PROVIDER = "provider", "Provider"
    ANONYMOUS = "anonymous", "Anonymous"


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=100, db_index=True, help_text="Dotted code, e.g. ledger.journal.posted")
    subject_type = models.CharField(max_length=100, blank=True)
    subject_id = models.CharField(max_length=100, blank=True)
    references = ArrayField(models.CharField(max_length=255), default=list, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("id",)
        indexes = [
            GinIndex(fields=["references"], name="audit_references_gin"),
            models.Index(fields=["subject_type", "subject_id"], name="audit_subject_idx"),
            models.Index(fields=["actor_type", "actor_id"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.action} by {self.actor_type}:{self.actor_name or self.actor_id}"
