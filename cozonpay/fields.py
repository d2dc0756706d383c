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


class StrictUUIDField(serializers.UUIDField):
    """A UUID given as a JSON string (never an integer)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class MomentField(serializers.Field):
    """A query-string bound: an ISO 8601 date (`2026-11-21`, midnight UTC; with `end_of_day`, the
    midnight after it, so a date bound includes that whole day) or date-time with offset (naive
    ones are read as UTC)."""

    default_error_messages = {"invalid": "Enter an ISO 8601 date (YYYY-MM-DD) or date-time."}

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        self.end_of_day = end_of_day
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        import datetime as dt

        if not isinstance(data, str) or not data or len(data) > 40:
            self.fail("invalid")
        try:
            if len(data) == 10:
                day = dt.date.fromisoformat(data)
                moment = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
                return moment + dt.timedelta(days=1) if self.end_of_day else moment
            moment = dt.datetime.fromisoformat(data)
        except (ValueError, OverflowError):
            self.fail("invalid")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        if not (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) <= moment <= dt.datetime(9000, 1, 1, tzinfo=dt.UTC)):
            self.fail("invalid")
        return moment

    def to_representation(self, value):
        return value.isoformat()
