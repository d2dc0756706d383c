"""MonnifyClient against ``responses``: every endpoint, every failure class, the token cache and
the audit record's redaction."""

import base64
import json
from decimal import Decimal

import pytest
import requests
import responses
from responses import matchers

from payments.clients.monnify import (
    MonnifyAuthError,
    MonnifyClient,
    MonnifyInvalidResponse,
    MonnifyNotFound,
    MonnifyRetryableError,
    MonnifyTerminalError,
    MonnifyUnknownOutcome,
    clear_token_cache,
)

BASE = "http://monnify.test"
TOKEN = "eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJNS19URVNUIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def ok(body):
    return {"requestSuccessful": True, "responseMessage": "success", "responseCode": "0", "responseBody": body}


def refused(message, code="99"):
    return {"requestSuccessful": False, "responseMessage": message, "responseCode": code}


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def mocked():
    clear_token_cache()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps
    clear_token_cache()


@pytest.fixture
def recorded():
    return []


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def client(recorded, clock):
    return MonnifyClient(recorder=lambda record, refs: recorded.append((record, refs)), sleep=lambda s: None,
                         clock=clock, retry_attempts=3, retry_backoff_s=0.2)


def add_login(mocked, token=TOKEN, expires_in=3600):
    return mocked.add(responses.POST, f"{BASE}/api/v1/auth/login", json=ok({"accessToken": token,
                                                                           "expiresIn": expires_in}))


def logins(mocked):
    return [c for c in mocked.calls if c.request.url.endswith("/auth/login")]


# ---- auth and token cache ----


def test_login_uses_basic_auth_and_the_token_is_cached(mocked, client):
    add_login(mocked)
    mocked.add(responses.GET, f"{BASE}/api/v1/banks", json=ok([{"name": "GTBank", "code": "058"}]))
    client.banks()
    client.banks()
    assert len(logins(mocked)) == 1
    expected = base64.b64encode(b"MK_TEST_UNITTESTKEY:unit-test-monnify-secret").decode()
    assert mocked.calls[0].request.headers["Authorization"] == f"Basic {expected}"
    assert mocked.calls[1].request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_token_is_refreshed_before_it_expires(mocked, client, clock):
    add_login(mocked, expires_in=3600)
    mocked.add(responses.GET, f"{BASE}/api/v1/banks", json=ok([]))
    client.banks()
    clock.now += 3600 - 61  # still more than 60 s left: reuse
    client.banks()
    assert len(logins(mocked)) == 1
    clock.now += 2  # less than 60 s left: refresh first
    client.banks()
    assert len(logins(mocked)) == 2


def test_a_401_drops_the_token_and_retries_once_with_a_fresh_one(mocked, client):
    add_login(mocked)
    mocked.add(responses.GET, f"{BASE}/api/v1/banks", status=401, json=refused("Access token expired"))
    mocked.add(responses.GET, f"{BASE}/api/v1/banks", json=ok([{"name": "GTBank", "code": "058"}]))
    assert [b.code for b in client.banks()] == ["058"]
    assert len(logins(mocked)) == 2


def test_a_second_401_is_an_auth_error_not_a_loop(mocked, client):
    add_login(mocked)
    mocked.add(responses.GET, f"{BASE}/api/v1/banks", status=401, json=refused("nope"))
    with pytest.raises(MonnifyAuthError) as exc:
        client.banks()
    assert exc.value.kind == "terminal"
    assert len(logins(mocked)) == 2


def test_bad_credentials_are_terminal(mocked, client):
    mocked.add(responses.POST, f"{BASE}/api/v1/auth/login", status=401, json=refused("Invalid credentials"))
    with pytest.raises(MonnifyAuthError):
        client.banks()


# ---- endpoints ----


