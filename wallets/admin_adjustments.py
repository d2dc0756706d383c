"""Manual adjustments in the admin: Finance proposes (the add page), a different Finance user
approves or rejects (buttons on the adjustment's page, or the bulk approve action). Everything goes
through wallets/services/adjustments.py, which re-checks permissions and maker-checker."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from cozonpay.backoffice import Button, IndexedSearchMixin, has_perm, naira, render_form, require_perm, timeline_html
from cozonpay.exceptions import DomainError
from cozonpay.users.models import email_is

from .models import AccountKind, Adjustment, AdjustmentKind, AdjustmentStatus, Journal, LedgerAccount
from .services.adjustments import (
    APPROVE_PERMISSION,
    PROPOSE_PERMISSION,
    adjustment_approve,
    adjustment_propose,
    adjustment_reject,
)


def naira_to_kobo(value: Decimal) -> int:
    """Exact: refuses more than 2 decimal places instead of rounding."""
    kobo = value * 100
    if kobo != kobo.to_integral_value():
        raise forms.ValidationError("At most 2 decimal places.")
    return int(kobo)


class ProposeAdjustmentForm(forms.Form):
    kind = forms.ChoiceField(choices=AdjustmentKind.choices)
    wallet = forms.CharField(required=False, help_text="Credit/debit: the owner's email, or the wallet id.")
    amount = forms.DecimalField(required=False, min_value=Decimal("0.01"), max_digits=14, decimal_places=2,
                                label="Amount (\u20a6)", help_text="Credit/debit, in naira, e.g. 1500.00")
    journal = forms.CharField(required=False, label="Journal reference",
                              help_text="Reversal: the reference of the journal to reverse.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))
    source_reference = forms.CharField(required=False, max_length=255,
                                       help_text="Optional: what asked for it (dispute:ID, discrepancy:ID).")

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in (AdjustmentKind.CREDIT, AdjustmentKind.DEBIT):
            data["account"] = self._wallet(data.get("wallet", "").strip())
            if data.get("amount") is None:
                self.add_error("amount", "Required for a credit or a debit.")
            else:
                try:
                    data["amount_kobo"] = naira_to_kobo(data["amount"])
                except (forms.ValidationError, InvalidOperation) as exc:
                    self.add_error("amount", exc)
        elif kind == AdjustmentKind.REVERSAL:
            reference = data.get("journal", "").strip()
            journal = Journal.objects.filter(reference=reference).first() if reference else None
            if journal is None:
                self.add_error("journal", "No journal has this reference.")
            data["reverses"] = journal
        return data

    def _wallet(self, text: str):
        if not text:
            self.add_error("wallet", "Required for a credit or a debit.")
            return None
        wallets = LedgerAccount.objects.filter(kind=AccountKind.CUSTOMER_WALLET)
        query = Q(email_is(text, path="owner__email"))
        try:
            import uuid

            query |= Q(public_id=uuid.UUID(text))
        except ValueError:
            pass
        wallet = wallets.filter(query).first()
        if wallet is None:
            self.add_error("wallet", "No customer wallet matches.")
        return wallet


class DecisionForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))

    def __init__(self, *args, note_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].required = note_required


@admin.register(Adjustment)
class AdjustmentAdmin(IndexedSearchMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "status", "wallet_display", "amount_display", "reverses", "proposed_by",
                    "decided_by", "proposed_at")
    list_filter = ("status", "kind")
    exact_search_fields = ("source_reference", "reverses__reference")
    uuid_search_fields = ("public_id",)
    email_search_fields = ("account__owner__email",)
    list_select_related = ("account__owner", "reverses", "proposed_by", "decided_by")
    readonly_fields = ("public_id", "kind", "status", "wallet_display", "amount_display", "reverses", "reason",
                       "source_reference", "proposed_by", "proposed_at", "decided_by", "decided_at",
                       "decision_note", "journal", "failure_reason", "timeline")
    fields = readonly_fields
    actions = ["approve_selected"]
    change_form_template = "admin/backoffice/change_form.html"

    # --- permissions ------------------------------------------------------------------------
    def has_add_permission(self, request):
        return has_perm(request, PROPOSE_PERMISSION)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request):
        return has_perm(request, APPROVE_PERMISSION)

    # --- display ----------------------------------------------------------------------------
    @admin.display(description="wallet")
    def wallet_display(self, obj):
        return f"{obj.account.owner.email} ({obj.account.public_id})" if obj.account_id else "-"

    @admin.display(description="amount")
    def amount_display(self, obj):
        return naira(obj.amount) if obj.amount is not None else "-"

    @admin.display(description="timeline (audit)")
    def timeline(self, obj):
        return timeline_html(obj.reference)

    # --- propose (the add page) ---------------------------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        require_perm(request, PROPOSE_PERMISSION)
        form = ProposeAdjustmentForm(request.POST or None, initial=request.GET.dict())
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                adjustment = adjustment_propose(
                    kind=data["kind"], actor=request.user, reason=data["reason"], account=data.get("account"),
                    amount=data.get("amount_kobo"), reverses=data.get("reverses"),
                    source_reference=data.get("source_reference", ""),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"Adjustment proposed. A different Finance user must approve it "
                                           f"({adjustment.reference}).", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:wallets_adjustment_change", args=[adjustment.pk]))
        return render_form(self, request, title="Propose an adjustment", form=form, submit_label="Propose",
                           description="Nothing moves until a different Finance user approves it. Credits "
                                       "come from, and debits go to, the suspense account; limits do not apply.")

    # --- decide ------------------------------------------------------------------------------
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", wrap(self.approve_view), name="wallets_adjustment_approve"),
            path("<int:pk>/reject/", wrap(self.reject_view), name="wallets_adjustment_reject"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        adjustment = self.get_object(request, object_id)
        buttons = []
        if (adjustment is not None and adjustment.status in (AdjustmentStatus.PROPOSED, AdjustmentStatus.APPROVING)
                and self.has_approve_permission(request) and str(adjustment.proposed_by_id) != str(request.user.pk)):
            buttons.append(Button("approve", "Approve and post",
                                  reverse("admin:wallets_adjustment_approve", args=[adjustment.pk])))
            if adjustment.status == AdjustmentStatus.PROPOSED:
                buttons.append(Button("reject", "Reject",
                                      reverse("admin:wallets_adjustment_reject", args=[adjustment.pk])))
        extra_context = {**(extra_context or {}), "backoffice_buttons": buttons}
        return super().change_view(request, object_id, form_url, extra_context)

    def _decide(self, request, pk: int, *, approve: bool):
        require_perm(request, APPROVE_PERMISSION)
        adjustment = get_object_or_404(Adjustment.objects.select_related("account__owner", "reverses"), pk=pk)
        if str(adjustment.proposed_by_id) == str(request.user.pk):
            raise PermissionDenied("You proposed this adjustment; a different Finance user must decide it.")
        form = DecisionForm(request.POST or None, note_required=not approve)
        if request.method == "POST" and form.is_valid():
            try:
                if approve:
                    adjustment_approve(adjustment_id=pk, actor=request.user, note=form.cleaned_data["note"])
                else:
                    adjustment_reject(adjustment_id=pk, actor=request.user, note=form.cleaned_data["note"])
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, "Adjustment approved and posted." if approve else "Adjustment rejected.",
                                  messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:wallets_adjustment_change", args=[pk]))
        return render_form(
            self, request, title="Approve the adjustment" if approve else "Reject the adjustment", form=form,
            submit_label="Approve and post" if approve else "Reject", objects=[self._describe(adjustment)],
            description=("Approving posts the journal now." if approve else "Rejecting moves nothing."),
        )

    def approve_view(self, request, pk: int):
        return self._decide(request, pk, approve=True)

    def reject_view(self, request, pk: int):
        return self._decide(request, pk, approve=False)

    @staticmethod
    def _describe(adjustment: Adjustment) -> str:
        if adjustment.kind == AdjustmentKind.REVERSAL:
            what = f"reverse journal {adjustment.reverses.reference}"
        else:
            what = f"{adjustment.kind} {naira(adjustment.amount)} on {adjustment.account.owner.email}'s wallet"
        return format_html("{}: {} (reason: {}; proposed by {})", adjustment.reference, what, adjustment.reason,
                           adjustment.proposed_by)

    @admin.action(description="Approve and post selected adjustments (not your own)", permissions=["approve"])
    def approve_selected(self, request, queryset):
        done = 0
        for adjustment in queryset:
            try:
                adjustment_approve(adjustment_id=adjustment.pk, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{adjustment.reference}: {exc.message}", messages.ERROR)
        self.message_user(request, f"{done} adjustment(s) approved and posted.",
                          messages.SUCCESS if done else messages.WARNING)
