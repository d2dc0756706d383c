import pytest
from django_fsm import TransitionNotAllowed

from payments.models import Deposit, DepositChannel, DepositFlag, DepositState, Notification
from payments.services import deposits as deposit_services
from payments.services.deposit_accounts import deposit_account_open, deposit_account_request_for_user
from wallets.integrity import ledger_integrity_check
from wallets.models import Journal, Posting
from wallets.services import wallet_close, wallet_freeze

from ..conftest import wait_until
from .conftest import event_types, wallet_of

pytestmark = pytest.mark.django_db


def _checkout(customer, amount=250_000):
    return deposit_services.deposit_checkout_create(user=customer, wallet=wallet_of(customer), amount=amount)


def _credits(wallet) -> list[int]:
    return list(Posting.objects.filter(account_id=wallet.id).values_list("amount", flat=True))


def _collection_fee(transaction_reference: str) -> list[tuple[str, int]]:
    """The postings of the Monnify collection fee booked for this collection ([] if none)."""
    return sorted(Posting.objects.filter(journal__reference=f"monnify:fee:txn:{transaction_reference}")
                  .values_list("account__system_code", "amount"))


def _sandbox_transfer_fee(amount: int) -> int:
    """What the sandbox keeps from a transfer payment (payments/sandbox/collections.py): 1%, at most N50."""
    return min(amount // 100, 5_000)


def test_checkout_paid_is_credited_exactly_once(flow, customer):
    # given
    deposit = _checkout(customer)
    assert deposit.state == DepositState.AWAITING_PAYMENT
    assert deposit.transaction_reference.startswith("MNFY|") and deposit.checkout_url
    # when the customer pays and Monnify's webhook arrives three times
    flow.control.post(f"/sandbox/checkouts/{deposit.transaction_reference}/complete", {"outcome": "PAID"})
    flow.receiver.wait_for(1)
    assert flow.forward() == [200]
    assert flow.forward(only_new=False) == [200]
    assert flow.forward(only_new=False) == [200]
    # then
    deposit.refresh_from_db()
    assert deposit.state == DepositState.CREDITED
    assert (deposit.amount_paid, deposit.amount_credited) == (250_000, 250_000)
    wallet = wallet_of(customer)
    assert wallet.balance == 250_000
    assert _credits(wallet) == [250_000]
    assert Journal.objects.filter(reference=f"monnify:txn:{deposit.transaction_reference}").count() == 1
    # Monnify keeps its fee (1 % of a transfer payment, at most N50, in the sandbox) from what it
    # settles: booked once, clearing +fee and provider fees -fee; the customer is credited in full
    fee = Journal.objects.get(reference=f"monnify:fee:txn:{deposit.transaction_reference}")
    assert fee.kind == "provider_fee"
    assert sorted(fee.postings.values_list("account__system_code", "amount")) == [
        ("monnify_clearing", 2_500), ("provider_fees", -2_500)]
    assert Journal.objects.filter(reference__startswith="monnify:fee:").count() == 1
    assert event_types(deposit) == ["payment.initiated", "payment.provider_submitted", "payment.verifying",
                                    "payment.confirmed"]
    assert Notification.objects.filter(user=customer, kind="deposit.credited").count() == 1
    assert ledger_integrity_check().ok


@pytest.mark.parametrize("outcome, state", [("FAILED", DepositState.FAILED), ("EXPIRED", DepositState.EXPIRED)])
def test_checkout_not_paid_ends_without_money(flow, customer, outcome, state):
    deposit = _checkout(customer)
    flow.control.post(f"/sandbox/checkouts/{deposit.transaction_reference}/complete", {"outcome": outcome})
    # no webhook for an unpaid checkout: the poller asks
    deposit = deposit_services.deposit_verify(deposit_id=deposit.pk)
    assert deposit.state == state
    assert wallet_of(customer).balance == 0
    assert _credits(wallet_of(customer)) == []


def test_overpaid_checkout_credits_what_was_paid_and_is_flagged(flow, customer):
    deposit = _checkout(customer, amount=100_000)
    flow.control.post(f"/sandbox/checkouts/{deposit.transaction_reference}/complete",
                      {"outcome": "OVERPAID", "amount_paid": "1500.00"})
    flow.receiver.wait_for(1)
    flow.forward()
    deposit.refresh_from_db()
    assert (deposit.state, deposit.flag, deposit.amount_credited) == (DepositState.CREDITED, DepositFlag.OVERPAID,
                                                                      150_000)
    assert wallet_of(customer).balance == 150_000


def test_partially_paid_is_not_credited_and_goes_to_refund(flow, customer):
    deposit = _checkout(customer, amount=100_000)
    flow.control.post(f"/sandbox/checkouts/{deposit.transaction_reference}/complete",
                      {"outcome": "PARTIALLY_PAID", "amount_paid": "400.00"})
    deposit = deposit_services.deposit_verify(deposit_id=deposit.pk)
    assert (deposit.state, deposit.flag, deposit.amount_paid) == (DepositState.REFUND_PENDING,
                                                                  DepositFlag.PARTIALLY_PAID, 40_000)
    assert wallet_of(customer).balance == 0
    # Monnify kept its fee on what was collected
    fee = _sandbox_transfer_fee(40_000)
    assert _collection_fee(deposit.transaction_reference) == [("monnify_clearing", fee), ("provider_fees", -fee)]


def test_webhook_is_a_rumour_until_the_status_api_agrees(flow, customer):
    # given Monnify's webhook says PAID while its status API still says PENDING
    flow.control.config(faults={"status_disagrees_rate": 1.0, "status_disagrees_for_s": 0.5})
    deposit = _checkout(customer)
    flow.control.post(f"/sandbox/checkouts/{deposit.transaction_reference}/complete", {"outcome": "PAID"})
    flow.receiver.wait_for(1)
    flow.forward()
    deposit.refresh_from_db()
    # then nothing is credited
    assert deposit.state == DepositState.AWAITING_PAYMENT
    assert wallet_of(customer).balance == 0
    # when the status API later agrees, the next check credits it
    wait_until(lambda: deposit_services.deposit_verify(deposit_id=deposit.pk).state == DepositState.CREDITED,
               timeout=10, interval=0.1)
    assert wallet_of(customer).balance == 250_000


def _open_dedicated_account(customer):
    request = deposit_account_request_for_user(user_id=str(customer.pk), bvn="22233344455", nin=None)
    assert request.bvn_ciphertext and "22233344455" not in request.bvn_ciphertext
    accounts = deposit_account_open(request_id=request.pk)
    request.refresh_from_db()
    assert request.status == "opened" and request.bvn_ciphertext == ""
    return accounts


def test_dedicated_account_opened_once_and_bank_transfer_credited(flow, customer):
    # given
    accounts = _open_dedicated_account(customer)
    assert accounts and deposit_account_open(request_id=accounts[0].wallet.deposit_account_request.pk) == accounts
    nuban = accounts[0].account_number
    # when a transfer lands in the dedicated account
    flow.control.post(f"/sandbox/reserved-accounts/{nuban}/payments", {"amount": "2500.00", "payer_name": "ADA OBI"})
    flow.receiver.wait_for(1)
    flow.forward()
    flow.forward(only_new=False)
    # then
    deposit = Deposit.objects.get(user=customer)
    assert (deposit.channel, deposit.state, deposit.amount_credited) == (DepositChannel.BANK_TRANSFER,
                                                                         DepositState.CREDITED, 250_000)
    assert deposit.payer_name == "ADA OBI"
    assert wallet_of(customer).balance == 250_000
    assert Notification.objects.filter(user=customer, kind="deposit.credited").count() == 1


def test_lost_webhook_is_found_by_the_poller(flow, customer):
    accounts = _open_dedicated_account(customer)
    flow.control.config(faults={"webhook_drop_rate": 1.0})
    flow.control.post(f"/sandbox/reserved-accounts/{accounts[0].account_number}/payments", {"amount": "700.00"})
    assert Deposit.objects.count() == 0
    # when the poller lists recent collections
    assert deposit_services.deposits_discover_bank_transfers() == 1
    assert deposit_services.deposits_discover_bank_transfers() == 0
    deposit = Deposit.objects.get()
    assert (deposit.state, deposit.amount_credited) == (DepositState.CREDITED, 70_000)
    assert wallet_of(customer).balance == 70_000


@pytest.mark.parametrize("block", ["frozen", "closed", "limit"])
def test_credit_impossible_goes_to_refund_and_moves_nothing(flow, customer, block):
    wallet = wallet_of(customer)
    amount = 250_000
    if block == "frozen":
        wallet_freeze(account=wallet, actor=None, reason="test")
    elif block == "closed":
        wallet_close(account=wallet, actor=None, reason="test")
    else:
        amount = 40_000_000  # above the tier-1 balance cap (NGN 300,000)
    accounts = _open_dedicated_account(customer)
    flow.control.post(f"/sandbox/reserved-accounts/{accounts[0].account_number}/payments",
                      {"amount": f"{amount // 100}.00"})
    flow.receiver.wait_for(1)
    flow.forward()
    deposit = Deposit.objects.get()
    assert deposit.state == DepositState.REFUND_PENDING
    assert deposit.flag == DepositFlag.NOT_CREDITABLE
    assert deposit.amount_credited == 0
    assert _credits(wallet_of(customer)) == []
    # only Monnify's collection fee is booked (it kept it when it collected), between system accounts
    fee = _sandbox_transfer_fee(amount)
    assert _collection_fee(deposit.transaction_reference) == [("monnify_clearing", fee), ("provider_fees", -fee)]
    # the refund flow takes over: exactly one refund of what was paid
    from payments.models import Refund

    refund = Refund.objects.get(deposit=deposit)
    assert refund.amount == amount


def test_settlement_before_credit_is_parked_then_applied(flow, customer):
    from webhooks.models import WebhookEvent

    deposit = _checkout(customer)
    flow.control.config(faults={"status_disagrees_rate": 1.0, "status_disagrees_for_s": 0.5})
    flow.control.post(f"/sandbox/checkouts/{deposit.transaction_reference}/complete", {"outcome": "PAID"})
    flow.receiver.wait_for(1)
    flow.forward()
    settlement = {"eventType": "SETTLEMENT", "eventData": {
        "amount": "2500.00", "settlementReference": "SETTLE-1", "transactionsCount": 1,
        "transactions": [{"transactionReference": deposit.transaction_reference}]}}
    flow.control.post("/sandbox/webhooks", settlement)
    flow.receiver.wait_for(2)
    flow.forward()
    assert WebhookEvent.objects.get(event_type="SETTLEMENT").status == "parked"
    wait_until(lambda: deposit_services.deposit_verify(deposit_id=deposit.pk).state == DepositState.CREDITED,
               timeout=10, interval=0.1)
    from webhooks.services import webhook_process, webhook_wake

    webhook_wake(references=["SETTLE-1"])
    webhook_process(event_id=WebhookEvent.objects.get(event_type="SETTLEMENT").pk)
    deposit.refresh_from_db()
    assert deposit.state == DepositState.SETTLED
    assert wallet_of(customer).balance == 250_000


def test_forbidden_transitions_raise(customer):
    deposit = Deposit(user=customer, wallet=wallet_of(customer), channel=DepositChannel.CHECKOUT, amount=100,
                      payment_reference="dep_forbidden")
    with pytest.raises(TransitionNotAllowed):
        deposit.settle()
    with pytest.raises(TransitionNotAllowed):
        deposit.confirm(amount_paid=100, provider_status="PAID", journal_reference="x")
    with pytest.raises(TransitionNotAllowed):
        deposit.refunded()
    with pytest.raises(AttributeError):
        deposit.state = DepositState.CREDITED  # protected: only transitions change it


@pytest.mark.parametrize("settlement, booked", [(None, None), (0, None), (250_001, None), (247_500, 2_500),
                                                (250_000, None)])
def test_collection_fee_is_booked_only_from_a_plausible_settlement(db, settlement, booked):
    # given: a collection of N2,500 and what the status reports as settled
    from types import SimpleNamespace

    from audit.services import Actor

    deposit = Deposit(currency="NGN", transaction_reference="MNFY|FEE|1", payment_reference="cozon-fee-1")
    status = SimpleNamespace(amount_paid_kobo=250_000, settlement_amount_kobo=settlement,
                             transaction_reference="MNFY|FEE|1")
    # when
    deposit_services._book_collection_fee(deposit, status, Actor.system("tests"))
    # then: a fee journal only for 0 < settlement < paid, for exactly the difference
    journal = Journal.objects.filter(reference="monnify:fee:txn:MNFY|FEE|1").first()
    if booked is None:
        assert journal is None
    else:
        assert sorted(journal.postings.values_list("account__system_code", "amount")) == [
            ("monnify_clearing", booked), ("provider_fees", -booked)]


def test_a_webhook_names_its_deposit_by_transaction_reference_first(customer):
    # given: one deposit known by Monnify's transactionReference, another by our paymentReference
    from payments.handlers.deposits import _deposit_named

    wallet = wallet_of(customer)
    by_transaction = Deposit.objects.create(user=customer, wallet=wallet, channel=DepositChannel.BANK_TRANSFER,
                                            amount=100, payment_reference="MNFY|T|1", transaction_reference="MNFY|T|1")
    by_payment = Deposit.objects.create(user=customer, wallet=wallet, channel=DepositChannel.CHECKOUT, amount=100,
                                        payment_reference="cozon-named-1")
    # when / then
    assert _deposit_named("MNFY|T|1", "cozon-named-1") == by_transaction
    assert _deposit_named("MNFY|unknown", "cozon-named-1") == by_payment
    assert _deposit_named("", "cozon-named-1") == by_payment
    assert _deposit_named("MNFY|unknown", "") is None
    assert _deposit_named("", "") is None


def test_transfers_into_an_unknown_account_alert_ops_once_per_account(db, monkeypatch):
    # given: three webhooks for transfers into an account reference that is not one of our wallets
    from django.core.cache import cache

    from payments.handlers.deposits import on_successful_transaction
    from webhooks.registry import IGNORED

    cache.clear()
    sent = []
    monkeypatch.setattr("payments.services.notifications.logger.warning",
                        lambda message, extra=None: sent.append(extra["alert"]))
    results = [on_successful_transaction(None, {"transactionReference": f"MNFY|UNKNOWN|{i}",
                                                "product": {"type": "RESERVED_ACCOUNT", "reference": "not-ours"}})
               for i in range(3)]
    # then: each is ignored, nothing is recorded, and ops hear once for that account
    assert [r.status for r in results] == [IGNORED] * 3
    assert not Deposit.objects.exists()
    assert len(sent) == 1 and "'not-ours'" in sent[0] and "MNFY|UNKNOWN|0" in sent[0]
