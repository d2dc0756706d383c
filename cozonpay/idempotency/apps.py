from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    name = "cozonpay.idempotency"
    label = "idempotency"
    verbose_name = "Idempotency keys"
