"""The sandbox speaks Monnify: paths, envelopes (string responseCode), fields, formats, and the
awkward behaviours of MONNIFY.md §9 (expiring tokens, MNFY|.. references, 200-with-FAILED, D07,
OTP, R-codes)."""

import re
import time

import pytest
import requests

from payments.sandbox.server import SandboxServer

MNFY_RE = re.compile(r"^MNFY\|\d{2}\|\d{14}\|\d{6}$")


def reserve(mon, reference="wallet-1", **extra):
    body = {"accountReference": reference, "accountName": "Chidinma Okafor", "currencyCode": "NGN",
            "contractCode": "7059707855", "customerEmail": "c@x.ng", "customerName": "Chidinma Okafor",
            "bvn": "22233344455", "getAllAvailableBanks": True, **extra}
    return mon.post("/api/v2/bank-transfer/reserved-accounts", body)


def transfer(mon, reference, amount=1500, account="0123456789", bank="058"):
    return mon.post("/api/v2/disbursements/single", {
        "amount": amount, "reference": reference, "narration": "Wallet withdrawal", "destinationBankCode": bank,
        "destinationAccountNumber": account, "destinationAccountName": "EMEKA NWOSU", "currency": "NGN",
        "sourceAccountNumber": "9988776655"})


def test_login_envelope_and_auth_failures(sandbox, mon):
    response = requests.post(sandbox.url + "/api/v1/auth/login", timeout=5)
    assert response.status_code == 401
    assert response.json() == {"requestSuccessful": False, "responseCode": "99",
                               "responseMessage": "Unauthorized, supply authorization header"}
    bad = requests.post(sandbox.url + "/api/v1/auth/login", auth=("MK_TEST_UNITTESTKEY", "wrong"), timeout=5)
    assert bad.status_code == 401 and bad.json()["responseCode"] == "99"
    token = mon.login()
    assert token.startswith("eyJ") and token.count(".") == 2
    no_token = requests.get(sandbox.url + "/api/v1/banks", timeout=5)
    assert no_token.status_code == 401 and no_token.json()["responseCode"] == "99"


def test_tokens_expire_after_token_ttl_and_on_demand(mon, control):
    control.config(token_ttl_s=0.3)
    login = requests.post(mon.url + "/api/v1/auth/login", auth=("MK_TEST_UNITTESTKEY", "unit-test-monnify-secret"),
                          timeout=5).json()
    assert login["responseBody"]["expiresIn"] == 0  # int seconds, as Monnify sends
    mon.token = login["responseBody"]["accessToken"]
    time.sleep(0.35)
    assert mon.get("/api/v1/banks").status_code == 401
    control.config(token_ttl_s=3600)
    mon.login()
    assert mon.get("/api/v1/banks").status_code == 200
    assert control.post("/sandbox/tokens/expire")["expired"] >= 1
    assert mon.get("/api/v1/banks").status_code == 401


