"""Webhooks as Monnify sends them (bytes, signature, field sets of the samples, retries), and
every fault knob doing observably what it says. Rates are 0 or 1 so nothing depends on luck."""

import hashlib
import hmac
import json
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from payments.clients.monnify import MonnifyRetryableError, MonnifyUnknownOutcome

from ..conftest import wait_until
from .test_monnify_api import reserve, transfer

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "monnify_webhooks"
SECRET = "unit-test-monnify-secret"


def same_shape(sample, ours, where="$"):
    """Same keys at every level and the same JSON kind (number, string, bool, object, array)."""
    if isinstance(sample, dict):
        assert isinstance(ours, dict), where
        assert set(ours) == set(sample), f"{where}: {sorted(set(ours) ^ set(sample))}"
        for key in sample:
            same_shape(sample[key], ours[key], f"{where}.{key}")
    elif isinstance(sample, list):
        assert isinstance(ours, list), where
        if sample and ours:
            same_shape(sample[0], ours[0], f"{where}[0]")
    elif sample is not None:
        kind = {bool: "bool", int: "number", float: "number", str: "string"}
        assert kind[type(ours)] == kind[type(sample)], f"{where}: {ours!r} vs {sample!r}"


def sample(name):
    return json.loads((SAMPLES / name).read_text())


def checkout(mon, reference, amount=1000):
    return mon.post("/api/v1/merchant/transactions/init-transaction", {
        "amount": amount, "customerEmail": "a@b.ng", "customerName": "A B", "paymentReference": reference,
        "paymentDescription": "Wallet top-up", "contractCode": "7059707855"}).json()["responseBody"][
        "transactionReference"]


def test_webhooks_are_compact_signed_and_shaped_like_the_samples(mon, control, receiver):
    # given one of each event the sandbox produces
    account = reserve(mon).json()["responseBody"]["accounts"][0]["accountNumber"]
    control.post(f"/sandbox/reserved-accounts/{account}/payments", {"amount": "25000.00"})
    card = checkout(mon, "p-card")
    control.post(f"/sandbox/checkouts/{card}/complete", {"outcome": "PAID", "payment_method": "CARD"})
    under = checkout(mon, "p-under")
    control.post(f"/sandbox/checkouts/{under}/complete", {"outcome": "PARTIALLY_PAID"})
    transfer(mon, "wd_ok", amount=15000)
    control.post("/sandbox/disbursements/wd_ok/resolve", {"status": "REVERSED"})
    control.config(disbursement_outcome="FAILED")
    transfer(mon, "wd_bad", amount=7500)
    control.config(refund_outcome="COMPLETED", refund_settle_ms=0)
    paid = checkout(mon, "p-rf")
    control.post(f"/sandbox/checkouts/{paid}/complete", {"outcome": "PAID"})
    mon.post("/api/v1/refunds/initiate-refund", {"transactionReference": paid, "refundReference": "rf_ok",
                                                 "refundAmount": 500, "refundReason": "r", "customerNote": "n"})
    control.config(refund_outcome="FAILED")
    mon.post("/api/v1/refunds/initiate-refund", {"transactionReference": paid, "refundReference": "rf_bad",
                                                 "refundAmount": 100, "refundReason": "r", "customerNote": "n"})
    # when they are delivered
    calls = receiver.wait_for(9)
    # then every body is compact JSON, signed over its exact bytes, and shaped like Monnify's sample
    by_type = {}
    for call in calls:
        body = call["body"]
        assert call["path"] == "/webhooks/monnify"
        assert call["headers"]["content-type"] == "application/json"
        expected = hmac.new(SECRET.encode(), body, hashlib.sha512).hexdigest()
        assert call["headers"]["monnify-signature"] == expected
        parsed = json.loads(body)
        assert json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode() == body
        by_type.setdefault(parsed["eventType"], []).append(parsed)
    txns = by_type["SUCCESSFUL_TRANSACTION"]
    reserved = next(t for t in txns if t["eventData"]["product"]["type"] == "RESERVED_ACCOUNT")
    same_shape(sample("SUCCESSFUL_TRANSACTION.json"), reserved)
    assert reserved["eventData"]["product"]["reference"] == "wallet-1"
    card_event = next(t for t in txns if t["eventData"]["paymentMethod"] == "CARD")
    same_shape(sample("variants/SUCCESSFUL_TRANSACTION.web_sdk_card.json")["eventData"]["cardDetails"],
               card_event["eventData"]["cardDetails"])
    assert card_event["eventData"]["paymentSourceInformation"] == []
    same_shape(sample("REJECTED_PAYMENT.json"), by_type["REJECTED_PAYMENT"][0])
    for event_type in ("SUCCESSFUL_DISBURSEMENT", "REVERSED_DISBURSEMENT", "FAILED_DISBURSEMENT",
                       "SUCCESSFUL_REFUND", "FAILED_REFUND"):
        same_shape(sample(f"{event_type}.json"), by_type[event_type][0])
    views = wait_until(lambda: all(w["delivered"] for w in control.webhooks()) and control.webhooks())
    assert all(w["attempts"] == 1 for w in views)
    assert {w["reference"] for w in views} >= {"wd_ok", "wd_bad", "rf_ok", "rf_bad"}


