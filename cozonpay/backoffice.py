"""Small helpers shared by the back-office admin screens (wallets, payments, webhooks).

Every custom admin view is wrapped with `admin_site.admin_view` (login, staff, CSRF) and then
checks one permission with `require_perm`; every form page is rendered by `render_form` with the
one template `admin/backoffice/form.html`. Services do the work and re-check the permission.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
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
