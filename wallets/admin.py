"""Ledger screens. Ledger rows are read-only here: no add, change or delete. Money moves and
status changes only through services (the freeze/unfreeze actions call them with
actor=request.user, so they are audited like any other staff action). Manual adjustments live in
wallets/admin_adjustments.py (maker-checker)."""

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from cozonpay.backoffice import DateRangeFilter, EstimatedCountPaginator, IndexedSearchMixin, has_perm
from cozonpay.exceptions import DomainError
from cozonpay.money import format_naira

from .models import Hold, Journal, JournalKind, LedgerAccount, Posting
from .services import wallet_freeze, wallet_unfreeze


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(IndexedSearchMixin, ReadOnlyAdmin):
    list_display = ("id", "public_id", "kind", "system_code", "owner", "currency", "status", "balance_display",
                    "held_display", "available_display")
    list_filter = ("kind", "status", "currency", "system_code")
    exact_search_fields = ("owner__phone_number",)
    uuid_search_fields = ("public_id",)
    email_search_fields = ("owner__email",)
    list_select_related = ("owner",)
    readonly_fields = ("id", "public_id", "kind", "system_code", "owner", "currency", "status", "balance_display",
                       "held_display", "available_display", "allow_negative", "version", "outflow_day",
                       "outflow_total", "created_at", "recent_postings")
    fields = readonly_fields
    actions = ("freeze_wallets", "unfreeze_wallets")

    @admin.display(description="balance")
    def balance_display(self, obj):
        if obj.is_derived:
            from .selectors import account_balance

            return f"{format_naira(account_balance(account=obj).balance)} (derived)"
        return format_naira(obj.balance)

    @admin.display(description="held")
    def held_display(self, obj):
        return format_naira(obj.held)

    @admin.display(description="available")
    def available_display(self, obj):
        return "-" if obj.is_derived else format_naira(obj.available)

    @admin.display(description="recent postings")
    def recent_postings(self, obj):
        postings = obj.postings.select_related("journal").order_by("-created_at", "-id")[:20]
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((p.created_at.strftime("%Y-%m-%d %H:%M:%S"), p.journal.reference, p.journal.kind, format_naira(p.amount),
              format_naira(p.balance_after)) for p in postings),
        )
        return format_html(
            "<table><tr><th>when</th><th>reference</th><th>kind</th><th>amount</th><th>balance after</th></tr>"
            "{}</table>", rows,
        )

    def _apply(self, request, queryset, service, verb):
        done = 0
        for account in queryset:
            try:
                service(account=account, actor=request.user, reason=f"admin action by {request.user}")
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{account}: {exc.message}", messages.ERROR)
        self.message_user(request, f"{done} wallet(s) {verb}.", messages.SUCCESS)

    def has_freeze_permission(self, request):
        return has_perm(request, "wallets.freeze_ledgeraccount")

    @admin.action(description="Freeze selected wallets (no debits)", permissions=["freeze"])
    def freeze_wallets(self, request, queryset):
        self._apply(request, queryset, wallet_freeze, "frozen")

    @admin.action(description="Unfreeze selected wallets", permissions=["freeze"])
    def unfreeze_wallets(self, request, queryset):
        self._apply(request, queryset, wallet_unfreeze, "unfrozen")


class PostingInline(admin.TabularInline):
    model = Posting
    fields = ("id", "account", "amount", "currency", "balance_after", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class JournalCreatedRangeFilter(DateRangeFilter):
    """From / to on created_at (the BRIN index)."""

    field_name = "created_at"
    parameter_from = "created_from"
    parameter_to = "created_to"


class JournalKindFilter(admin.SimpleListFilter):
    """The journal kinds (`JournalKind`), without Django's DISTINCT over every journal per page load."""

    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return JournalKind.choices

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Journal)
class JournalAdmin(IndexedSearchMixin, ReadOnlyAdmin):
    list_display = ("id", "reference", "kind", "narration", "reverses", "created_at")
    # A time range, not date_hierarchy: its links are DISTINCT date_trunc() over every journal.
    list_filter = (JournalCreatedRangeFilter, JournalKindFilter)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    exact_search_fields = ("reference",)
    uuid_search_fields = ("public_id",)
    readonly_fields = ("id", "public_id", "reference", "kind", "narration", "metadata", "reverses", "created_at")
    inlines = (PostingInline,)


@admin.register(Hold)
class HoldAdmin(IndexedSearchMixin, ReadOnlyAdmin):
    list_display = ("reference", "account", "amount", "status", "captured_amount", "expires_at", "created_at")
    list_filter = ("status",)
    exact_search_fields = ("reference",)
    uuid_search_fields = ("public_id",)
    readonly_fields = ("public_id", "account", "amount", "currency", "reference", "status", "expires_at",
                       "captured_amount", "journal", "created_at", "updated_at")


from . import admin_adjustments  # noqa: E402,F401  (registers the Adjustment screens)
