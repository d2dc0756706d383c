from datetime import UTC, datetime
from decimal import Decimal

import pytest

from payments.clients.monnify.parsing import (
    AmountError,
    dumps_compact,
    kobo_to_naira,
    loads,
    normalize_payment_source_information,
    parse_monnify_datetime,
    to_kobo,
)
from payments.clients.monnify.types import TransactionStatus


@pytest.mark.parametrize(
    ("value", "kobo"),
    [("100.00", 10000), ("2500", 250000), (3000, 300000), (Decimal("10.00"), 1000), ("0.01", 1), ("1,250.50", 125050),
     (Decimal("5000.0"), 500000), (5000.0, 500000), ("4919798101.36", 491979810136), ("100.100", 10010)],
)
def test_to_kobo_is_exact(value, kobo):
    assert to_kobo(value) == kobo


@pytest.mark.parametrize("value", ["100.001", Decimal("0.005"), 0.001, "abc", "", None, True, "NaN", "Infinity"])
def test_to_kobo_refuses_what_it_cannot_convert_exactly(value):
    with pytest.raises(AmountError):
        to_kobo(value)


def test_no_float_rounding_on_the_way_in():
    # given a number whose float would be 0.30000000000000004 after arithmetic
    parsed = loads('{"amount": 0.3, "fee": 10.00}')
    # then it is a Decimal and converts exactly
    assert parsed["amount"] == Decimal("0.3") and to_kobo(parsed["amount"]) == 30
    assert to_kobo(parsed["fee"]) == 1000


def test_kobo_to_naira_and_compact_json_with_decimal_literals():
    assert kobo_to_naira(250000) == Decimal("2500.00")
    assert kobo_to_naira(1) == Decimal("0.01")
    body = dumps_compact({"amount": kobo_to_naira(250050), "n": 1, "s": "x|y", "nested": [kobo_to_naira(100)]})
    assert body == '{"amount":2500.50,"n":1,"s":"x|y","nested":[1.00]}'
    with pytest.raises(TypeError):
        dumps_compact({"amount": 1.5})
    with pytest.raises(AmountError):
        kobo_to_naira(1.5)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-11-17 11:28:42.615", datetime(2021, 11, 17, 10, 28, 42, 615000, tzinfo=UTC)),
        ("17/03/2021 3:23:32 AM", datetime(2021, 3, 17, 2, 23, 32, tzinfo=UTC)),
        ("25/07/2022 11:20:20 AM", datetime(2022, 7, 25, 10, 20, 20, tzinfo=UTC)),
        ("14/03/2025 4:31:50 PM", datetime(2025, 3, 14, 15, 31, 50, tzinfo=UTC)),
        ("2022-07-31T14:31:33.759+0000", datetime(2022, 7, 31, 14, 31, 33, 759000, tzinfo=UTC)),
        ("2026-06-27T08:32:49.289+00:00", datetime(2026, 6, 27, 8, 32, 49, 289000, tzinfo=UTC)),
        ("2025-03-04 10:27:AM", datetime(2025, 3, 4, 9, 27, tzinfo=UTC)),
        ("2025-09-01T23:13:19Z", datetime(2025, 9, 1, 23, 13, 19, tzinfo=UTC)),
        ("2025-12-31 08:00:00.0", datetime(2025, 12, 31, 7, 0, tzinfo=UTC)),
        ("2021-01-16T13:56:39.492", datetime(2021, 1, 16, 12, 56, 39, 492000, tzinfo=UTC)),
        (1615951412000, datetime(2021, 3, 17, 3, 23, 32, tzinfo=UTC)),
    ],
)
def test_every_documented_date_format(raw, expected):
    assert parse_monnify_datetime(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "not a date", "32/13/2025 1:00:00 PM"])
def test_unparseable_dates_are_none(raw):
    assert parse_monnify_datetime(raw) is None


def test_payment_source_information_as_array_object_or_empty():
    payer = {"bankCode": "058", "amountPaid": 25000, "accountName": "A", "sessionId": "1",
             "accountNumber": "0123456789"}
    assert normalize_payment_source_information([payer]) == [payer]
    assert normalize_payment_source_information(payer) == [payer]
    assert normalize_payment_source_information({}) == []
    assert normalize_payment_source_information([]) == []
    assert normalize_payment_source_information(None) == []


def test_webhook_and_status_shapes_normalise_to_one_type():
    # given the same payment as a webhook (numbers, array) and as the status API (strings, accountPayments)
    webhook = {"transactionReference": "MNFY|1", "paymentReference": "p", "amountPaid": 25000, "totalPayable": 25000,
               "settlementAmount": "24950.00", "paidOn": "2025-03-14 09:30:12.447", "paymentStatus": "PAID",
               "paymentSourceInformation": [{"amountPaid": 25000, "accountNumber": "0123456789"}], "product": {}}
    status = {"transactionReference": "MNFY|1", "paymentReference": "p", "amountPaid": "25000.00",
              "totalPayable": "25000.00", "settlementAmount": "24950.00", "paidOn": "14/03/2025 09:30:12 AM",
              "paymentStatus": "PAID", "accountPayments": [{"amountPaid": "25000.00", "accountNumber": "******6789"}]}
    a, b = TransactionStatus.from_body(webhook), TransactionStatus.from_body(status)
    assert a.amount_paid_kobo == b.amount_paid_kobo == 2500000
    assert a.settlement_amount_kobo == b.settlement_amount_kobo == 2495000
    assert a.paid_on.replace(microsecond=0) == b.paid_on
    assert a.payment_sources[0].amount_paid_kobo == b.payment_sources[0].amount_paid_kobo == 2500000
    assert a.is_paid and b.is_paid


def test_loads_refuses_a_body_nested_too_deeply_as_unreadable():
    with pytest.raises(ValueError):
        loads("[" * 20_000 + "]" * 20_000)