def test_init_transaction_and_status_formats(mon, control):
    response = mon.post("/api/v1/merchant/transactions/init-transaction", {
        "amount": 2500.50, "customerName": "A B", "customerEmail": "a@b.ng", "paymentReference": "topup_1",
        "paymentDescription": "Wallet top-up", "currencyCode": "NGN", "contractCode": "7059707855",
        "redirectUrl": "http://127.0.0.1:8000/payments/return", "metadata": {"w": "1"}})
    assert response.status_code == 200
    envelope = response.json()
    assert envelope["responseCode"] == "0" and envelope["requestSuccessful"] is True
    body = envelope["responseBody"]
    ref = body["transactionReference"]
    assert MNFY_RE.match(ref) and body["paymentReference"] == "topup_1"
    assert body["checkoutUrl"].endswith(f"/checkout/{ref}") and body["enabledPaymentMethod"]
    # pending, by transactionReference (pipes percent-encoded) and by paymentReference
    pending = mon.get("/api/v2/transactions/" + ref.replace("|", "%7C")).json()["responseBody"]
    assert pending["paymentStatus"] == "PENDING" and pending["amountPaid"] == "0.00" and pending["paidOn"] is None
    assert pending["metaData"] == {"w": "1"}
    # paid
    control.post(f"/sandbox/checkouts/{ref}/complete", {"outcome": "PAID"})
    paid = mon.get("/api/v2/merchant/transactions/query", paymentReference="topup_1").json()["responseBody"]
    assert paid["paymentStatus"] == "PAID" and paid["amountPaid"] == "2500.50" and paid["totalPayable"] == "2500.50"
    assert isinstance(paid["settlementAmount"], str)
    assert re.match(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2} [AP]M$", paid["paidOn"])
    assert paid["accountDetails"]["accountNumber"].startswith("******")
    # duplicates and bad input
    again = mon.post("/api/v1/merchant/transactions/init-transaction", {
        "amount": 100, "customerEmail": "a@b.ng", "paymentReference": "topup_1", "contractCode": "7059707855"})
    assert again.status_code == 400 and again.json()["responseCode"] == "99"
    assert mon.get("/api/v2/transactions/MNFY%7C00%7Cnope").status_code == 404


@pytest.mark.parametrize(("outcome", "paid", "status"), [
    ("PARTIALLY_PAID", "500.00", "PARTIALLY_PAID"), ("OVERPAID", "1200.00", "OVERPAID"), ("FAILED", None, "FAILED"),
    ("EXPIRED", None, "EXPIRED")])
def test_checkout_outcomes(mon, control, outcome, paid, status):
    ref = mon.post("/api/v1/merchant/transactions/init-transaction", {
        "amount": "1000.00", "customerEmail": "a@b.ng", "paymentReference": f"p-{outcome}",
        "contractCode": "7059707855"}).json()["responseBody"]["transactionReference"]
    control.post(f"/sandbox/checkouts/{ref}/complete", {"outcome": outcome, **({"amount_paid": paid} if paid else {})})
    body = mon.get(f"/api/v2/transactions/{ref}").json()["responseBody"]
    assert body["paymentStatus"] == status
    assert body["amountPaid"] == (paid or "0.00")
    control.post(f"/sandbox/checkouts/{ref}/complete", {"outcome": "PAID"}, expect=409)


def test_unpaid_checkouts_expire_after_checkout_expiry(mon, control):
    control.config(checkout_expiry_s=0.2)
    ref = mon.post("/api/v1/merchant/transactions/init-transaction", {
        "amount": 100, "customerEmail": "a@b.ng", "paymentReference": "p-exp", "contractCode": "7059707855"}
    ).json()["responseBody"]["transactionReference"]
    time.sleep(0.25)
    assert mon.get(f"/api/v2/transactions/{ref}").json()["responseBody"]["paymentStatus"] == "EXPIRED"


def test_checkout_page_and_form(sandbox, mon):
    ref = mon.post("/api/v1/merchant/transactions/init-transaction", {
        "amount": 100, "customerEmail": "a@b.ng", "paymentReference": "p-page", "contractCode": "7059707855",
        "redirectUrl": "http://127.0.0.1:8000/payments/return"}).json()["responseBody"]["transactionReference"]
    page = requests.get(f"{sandbox.url}/checkout/{ref}", timeout=5)
    assert page.status_code == 200 and "PENDING" in page.text and "Paid" in page.text
    done = requests.post(f"{sandbox.url}/checkout/{ref.replace('|', '%7C')}", data={"outcome": "PAID"},
                         allow_redirects=False, timeout=5)
    assert done.status_code == 303
    assert done.headers["Location"] == "http://127.0.0.1:8000/payments/return?paymentReference=p-page"


