"""The page a customer lands on after Monnify's checkout (`/payments/return?paymentReference=`).

The redirect proves nothing, so the page never credits: it shows "Processing…" and polls
`/payments/return/status`, which reports the deposit's state and, at most every few seconds per
deposit, asks a worker to verify it with Monnify. The payment reference is a random 128-bit value,
and the page shows only the state and amount."""

from __future__ import annotations

from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cozonpay.enqueue import safe_enqueue
from cozonpay.money import format_naira

from .models import DEPOSIT_FINAL_STATES, Deposit, DepositState

_MESSAGES = {
    DepositState.CREDITED: "Your wallet has been funded.",
    DepositState.SETTLED: "Your wallet has been funded.",
    DepositState.FAILED: "The payment did not go through. You have not been charged by CozonPay.",
    DepositState.EXPIRED: "The checkout expired before payment. You can start a new top-up.",
    DepositState.REFUND_PENDING: "We received your payment but could not add it to your wallet; it is being refunded.",
    DepositState.REFUNDED: "Your payment was refunded.",
    DepositState.REVERSED: "The payment was reversed by the bank.",
}


def _state(reference: str) -> dict:
    # A NUL cannot be in any stored reference, and PostgreSQL refuses it in a query (a 500).
    known = reference and "\x00" not in reference
    deposit = Deposit.objects.filter(payment_reference=reference).first() if known else None
    if deposit is None:
        return {"found": False, "final": True, "message": "We could not find this payment."}
    final = deposit.state in DEPOSIT_FINAL_STATES or deposit.state in (DepositState.CREDITED,
                                                                        DepositState.REFUND_PENDING)
    if not final and cache.add(f"return-verify:{deposit.pk}", 1, timeout=5):
        from .tasks import deposit_verify_task

        safe_enqueue(deposit_verify_task, args=(deposit.pk,))
    return {
        "found": True, "final": final, "status": deposit.state,
        "amount": format_naira(deposit.amount_credited or deposit.amount),
        "message": _MESSAGES.get(deposit.state, "Processing your payment…"),
    }


@require_GET
def checkout_return(request):
    reference = request.GET.get("paymentReference", "")[:100]
    return render(request, "payments/return.html", {"reference": reference, "state": _state(reference)})


@require_GET
def checkout_return_status(request):
    return JsonResponse(_state(request.GET.get("paymentReference", "")[:100]))