def test_init_transaction_sends_naira_as_an_exact_json_number(mocked, client):
    add_login(mocked)
    mocked.add(responses.POST, f"{BASE}/api/v1/merchant/transactions/init-transaction", json=ok({
        "transactionReference": "MNFY|17|20250314112040|000311", "paymentReference": "topup_1",
        "merchantName": "M", "apiKey": "MK_TEST_X", "enabledPaymentMethod": ["CARD"],
        "checkoutUrl": "https://sandbox.sdk.monnify.com/checkout/MNFY|17|20250314112040|000311"}))
    result = client.init_transaction(amount_kobo=250050, payment_reference="topup_1", customer_email="a@b.ng",
                                     customer_name="A B", payment_description="Wallet top-up",
                                     redirect_url="http://x/return", meta_data={"wallet": "w1"})
    raw = mocked.calls[1].request.body.decode()
    assert '"amount":2500.50' in raw
    sent = json.loads(raw, parse_float=Decimal)
    assert sent["contractCode"] == "7059707855" and sent["currencyCode"] == "NGN"
    assert sent["metaData"] == {"wallet": "w1"} and sent["redirectUrl"] == "http://x/return"
    assert result.transaction_reference == "MNFY|17|20250314112040|000311"
    assert result.checkout_url.endswith("000311") and result.enabled_payment_methods == ("CARD",)


STATUS_BODY = {
    "transactionReference": "MNFY|47|20250314093012|004217", "paymentReference": "topup_1",
    "amountPaid": "25000.00", "totalPayable": "25000.00", "settlementAmount": "24950.00",
    "paidOn": "14/03/2025 09:30:12 AM", "paymentStatus": "PAID", "paymentDescription": "d", "currency": "NGN",
    "paymentMethod": "ACCOUNT_TRANSFER", "product": {"type": "WEB_SDK", "reference": "topup_1"},
    "cardDetails": None, "accountDetails": {"accountName": "C", "accountNumber": "******6789", "bankCode": "000014",
                                            "amountPaid": "25000.00"},
    "accountPayments": [{"accountName": "C", "accountNumber": "******6789", "bankCode": "000014",
                         "amountPaid": "25000.00"}],
    "customer": {"email": "a@b.ng", "name": "A"}, "metaData": {},
}


def test_transaction_status_url_encodes_the_pipes(mocked, client):
    add_login(mocked)
    mocked.add(responses.GET, f"{BASE}/api/v2/transactions/MNFY%7C47%7C20250314093012%7C004217", json=ok(STATUS_BODY))
    status = client.transaction_status("MNFY|47|20250314093012|004217")
    assert "MNFY%7C47%7C" in mocked.calls[1].request.url
    assert status.payment_status == "PAID" and status.is_paid
    assert status.amount_paid_kobo == 2500000 and status.settlement_amount_kobo == 2495000
    assert status.paid_on.isoformat() == "2025-03-14T08:30:12+00:00" and status.paid_on_raw.endswith("AM")
    assert status.product_type == "WEB_SDK" and status.payment_sources[0].account_number == "******6789"


def test_transaction_status_by_payment_reference_queries_by_payment_reference(mocked, client):
    add_login(mocked)
    mocked.add(responses.GET, f"{BASE}/api/v2/merchant/transactions/query", json=ok(STATUS_BODY),
               match=[matchers.query_param_matcher({"paymentReference": "a|b"})])
    status = client.transaction_status_by_payment_reference("a|b")
    assert "paymentReference=a%7Cb" in mocked.calls[1].request.url
    assert status.payment_reference == "topup_1"


def test_transaction_search(mocked, client):
    add_login(mocked)
    mocked.add(responses.GET, f"{BASE}/api/v1/transactions/search", json=ok({
        "content": [{"customerDTO": {"email": "a@b.ng", "name": "A"}, "paymentMethod": "CARD",
                     "createdOn": "2025-03-14T10:00:00.000+0000", "completedOn": None, "amount": 100.00,
                     "paymentStatus": "PENDING", "transactionReference": "MNFY|1", "paymentReference": "p1"}],
        "totalElements": 11, "totalPages": 2, "last": False, "size": 10, "number": 0}),
        match=[matchers.query_param_matcher({"page": "0", "size": "10", "from": "1", "to": "2",
                                             "paymentStatus": "PENDING"})])
    page = client.transaction_search(from_ms=1, to_ms=2, size=10, payment_status="PENDING")
    assert page.total_elements == 11 and not page.last
    assert page.items[0].amount_kobo == 10000 and page.items[0].customer_email == "a@b.ng"