def test_redelivery_on_non_200_per_webhook_retry(mon, control, receiver):
    control.config(webhook_retry={"attempts": 3, "interval_s": 0.05})
    receiver.statuses = [500, 503]
    transfer(mon, "wd_retry")
    calls = receiver.wait_for(3)
    assert [c["status"] for c in calls] == [500, 503, 200]
    assert calls[0]["body"] == calls[2]["body"]
    assert calls[2]["at"] - calls[1]["at"] >= 0.04
    hook = wait_until(lambda: [w for w in control.webhooks() if w["delivered"]])[0]
    assert hook["attempts"] == 3


def test_retries_stop_after_the_configured_attempts(mon, control, receiver):
    control.config(webhook_retry={"attempts": 2, "interval_s": 0.02})
    receiver.statuses = [500] * 10
    transfer(mon, "wd_fail")
    receiver.wait_for(2)
    time.sleep(0.2)
    assert len(receiver.calls) == 2
    hook = control.webhooks()[0]
    assert hook["attempts"] == 2 and hook["delivered"] is False
    # and a manual redelivery sends it again
    receiver.statuses = []
    control.post(f"/sandbox/webhooks/{hook['id']}/redeliver")
    receiver.wait_for(3)
    wait_until(lambda: control.webhooks()[0]["delivered"])


def test_webhook_duplicates(mon, control, receiver):
    control.config(faults={"webhook_duplicates": 2})
    transfer(mon, "wd_dupes")
    calls = receiver.wait_for(3)
    time.sleep(0.1)
    assert len(receiver.calls) == 3 and len({c["body"] for c in calls}) == 1


def test_webhook_delay(mon, control, receiver):
    control.config(faults={"webhook_delay_ms": [300, 300]})
    started = time.monotonic()
    transfer(mon, "wd_slow")
    calls = receiver.wait_for(1)
    assert calls[0]["at"] - started >= 0.29


def test_webhook_shuffle_delivers_out_of_order(mon, control, receiver):
    control.config(seed=7, faults={"webhook_shuffle": True, "webhook_shuffle_window_ms": 600})
    for i in range(8):
        transfer(mon, f"wd_{i}", amount=100 + i)
    calls = receiver.wait_for(8)
    order = [json.loads(c["body"])["eventData"]["reference"] for c in calls]
    assert sorted(order) == [f"wd_{i}" for i in range(8)]
    assert order != [f"wd_{i}" for i in range(8)]


def test_webhook_drop_rate(mon, control, receiver):
    control.config(faults={"webhook_drop_rate": 1.0})
    transfer(mon, "wd_drop")
    time.sleep(0.2)
    assert receiver.calls == []
    hook = control.webhooks()[0]
    assert hook["dropped"] is True and hook["attempts"] == 0
    control.post(f"/sandbox/webhooks/{hook['id']}/redeliver")
    receiver.wait_for(1)


def test_omit_and_corrupt_signature(mon, control, receiver):
    control.config(omit_signature=True)
    transfer(mon, "wd_nosig", amount=100)
    assert "monnify-signature" not in receiver.wait_for(1)[0]["headers"]
    control.config(omit_signature=False, corrupt_signature=True)
    transfer(mon, "wd_badsig", amount=101)
    call = receiver.wait_for(2)[1]
    assert call["headers"]["monnify-signature"] != hmac.new(SECRET.encode(), call["body"], hashlib.sha512).hexdigest()


def test_webhook_urls_per_category(mon, control, receiver):
    control.config(webhook_urls={"disbursement": receiver.url + "/disbursements"})
    transfer(mon, "wd_cat")
    account = reserve(mon).json()["responseBody"]["accounts"][0]["accountNumber"]
    control.post(f"/sandbox/reserved-accounts/{account}/payments", {"amount": "100"})
    paths = sorted(c["path"] for c in receiver.wait_for(2))
    assert paths == ["/disbursements", "/webhooks/monnify"]


