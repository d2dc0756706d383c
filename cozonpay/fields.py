"""Serializer fields shared by every API: strict types, so a JSON number never silently becomes a
string (BVNs, PINs, account numbers lose leading zeros) and money is never a float or a string."""

from django.conf import settings
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    default_error_messages = {"not_a_string": "Must be a JSON string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class KoboAmountField(serializers.IntegerField):
    """A positive integer amount in kobo. Floats, strings, booleans, zero, negatives and values
    above MAX_AMOUNT_KOBO are refused."""

    default_error_messages = {
        "not_integer": "Amounts are integers in kobo (250000 is NGN 2,500.00), not strings or decimals.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", getattr(settings, "MAX_AMOUNT_KOBO", 10_000_000_000))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("not_integer")
        return super().to_internal_value(data)