RESERVED_BODY = {
    "contractCode": "7059707855", "accountReference": "wallet-1", "accountName": "Chi", "currencyCode": "NGN",
    "customerEmail": "c@x.ng", "customerName": "Chi O", "collectionChannel": "RESERVED_ACCOUNT",
    "accounts": [{"bankCode": "50515", "bankName": "Moniepoint Microfinance Bank", "accountNumber": "6254727989",
                  "accountName": "Chi"},
                 {"bankCode": "035", "bankName": "Wema bank", "accountNumber": "7206930470", "accountName": "Chi"}],
    "reservationReference": "NWA7DMJ0W2UDK1KN5SLF", "reservedAccountType": "GENERAL", "status": "ACTIVE",
    "createdOn": "2025-03-14 09:01:11.034", "bvn": "22233344455",
}


def test_reserved_account_create_and_get(mocked, client):
    add_login(mocked)
    mocked.add(responses.POST, f"{BASE}/api/v2/bank-transfer/reserved-accounts", json=ok(RESERVED_BODY))
    mocked.add(responses.GET, f"{BASE}/api/v2/bank-transfer/reserved-accounts/wallet-1", json=ok(RESERVED_BODY))
    created = client.reserved_account_create(account_reference="wallet-1", account_name="Chi",
                                             customer_email="c@x.ng", customer_name="Chi O", bvn="22233344455")
    sent = json.loads(mocked.calls[1].request.body)
    assert sent["bvn"] == "22233344455" and sent["getAllAvailableBanks"] is True
    assert [a.account_number for a in created.accounts] == ["6254727989", "7206930470"]
    assert created.created_on is not None and created.status == "ACTIVE"
    assert client.reserved_account_get("wallet-1") == created


DISBURSEMENT = {"amount": 100, "reference": "wd_1", "status": "SUCCESS", "dateCreated": "2026-06-27T08:32:49.289+00:00",
                "totalFee": Decimal("10.00"), "destinationAccountName": "T", "destinationBankName": "GTBank",
                "destinationAccountNumber": "0123456789", "destinationBankCode": "058",
                "comment": "Transaction successful"}


def _json(body):
    from payments.clients.monnify.parsing import dumps_compact

    return dumps_compact(body)


def test_disbursement_initiate(mocked, client):
    add_login(mocked)
    mocked.add(responses.POST, f"{BASE}/api/v2/disbursements/single", body=_json(ok(DISBURSEMENT)),
               content_type="application/json")
    result = client.disbursement_initiate(reference="wd_1", amount_kobo=10000, narration="Wallet withdrawal",
                                          destination_bank_code="058", destination_account_number="0123456789",
                                          destination_account_name="T")
    sent = mocked.calls[1].request.body.decode()
    assert '"amount":100.00' in sent and '"sourceAccountNumber":"9988776655"' in sent
    assert result.is_success and result.amount_kobo == 10000 and result.fee_kobo == 1000


def test_disbursement_answered_200_with_failed_is_returned_as_failed(mocked, client):
    add_login(mocked)
    body = dict(DISBURSEMENT, status="FAILED", totalFee=Decimal("0.00"),
                comment="You do not have sufficient balance to process this request. "
                        "Please fund your account and try again.")
    mocked.add(responses.POST, f"{BASE}/api/v2/disbursements/single", body=_json(ok(body)),
               content_type="application/json")
    result = client.disbursement_initiate(reference="wd_1", amount_kobo=10000, narration="n",
                                          destination_bank_code="058", destination_account_number="0123456789",
                                          destination_account_name="T")
    assert result.is_failed and not result.is_pending and "sufficient balance" in result.comment


def test_d07_is_terminal_with_its_code(mocked, client):
    add_login(mocked)
    mocked.add(responses.POST, f"{BASE}/api/v2/disbursements/single", status=400,
               json=refused("Duplicate request (D07)", code="D07"))
    with pytest.raises(MonnifyTerminalError) as exc:
        client.disbursement_initiate(reference="wd_2", amount_kobo=10000, narration="n", destination_bank_code="058",
                                     destination_account_number="0123456789", destination_account_name="T")
    assert exc.value.response_code == "D07" and exc.value.kind == "terminal"


