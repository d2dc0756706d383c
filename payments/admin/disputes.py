"""Disputes in the admin: the list with age against the target, the dispute's page with its notes
and the full audit timeline, and one button per step the user may take (note, investigate,
resolve, reject). Steps call payments/services/disputes.py, which re-checks the permissions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from cozonpay.backoffice import Button, IndexedSearchMixin, has_perm, naira, render_form, require_perm, timeline_html
from cozonpay.exceptions import DomainError
from wallets.admin_adjustments import naira_to_kobo

from ..models import DISPUTE_ACTIVE_STATES, Dispute, DisputeNote, DisputeOutcome, DisputeReason
from ..services import disputes as service


def age_text(delta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}d {hours % 24}h" if hours >= 24 else f"{hours}h {int(delta.total_seconds() // 60) % 60}m"


class OverdueFilter(admin.SimpleListFilter):
    title = "age vs target"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", f"Open longer than {settings.DISPUTE_TARGET_HOURS}h"), ("no", "Within target"))

    def queryset(self, request, queryset):
        cutoff = timezone.now() - timedelta(hours=settings.DISPUTE_TARGET_HOURS)
        if self.value() == "yes":
            return queryset.filter(status__in=DISPUTE_ACTIVE_STATES, created_at__lt=cutoff)
        if self.value() == "no":
            return queryset.filter(status__in=DISPUTE_ACTIVE_STATES, created_at__gte=cutoff)
        return queryset


class DisputeNoteInline(admin.TabularInline):
    model = DisputeNote
    extra = 0
    can_delete = False
    fields = ("created_at", "author", "body")
    readonly_fields = fields
    verbose_name_plural = "internal notes (never shown to the customer)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OpenDisputeForm(forms.Form):
    customer = forms.EmailField(help_text="The customer's email")
    reference = forms.CharField(max_length=255, help_text="The transaction's reference")
    reason = forms.ChoiceField(choices=DisputeReason.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), max_length=2000)


class NoteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), required=False)

    def __init__(self, *args, required: bool = True, label: str = "Note", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].required = required
        self.fields["note"].label = label


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(choices=DisputeOutcome.choices[1:])
    amount = forms.DecimalField(required=False, min_value=Decimal("0.01"), max_digits=14, decimal_places=2,
                                label="Amount (\u20a6)", help_text="Goodwill credit or refund only")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), label="Resolution note",
                           help_text="The customer reads this.")

    def __init__(self, *args, with_money: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_money:
            self.fields["outcome"].choices = [(DisputeOutcome.NO_MONEY, DisputeOutcome.NO_MONEY.label)]

    def clean_amount(self):
        value = self.cleaned_data.get("amount")
        return naira_to_kobo(value) if value is not None else None


@admin.register(Dispute)
class DisputeAdmin(IndexedSearchMixin, admin.ModelAdmin):
    list_display = ("short_id", "customer", "reference", "reason", "status", "outcome", "age_display", "created_at")
    list_filter = ("status", OverdueFilter, "reason", "outcome", "subject_type")
    exact_search_fields = ("reference", "journal_reference")
    uuid_search_fields = ("public_id",)
    email_search_fields = ("user__email",)
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = ("public_id", "user", "reference", "subject_type", "journal_reference", "amount_display",
                       "reason", "description", "status", "outcome", "age_display", "resolution_note",
                       "resolution_reference", "adjustment", "opened_by", "closed_by", "created_at",
                       "investigating_at", "closed_at", "timeline")
    fields = readonly_fields
    inlines = [DisputeNoteInline]
    actions = ["start_investigating"]
    change_form_template = "admin/backoffice/change_form.html"

    # --- permissions ------------------------------------------------------------------------
    def has_add_permission(self, request):
        return has_perm(request, service.OPEN_FOR_CUSTOMER)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_annotate_permission(self, request):
        return has_perm(request, service.ANNOTATE)

    # --- display ----------------------------------------------------------------------------
    @admin.display(description="id")
    def short_id(self, obj):
        return str(obj.public_id)[:8]

    @admin.display(description="customer", ordering="user__email")
    def customer(self, obj):
        return obj.user.email

    @admin.display(description="amount")
    def amount_display(self, obj):
        return naira(obj.amount)

    @admin.display(description=f"age (target {settings.DISPUTE_TARGET_HOURS}h)")
    def age_display(self, obj):
        text = age_text(obj.age)
        if obj.overdue:
            return format_html('<strong style="color:#ba2121" class="overdue">{} (over target)</strong>', text)
        return text

    @admin.display(description="timeline (audit: the dispute and the disputed transaction)")
    def timeline(self, obj):
        return timeline_html(str(obj.public_id), obj.reference, obj.journal_reference)

    # --- open for a customer (the add page) ---------------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        require_perm(request, service.OPEN_FOR_CUSTOMER)
        from cozonpay.users.models import User, email_is

        form = OpenDisputeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            customer = User.objects.filter(email_is(data["customer"])).first()
            if customer is None:
                form.add_error("customer", "No customer has this email.")
            else:
                try:
                    dispute = service.dispute_open(user=customer, reference=data["reference"], reason=data["reason"],
                                                   description=data["description"], actor=request.user)
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    self.message_user(request, "Dispute opened; the customer is notified.", messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:payments_dispute_change", args=[dispute.pk]))
        return render_form(self, request, title="Open a dispute for a customer", form=form, submit_label="Open")

    # --- steps ---------------------------------------------------------------------------------
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/note/", wrap(self.note_view), name="payments_dispute_note"),
            path("<int:pk>/investigate/", wrap(self.investigate_view), name="payments_dispute_investigate"),
            path("<int:pk>/resolve/", wrap(self.resolve_view), name="payments_dispute_resolve"),
            path("<int:pk>/reject/", wrap(self.reject_view), name="payments_dispute_reject"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        dispute = self.get_object(request, object_id)
        buttons = []
        if dispute is not None:
            def url(step):
                return reverse(f"admin:payments_dispute_{step}", args=[dispute.pk])

            if has_perm(request, service.ANNOTATE):
                buttons.append(Button("note", "Add internal note", url("note")))
                if dispute.status == "open":
                    buttons.append(Button("investigate", "Start investigating", url("investigate")))
            if dispute.is_active and has_perm(request, service.RESOLVE):
                buttons += [Button("resolve", "Resolve", url("resolve")), Button("reject", "Reject", url("reject"))]
        return super().change_view(request, object_id, form_url,
                                   {**(extra_context or {}), "backoffice_buttons": buttons})

    def _done(self, pk: int):
        return HttpResponseRedirect(reverse("admin:payments_dispute_change", args=[pk]))

    def _step(self, request, pk, *, perm, form, title, submit, run, description=""):
        require_perm(request, perm)
        dispute = get_object_or_404(Dispute.objects.select_related("user"), pk=pk)
        if request.method == "POST" and form.is_valid():
            try:
                message = run(dispute, form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, message, messages.SUCCESS)
                return self._done(pk)
        return render_form(self, request, title=title, form=form, submit_label=submit, description=description,
                           objects=[f"{dispute.reference}: {dispute.get_reason_display()} "
                                    f"({dispute.user.email}, {naira(dispute.amount)}, {dispute.status})"])

    def note_view(self, request, pk: int):
        def run(dispute, data):
            service.dispute_note_add(dispute_id=dispute.pk, actor=request.user, body=data["note"])
            return "Note added."

        return self._step(request, pk, perm=service.ANNOTATE, form=NoteForm(request.POST or None),
                          title="Add an internal note", submit="Add note", run=run,
                          description="Internal: the customer never sees notes.")

    def investigate_view(self, request, pk: int):
        def run(dispute, data):
            service.dispute_investigate(dispute_id=dispute.pk, actor=request.user, note=data["note"])
            return "Dispute is under investigation; the customer is notified."

        return self._step(request, pk, perm=service.ANNOTATE,
                          form=NoteForm(request.POST or None, required=False, label="Internal note (optional)"),
                          title="Start investigating", submit="Start investigating", run=run)

    def resolve_view(self, request, pk: int):
        with_money = has_perm(request, service.RESOLVE_WITH_MONEY)

        def run(dispute, data):
            result = service.dispute_resolve(dispute_id=dispute.pk, actor=request.user, outcome=data["outcome"],
                                             note=data["note"], amount=data.get("amount"))
            return result.message

        return self._step(
            request, pk, perm=service.RESOLVE, form=ResolveForm(request.POST or None, with_money=with_money),
            title="Resolve the dispute", submit="Resolve", run=run,
            description="Reversal: the disputed journal is reversed in the ledger now. Goodwill credit: an "
                        "adjustment is proposed; a different Finance user approves it, then resolve again. "
                        "Refund: money back to the payer through Monnify (deposits).",
        )

    def reject_view(self, request, pk: int):
        def run(dispute, data):
            service.dispute_reject(dispute_id=dispute.pk, actor=request.user, note=data["note"])
            return "Dispute rejected; the customer is notified."

        return self._step(request, pk, perm=service.RESOLVE,
                          form=NoteForm(request.POST or None, label="Note to the customer"),
                          title="Reject the dispute", submit="Reject", run=run)

    @admin.action(description="Start investigating selected disputes", permissions=["annotate"])
    def start_investigating(self, request, queryset):
        done = 0
        for dispute in queryset:
            try:
                service.dispute_investigate(dispute_id=dispute.pk, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{dispute.reference}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} dispute(s) now under investigation.")
