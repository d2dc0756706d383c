import base64

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from . import receivers  # noqa: F401  (auth signals: admin/session logins)
        from .redaction import register_secret_value

        # Configured secrets are redacted wherever they appear, even as free text.
        for name in ("MONNIFY_SECRET_KEY", "MONNIFY_API_KEY", "SECRET_KEY", "PIN_PEPPER"):
            register_secret_value(getattr(settings, name, ""))
        register_secret_value(settings.SIMPLE_JWT.get("SIGNING_KEY"))
        api_key, secret = getattr(settings, "MONNIFY_API_KEY", ""), getattr(settings, "MONNIFY_SECRET_KEY", "")
        if api_key and secret:
            # Monnify's login is HTTP Basic with base64("apiKey:secretKey").
            register_secret_value(base64.b64encode(f"{api_key}:{secret}".encode()).decode())
