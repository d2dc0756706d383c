"""`audit_verify`: recompute the seal chain and every sealed row, and name exactly what differs.

What it proves, for every sealed range:
- a row whose canonical form no longer hashes to what its seal recorded: "altered";
- a row its seal recorded that is no longer there: "removed";
- a row present in a sealed range that its seal did not record: "inserted into sealed range";
- a seal whose own fields no longer hash to its seal_hash (or whose row list no longer hashes to
  its rows_hash, or disagrees with its count or range): "seal altered";
- a seal whose previous_seal_hash is not the hash of the seal before it, or whose range does not
  start right after the previous one: "chain broken" (a seal before it was removed, inserted or
  rewritten).

What it cannot prove on its own: that the newest seals were not removed together with their
rows (the chain then simply looks shorter), or that a superuser did not rewrite rows and every
seal after them consistently. Every seal's hash is logged when it is made ("audit sealed"); pass
one of those as an anchor (`--anchor <seal id>:<hash>`) to close that gap. Rows newer than the
last seal are counted as "unsealed" and are not findings: the next sealing run covers them.

Memory is bounded by one seal's rows: each seal is checked against one range query.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .hashing import EVENT_FIELDS, event_hash, parse_row_hashes, rows_hash, seal_hash
from .models import GENESIS_SEAL_HASH, AuditEvent, AuditSeal

ROW_ALTERED = "row_altered"
ROW_REMOVED = "row_removed"
ROW_INSERTED = "row_inserted"
SEAL_ALTERED = "seal_altered"
CHAIN_BROKEN = "chain_broken"
ANCHOR_MISMATCH = "anchor_mismatch"


@dataclass(frozen=True)
class Finding:
    kind: str
    seal_id: int | None
    event_id: int | None = None
    detail: str = ""

    def __str__(self) -> str:
        seal = f"seal {self.seal_id}" if self.seal_id is not None else "no seal"
        if self.kind == ROW_ALTERED:
            return f"row {self.event_id} altered ({seal})"
        if self.kind == ROW_REMOVED:
            return f"row {self.event_id} removed ({seal})"
        if self.kind == ROW_INSERTED:
            return f"row {self.event_id} inserted into sealed range ({seal})"
        if self.kind == SEAL_ALTERED:
            return f"{seal} altered: {self.detail}"
        if self.kind == CHAIN_BROKEN:
            return f"{seal} chain broken: {self.detail}"
        return f"{seal}: {self.detail}"


@dataclass
class VerificationReport:
    seals_checked: int = 0
    rows_checked: int = 0
    rows_unsealed: int = 0
    head_seal_id: int | None = None
    head_seal_hash: str | None = None
    last_sealed_event_id: int = 0
    duration_seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def lines(self) -> list[str]:
        out = [str(finding) for finding in self.findings]
        verdict = "OK: no alteration found" if self.ok else f"FAILED: {len(self.findings)} finding(s)"
        out.append(
            f"{verdict}. {self.seals_checked} seal(s), {self.rows_checked} sealed row(s) checked, "
            f"{self.rows_unsealed} row(s) not sealed yet; head seal "
            f"{self.head_seal_id if self.head_seal_id is not None else '-'} "
            f"{self.head_seal_hash or ''} ({self.duration_seconds:.2f} s)".rstrip()
        )
        return out


def _check_seal_fields(seal: AuditSeal, pairs: list[tuple[int, str]] | None) -> list[str]:
    problems = []
    if rows_hash(seal.row_hashes) != seal.rows_hash:
        problems.append("its row list does not match rows_hash")
    recomputed = seal_hash(previous_seal_hash=seal.previous_seal_hash, rows_hash=seal.rows_hash,
                           first_event_id=seal.first_event_id, last_event_id=seal.last_event_id,
                           event_count=seal.event_count, created_at=seal.created_at)
    if recomputed != seal.seal_hash:
        problems.append("its fields do not match seal_hash")
    if pairs is None:
        problems.append("its row list cannot be read")
        return problems
    if len(pairs) != seal.event_count:
        problems.append(f"it lists {len(pairs)} rows but records a count of {seal.event_count}")
    ids = [event_id for event_id, _ in pairs]
    if ids != sorted(set(ids)) or (ids and (ids[0] < seal.first_event_id or ids[-1] > seal.last_event_id)):
        problems.append("its row list is not ascending within its range")
    return problems


def _parse(seal: AuditSeal) -> list[tuple[int, str]] | None:
    try:
        return parse_row_hashes(seal.row_hashes)
    except ValueError:
        return None


def audit_chain_verify(*, anchors: dict[int, str] | None = None) -> VerificationReport:
    """Verify every seal and every sealed row; see the module docstring. Read-only."""
    started = time.monotonic()
    report = VerificationReport()
    previous_hash = GENESIS_SEAL_HASH
    previous: AuditSeal | None = None
    next_first_id = 1
    seals = AuditSeal.objects.order_by("id").iterator(chunk_size=50)
    for seal in seals:
        report.seals_checked += 1
        pairs = _parse(seal)
        problems = _check_seal_fields(seal, pairs)
        if problems:
            report.findings.append(Finding(SEAL_ALTERED, seal.id, detail="; ".join(problems)))
        if seal.previous_seal_hash != previous_hash:
            before = f"seal {previous.id}" if previous else "the start of the chain"
            report.findings.append(Finding(
                CHAIN_BROKEN, seal.id,
                detail=f"its previous_seal_hash does not match {before} (a seal was removed, inserted or rewritten)",
            ))
        if seal.first_event_id != next_first_id:
            report.findings.append(Finding(
                CHAIN_BROKEN, seal.id,
                detail=f"its range starts at event {seal.first_event_id}, expected {next_first_id}",
            ))
            # Rows in a gap between two seals' ranges belong to no seal although later rows are sealed.
            if seal.first_event_id > next_first_id:
                gap = AuditEvent.objects.filter(id__gte=next_first_id, id__lt=seal.first_event_id)
                for event_id in gap.order_by("id").values_list("id", flat=True):
                    report.findings.append(Finding(ROW_INSERTED, None, event_id))
        _check_rows(seal, pairs or [], report)
        previous_hash = seal.seal_hash
        previous = seal
        next_first_id = max(next_first_id, seal.last_event_id + 1)
        if anchors and seal.id in anchors and anchors[seal.id] != seal.seal_hash:
            report.findings.append(Finding(ANCHOR_MISMATCH, seal.id,
                                           detail="its hash differs from the anchor given"))

    report.last_sealed_event_id = next_first_id - 1
    if previous is not None:
        report.head_seal_id, report.head_seal_hash = previous.id, previous.seal_hash
    for seal_id in sorted(set(anchors or {}) - set(AuditSeal.objects.filter(id__in=list(anchors or {}))
                                                   .values_list("id", flat=True))):
        report.findings.append(Finding(ANCHOR_MISMATCH, seal_id, detail="the anchored seal is missing"))
    report.rows_unsealed = AuditEvent.objects.filter(id__gt=report.last_sealed_event_id).count()
    report.findings.sort(key=lambda f: (f.seal_id is None, f.seal_id or 0, f.event_id or 0, f.kind))
    report.duration_seconds = time.monotonic() - started
    return report


def _check_rows(seal: AuditSeal, pairs: list[tuple[int, str]], report: VerificationReport) -> None:
    expected = dict(pairs)
    rows = (AuditEvent.objects.filter(id__gte=seal.first_event_id, id__lte=seal.last_event_id)
            .order_by("id").values(*EVENT_FIELDS))
    for row in rows.iterator(chunk_size=2000):
        report.rows_checked += 1
        recorded = expected.pop(row["id"], None)
        if recorded is None:
            report.findings.append(Finding(ROW_INSERTED, seal.id, row["id"]))
        elif recorded != event_hash(row):
            report.findings.append(Finding(ROW_ALTERED, seal.id, row["id"]))
    for event_id in sorted(expected):
        report.findings.append(Finding(ROW_REMOVED, seal.id, event_id))
