"""Disbursements (single transfers, OTP, summary, wallet balance, name enquiry, banks) and
refunds, with their webhooks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import data
from .collections import _int, spring_page
from .state import ApiError, ControlError, Sandbox, parse_naira

PENDING = ("PENDING", "IN_PROGRESS", "AWAITING_PROCESSING")


# ---- name enquiry and banks ----


def banks(sb: Sandbox) -> list[dict]:
    return [
        {"name": name, "code": code, "ussdTemplate": ussd, "baseUssdCode": ussd.split("*")[1] if ussd else None,
         "transferUssdTemplate": None}
        for code, name, ussd in data.BANKS
    ]


def _check_account(sb: Sandbox, account_number: str, bank_code: str) -> str:
    if not account_number or not account_number.isdigit() or len(account_number) != 10:
        raise ApiError(400, "accountNumber must be a 10 digit NUBAN")
    if bank_code not in data.BANK_NAMES:
        raise ApiError(400, f"Invalid bank code {bank_code}")
    if sb.is_invalid_account(account_number):
        raise ApiError(
            400,
            f"Unable to process request. Name inquiry failed. Account {account_number} Bank {bank_code}.  "
            "Invalid Account",
        )
    return sb.account_name_for(account_number, bank_code)


def account_validate(sb: Sandbox, query: dict) -> dict:
    number, bank = str(query.get("accountNumber") or ""), str(query.get("bankCode") or "")
    name = _check_account(sb, number, bank)
    return {"accountNumber": number, "accountName": name, "bankCode": bank, "bankName": data.BANK_NAMES[bank]}


def wallet_balance(sb: Sandbox, query: dict) -> dict:
    number = query.get("accountNumber")
    wallet = sb.config["wallet_account_number"]
    if not number:
        raise ApiError(400, "accountNumber is required")
    if wallet and number != wallet:
        raise ApiError(404, f"Wallet {number} not found")
    balance = data.naira_num2(sb.wallet_kobo)
    return {"availableBalance": balance, "ledgerBalance": balance}


# ---- transfers ----


def _fee(sb: Sandbox) -> int:
    return int(Decimal(sb.config["disbursement_fee"]) * 100)


def _initiate_body(d: dict) -> dict:
    body = {
        "amount": data.naira_num(d["amount_kobo"]),
        "reference": d["reference"],
        "status": d["status"],
        "dateCreated": data.fmt_iso_0000(d["created_at"]),
        "totalFee": data.naira_num2(d["fee_kobo"] if d["status"] != "FAILED" else 0),
        "destinationAccountName": d["destinationAccountName"],
        "destinationBankName": d["destinationBankName"],
        "destinationAccountNumber": d["destinationAccountNumber"],
        "destinationBankCode": d["destinationBankCode"],
        "comment": d["comment"],
    }
    if d.get("sessionId"):
        body["sessionId"] = d["sessionId"]
    return body


def _summary_body(sb: Sandbox, d: dict) -> dict:
    return {
        "amount": data.naira_num2(d["amount_kobo"]),
        "reference": d["reference"],
        "narration": d["narration"],
        "currency": "NGN",
        "fee": data.naira_num2(d["fee_kobo"]),
        "twoFaEnabled": d["two_fa"],
        "status": d["status"],
        "transactionDescription": d["comment"],
        "transactionReference": d["transactionReference"],
        "createdOn": data.fmt_iso_colon(d["created_at"]),
        "sourceAccountNumber": sb.config["wallet_account_number"],
        "destinationAccountNumber": d["destinationAccountNumber"],
        "destinationAccountName": d["destinationAccountName"],
        "destinationBankCode": d["destinationBankCode"],
        "destinationBankName": d["destinationBankName"],
    }


def _event_data(d: dict) -> dict:
    event = {
        "amount": data.naira_num(d["amount_kobo"]),
        "transactionReference": d["transactionReference"],
        "fee": data.naira_num(d["fee_kobo"]),
        "transactionDescription": d["comment"],
        "destinationAccountNumber": d["destinationAccountNumber"],
        "sessionId": d.get("sessionId") or "",
        "createdOn": data.fmt_dmy_12(d["created_at"]),
        "destinationAccountName": d["destinationAccountName"],
        "reference": d["reference"],
        "destinationBankCode": d["destinationBankCode"],
        "completedOn": data.fmt_dmy_12(d["completed_at"] or data.now_utc()),
        "narration": d["narration"],
        "currency": "NGN",
        "destinationBankName": d["destinationBankName"],
        "status": d["status"],
    }
    if d["status"] == "FAILED":
        event.pop("transactionDescription")
    if d["status"] == "REVERSED":
        event.pop("transactionDescription")
        event.pop("destinationBankName")
    return event


_EVENTS = {"SUCCESS": "SUCCESSFUL_DISBURSEMENT", "FAILED": "FAILED_DISBURSEMENT", "REVERSED": "REVERSED_DISBURSEMENT"}
_COMMENTS = {"SUCCESS": "Transaction successful", "FAILED": "Transaction failed", "REVERSED": "Transaction reversed",
             "PENDING": "Transaction is being processed"}


def _finish(sb: Sandbox, d: dict, status: str) -> None:
    """Move a transfer to a final status, adjust the wallet, send its webhook."""
    if status in ("FAILED", "REVERSED") and d["debited"]:
        sb.wallet_kobo += d["amount_kobo"] + d["fee_kobo"]
        d["debited"] = False
    d["status"] = status
    d["comment"] = _COMMENTS[status]
    d["completed_at"] = data.now_utc()
    if status == "SUCCESS" and not d.get("sessionId"):
        d["sessionId"] = data.session_id(sb.rng, d["completed_at"])
    sb.webhook_create(_EVENTS[status], _event_data(d), d["reference"])


def _process(sb: Sandbox, d: dict, async_: bool) -> None:
    """Apply balance and ``disbursement_outcome`` to an authorised transfer."""
    total = d["amount_kobo"] + d["fee_kobo"]
    if sb.wallet_kobo < total:
        d["status"] = "FAILED"
        d["comment"] = data.INSUFFICIENT_BALANCE_COMMENT
        d["completed_at"] = data.now_utc()
        return
    sb.wallet_kobo -= total
    d["debited"] = True
    outcome = sb.config["disbursement_outcome"]
    if async_ or outcome == "PENDING":
        d["status"] = "PENDING"
        d["comment"] = _COMMENTS["PENDING"]
        if async_ and outcome != "PENDING":
            reference, generation = d["reference"], sb.scheduler.generation
            sb.scheduler.call_later(sb.config["async_settle_ms"] / 1000,
                                    lambda: _settle_async(sb, reference, outcome, generation))
        return
    _finish(sb, d, outcome)


def _settle_async(sb: Sandbox, reference: str, outcome: str, generation: int) -> None:
    with sb.lock:
        d = sb.disbursements.get(reference)
        if d is not None and d["status"] in PENDING and generation == sb.scheduler.generation:
            _finish(sb, d, outcome)


def initiate(sb: Sandbox, body: dict) -> dict:
    reference = body.get("reference")
    if not isinstance(reference, str) or not reference.strip():
        raise ApiError(400, "reference is required")
    existing = sb.disbursements.get(reference)
    if existing is not None:
        existing["initiate_calls"] += 1
        if sb.config["duplicate_reference"] == "error":
            raise ApiError(400, f"Duplicate reference {reference}")
        return _initiate_body(existing)
    amount = parse_naira(body.get("amount"))
    if amount < 1000:
        raise ApiError(400, "Amount must be at least 10.00")
    if body.get("currency", "NGN") != "NGN":
        raise ApiError(400, "Unsupported currency")
    wallet = sb.config["wallet_account_number"]
    if wallet and body.get("sourceAccountNumber") != wallet:
        raise ApiError(400, "Invalid source account number")
    number = str(body.get("destinationAccountNumber") or "")
    bank = str(body.get("destinationBankCode") or "")
    name = _check_account(sb, number, bank)
    window = sb.config["d07_window_s"]
    if window:
        now = data.now_utc()
        for other in sb.disbursements.values():
            if (other["destinationAccountNumber"] == number and other["destinationBankCode"] == bank
                    and other["amount_kobo"] == amount and other["status"] != "FAILED"
                    and (now - other["created_at"]).total_seconds() < window):
                raise ApiError(400, "Duplicate request. A transfer of the same amount to the same account was made "
                                    "recently (D07)", code="D07")
    at = data.now_utc()
    d = {
        "reference": reference,
        "amount_kobo": amount,
        "fee_kobo": _fee(sb),
        "status": "PENDING_AUTHORIZATION",
        "narration": str(body.get("narration") or ""),
        "destinationAccountNumber": number,
        "destinationBankCode": bank,
        "destinationBankName": data.BANK_NAMES[bank],
        "destinationAccountName": str(body.get("destinationAccountName") or name),
        "transactionReference": data.disbursement_reference(sb.rng, sb.next_seq(), at),
        "created_at": at,
        "completed_at": None,
        "comment": "Authorization code will be processed and sent to predefined email addresses(s)",
        "two_fa": bool(sb.config["otp_required"]),
        "async": body.get("async") is True,
        "debited": False,
        "initiate_calls": 1,
    }
    sb.disbursements[reference] = d
    if not d["two_fa"]:
        _process(sb, d, d["async"])
    return _initiate_body(d)


def validate_otp(sb: Sandbox, body: dict) -> dict:
    reference = str(body.get("reference") or "")
    d = sb.disbursements.get(reference)
    if d is None:
        raise ApiError(404, f"Transfer with reference {reference} not found")
    if d["status"] != "PENDING_AUTHORIZATION":
        raise ApiError(400, f"Transfer {reference} is not awaiting authorization (status {d['status']})")
    if str(body.get("authorizationCode") or "") != sb.config["otp_code"]:
        raise ApiError(400, "Invalid authorization code")
    _process(sb, d, d["async"])
    return _initiate_body(d)


def resend_otp(sb: Sandbox, body: dict) -> dict:
    reference = str(body.get("reference") or "")
    d = sb.disbursements.get(reference)
    if d is None:
        raise ApiError(404, f"Transfer with reference {reference} not found")
    return {"message": "Authorization code will be processed and sent to predefined email addresses(s)"}


def summary(sb: Sandbox, query: dict) -> dict:
    reference = str(query.get("reference") or "")
    d = sb.disbursements.get(reference)
    if d is None:
        raise ApiError(404, f"Transfer with reference {reference} not found")
    return _summary_body(sb, d)


def transfers_list(sb: Sandbox, query: dict) -> dict:
    items = [_summary_body(sb, d) for d in sorted(sb.disbursements.values(), key=lambda d: d["created_at"],
                                                  reverse=True)]
    return spring_page(items, _int(query.get("pageNo"), 0, "pageNo"), _int(query.get("pageSize"), 10, "pageSize"))


def transfers_search(sb: Sandbox, query: dict) -> dict:
    """``GET /api/v2/disbursements/search-transactions`` (MONNIFY.md 4.6): single transfers from the
    wallet ``sourceAccountNumber`` (mandatory), created in [startDate, endDate] (epoch ms), newest
    first, optionally within [amountFrom, amountTo] naira."""
    source = query.get("sourceAccountNumber")
    if not source:
        raise ApiError(400, "sourceAccountNumber is required")
    wallet = sb.config["wallet_account_number"]
    if wallet and source != wallet:
        raise ApiError(404, f"Wallet {source} not found")
    start = _int(query.get("startDate"), 0, "startDate")
    end = _int(query.get("endDate"), 0, "endDate")
    low = parse_naira(query["amountFrom"], "amountFrom") if query.get("amountFrom") else None
    high = parse_naira(query["amountTo"], "amountTo") if query.get("amountTo") else None
    items = []
    for d in sorted(sb.disbursements.values(), key=lambda d: d["created_at"], reverse=True):
        created = data.epoch_ms(d["created_at"])
        if start and created < start or end and created > end:
            continue
        if low is not None and d["amount_kobo"] < low or high is not None and d["amount_kobo"] > high:
            continue
        items.append(_summary_body(sb, d))
    return spring_page(items, _int(query.get("pageNo"), 0, "pageNo"), _int(query.get("pageSize"), 10, "pageSize"))


def control_resolve(sb: Sandbox, reference: str, body: dict) -> dict:
    d = sb.disbursements.get(reference)
    if d is None:
        raise ControlError(404, f"no transfer {reference}")
    status = body.get("status")
    if status not in ("SUCCESS", "FAILED", "REVERSED"):
        raise ControlError(400, "status must be SUCCESS, FAILED or REVERSED")
    if status == "REVERSED":
        if d["status"] != "SUCCESS":
            raise ControlError(409, f"only a SUCCESS transfer can be reversed (it is {d['status']})")
    elif d["status"] not in PENDING:
        raise ControlError(409, f"transfer {reference} is {d['status']}, not pending")
    _finish(sb, d, status)
    return disbursement_view(d)


def disbursement_view(d: dict) -> dict:
    return {"reference": d["reference"], "amount": data.naira_str(d["amount_kobo"]), "status": d["status"],
            "initiate_calls": d["initiate_calls"], "transactionReference": d["transactionReference"],
            "fee": data.naira_str(d["fee_kobo"]), "destinationAccountNumber": d["destinationAccountNumber"],
            "destinationBankCode": d["destinationBankCode"]}


# ---- refunds ----


def _refund_body(r: dict) -> dict:
    return {
        "refundReference": r["refundReference"],
        "transactionReference": r["transactionReference"],
        "refundReason": r["refundReason"],
        "customerNote": r["customerNote"],
        "refundAmount": data.naira_num(r["amount_kobo"]),
        "refundType": r["refundType"],
        "refundStatus": r["status"],
        "refundStrategy": "MERCHANT_WALLET",
        "comment": r["comment"],
        "createdOn": data.fmt_dmy_12_nopad(r["created_at"]),
        "completedOn": data.fmt_dmy_12_nopad(r["completed_at"]) if r["completed_at"] else "",
        "destinationAccountNumber": r.get("destinationAccountNumber"),
        "destinationAccountBankCode": r.get("destinationAccountBankCode"),
        "currencyCode": "NGN",
    }


def refund_initiate(sb: Sandbox, body: dict) -> dict:
    reference = body.get("refundReference")
    if not isinstance(reference, str) or not reference.strip():
        raise ApiError(400, "refundReference is required")
    if reference in sb.refunds:
        raise ApiError(400, "Refund reference already exists", code="R9")
    c = sb.collections.get(str(body.get("transactionReference") or ""))
    if c is None:
        raise ApiError(400, "Transaction reference does not exist", code="R1")
    if c["status"] not in ("PAID", "OVERPAID", "PARTIALLY_PAID"):
        raise ApiError(400, "Refund is not permitted for this transaction", code="R2")
    amount = parse_naira(body.get("refundAmount"), "refundAmount")
    if amount > c["amount_paid_kobo"]:
        raise ApiError(400, "Refund amount is above the transaction amount", code="R3")
    if amount < 1000:
        raise ApiError(400, "Refund amount is below the minimum refund amount of 10.00", code="R4")
    reason, note = str(body.get("refundReason") or ""), str(body.get("customerNote") or "")
    if len(reason) > 64 or len(note) > 16:
        raise ApiError(400, "refundReason must be at most 64 characters and customerNote at most 16", code="R8")
    if c["refunded_kobo"] + amount > c["amount_paid_kobo"]:
        raise ApiError(400, "Total refunds would exceed the transaction amount", code="R12")
    if bool(body.get("destinationAccountNumber")) != bool(body.get("destinationAccountBankCode")):
        raise ApiError(400, "Send both destinationAccountNumber and destinationAccountBankCode or neither", code="R6")
    c["refunded_kobo"] += amount
    r = {
        "refundReference": reference,
        "transactionReference": c["transactionReference"],
        "refundReason": reason,
        "customerNote": note,
        "amount_kobo": amount,
        "refundType": "FULL_REFUND" if amount == c["amount_paid_kobo"] else "PARTIAL_REFUND",
        "status": "IN_PROGRESS",
        "comment": "Transaction refund is in progress.",
        "created_at": data.now_utc(),
        "completed_at": None,
        "destinationAccountNumber": body.get("destinationAccountNumber"),
        "destinationAccountBankCode": body.get("destinationAccountBankCode"),
    }
    sb.refunds[reference] = r
    outcome = sb.config["refund_outcome"]
    if outcome:
        generation = sb.scheduler.generation
        sb.scheduler.call_later(sb.config["refund_settle_ms"] / 1000,
                                lambda: _refund_auto(sb, reference, outcome, generation))
    return _refund_body(r)


def _refund_auto(sb: Sandbox, reference: str, outcome: str, generation: int) -> None:
    with sb.lock:
        r = sb.refunds.get(reference)
        if r is not None and r["status"] == "IN_PROGRESS" and generation == sb.scheduler.generation:
            _refund_finish(sb, r, outcome)


def _refund_finish(sb: Sandbox, r: dict, status: str) -> None:
    r["status"] = status
    r["completed_at"] = data.now_utc()
    r["comment"] = "Transaction refund completed." if status == "COMPLETED" else "Transaction refund failed."
    if status == "FAILED":
        c = sb.collections.get(r["transactionReference"])
        if c is not None:
            c["refunded_kobo"] -= r["amount_kobo"]
    event = {
        "merchantReason": r["refundReason"],
        "transactionReference": r["transactionReference"],
        "completedOn": data.fmt_dmy_12_nopad(r["completed_at"]),
        "refundStatus": status,
        "customerNote": r["customerNote"],
        "createdOn": data.fmt_dmy_12_nopad(r["created_at"]),
        "refundReference": r["refundReference"],
        "refundAmount": data.naira_num1(r["amount_kobo"]),
    }
    sb.webhook_create("SUCCESSFUL_REFUND" if status == "COMPLETED" else "FAILED_REFUND", event, r["refundReference"])


def refund_get(sb: Sandbox, reference: str) -> dict:
    r = sb.refunds.get(reference)
    if r is None:
        raise ApiError(404, f"No refund found with reference {reference}", code="R7")
    return _refund_body(r)


def refunds_list(sb: Sandbox, query: dict) -> dict:
    items = [_refund_body(r) for r in sorted(sb.refunds.values(), key=lambda r: r["created_at"], reverse=True)
             if not query.get("transactionReference") or r["transactionReference"] == query["transactionReference"]]
    return spring_page(items, _int(query.get("page"), 0, "page"), _int(query.get("size"), 10, "size"))


def control_refund_resolve(sb: Sandbox, reference: str, body: dict) -> dict:
    r = sb.refunds.get(reference)
    if r is None:
        raise ControlError(404, f"no refund {reference}")
    status = body.get("status")
    if status not in ("COMPLETED", "FAILED"):
        raise ControlError(400, "status must be COMPLETED or FAILED")
    if r["status"] != "IN_PROGRESS":
        raise ControlError(409, f"refund {reference} is already {r['status']}")
    _refund_finish(sb, r, status)
    return _refund_body(r)


def refunds_view(sb: Sandbox) -> list[dict[str, Any]]:
    return [{"refundReference": r["refundReference"], "transactionReference": r["transactionReference"],
             "amount": data.naira_str(r["amount_kobo"]), "status": r["status"]} for r in sb.refunds.values()]
