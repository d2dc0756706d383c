from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register event and webhook handlers.
        from . import handlers  # noqa: F401
        from .services import payouts

        payouts.register()  # reconciliation matches Monnify's disbursements with our withdrawals