def test_custom_webhook_for_other_event_types(control, receiver):
    event = sample("SETTLEMENT.json")
    control.post("/sandbox/webhooks", event)
    call = receiver.wait_for(1)[0]
    assert json.loads(call["body"]) == event


@pytest.mark.parametrize("disagree_with", ["PENDING", "FAILED"])
def test_status_disagrees_rate(mon, control, receiver, disagree_with):
    control.config(faults={"status_disagrees_rate": 1.0, "status_disagrees_with": disagree_with})
    ref = checkout(mon, "p-disagree")
    control.post(f"/sandbox/checkouts/{ref}/complete", {"outcome": "PAID"})
    webhook = json.loads(receiver.wait_for(1)[0]["body"])
    assert webhook["eventData"]["paymentStatus"] == "PAID"
    status = mon.get(f"/api/v2/transactions/{ref}").json()["responseBody"]
    assert status["paymentStatus"] == disagree_with and status["amountPaid"] == "0.00"


def test_status_disagreement_can_heal(mon, control):
    control.config(faults={"status_disagrees_rate": 1.0, "status_disagrees_for_s": 0.2})
    ref = checkout(mon, "p-heal")
    control.post(f"/sandbox/checkouts/{ref}/complete", {"outcome": "PAID"})
    assert mon.get(f"/api/v2/transactions/{ref}").json()["responseBody"]["paymentStatus"] == "PENDING"
    time.sleep(0.25)
    assert mon.get(f"/api/v2/transactions/{ref}").json()["responseBody"]["paymentStatus"] == "PAID"


def test_api_error_rate_answers_500_before_doing_anything(mon, control):
    mon.login()
    control.config(faults={"api_error_rate": 1.0})
    response = transfer(mon, "wd_500")
    assert response.status_code == 500 and response.json()["responseCode"] == "99"
    control.config(faults={"api_error_rate": 0.0})
    assert control.get("/sandbox/disbursements") == []
    assert [r["fault"] for r in control.get("/sandbox/requests") if r["path"].endswith("/single")] == ["api_error"]


def test_api_error_after_commit_rate_does_the_work_then_answers_500(mon, control):
    mon.login()
    control.config(faults={"api_error_after_commit_rate": 1.0})
    assert transfer(mon, "wd_commit").status_code == 500
    control.config(faults={"api_error_after_commit_rate": 0.0})
    assert [d["reference"] for d in control.get("/sandbox/disbursements")] == ["wd_commit"]
    assert mon.get("/api/v2/disbursements/single/summary", reference="wd_commit").status_code == 200


def test_api_fault_paths_limit_where_faults_apply(mon, control):
    control.config(faults={"api_error_rate": 1.0, "api_fault_paths": ["/api/v2/disbursements/"]})
    assert mon.get("/api/v1/banks").status_code == 200
    assert transfer(mon, "wd_scoped").status_code == 500


def test_api_timeout_rate_hangs_past_the_client_timeout_without_blocking_others(sandbox_client, control):
    # given a logged-in client with a short read timeout, and hanging calls
    sandbox_client.read_timeout = 0.5
    sandbox_client.retry_attempts = 1
    sandbox_client.login()
    control.config(api_timeout_s=3, faults={"api_timeout_rate": 1.0, "api_fault_paths": ["/api/v2/disbursements/"]})
    # when a transfer hangs
    started = time.monotonic()
    with pytest.raises(MonnifyUnknownOutcome):
        sandbox_client.disbursement_initiate(reference="wd_hang", amount_kobo=10000, narration="n",
                                             destination_bank_code="058", destination_account_number="0123456789",
                                             destination_account_name="A")
    assert 0.45 <= time.monotonic() - started < 2.5
    # then other calls are served meanwhile, and the work was done (api_timeout_after_commit)
    results = []
    threads = [threading.Thread(target=lambda: results.append(requests.get(
        control.url + "/sandbox/health", timeout=2).status_code)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200, 200, 200]
    control.config(faults={"api_timeout_rate": 0.0})
    assert sandbox_client.disbursement_summary("wd_hang").status in ("SUCCESS",)
    # and a read that keeps hanging is retryable
    control.config(faults={"api_timeout_rate": 1.0})
    with pytest.raises(MonnifyRetryableError):
        sandbox_client.disbursement_summary("wd_hang")


def test_wallet_balance_knob(mon, control):
    control.config(wallet_balance="123.45")
    body = mon.get("/api/v2/disbursements/wallet-balance", accountNumber=settings.MONNIFY_WALLET_ACCOUNT_NUMBER
                   ).json()["responseBody"]
    assert str(body["availableBalance"]) == "123.45"