def test_reserved_accounts(mon, control):
    body = reserve(mon).json()["responseBody"]
    assert body["collectionChannel"] == "RESERVED_ACCOUNT" and body["status"] == "ACTIVE"
    assert len(body["reservationReference"]) == 20 and body["reservationReference"].isupper()
    assert [a["bankCode"] for a in body["accounts"]] == ["50515", "035"]
    assert all(len(a["accountNumber"]) == 10 and a["accountNumber"].isdigit() for a in body["accounts"])
    assert reserve(mon).status_code == 422  # same accountReference
    assert reserve(mon, "wallet-2", bvn=None).status_code == 400  # neither bvn nor nin
    one_bank = reserve(mon, "wallet-3", getAllAvailableBanks=False, preferredBanks=["035"]).json()["responseBody"]
    assert [a["bankCode"] for a in one_bank["accounts"]] == ["035"]
    # a payment lands
    number = body["accounts"][0]["accountNumber"]
    landed = control.post(f"/sandbox/reserved-accounts/{number}/payments", {"amount": "2500.00", "payer_name": "X Y"})
    assert MNFY_RE.match(landed["transactionReference"])
    status = mon.get(f"/api/v2/transactions/{landed['transactionReference']}").json()["responseBody"]
    assert status["product"] == {"type": "RESERVED_ACCOUNT", "reference": "wallet-1"}
    assert status["paymentReference"] == status["transactionReference"] and status["amountPaid"] == "2500.00"
    got = mon.get("/api/v2/bank-transfer/reserved-accounts/wallet-1").json()["responseBody"]
    assert got["transactionCount"] == 1
    assert mon.get("/api/v1/bank-transfer/reserved-accounts/transactions", accountReference="wallet-1"
                   ).json()["responseBody"]["totalElements"] == 1
    assert mon.get("/api/v2/bank-transfer/reserved-accounts/nope").status_code == 404


def test_search_filters_and_pages(mon, control):
    refs = []
    for i in range(3):
        refs.append(mon.post("/api/v1/merchant/transactions/init-transaction", {
            "amount": 100 + i, "customerEmail": "a@b.ng", "paymentReference": f"s{i}", "contractCode": "7059707855"}
        ).json()["responseBody"]["transactionReference"])
    control.post(f"/sandbox/checkouts/{refs[0]}/complete", {"outcome": "PAID"})
    page = mon.get("/api/v1/transactions/search", page=0, size=2).json()["responseBody"]
    assert page["totalElements"] == 3 and page["totalPages"] == 2 and len(page["content"]) == 2 and not page["last"]
    paid = mon.get("/api/v1/transactions/search", paymentStatus="PAID").json()["responseBody"]
    assert [c["transactionReference"] for c in paid["content"]] == [refs[0]]
    future = int(time.time() * 1000) + 60_000
    assert mon.get("/api/v1/transactions/search", **{"from": future}).json()["responseBody"]["totalElements"] == 0
    assert mon.get("/api/v1/transactions/search", to=future).json()["responseBody"]["totalElements"] == 3


def test_transfer_success_summary_and_wallet_debit(mon, control):
    control.config(wallet_balance="10000.00")
    body = transfer(mon, "wd_1", amount=1500).json()["responseBody"]
    assert body["status"] == "SUCCESS" and body["amount"] == 1500 and body["totalFee"] == 10.0
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$", body["dateCreated"])
    summary = mon.get("/api/v2/disbursements/single/summary", reference="wd_1").json()["responseBody"]
    assert summary["status"] == "SUCCESS" and summary["transactionReference"].startswith("MFDS")
    assert summary["sourceAccountNumber"] == "9988776655"
    balance = mon.get("/api/v2/disbursements/wallet-balance", accountNumber="9988776655").json()["responseBody"]
    assert balance["availableBalance"] == 10000 - 1500 - 10
    assert mon.get("/api/v2/disbursements/single/summary", reference="nope").status_code == 404


def test_insufficient_balance_is_200_with_failed(mon, control):
    control.config(wallet_balance="100.00")
    response = transfer(mon, "wd_poor", amount=1500)
    assert response.status_code == 200
    envelope = response.json()
    assert envelope["requestSuccessful"] is True and envelope["responseCode"] == "0"
    assert envelope["responseBody"]["status"] == "FAILED"
    assert envelope["responseBody"]["comment"] == (
        "You do not have sufficient balance to process this request. Please fund your account and try again.")
    assert control.config()["wallet_balance"] == "100.00"