def test_disbursement_otp_and_summary(mocked, client):
    add_login(mocked)
    mocked.add(responses.POST, f"{BASE}/api/v2/disbursements/single/validate-otp",
               body=_json(ok(DISBURSEMENT)), content_type="application/json",
               match=[matchers.json_params_matcher({"reference": "wd_1", "authorizationCode": "123456"})])
    mocked.add(responses.GET, f"{BASE}/api/v2/disbursements/single/summary", match=[
        matchers.query_param_matcher({"reference": "wd_1"})], body=_json(ok({
            "amount": Decimal("100.00"), "reference": "wd_1", "narration": "n", "currency": "NGN",
            "fee": Decimal("10.00"), "twoFaEnabled": True, "status": "REVERSED",
            "transactionDescription": "Transaction reversed", "transactionReference": "MFDS1",
            "createdOn": "2026-06-27T08:32:49.000+00:00"})), content_type="application/json")
    assert client.disbursement_validate_otp(reference="wd_1", authorization_code="123456").is_success
    summary = client.disbursement_summary("wd_1")
    assert summary.is_reversed and summary.transaction_reference == "MFDS1" and summary.fee_kobo == 1000


def test_wallet_balance_account_validate_banks(mocked, client):
    add_login(mocked)
    mocked.add(responses.GET, f"{BASE}/api/v2/disbursements/wallet-balance",
               match=[matchers.query_param_matcher({"accountNumber": "9988776655"})],
               json=ok({"availableBalance": "4919798101.36", "ledgerBalance": 4919798101}))
    mocked.add(responses.GET, f"{BASE}/api/v1/disbursements/account/validate",
               match=[matchers.query_param_matcher({"accountNumber": "0123456789", "bankCode": "058"})],
               json=ok({"accountNumber": "0123456789", "accountName": "EMEKA NWOSU", "bankCode": "058"}))
    mocked.add(responses.GET, f"{BASE}/api/v1/banks", json=ok([
        {"name": "GTBank", "code": "058", "ussdTemplate": "*737*1*Amount*AccountNumber#", "baseUssdCode": "*737#",
         "transferUssdTemplate": None}]))
    balance = client.wallet_balance()
    assert balance.available_kobo == 491979810136 and balance.ledger_kobo == 491979810100
    assert client.account_validate(account_number="0123456789", bank_code="058").account_name == "EMEKA NWOSU"
    assert client.banks()[0].code == "058"


def test_refund_initiate_and_get(mocked, client):
    add_login(mocked)
    body = {"refundReference": "rf_1", "transactionReference": "MNFY|1", "refundReason": "dup",
            "customerNote": "dup", "refundAmount": 5000, "refundType": "PARTIAL_REFUND",
            "refundStatus": "PENDING", "refundStrategy": "MERCHANT_WALLET", "comment": "in progress",
            "createdOn": "14/03/2025 04:23:37 PM", "completedOn": ""}
    mocked.add(responses.POST, f"{BASE}/api/v1/refunds/initiate-refund", json=ok(body))
    mocked.add(responses.GET, f"{BASE}/api/v1/refunds/rf_1", json=ok(dict(body, refundStatus="COMPLETED",
                                                                         completedOn="14/03/2025 4:24:05 PM")))
    started = client.refund_initiate(transaction_reference="MNFY|1", refund_reference="rf_1",
                                     refund_amount_kobo=500000, refund_reason="dup", customer_note="dup")
    assert '"refundAmount":5000.00' in mocked.calls[1].request.body.decode()
    assert started.refund_status == "IN_PROGRESS" and started.completed_on is None
    done = client.refund_get("rf_1")
    assert done.is_final and done.refund_amount_kobo == 500000 and done.completed_on is not None


# ---- failure classes ----


def test_a_read_is_retried_with_backoff_on_5xx_then_succeeds(mocked, recorded):
    sleeps = []
    client = MonnifyClient(recorder=lambda r, refs: recorded.append(r), sleep=sleeps.append, retry_attempts=3,
                           retry_backoff_s=0.2)
    add_login(mocked)
    mocked.add(responses.GET, f"{BASE}/api/v1/banks", status=502, body="Bad gateway")
    mocked.add(responses.GET, f"{BASE}/api/v1/banks", status=500, json=refused("boom"))
    mocked.add(responses.GET, f"{BASE}/api/v1/banks", json=ok([]))
    assert client.banks() == []
    assert sleeps == [0.2, 0.4]
    assert [r["status"] for r in recorded if r["operation"] == "banks"] == [502, 500, 200]


