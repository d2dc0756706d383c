from django.contrib import admin, messages

from cozonpay.backoffice import IndexedSearchMixin, has_perm
from cozonpay.exceptions import DomainError

from ..events import services as events
from ..models import DeadLetter, HandlerRun, HandlerRunStatus, Notification, OutboxEvent


class HandlerRunInline(admin.TabularInline):
    model = HandlerRun
    extra = 0
    can_delete = False
    fields = ("handler", "status", "attempts", "next_attempt_at", "completed_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(IndexedSearchMixin, admin.ModelAdmin):
    list_display = ("id", "event_type", "aggregate_type", "aggregate_id", "reference", "created_at", "dispatched_at")
    list_filter = ("event_type", "aggregate_type")
    exact_search_fields = ("reference", "aggregate_id")
    uuid_search_fields = ("public_id",)
    date_hierarchy = "created_at"
    inlines = [HandlerRunInline]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DeadLetter)
class DeadLetterAdmin(IndexedSearchMixin, admin.ModelAdmin):
    list_display = ("id", "handler", "event_link", "status", "attempts", "last_error_short", "next_attempt_at")
    list_filter = ("status", "handler")
    exact_search_fields = ("event__reference", "event__aggregate_id")  # the handler: its list filter
    actions = ["retry", "discard"]
    readonly_fields = [f.name for f in HandlerRun._meta.fields]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event").filter(
            status__in=[HandlerRunStatus.DEAD, HandlerRunStatus.FAILED, HandlerRunStatus.DISCARDED]
        )

    @admin.display(description="event")
    def event_link(self, obj):
        return f"{obj.event.event_type} {obj.event.reference}"

    @admin.display(description="last error")
    def last_error_short(self, obj):
        return obj.last_error[:120]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return has_perm(request, "payments.retry_handlerrun")

    def has_discard_permission(self, request):
        return has_perm(request, "payments.discard_handlerrun")

    @admin.action(description="Retry (fresh attempts; handlers are idempotent)", permissions=["retry"])
    def retry(self, request, queryset):
        self._apply(request, queryset, lambda run: events.handler_run_retry(run=run, actor=request.user), "queued")

    @admin.action(description="Discard (no further attempts)", permissions=["discard"])
    def discard(self, request, queryset):
        self._apply(request, queryset,
                    lambda run: events.handler_run_discard(run=run, actor=request.user, reason="discarded in admin"),
                    "discarded")

    def _apply(self, request, queryset, action, verb):
        done = 0
        for run in queryset:
            try:
                action(run)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"#{run.pk}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} run(s) {verb}.")


@admin.register(Notification)
class NotificationAdmin(IndexedSearchMixin, admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "title", "read", "emailed_at")
    list_filter = ("kind", "read")
    exact_search_fields = ("dedupe_key",)
    email_search_fields = ("user__email",)
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