def test_repeated_reference_returns_the_original_and_counts_calls(mon, control):
    first = transfer(mon, "wd_dup").json()["responseBody"]
    again = transfer(mon, "wd_dup").json()["responseBody"]
    assert again == first
    assert {d["reference"]: d["initiate_calls"] for d in control.get("/sandbox/disbursements")} == {"wd_dup": 2}
    control.config(duplicate_reference="error")
    assert transfer(mon, "wd_dup").status_code == 400


def test_d07_same_account_and_amount_within_the_window(mon, control):
    control.config(d07_window_s=120)
    assert transfer(mon, "wd_a", amount=2000).status_code == 200
    duplicate = transfer(mon, "wd_b", amount=2000)
    assert duplicate.status_code == 400
    assert duplicate.json()["responseCode"] == "D07" and duplicate.json()["requestSuccessful"] is False
    assert transfer(mon, "wd_c", amount=2001).status_code == 200  # a different amount is fine
    control.config(d07_window_s=0)
    assert transfer(mon, "wd_d", amount=2000).status_code == 200


def test_otp_flow(mon, control):
    control.config(otp_required=True)
    body = transfer(mon, "wd_otp").json()["responseBody"]
    assert body["status"] == "PENDING_AUTHORIZATION"
    wrong = mon.post("/api/v2/disbursements/single/validate-otp", {"reference": "wd_otp", "authorizationCode": "1"})
    assert wrong.status_code == 400
    resend = mon.post("/api/v2/disbursements/single/resend-otp", {"reference": "wd_otp"}).json()["responseBody"]
    assert "Authorization code" in resend["message"]
    done = mon.post("/api/v2/disbursements/single/validate-otp",
                    {"reference": "wd_otp", "authorizationCode": "123456"}).json()["responseBody"]
    assert done["status"] == "SUCCESS"
    summary = mon.get("/api/v2/disbursements/single/summary", reference="wd_otp").json()["responseBody"]
    assert summary["twoFaEnabled"] is True


def test_disbursement_outcomes_and_resolve(mon, control):
    control.config(disbursement_outcome="FAILED")
    assert transfer(mon, "wd_f").json()["responseBody"]["status"] == "FAILED"
    control.config(disbursement_outcome="PENDING", wallet_balance="5000.00")
    assert transfer(mon, "wd_p", amount=1000).json()["responseBody"]["status"] == "PENDING"
    assert control.config()["wallet_balance"] == "3990.00"  # held while pending
    control.post("/sandbox/disbursements/wd_p/resolve", {"status": "FAILED"})
    assert control.config()["wallet_balance"] == "5000.00"  # given back
    control.post("/sandbox/disbursements/wd_p/resolve", {"status": "SUCCESS"}, expect=409)
    control.config(disbursement_outcome="SUCCESS")
    transfer(mon, "wd_s", amount=1000)
    control.post("/sandbox/disbursements/wd_s/resolve", {"status": "REVERSED"})
    summary = mon.get("/api/v2/disbursements/single/summary", reference="wd_s").json()["responseBody"]
    assert summary["status"] == "REVERSED" and control.config()["wallet_balance"] == "5000.00"