def test_a_read_gives_up_after_the_attempts_as_retryable(mocked, client):
    add_login(mocked)
    mocked.add(responses.GET, f"{BASE}/api/v1/banks", body=requests.ConnectionError("reset"))
    with pytest.raises(MonnifyRetryableError) as exc:
        client.banks()
    assert exc.value.is_retryable
    assert len([c for c in mocked.calls if "banks" in c.request.url]) == 3


def test_read_timeout_on_a_read_is_retryable(mocked, client):
    add_login(mocked)
    mocked.add(responses.GET, f"{BASE}/api/v2/disbursements/single/summary", body=requests.ReadTimeout("slow"))
    with pytest.raises(MonnifyRetryableError):
        client.disbursement_summary("wd_1")


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"body": requests.ReadTimeout("slow")}, MonnifyUnknownOutcome),
        ({"status": 500, "json": refused("error")}, MonnifyUnknownOutcome),
        ({"status": 504, "body": "<html>gateway</html>"}, MonnifyUnknownOutcome),
        ({"body": requests.ConnectionError("connection aborted")}, MonnifyUnknownOutcome),
        ({"status": 200, "body": "not json"}, MonnifyUnknownOutcome),
        ({"body": requests.ConnectTimeout("connect")}, MonnifyRetryableError),
        ({"status": 429, "json": refused("slow down")}, MonnifyRetryableError),
        ({"status": 400, "json": refused("amount is invalid")}, MonnifyTerminalError),
        ({"status": 403, "json": refused("Merchant is not permitted to perform this operation")}, MonnifyTerminalError),
        ({"status": 200, "json": refused("refused in a 200")}, MonnifyTerminalError),
    ],
)
def test_writes_are_never_retried_and_are_classified(mocked, client, answer, error):
    add_login(mocked)
    mocked.add(responses.POST, f"{BASE}/api/v2/disbursements/single", **answer)
    with pytest.raises(error) as exc:
        client.disbursement_initiate(reference="wd_9", amount_kobo=10000, narration="n", destination_bank_code="058",
                                     destination_account_number="0123456789", destination_account_name="T")
    assert type(exc.value) is error or isinstance(exc.value, error)
    assert len([c for c in mocked.calls if c.request.url.endswith("/single")]) == 1


def test_connection_refused_before_sending_is_retryable_even_for_a_write(settings):
    # given a port nothing listens on
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    settings.MONNIFY_BASE_URL = f"http://127.0.0.1:{port}"
    clear_token_cache()
    client = MonnifyClient(recorder=None, sleep=lambda s: None)
    with pytest.raises(MonnifyRetryableError):
        client.init_transaction(amount_kobo=10000, payment_reference="p", customer_email="a@b.ng",
                                customer_name="A", payment_description="d")


def test_not_found_is_its_own_terminal_class(mocked, client):
    add_login(mocked)
    mocked.add(responses.GET, f"{BASE}/api/v2/disbursements/single/summary", status=404,
               json=refused("Transfer not found"))
    with pytest.raises(MonnifyNotFound) as exc:
        client.disbursement_summary("nope")
    assert exc.value.kind == "terminal" and exc.value.http_status == 404


def test_an_unreadable_read_is_an_invalid_response(mocked, client):
    add_login(mocked)
    body = dict(STATUS_BODY, amountPaid="100.001")
    mocked.add(responses.GET, f"{BASE}/api/v2/transactions/x", json=ok(body))
    with pytest.raises(MonnifyInvalidResponse):
        client.transaction_status("x")


def test_a_read_nested_too_deeply_is_an_invalid_response(mocked, client):
    add_login(mocked)
    mocked.add(responses.GET, f"{BASE}/api/v2/transactions/x", body="[" * 20_000 + "]" * 20_000,
               content_type="application/json")
    with pytest.raises(MonnifyInvalidResponse):
        client.transaction_status("x")


def test_redirects_are_not_followed(mocked, client):
    add_login(mocked)
    mocked.add(responses.GET, f"{BASE}/api/v1/banks", status=302, headers={"Location": "http://evil.test/steal"})
    mocked.add(responses.GET, "http://evil.test/steal", json=ok([]))
    with pytest.raises(MonnifyTerminalError):
        client.banks()
    assert not any("evil.test" in c.request.url for c in mocked.calls)


