"""Contract tests: the real client against the running sandbox over real HTTP."""

import time

import pytest

from payments.clients.monnify import (
    MonnifyClient,
    MonnifyNotFound,
    MonnifyRetryableError,
    MonnifyTerminalError,
    MonnifyUnknownOutcome,
)


def test_collections_round_trip(sandbox_client, control):
    init = sandbox_client.init_transaction(amount_kobo=250050, payment_reference="topup_c1", customer_email="a@b.ng",
                                           customer_name="A B", payment_description="Wallet top-up",
                                           meta_data={"wallet": "w1"})
    assert init.transaction_reference.startswith("MNFY|") and init.checkout_url
    pending = sandbox_client.transaction_status(init.transaction_reference)
    assert pending.payment_status == "PENDING" and pending.amount_paid_kobo == 0 and pending.paid_on is None
    control.post(f"/sandbox/checkouts/{init.transaction_reference}/complete", {"outcome": "PAID"})
    paid = sandbox_client.transaction_status_by_payment_reference("topup_c1")
    assert paid.is_paid and paid.amount_paid_kobo == 250050 and paid.total_payable_kobo == 250050
    assert paid.paid_on is not None and paid.meta_data == {"wallet": "w1"}
    assert paid.payment_sources and paid.payment_sources[0].amount_paid_kobo == 250050
    page = sandbox_client.transaction_search(payment_status="PAID")
    assert [t.transaction_reference for t in page.items] == [init.transaction_reference]
    with pytest.raises(MonnifyNotFound):
        sandbox_client.transaction_status("MNFY|00|20250101000000|000000")
    with pytest.raises(MonnifyTerminalError):
        sandbox_client.init_transaction(amount_kobo=250050, payment_reference="topup_c1", customer_email="a@b.ng",
                                        customer_name="A B", payment_description="again")


def test_reserved_account_and_a_transfer_into_it(sandbox_client, control):
    account = sandbox_client.reserved_account_create(account_reference="wallet-c", account_name="Chidinma Okafor",
                                                     customer_email="c@x.ng", customer_name="Chidinma Okafor",
                                                     bvn="22233344455")
    assert len(account.accounts) == 2 and account.created_on is not None
    assert sandbox_client.reserved_account_get("wallet-c") == account
    landed = control.post(f"/sandbox/reserved-accounts/{account.accounts[1].account_number}/payments",
                          {"amount": "1000.10"})
    status = sandbox_client.transaction_status(landed["transactionReference"])
    assert status.product_type == "RESERVED_ACCOUNT" and status.product_reference == "wallet-c"
    assert status.amount_paid_kobo == 100010
    with pytest.raises(MonnifyNotFound):
        sandbox_client.reserved_account_get("nope")


def test_disbursements(sandbox_client, control):
    control.config(wallet_balance="1000.00", d07_window_s=120)
    name = sandbox_client.account_validate(account_number="0123456789", bank_code="058")
    sent = sandbox_client.disbursement_initiate(reference="wd_c1", amount_kobo=50000, narration="Wallet withdrawal",
                                                destination_bank_code="058", destination_account_number="0123456789",
                                                destination_account_name=name.account_name)
    assert sent.is_success and sent.amount_kobo == 50000 and sent.fee_kobo == 1000
    summary = sandbox_client.disbursement_summary("wd_c1")
    assert summary.is_success and summary.transaction_reference.startswith("MFDS")
    assert sandbox_client.wallet_balance().available_kobo == 100000 - 50000 - 1000
    with pytest.raises(MonnifyTerminalError) as d07:
        sandbox_client.disbursement_initiate(reference="wd_c2", amount_kobo=50000, narration="again",
                                             destination_bank_code="058", destination_account_number="0123456789",
                                             destination_account_name=name.account_name)
    assert d07.value.response_code == "D07"
    poor = sandbox_client.disbursement_initiate(reference="wd_c3", amount_kobo=90000, narration="n",
                                                destination_bank_code="057", destination_account_number="2085886393",
                                                destination_account_name="X")
    assert poor.is_failed and "sufficient balance" in poor.comment
    control.config(otp_required=True)
    held = sandbox_client.disbursement_initiate(reference="wd_c4", amount_kobo=1000, narration="n",
                                                destination_bank_code="057", destination_account_number="2085886393",
                                                destination_account_name="X")
    assert held.needs_otp and held.is_pending
    assert sandbox_client.disbursement_validate_otp(reference="wd_c4", authorization_code="123456").is_success
    with pytest.raises(MonnifyNotFound):
        sandbox_client.disbursement_summary("nope")
    with pytest.raises(MonnifyTerminalError):
        sandbox_client.account_validate(account_number="0001112223", bank_code="058")
    assert {b.code for b in sandbox_client.banks()} >= {"058", "50515"}