def test_async_transfers_settle_later(mon, control):
    control.config(async_settle_ms=50)
    response = mon.post("/api/v2/disbursements/single", {
        "amount": 100, "reference": "wd_async", "narration": "n", "destinationBankCode": "058",
        "destinationAccountNumber": "0123456789", "destinationAccountName": "A", "currency": "NGN",
        "sourceAccountNumber": "9988776655", "async": True})
    assert response.json()["responseBody"]["status"] == "PENDING"
    deadline = time.monotonic() + 5
    while mon.get("/api/v2/disbursements/single/summary", reference="wd_async"
                  ).json()["responseBody"]["status"] != "SUCCESS":
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_account_validate_and_banks(mon, control):
    ok = mon.get("/api/v1/disbursements/account/validate", accountNumber="0123456789", bankCode="058").json()
    again = mon.get("/api/v1/disbursements/account/validate", accountNumber="0123456789", bankCode="058").json()
    assert ok["responseBody"]["accountName"] == again["responseBody"]["accountName"] != ""
    bad = mon.get("/api/v1/disbursements/account/validate", accountNumber="0001234567", bankCode="044")
    assert bad.status_code == 400 and bad.json()["responseCode"] == "99"
    assert "Name inquiry failed" in bad.json()["responseMessage"] and "Invalid Account" in bad.json()["responseMessage"]
    control.config(invalid_accounts=["1234567890"])
    assert mon.get("/api/v1/disbursements/account/validate", accountNumber="1234567890", bankCode="058"
                   ).status_code == 400
    banks = mon.get("/api/v1/banks").json()["responseBody"]
    codes = {b["code"] for b in banks}
    assert {"058", "044", "057", "011", "033", "035", "50515", "999992"} <= codes
    assert set(banks[0]) == {"name", "code", "ussdTemplate", "baseUssdCode", "transferUssdTemplate"}


def test_refunds_and_r_codes(mon, control):
    ref = mon.post("/api/v1/merchant/transactions/init-transaction", {
        "amount": 1000, "customerEmail": "a@b.ng", "paymentReference": "p-rf", "contractCode": "7059707855"}
    ).json()["responseBody"]["transactionReference"]

    def refund(reference, amount, txn=ref):
        return mon.post("/api/v1/refunds/initiate-refund", {
            "transactionReference": txn, "refundReference": reference, "refundAmount": amount,
            "refundReason": "Duplicate top-up", "customerNote": "Dup refund"})

    assert refund("rf_0", 100).json()["responseCode"] == "R2"  # not paid yet
    control.post(f"/sandbox/checkouts/{ref}/complete", {"outcome": "PAID"})
    assert refund("rf_x", 100, txn="MNFY|00|20250101000000|000000").json()["responseCode"] == "R1"
    assert refund("rf_big", 1000.01).json()["responseCode"] == "R3"
    body = refund("rf_1", 400).json()["responseBody"]
    assert body["refundStatus"] == "IN_PROGRESS" and body["refundType"] == "PARTIAL_REFUND"
    assert body["completedOn"] == ""
    assert refund("rf_1", 100).json()["responseCode"] == "R9"
    assert refund("rf_2", 700).json()["responseCode"] == "R12"
    assert mon.get("/api/v1/refunds/nope").json()["responseCode"] == "R7"
    control.post("/sandbox/refunds/rf_1/resolve", {"status": "COMPLETED"})
    done = mon.get("/api/v1/refunds/rf_1").json()["responseBody"]
    assert done["refundStatus"] == "COMPLETED" and done["completedOn"]
    control.config(refund_outcome="FAILED", refund_settle_ms=10)
    refund("rf_3", 100)
    deadline = time.monotonic() + 5
    while mon.get("/api/v1/refunds/rf_3").json()["responseBody"]["refundStatus"] != "FAILED":
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_control_api_validates_config_and_reset_forgets(mon, control):
    response = requests.patch(control.url + "/sandbox/config", json={"faults": {"api_error_rate": 2}}, timeout=5)
    assert response.status_code == 400 and "api_error_rate" in response.json()["error"]
    assert requests.patch(control.url + "/sandbox/config", json={"nope": 1}, timeout=5).status_code == 400
    assert control.config()["secret_key"].endswith("cret") and "unit-test" not in control.config()["secret_key"]
    transfer(mon, "wd_r")
    assert control.get("/sandbox/disbursements")
    assert any(r["path"] == "/api/v2/disbursements/single" for r in control.get("/sandbox/requests"))
    control.post("/sandbox/reset")
    assert control.get("/sandbox/disbursements") == [] and control.get("/sandbox/requests") == []


def test_only_loopback():
    with pytest.raises(ValueError):
        SandboxServer(host="0.0.0.0")  # noqa: S104
