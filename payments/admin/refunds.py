"""Refunds in the back office: list, timeline, ask Monnify again, and Finance's "refund a deposit"
form (admin/payments/refund/request/). Actions go through services with actor=request.user."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import path

from cozonpay.backoffice import IndexedSearchMixin
from cozonpay.exceptions import DomainError

from ..models import Deposit, Refund, RefundOrigin
from ..services import refunds as refund_services
from .withdrawals import _FinanceAdmin, timeline_link


class RefundRequestForm(forms.Form):
    deposit_reference = forms.CharField(max_length=100, help_text="Our payment reference or Monnify's MNFY|... one")
    amount = forms.IntegerField(min_value=1, required=False, help_text="kobo; empty = all that is refundable")
    reason = forms.CharField(max_length=64)
    destination_account_number = forms.RegexField(r"^[0-9]{10}$", required=False)
    destination_bank_code = forms.RegexField(r"^[0-9]{3,6}$", required=False)


@admin.register(Refund)
class RefundAdmin(IndexedSearchMixin, _FinanceAdmin):
    finance_permission = "payments.refund_payment"

    list_display = ("reference", "user", "amount", "origin", "state", "provider_status", "transaction_reference",
                    "created_at", "staff_links")
    list_filter = ("state", "origin", "created_at")
    exact_search_fields = ("reference", "transaction_reference", "deposit__payment_reference")
    uuid_search_fields = ("public_id",)
    email_search_fields = ("user__email",)
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Refund._meta.fields]
    actions = ["requery"]

    @admin.display(description="")
    def staff_links(self, obj):
        return timeline_link(obj.reference)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("request/", wrap(self.request_view), name="payments_refund_request"), *super().get_urls()]

    def request_view(self, request):
        def request_refund(data):
            reference = data["deposit_reference"].strip()
            deposit = (Deposit.objects.filter(payment_reference=reference).first()
                       or Deposit.objects.filter(transaction_reference=reference).first())
            if deposit is None:
                raise DomainError("No deposit with that reference.")
            refund = refund_services.refund_request_for_deposit(
                deposit=deposit, actor=request.user, reason=data["reason"], origin=RefundOrigin.STAFF,
                amount=data.get("amount"), destination_account_number=data.get("destination_account_number") or "",
                destination_bank_code=data.get("destination_bank_code") or "",
            )
            return f"Refund {refund.reference} of {refund.amount} kobo requested."

        return self._staff_form(
            request, RefundRequestForm, title="Refund a deposit", submit_label="Request refund",
            on_valid=request_refund,
            explanation="A deposit that could not be credited is refunded from Monnify; a credited checkout deposit is "
                        "first held on the customer's wallet (refused if they spent it), debited when Monnify "
                        "completes the refund, released if it fails. Bank-transfer deposits: give the payer's "
                        "account (Monnify cannot refund to a virtual account).",
        )

    @admin.action(description="Ask Monnify again (same reference)", permissions=["finance"])
    def requery(self, request, queryset):
        self._each(request, queryset, lambda r: refund_services.refund_requery(refund=r, actor=request.user),
                   "re-queried")