def test_unknown_outcome_is_resolved_by_summary(sandbox_client, control):
    sandbox_client.login()
    control.config(faults={"api_error_after_commit_rate": 1.0, "api_fault_paths": ["/api/v2/disbursements/single"]})
    with pytest.raises(MonnifyUnknownOutcome):
        sandbox_client.disbursement_initiate(reference="wd_u", amount_kobo=10000, narration="n",
                                             destination_bank_code="058", destination_account_number="0123456789",
                                             destination_account_name="A")
    control.config(faults={"api_error_after_commit_rate": 0.0})
    assert sandbox_client.disbursement_summary("wd_u").is_success
    assert [d["initiate_calls"] for d in control.get("/sandbox/disbursements")] == [1]


def test_refunds(sandbox_client, control):
    init = sandbox_client.init_transaction(amount_kobo=100000, payment_reference="p-crf", customer_email="a@b.ng",
                                           customer_name="A", payment_description="d")
    control.post(f"/sandbox/checkouts/{init.transaction_reference}/complete", {"outcome": "PAID"})
    refund = sandbox_client.refund_initiate(transaction_reference=init.transaction_reference,
                                            refund_reference="rf_c1", refund_amount_kobo=40000,
                                            refund_reason="Duplicate top-up", customer_note="Dup refund")
    assert refund.refund_status == "IN_PROGRESS" and refund.refund_amount_kobo == 40000
    control.post("/sandbox/refunds/rf_c1/resolve", {"status": "COMPLETED"})
    done = sandbox_client.refund_get("rf_c1")
    assert done.is_final and done.refund_status == "COMPLETED" and done.completed_on is not None
    with pytest.raises(MonnifyTerminalError) as r9:
        sandbox_client.refund_initiate(transaction_reference=init.transaction_reference, refund_reference="rf_c1",
                                       refund_amount_kobo=100, refund_reason="r", customer_note="n")
    assert r9.value.response_code == "R9"


def test_token_expiry_is_transparent(sandbox_client, control):
    sandbox_client.banks()
    control.post("/sandbox/tokens/expire")
    assert sandbox_client.banks()  # 401 -> fresh login -> retried
    logins = [r for r in control.get("/sandbox/requests") if r["path"] == "/api/v1/auth/login"]
    assert len(logins) == 2


def test_short_lived_tokens_are_refreshed_before_they_expire(sandbox_client, control):
    control.config(token_ttl_s=2)
    sandbox_client.banks()
    sandbox_client.banks()
    requests_log = control.get("/sandbox/requests")
    assert [r["status"] for r in requests_log if r["path"] == "/api/v1/banks"] == [200, 200]
    assert len([r for r in requests_log if r["path"] == "/api/v1/auth/login"]) == 1
    # a 2 s token is refreshed once half its life is gone, before Monnify would refuse it
    time.sleep(1.1)
    sandbox_client.banks()
    requests_log = control.get("/sandbox/requests")
    assert len([r for r in requests_log if r["path"] == "/api/v1/auth/login"]) == 2
    assert all(r["status"] != 401 for r in requests_log)


def test_reads_are_retried_through_5xx(sandbox_client, control):
    sandbox_client.login()
    control.config(faults={"api_error_rate": 1.0, "api_fault_paths": ["/api/v1/banks"]})
    with pytest.raises(MonnifyRetryableError):
        sandbox_client.banks()
    assert len([r for r in control.get("/sandbox/requests") if r["path"] == "/api/v1/banks"]) == 3


@pytest.mark.django_db
def test_calls_against_the_sandbox_are_audited(monnify_settings, control):
    from audit.models import AuditEvent

    client = MonnifyClient()
    client.reserved_account_create(account_reference="wallet-audit", account_name="A", customer_email="a@b.ng",
                                   customer_name="A", bvn="22233344455")
    events = list(AuditEvent.objects.filter(action="monnify.api.call").order_by("id"))
    assert [e.payload["operation"] for e in events] == ["login", "reserved_account_create"]
    text = str([e.payload for e in events])
    assert "22233344455" not in text and "unit-test-monnify-secret" not in text
    assert "accessToken" in text and "eyJ" not in text
    assert "wallet-audit" in events[1].references