def test_every_call_has_explicit_connect_and_read_timeouts(mocked, settings):
    settings.MONNIFY_CONNECT_TIMEOUT = 1.5
    settings.MONNIFY_READ_TIMEOUT = 7
    client = MonnifyClient(recorder=None)
    add_login(mocked)
    mocked.add(responses.GET, f"{BASE}/api/v1/banks", json=ok([]))
    client.banks()
    assert [c.request.req_kwargs["timeout"] for c in mocked.calls] == [(1.5, 7.0), (1.5, 7.0)]


# ---- audit record ----


def test_each_attempt_is_recorded_with_method_path_status_latency_and_references(mocked, client, recorded):
    add_login(mocked)
    mocked.add(responses.POST, f"{BASE}/api/v2/disbursements/single", body=_json(ok(DISBURSEMENT)),
               content_type="application/json")
    client.disbursement_initiate(reference="wd_1", amount_kobo=10000, narration="n", destination_bank_code="058",
                                 destination_account_number="0123456789", destination_account_name="T",
                                 audit_references=["withdrawal:abc"])
    login, call = recorded
    assert login[0]["operation"] == "login"
    record, refs = call
    assert record["method"] == "POST" and record["path"] == "/api/v2/disbursements/single"
    assert record["status"] == 200 and record["latency_ms"] >= 0 and record["outcome"] == "ok"
    assert refs == ["wd_1", "withdrawal:abc"]
    assert record["request"]["destinationAccountNumber"] == "******6789"
    assert record["response"]["responseBody"]["destinationAccountNumber"] == "******6789"


def test_failed_attempts_are_recorded_too(mocked, client, recorded):
    add_login(mocked)
    mocked.add(responses.POST, f"{BASE}/api/v2/disbursements/single", body=requests.ReadTimeout("slow"))
    with pytest.raises(MonnifyUnknownOutcome):
        client.disbursement_initiate(reference="wd_1", amount_kobo=10000, narration="n", destination_bank_code="058",
                                     destination_account_number="0123456789", destination_account_name="T")
    record = recorded[-1][0]
    assert record["status"] is None and record["outcome"] == "unknown" and "ReadTimeout" in record["error"]


def test_an_audit_failure_never_hides_the_answer(mocked):
    def broken(record, refs):
        raise RuntimeError("database down")

    client = MonnifyClient(recorder=broken)
    add_login(mocked)
    mocked.add(responses.GET, f"{BASE}/api/v1/banks", json=ok([{"name": "GTBank", "code": "058"}]))
    assert client.banks()[0].code == "058"


@pytest.mark.django_db
def test_secret_bearer_token_bvn_and_account_numbers_never_reach_the_audit_trail(mocked):
    from audit.models import AuditEvent

    # given the default recorder (audit_record) and a reserved account carrying a BVN
    client = MonnifyClient()
    add_login(mocked)
    mocked.add(responses.POST, f"{BASE}/api/v2/bank-transfer/reserved-accounts", json=ok(RESERVED_BODY))
    mocked.add(responses.GET, f"{BASE}/api/v1/disbursements/account/validate", status=400, json=refused(
        "Unable to process request. Name inquiry failed. Account 0103284195 Bank 044.  Invalid Account"))
    # when
    client.reserved_account_create(account_reference="wallet-1", account_name="Chi", customer_email="c@x.ng",
                                   customer_name="Chi O", bvn="22233344455", nin="12345678901")
    with pytest.raises(MonnifyTerminalError):
        client.account_validate(account_number="0103284195", bank_code="044")
    # then
    events = list(AuditEvent.objects.filter(action="monnify.api.call").order_by("id"))
    assert [e.payload["operation"] for e in events] == ["login", "reserved_account_create", "account_validate"]
    stored = json.dumps([e.payload for e in events])
    for secret in ("unit-test-monnify-secret", TOKEN, "22233344455", "12345678901", "6254727989", "7206930470",
                   "0103284195"):
        assert secret not in stored
    assert "wallet-1" in events[1].references
    assert events[0].actor_type == "provider" and events[0].actor_id == "monnify"
    assert events[2].payload["query"]["accountNumber"] == "******4195"
