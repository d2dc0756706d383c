import json

from django.contrib import admin, messages
from django.utils.html import format_html

from cozonpay.backoffice import DateRangeFilter, EstimatedCountPaginator, IndexedSearchMixin, has_perm

from . import registry, services
from .exceptions import WebhookNotReplayable
from .models import WebhookEvent


class ReceivedRangeFilter(DateRangeFilter):
    """From / to on received_at (its index), in place of date_hierarchy's DISTINCT over the inbox."""

    title = "received"
    field_name = "received_at"
    parameter_from = "received_from"
    parameter_to = "received_to"


class EventTypeFilter(admin.SimpleListFilter):
    """The event types a handler processes, and "other" for the rest (stored and ignored), without
    Django's DISTINCT over the whole inbox on every page load."""

    title = "event type"
    parameter_name = "event_type"
    OTHER = "__other__"

    def lookups(self, request, model_admin):
        return [(event_type, event_type) for event_type in registry.handled_event_types()] + [(self.OTHER, "other")]

    def queryset(self, request, queryset):
        if self.value() == self.OTHER:
            return queryset.exclude(event_type__in=registry.handled_event_types())
        return queryset.filter(event_type=self.value()) if self.value() else queryset


@admin.register(WebhookEvent)
class WebhookEventAdmin(IndexedSearchMixin, admin.ModelAdmin):
    list_display = ("id", "event_type", "reference", "status", "attempts", "deliveries", "received_at",
                    "processed_at", "outcome")
    list_filter = ("status", EventTypeFilter, ReceivedRangeFilter)
    exact_search_fields = ("reference", "secondary_reference", "dedupe_key")
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    actions = ["replay"]
    readonly_fields = [f.name for f in WebhookEvent._meta.fields if f.name != "body"] + ["pretty_body"]
    exclude = ("body",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Body (raw, as received)")
    def pretty_body(self, obj):
        try:
            text = json.dumps(json.loads(obj.body), indent=2, sort_keys=True)
        except ValueError:
            text = obj.body
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", text)

    @admin.action(description="Replay (process again; idempotent)", permissions=["replay"])
    def replay(self, request, queryset):
        done = 0
        for event in queryset:
            try:
                services.webhook_replay(event=event, actor=request.user)
                done += 1
            except WebhookNotReplayable as exc:
                self.message_user(request, f"#{event.pk}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} webhook(s) queued for processing.")

    def has_replay_permission(self, request):
        return has_perm(request, "webhooks.replay_webhookevent")
