from django import template

register = template.Library()


@register.inclusion_tag("admin/backoffice/dashboard.html", takes_context=True)
def backoffice_dashboard(context):
    """The dashboard panels (payments.dashboard), for staff who may read the back office."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not (user and user.is_active and user.is_staff and user.has_perm("payments.view_dispute")):
        return {"panels": None}
    from payments.dashboard import dashboard_get

    return {"panels": dashboard_get()}
