"""Reconciliation screens: runs (with a "Run now" button for Finance) and discrepancies, with the
evidence from both sides and a resolve step (a note, Finance only; also as a bulk action)."""

from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from cozonpay.backoffice import Button, has_perm, naira, render_form, require_perm, timeline_html
from cozonpay.enqueue import safe_enqueue
from cozonpay.exceptions import DomainError

from ..models import Discrepancy, DiscrepancyStatus, ReconciliationRun
from ..services.reconciliation import discrepancy_resolve, reconciliation_today

RESOLVE = "payments.resolve_discrepancy"
RUN = "payments.run_reconciliation"


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _pretty(value) -> str:
    if value is None:
        return "(none)"
    return format_html('<pre style="white-space:pre-wrap;max-width:60em">{}</pre>',
                       json.dumps(value, indent=2, sort_keys=True, default=str))


class DiscrepancyInline(ReadOnly, admin.TabularInline):
    model = Discrepancy
    fields = ("kind", "reference", "status", "summary")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    verbose_name_plural = "discrepancies first found by this run"


class RunForm(forms.Form):
    scope = forms.ChoiceField(choices=[("monnify", "Monnify: one day of collections and disbursements"),
                                       ("ledger", "Ledger integrity check")])
    day = forms.DateField(required=False, help_text="Monnify: the day (Africa/Lagos), YYYY-MM-DD")


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("id", "scope", "day", "full", "status", "found", "healed", "triggered_by", "started_at",
                    "duration")
    list_filter = ("scope", "status", "full")
    date_hierarchy = "started_at"
    readonly_fields = ("scope", "day", "full", "status", "triggered_by", "started_at", "finished_at", "found",
                       "healed", "stats_pretty", "error")
    fields = readonly_fields
    inlines = [DiscrepancyInline]
    change_list_template = "admin/backoffice/change_list.html"

    @admin.display(description="duration")
    def duration(self, obj):
        return f"{(obj.finished_at - obj.started_at).total_seconds():.1f}s" if obj.finished_at else "-"

    @admin.display(description="stats")
    def stats_pretty(self, obj):
        return _pretty(obj.stats)

    def get_urls(self):
        return [path("run/", self.admin_site.admin_view(self.run_view), name="payments_reconciliationrun_run"),
                *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        buttons = [Button("run", "Run now", reverse("admin:payments_reconciliationrun_run"))] \
            if has_perm(request, RUN) else []
        return super().changelist_view(request, {**(extra_context or {}), "backoffice_buttons": buttons})

    def run_view(self, request):
        require_perm(request, RUN)
        yesterday = reconciliation_today() - dt.timedelta(days=1)
        form = RunForm(request.POST or None, initial={"day": yesterday})
        if request.method == "POST" and form.is_valid():
            from .. import tasks

            scope, day = form.cleaned_data["scope"], form.cleaned_data["day"] or yesterday
            if scope == "ledger":
                queued = safe_enqueue(tasks.reconcile_ledger_task)
            else:
                queued = safe_enqueue(tasks.reconcile_monnify_task, args=(day.isoformat(), f"admin:{request.user}"))
            if queued:
                self.message_user(request, "Reconciliation queued; its run appears here when it starts.",
                                  messages.SUCCESS)
            else:
                self.message_user(request, "The job queue is unreachable; run `python manage.py reconcile --date "
                                           f"{day.isoformat()}` instead.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:payments_reconciliationrun_changelist"))
        return render_form(self, request, title="Run a reconciliation now", form=form, submit_label="Run")


class NoteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                           help_text="What was found and what was done (e.g. the adjustment that corrected it).")


@admin.register(Discrepancy)
class DiscrepancyAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("id", "kind", "source", "reference", "status", "amounts", "summary", "day", "created_at")
    list_filter = ("status", "kind", "source", "day")
    search_fields = ("reference__exact", "public_id__exact", "summary")
    date_hierarchy = "created_at"
    readonly_fields = ("public_id", "kind", "source", "reference", "status", "day", "summary", "amounts",
                       "ours_pretty", "theirs_pretty", "run", "heal_reference", "resolution_note", "resolved_by",
                       "resolved_at", "created_at", "timeline")
    fields = readonly_fields
    actions = ["resolve_selected"]
    change_form_template = "admin/backoffice/change_form.html"

    def has_resolve_permission(self, request):
        return has_perm(request, RESOLVE)

    @admin.display(description="amounts (ours / Monnify)")
    def amounts(self, obj):
        return f"{naira(obj.amount_ours)} / {naira(obj.amount_theirs)}"

    @admin.display(description="our record")
    def ours_pretty(self, obj):
        return _pretty(obj.ours)

    @admin.display(description="Monnify's record")
    def theirs_pretty(self, obj):
        return _pretty(obj.theirs)

    @admin.display(description="timeline (audit)")
    def timeline(self, obj):
        return timeline_html(obj.reference, str(obj.public_id))

    def get_urls(self):
        return [path("<int:pk>/resolve/", self.admin_site.admin_view(self.resolve_view),
                     name="payments_discrepancy_resolve"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        discrepancy = self.get_object(request, object_id)
        buttons = []
        if discrepancy is not None and discrepancy.status == DiscrepancyStatus.OPEN and has_perm(request, RESOLVE):
            buttons.append(Button("resolve", "Resolve",
                                  reverse("admin:payments_discrepancy_resolve", args=[discrepancy.pk])))
        return super().change_view(request, object_id, form_url,
                                   {**(extra_context or {}), "backoffice_buttons": buttons})

    def resolve_view(self, request, pk: int):
        require_perm(request, RESOLVE)
        discrepancy = get_object_or_404(Discrepancy, pk=pk)
        form = NoteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                discrepancy_resolve(discrepancy_id=pk, actor=request.user, note=form.cleaned_data["note"])
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, "Discrepancy resolved.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:payments_discrepancy_change", args=[pk]))
        return render_form(self, request, title="Resolve the discrepancy", form=form, submit_label="Resolve",
                           objects=[discrepancy.summary])

    @admin.action(description="Resolve selected discrepancies (with a note)", permissions=["resolve"])
    def resolve_selected(self, request, queryset):
        form = NoteForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = 0
            for discrepancy in queryset:
                try:
                    discrepancy_resolve(discrepancy_id=discrepancy.pk, actor=request.user,
                                        note=form.cleaned_data["note"])
                    done += 1
                except DomainError as exc:
                    self.message_user(request, f"{discrepancy.reference}: {exc.message}", messages.WARNING)
            self.message_user(request, f"{done} discrepanc{'y' if done == 1 else 'ies'} resolved.", messages.SUCCESS)
            return None
        hidden = [("action", "resolve_selected")] + [(helpers.ACTION_CHECKBOX_NAME, str(pk))
                                                     for pk in queryset.values_list("pk", flat=True)]
        return render_form(self, request, title="Resolve discrepancies", form=form, submit_label="Resolve",
                           objects=[d.summary for d in queryset], hidden=hidden)
