"""Withdrawals in the back office (refunds: admin/refunds.py): lists with filters and reference search, a link to
each one's audit timeline, and the actions Finance needs (OTP authorization, reject, ask Monnify
again, refund a deposit). Every action goes through a service with ``actor=request.user``; the
services write the audit records (in the transaction of each change). Not AuditedAdminMixin: its
wrapping transaction would put Monnify calls inside a transaction and nest the services' durable
ones."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from cozonpay.backoffice import IndexedSearchMixin
from cozonpay.exceptions import DomainError

from ..models import Withdrawal, WithdrawalState
from ..services import withdrawals as withdrawal_services


def timeline_link(reference: str) -> str:
    url = reverse("admin:audit_auditevent_timeline") + "?" + urlencode({"reference": reference})
    return format_html('<a href="{}">timeline</a>', url)


class AuthorizeForm(forms.Form):
    code = forms.RegexField(r"^[0-9]{4,8}$", label="Authorization code (OTP)", strip=True,
                            error_messages={"invalid": "Enter the code Monnify e-mailed (digits)."})


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=200)


class _FinanceAdmin(admin.ModelAdmin):
    """Read-only screens; staff act through the actions and forms only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    #: the permission that Finance's actions on this screen need (cozonpay/users/roles.py)
    finance_permission = "payments.authorize_payout"

    def has_finance_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff and (
            request.user.is_superuser or request.user.has_perm(self.finance_permission))

    def _staff_form(self, request, form_class, *, title, submit_label, subject=None, explanation="", on_valid):
        if not self.has_finance_permission(request):
            raise PermissionError
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                message = on_valid(form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, message)
                return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))
        context = {**self.admin_site.each_context(request), "opts": self.opts, "form": form, "title": title,
                   "submit_label": submit_label, "subject": subject, "explanation": explanation,
                   "changelist_url": f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"}
        return TemplateResponse(request, "admin/payments/staff_form.html", context)

    def _each(self, request, queryset, action, verb):
        done = 0
        for obj in queryset:
            try:
                action(obj)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{obj.reference}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} {verb}.")


@admin.register(Withdrawal)
class WithdrawalAdmin(IndexedSearchMixin, _FinanceAdmin):
    list_display = ("reference", "user", "amount", "fee", "state", "provider_status", "bank_name", "account_number",
                    "submit_attempts", "created_at", "staff_links")
    list_filter = ("state", "provider_status", "bank_name", "created_at")
    exact_search_fields = ("reference", "transaction_reference", "account_number")
    uuid_search_fields = ("public_id",)
    email_search_fields = ("user__email",)
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Withdrawal._meta.fields]
    actions = ["requery"]

    @admin.display(description="")
    def staff_links(self, obj):
        links = [timeline_link(obj.reference)]
        if obj.state == WithdrawalState.AWAITING_AUTHORIZATION:
            links.append(format_html('<a href="{}">authorize</a>', reverse("admin:payments_withdrawal_authorize",
                                                                          args=[obj.pk])))
            links.append(format_html('<a href="{}">reject</a>', reverse("admin:payments_withdrawal_reject",
                                                                       args=[obj.pk])))
        return format_html(" · ".join(["{}"] * len(links)), *links)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/authorize/", wrap(self.authorize_view), name="payments_withdrawal_authorize"),
            path("<int:pk>/reject/", wrap(self.reject_view), name="payments_withdrawal_reject"),
            *super().get_urls(),
        ]

    def authorize_view(self, request, pk: int):
        withdrawal = get_object_or_404(Withdrawal, pk=pk)

        def authorize(data):
            done = withdrawal_services.withdrawal_authorize(withdrawal=withdrawal, code=data["code"],
                                                            actor=request.user)
            return f"{done.reference} authorized: now {done.get_state_display().lower()}."

        return self._staff_form(request, AuthorizeForm, title="Authorize withdrawal", submit_label="Authorize",
                                subject=f"{withdrawal.reference}: {withdrawal.amount} kobo to {withdrawal.account_name}"
                                        f" ({withdrawal.bank_name} {withdrawal.account_number})",
                                explanation="Enter the OTP Monnify e-mailed for this transfer.", on_valid=authorize)

    def reject_view(self, request, pk: int):
        withdrawal = get_object_or_404(Withdrawal, pk=pk)

        def reject(data):
            done = withdrawal_services.withdrawal_reject(withdrawal=withdrawal, actor=request.user,
                                                         reason=data["reason"])
            return f"{done.reference} rejected; the customer's funds are released."

        return self._staff_form(request, RejectForm, title="Reject withdrawal", submit_label="Reject",
                                subject=f"{withdrawal.reference}: {withdrawal.amount} kobo", on_valid=reject)

    @admin.action(description="Ask Monnify again (same reference)", permissions=["finance"])
    def requery(self, request, queryset):
        self._each(request, queryset,
                   lambda w: withdrawal_services.withdrawal_requery(withdrawal=w, actor=request.user), "re-queried")
