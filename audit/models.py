"""The audit trail: append-only records of who did what to which object, when, from where.

Design:
- One row per event. `references` holds every identifier a person may search by (payment
  reference, Monnify transactionReference, journal reference, public ids), GIN-indexed.
- Rows are written inside the caller's transaction (`audit.services.audit_record`), so the
  record commits or rolls back with the change it describes.
- Database triggers refuse UPDATE, DELETE and TRUNCATE (see sql/).
- `occurred_at` is stamped by the database (`clock_timestamp()` in a BEFORE INSERT trigger), so
  a caller cannot backdate a record and the sealer can reason about it with the database's clock.
- Tamper evidence: a periodic job seals new rows, in id order, into `AuditSeal` blocks whose
  hash covers the rows' canonical form and the previous seal. Writers never wait on the chain
  and never touch the seal table. See `audit.sealing` for why the sealer's cut-off is safe and
  `audit.verification` for what `audit_verify` can and cannot prove.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import BrinIndex, GinIndex, OpClass
from django.db import models
from django.db.models.functions import Now, Upper


class ActorType(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    STAFF = "staff", "Staff"
    SYSTEM = "system", "System job"
    PROVIDER = "provider", "Provider"
    ANONYMOUS = "anonymous", "Anonymous"


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    # The database stamps this (trigger, clock_timestamp()); db_default keeps Django from sending one.
    occurred_at = models.DateTimeField(db_default=Now(), editable=False)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=100, help_text="Dotted code, e.g. ledger.journal.posted")
    subject_type = models.CharField(max_length=100, blank=True)
    subject_id = models.CharField(max_length=100, blank=True)
    references = ArrayField(models.CharField(max_length=255), default=list, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("id",)
        # Every ledger journal, login and webhook writes a row, so each index is paid on the hot
        # paths: only what the searches use (audit.selectors). `references` (GIN): search and
        # timeline by any reference. `subject_id` and `actor_id` alone, because the timeline and the
        # actor filter match them without the type. `action` with pattern ops: one index for both
        # the exact and the "ledger." prefix filter. `occurred_at`: BRIN (rows arrive in time order),
        # a few pages for the time-range filter instead of a b-tree entry per row. The search box
        # (audit_search_q) ORs its conditions, so every one needs an index or the whole OR scans the
        # table (it did: 0.9 s at 1.5 million rows): `request_id` only where there is one (partial),
        # and the actor's name by its beginning (`upper(actor_name)`, pattern ops).
        indexes = [
            GinIndex(fields=["references"], name="audit_references_gin"),
            models.Index(fields=["subject_id"], name="audit_subject_id_idx"),
            models.Index(fields=["actor_id"], name="audit_actor_id_idx"),
            models.Index(fields=["action"], name="audit_action_idx", opclasses=["varchar_pattern_ops"]),
            BrinIndex(fields=["occurred_at"], name="audit_occurred_brin"),
            models.Index(fields=["request_id"], name="audit_request_id_idx", condition=~models.Q(request_id="")),
            models.Index(OpClass(Upper("actor_name"), name="text_pattern_ops"), name="audit_actor_name_prefix_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.action} by {self.actor_type}:{self.actor_name or self.actor_id}"


GENESIS_SEAL_HASH = "0" * 64


class AuditSeal(models.Model):
    """One block of the tamper-evidence chain: the audit rows with ids in
    [first_event_id, last_event_id] that existed when the block was sealed.

    `row_hashes` lists every sealed row as "<id> <sha256 of its canonical form>", one per line,
    in id order; `rows_hash` is the sha256 of that text, and `seal_hash` covers `rows_hash`, the
    range, the count, `created_at` and `previous_seal_hash`, chaining each block to the one
    before. Append-only like the events (triggers). Written only by `audit.sealing`.
    """

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField()
    first_event_id = models.BigIntegerField()
    last_event_id = models.BigIntegerField()
    event_count = models.PositiveIntegerField()
    row_hashes = models.TextField()
    rows_hash = models.CharField(max_length=64)
    previous_seal_hash = models.CharField(max_length=64)
    seal_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.CheckConstraint(condition=models.Q(last_event_id__gte=models.F("first_event_id")),
                                   name="audit_seal_range_ordered"),
            models.UniqueConstraint(fields=["previous_seal_hash"], name="audit_seal_one_successor"),
        ]

    def __str__(self) -> str:
        return f"seal {self.id} (events {self.first_event_id}..{self.last_event_id}, {self.event_count} rows)"
