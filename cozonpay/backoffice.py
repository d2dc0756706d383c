"""Small helpers shared by the back-office admin screens (wallets, payments, webhooks).

Every custom admin view is wrapped with `admin_site.admin_view` (login, staff, CSRF) and then
checks one permission with `require_perm`; every form page is rendered by `render_form` with the
one template `admin/backoffice/form.html`. Services do the work and re-check the permission.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cached_property
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import format_html, format_html_join

from cozonpay.money import format_naira as naira  # noqa: F401 - re-exported for the admin screens


def require_perm(request, *perms: str) -> None:
    user = request.user
    if not (user.is_active and user.is_staff and all(user.has_perm(p) for p in perms)):
        raise PermissionDenied


def has_perm(request, perm: str) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and user.has_perm(perm))


def render_form(modeladmin, request, *, title: str, form, submit_label: str, description: str = "",
                objects: Iterable = (), hidden: Sequence[tuple[str, str]] = ()) -> TemplateResponse:
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": title,
        "form": form,
        "description": description,
        "objects": list(objects),
        "hidden": list(hidden),
        "submit_label": submit_label,
    }
    return TemplateResponse(request, "admin/backoffice/form.html", context)


def parse_date_bound(value: str, *, end: bool) -> datetime:
    """A date (the whole day: its start, or with `end` the next day's start) or a datetime; naive
    values are in the site's time zone (UTC)."""
    day = parse_date(value) if len(value) == 10 else None
    if day is not None:
        parsed = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    else:
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(value)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
    return parsed


class DateRangeFilter(admin.ListFilter):
    """From / to (inclusive dates, or datetimes) on `field_name`, as two inputs in the sidebar: a
    range condition an index serves, where Django's date_hierarchy lists DISTINCT date_trunc()
    values over the whole table. Subclasses set `field_name`, `parameter_from`, `parameter_to`."""

    title = "time range"
    template = "admin/backoffice/date_range_filter.html"
    field_name = ""
    parameter_from = ""
    parameter_to = ""

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name in (self.parameter_from, self.parameter_to):
            if name in params:
                self.used_parameters[name] = params.pop(name)[-1].strip()
        self.other_params = [
            (key, value) for key, values in request.GET.lists()
            if key not in (self.parameter_from, self.parameter_to, "p") for value in values
        ]

    @property
    def value_from(self) -> str:
        return self.used_parameters.get(self.parameter_from, "")

    @property
    def value_to(self) -> str:
        return self.used_parameters.get(self.parameter_to, "")

    def has_output(self) -> bool:
        return True

    def expected_parameters(self):
        return [self.parameter_from, self.parameter_to]

    def choices(self, changelist):
        yield {
            "selected": not self.used_parameters,
            "query_string": changelist.get_query_string(remove=self.expected_parameters()),
            "display": "Any time",
        }

    def queryset(self, request, queryset):
        try:
            if self.value_from:
                queryset = queryset.filter(**{f"{self.field_name}__gte": parse_date_bound(self.value_from, end=False)})
            if self.value_to:
                queryset = queryset.filter(**{f"{self.field_name}__lt": parse_date_bound(self.value_to, end=True)})
        except ValueError as exc:
            raise IncorrectLookupParameters(exc)
        return queryset


class EstimatedCountPaginator(Paginator):
    """For the changelists of tables that only grow (audit trail, journals, webhooks): an unfiltered
    list is counted with PostgreSQL's own estimate (`pg_class.reltuples`, kept by ANALYZE and
    autovacuum) instead of COUNT(*), which reads the whole table on every page load (140 ms at a
    million journals, and linear). Filtered lists, small tables and never-analysed ones are counted
    exactly. The admin then shows about as many pages as there are; a page past the end is
    Django's usual "invalid page" redirect."""

    exact_below = 100_000

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if isinstance(rows, QuerySet) and not rows.query.where and not rows.query.distinct:
            with connections[rows.db].cursor() as cursor:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                               [rows.model._meta.db_table])
                found = cursor.fetchone()
            if found and found[0] >= self.exact_below:
                return int(found[0])
        return super().count


