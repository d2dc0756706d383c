"""The audit trail in the back office: read-only search (any reference, actor, action, time
range), the timeline of one reference, CSV export of a search, and chain verification.

Every custom view is wrapped by `admin_site.admin_view` (staff login) and requires the
`audit.view_auditevent` permission. Exports and verification runs are themselves recorded.
"""

from __future__ import annotations

import csv
import json

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from cozonpay.backoffice import DateRangeFilter, EstimatedCountPaginator

from .models import AuditEvent, AuditSeal
from .selectors import audit_chain_verify, audit_search_q, audit_timeline
from .services import Actor, audit_record

CSV_COLUMNS = ("id", "occurred_at", "actor_type", "actor_id", "actor_name", "action", "subject_type",
               "subject_id", "references", "request_id", "ip", "payload")


class OccurredRangeFilter(DateRangeFilter):
    """From / to on occurred_at (the BRIN index)."""

    field_name = "occurred_at"
    parameter_from = "occurred_from"
    parameter_to = "occurred_to"


class ActionDomainFilter(admin.SimpleListFilter):
    """The action's domain (`ledger.`, `webhook.`, ...), from a fixed list: Django's own filter on
    `action` lists the distinct values of the whole trail, a full scan on every page load (0.2 s at
    1.7 million rows). The prefix match uses the action index (pattern ops)."""

    title = "action"
    parameter_name = "action_domain"
    DOMAINS = ("adjustment", "audit", "auth", "deposit", "deposit_account", "dispute", "kyc", "ledger", "monnify",
               "outbox", "reconciliation", "refund", "webhook", "withdrawal")

    def lookups(self, request, model_admin):
        return [(domain, domain) for domain in self.DOMAINS]

    def queryset(self, request, queryset):
        return queryset.filter(action__startswith=f"{self.value()}.") if self.value() else queryset


def _csv_cell(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    # Spreadsheet formula injection: a cell starting with one of these is shown as text.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("id", "occurred_at", "action", "actor_display", "subject_display", "references_links",
                    "request_id")
    list_display_links = ("id", "occurred_at")
    # No date_hierarchy: its links are DISTINCT date_trunc() over the whole trail on every page load
    # (0.4 s at 1.7 million rows); the time range filter does that job on the BRIN index.
    list_filter = (OccurredRangeFilter, "actor_type", ActionDomainFilter)
    search_fields = ("references",)  # the search itself is get_search_results
    search_help_text = ("A reference (payment, Monnify transactionReference, journal), an actor's id or name, "
                        "a subject id, a request id or an action code.")
    list_per_page = 50
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    ordering = ("-id",)
    fields = ("id", "occurred_at", "action", "actor_type", "actor_id", "actor_name", "subject_type", "subject_id",
              "references_links", "request_id", "ip", "payload_pretty")
    readonly_fields = fields
    change_list_template = "admin/audit/auditevent/change_list.html"

    # --- read-only ------------------------------------------------------------------------
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- columns --------------------------------------------------------------------------
    @admin.display(description="actor")
    def actor_display(self, obj):
        return f"{obj.get_actor_type_display()}: {obj.actor_name or obj.actor_id or '-'}"

    @admin.display(description="subject")
    def subject_display(self, obj):
        return f"{obj.subject_type} {obj.subject_id}".strip() or "-"

    @admin.display(description="references")
    def references_links(self, obj):
        url = reverse("admin:audit_auditevent_timeline")
        return format_html_join(
            ", ", '<a href="{}?{}">{}</a>', ((url, urlencode({"reference": ref}), ref) for ref in obj.references)
        ) or "-"

    @admin.display(description="payload")
    def payload_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True, default=str))

    # --- search ---------------------------------------------------------------------------
    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(audit_search_q(term)), False

    # --- custom views -----------------------------------------------------------------------
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("timeline/", wrap(self.timeline_view), name="audit_auditevent_timeline"),
            path("export.csv", wrap(self.export_view), name="audit_auditevent_export"),
            path("verify/", wrap(self.verify_view), name="audit_auditevent_verify"),
            *super().get_urls(),
        ]

    def _require_view(self, request) -> None:
        if not request.user.has_perm("audit.view_auditevent"):
            raise PermissionDenied

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "export_url": f"{reverse('admin:audit_auditevent_export')}?{request.GET.urlencode()}",
            "timeline_url": reverse("admin:audit_auditevent_timeline"),
            "verify_url": reverse("admin:audit_auditevent_verify"),
        }
        return super().changelist_view(request, extra_context)

    def timeline_view(self, request):
        self._require_view(request)
        reference = request.GET.get("reference", "").strip()
        events = list(audit_timeline(reference=reference)[:5000]) if reference else []
        for event in events:
            event.payload_json = json.dumps(event.payload, indent=2, sort_keys=True, default=str)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Timeline of {reference}" if reference else "Timeline",
            "reference": reference,
            "events": events,
        }
        return TemplateResponse(request, "admin/audit/timeline.html", context)

    def export_view(self, request):
        """CSV of exactly the rows the change list shows for the same query string (all pages)."""
        self._require_view(request)
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("The search parameters are not valid.")
        queryset = changelist.queryset.order_by("id")
        audit_record(action="audit.exported", actor=Actor.of_user(request.user), subject=("audit.AuditEvent", ""),
                     payload={"query": request.GET.dict()})
        writer = csv.writer(_Echo())

        def rows():
            yield writer.writerow(CSV_COLUMNS)
            for values in queryset.values_list(*CSV_COLUMNS).iterator(chunk_size=2000):
                yield writer.writerow([_csv_cell(value) for value in values])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response

    def verify_view(self, request):
        """GET shows the button; POST runs the full verification (it reads every sealed row)."""
        self._require_view(request)
        report = None
        if request.method == "POST":
            report = audit_chain_verify()
            audit_record(action="audit.verified", actor=Actor.of_user(request.user),
                         subject=("audit.AuditSeal", report.head_seal_id or ""),
                         payload={"ok": report.ok, "findings": [str(f) for f in report.findings][:1000],
                                  "seals_checked": report.seals_checked, "rows_checked": report.rows_checked})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Verify the audit trail",
            "report": report,
        }
        return TemplateResponse(request, "admin/audit/verify.html", context)


@admin.register(AuditSeal)
class AuditSealAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "first_event_id", "last_event_id", "event_count", "seal_hash")
    fields = ("id", "created_at", "first_event_id", "last_event_id", "event_count", "rows_hash",
              "previous_seal_hash", "seal_hash")
    readonly_fields = fields
    ordering = ("-id",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
