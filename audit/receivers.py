"""Logins through Django's session login (the admin) are recorded from the auth signals, which
are the framework's only hook into its login view. The API login view records its own attempts
(`audit_record` / `audit_login`), so API paths are skipped here: `authenticate()` sends
`user_login_failed` there too, and one attempt must be one record."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from cozonpay.middleware import is_api_path


def _channel(request) -> str | None:
    path = getattr(request, "path", "") or ""
    if is_api_path(path):
        return None
    return "admin" if path.startswith("/admin/") else "web"


@receiver(user_logged_in, dispatch_uid="audit_user_logged_in")
def _on_logged_in(sender, request, user, **kwargs):
    from .services import audit_login

    channel = _channel(request)
    if channel:
        audit_login(user=user, success=True, request=request, channel=channel)


@receiver(user_login_failed, dispatch_uid="audit_user_login_failed")
def _on_login_failed(sender, credentials, request=None, **kwargs):
    from .services import audit_login

    channel = _channel(request)
    if channel:
        email = str(credentials.get("username") or credentials.get("email") or "")
        audit_login(user=None, success=False, email_attempted=email, request=request, channel=channel)


@receiver(user_logged_out, dispatch_uid="audit_user_logged_out")
def _on_logged_out(sender, request, user, **kwargs):
    from .services import Actor, audit_record

    channel = _channel(request)
    if channel and user is not None:
        audit_record(action="auth.logout", actor=Actor.of_user(user), subject=user, references=[user.pk],
                     payload={"channel": channel})