class IndexedSearchMixin:
    """Admin search that stays on indexes however large the table grows. Django's own search ORs
    `icontains` (UPPER(col) LIKE '%term%') or, for `=field`, `iexact` (UPPER(col) = UPPER(term)),
    and casts a UUID column to text when the term is not a UUID; none of these can use a b-tree
    index, so every search read the whole table (1.7 s on 300,000 webhooks, 1.9 s on a million
    journals). Here the term is matched exactly:

        exact_search_fields = ("reference", "deposit__payment_reference")   # col = term
        uuid_search_fields = ("public_id",)                                 # only when the term is a UUID
        email_search_fields = ("user__email",)                              # users.models.email_is

    A path through a relation is first resolved to the related rows' ids (one indexed query), so
    that every branch of the OR is a condition on this table's own indexed columns: an OR that
    mixes this table's columns with a joined table's cannot use this table's indexes at all.
    Each column matched must have an index (a unique constraint, `db_index`, or a foreign key's)."""

    exact_search_fields: Sequence[str] = ()
    uuid_search_fields: Sequence[str] = ()
    email_search_fields: Sequence[str] = ()
    related_match_limit = 1_000

    def get_search_fields(self, request):
        # Non-empty, so the changelist shows its search box; get_search_results does the matching.
        return (*self.exact_search_fields, *self.uuid_search_fields, *self.email_search_fields)

    def _own_columns(self, path: str, condition: Callable[[str], Any]):
        """`condition(path)` as a condition on this table's columns: direct, or through the ids of
        the rows the first relation of `path` leads to."""
        from django.db.models import Q

        first, _, rest = path.partition("__")
        if not rest:
            return condition(path)
        related = self.model._meta.get_field(first).related_model
        ids = list(related._default_manager.filter(condition(rest))
                   .values_list("pk", flat=True)[:self.related_match_limit])
        return Q(**{f"{first}__in": ids})

    def get_search_results(self, request, queryset, search_term):
        import uuid

        from django.db.models import Q

        from cozonpay.users.models import email_is

        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q()
        for path in self.exact_search_fields:
            match |= self._own_columns(path, lambda p: Q(**{p: term}))
        try:
            as_uuid = uuid.UUID(term)
        except ValueError:
            as_uuid = None
        if as_uuid is not None:
            for path in self.uuid_search_fields:
                match |= self._own_columns(path, lambda p: Q(**{p: as_uuid}))
        if "@" in term:
            for path in self.email_search_fields:
                match |= self._own_columns(path, lambda p: Q(email_is(term, path=p)))
        return (queryset.filter(match) if match else queryset.none()), False


@dataclass(frozen=True)
class Button:
    name: str
    label: str
    url: str


def timeline_html(*references: str, limit: int = 500) -> str:
    """The audit timeline of one or more references, oldest first, as an HTML table (read-only
    field on a change page). Uses audit.selectors.audit_timeline, the same as the audit screens."""
    from audit.selectors import audit_timeline

    seen: dict[int, object] = {}
    for reference in references:
        if reference:
            for event in audit_timeline(reference=str(reference))[:limit]:
                seen[event.pk] = event
    events = sorted(seen.values(), key=lambda e: (e.occurred_at, e.pk))
    if not events:
        return "No audit records yet."
    rows = format_html_join(
        "", "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
        ((e.occurred_at.strftime("%Y-%m-%d %H:%M:%S"), e.action, f"{e.actor_type}: {e.actor_name or e.actor_id}",
          _payload_summary(e.payload)) for e in events),
    )
    return format_html('<table class="backoffice-timeline"><tr><th>when (UTC)</th><th>action</th><th>who</th>'
                       "<th>details</th></tr>{}</table>", rows)


def _payload_summary(payload: dict) -> str:
    import json

    text = json.dumps(payload, sort_keys=True, default=str)
    return text if len(text) <= 300 else text[:297] + "..."
