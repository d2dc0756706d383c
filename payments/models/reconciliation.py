"""Reconciliation: runs and the discrepancies they find (payments/services/reconciliation.py).

A `ReconciliationRun` is one pass: `ledger` (the ledger integrity check, every 10 minutes and a
full run nightly) or `monnify` (one day of Monnify's collections and disbursements matched with our
deposits and payouts by reference). A `Discrepancy` is unique per (kind, reference), so a run that
finds what an earlier run found records nothing new: running it again changes nothing. Each one
carries the evidence from both sides (`ours`, `theirs`, JSON) as it was when first found.

Statuses: `open` (waits for Finance), `healed` (a rule with no judgement fixed it, through the
normal path: a paid collection into one of our dedicated accounts that we never heard of became
a verified, credited deposit; `heal_reference` names the journal), `resolved` (Finance closed it,
with a note).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReconciliationScope(models.TextChoices):
    LEDGER = "ledger", "Ledger integrity (internal)"
    MONNIFY = "monnify", "Monnify collections and disbursements (external)"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ReconciliationRun(models.Model):
    id = models.BigAutoField(primary_key=True)
    scope = models.CharField(max_length=10, choices=ReconciliationScope.choices)
    day = models.DateField(null=True, blank=True, help_text="Monnify runs: the day (Africa/Lagos) reconciled")
    full = models.BooleanField(default=False, help_text="The nightly full run")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING, db_index=True)
    triggered_by = models.CharField(max_length=200, help_text="beat, command, or the staff member")
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stats = models.JSONField(default=dict, blank=True, help_text="What was compared (counts per side)")
    found = models.PositiveIntegerField(default=0, help_text="New discrepancies")
    healed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ("-started_at", "-id")
        permissions = [("run_reconciliation", "Can run a reconciliation on demand")]

    def __str__(self) -> str:
        return f"{self.scope} run #{self.pk}" + (f" for {self.day}" if self.day else "")


class DiscrepancyKind(models.TextChoices):
    MISSING_OURS = "missing_ours", "Missing on our side"
    MISSING_THEIRS = "missing_theirs", "Missing at Monnify"
    AMOUNT_MISMATCH = "amount_mismatch", "Amount mismatch"
    STATUS_MISMATCH = "status_mismatch", "Status mismatch"
    DUPLICATE = "duplicate", "Duplicate"
    LEDGER_INTEGRITY = "ledger_integrity", "Ledger integrity"


class DiscrepancySource(models.TextChoices):
    COLLECTION = "collection", "Collection (money in)"
    DISBURSEMENT = "disbursement", "Disbursement (money out)"
    LEDGER = "ledger", "Ledger"


class DiscrepancyStatus(models.TextChoices):
    OPEN = "open", "Open"
    HEALED = "healed", "Healed automatically"
    RESOLVED = "resolved", "Resolved by Finance"


class Discrepancy(models.Model):
    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=DiscrepancyKind.choices, db_index=True)
    source = models.CharField(max_length=16, choices=DiscrepancySource.choices)
    reference = models.CharField(max_length=255, help_text="The reference both sides are matched on")
    status = models.CharField(max_length=10, choices=DiscrepancyStatus.choices, default=DiscrepancyStatus.OPEN,
                              db_index=True)
    day = models.DateField(null=True, blank=True)
    summary = models.CharField(max_length=255)
    ours = models.JSONField(null=True, blank=True, help_text="Our record, as found")
    theirs = models.JSONField(null=True, blank=True, help_text="Monnify's record, as found")
    amount_ours = models.BigIntegerField(null=True, blank=True, help_text="kobo")
    amount_theirs = models.BigIntegerField(null=True, blank=True, help_text="kobo")
    run = models.ForeignKey(ReconciliationRun, on_delete=models.PROTECT, related_name="discrepancies")
    heal_reference = models.CharField(max_length=255, blank=True, help_text="The journal that healed it")
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name_plural = "discrepancies"
        permissions = [("resolve_discrepancy", "Can resolve reconciliation discrepancies")]
        constraints = [
            models.UniqueConstraint(fields=["kind", "reference"], name="discrepancy_kind_reference_unique"),
            models.CheckConstraint(
                condition=~models.Q(status="resolved") | models.Q(resolved_by__isnull=False, resolved_at__isnull=False),
                name="discrepancy_resolved_has_resolver",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reference}"
