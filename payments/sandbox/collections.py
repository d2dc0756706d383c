"""Collections: hosted checkout (init-transaction), dynamic and reserved accounts, status
queries, search, and the SUCCESSFUL_TRANSACTION / REJECTED_PAYMENT webhooks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from . import data
from .state import ApiError, ControlError, Sandbox, parse_naira

PAYMENT_OUTCOMES = ("PAID", "FAILED", "EXPIRED", "PARTIALLY_PAID", "OVERPAID")


def _fee_kobo(amount_kobo: int, method: str) -> int:
    if method == "CARD":
        return min(amount_kobo * 15 // 1000, 200_000)
    return min(amount_kobo // 100, 5_000)


def _effective_status(sb: Sandbox, c: dict) -> str:
    """What the status API says (may disagree with the webhook: ``status_disagrees_rate``)."""
    now = data.now_utc()
    if c["status"] == "PENDING" and now - c["created_at"] > timedelta(seconds=sb.config["checkout_expiry_s"]):
        c["status"] = "EXPIRED"
    override = c.get("status_override")
    if override and (c.get("override_until") is None or now < c["override_until"]):
        return override
    return c["status"]


def _paid_view(c: dict, status: str) -> bool:
    return status in ("PAID", "OVERPAID", "PARTIALLY_PAID")


def status_body(sb: Sandbox, c: dict) -> dict:
    status = _effective_status(sb, c)
    paid = _paid_view(c, status)
    amount_paid = c["amount_paid_kobo"] if paid else 0
    payer = c.get("payer")
    account = None
    if paid and payer and c["payment_method"] == "ACCOUNT_TRANSFER":
        account = {
            "accountName": payer["accountName"],
            "accountNumber": "******" + payer["accountNumber"][-4:],
            "bankCode": payer["bankCode"],
            "amountPaid": data.naira_str(amount_paid),
        }
    return {
        "transactionReference": c["transactionReference"],
        "paymentReference": c["paymentReference"],
        "amountPaid": data.naira_str(amount_paid),
        "totalPayable": data.naira_str(c["amount_kobo"] if paid or c["product_type"] != "API_NOTIFICATION" else 0),
        "settlementAmount": data.naira_str(amount_paid - c["fee_kobo"]) if paid else None,
        "paidOn": data.fmt_dmy_12(c["paid_at"]) if paid and c.get("paid_at") else None,
        "paymentStatus": status,
        "paymentDescription": c["description"],
        "currency": "NGN",
        "paymentMethod": c["payment_method"],
        "product": {"type": c["product_type"], "reference": c["product_reference"]},
        "cardDetails": None,
        "accountDetails": account,
        "accountPayments": [account] if account else [],
        "customer": {"email": c["customer"]["email"], "name": c["customer"]["name"]},
        "metaData": c["meta_data"],
    }


def search_item(sb: Sandbox, c: dict) -> dict:
    status = _effective_status(sb, c)
    return {
        "customerDTO": {"email": c["customer"]["email"], "name": c["customer"]["name"], "merchantCode": "SANDBOX"},
        "providerAmount": None,
        "paymentMethod": c["payment_method"],
        "createdOn": data.fmt_iso_0000(c["created_at"]),
        "amount": data.naira_num2(c["amount_kobo"]),
        "flagged": False,
        "providerCode": None,
        "fee": data.naira_num2(c["fee_kobo"]),
        "currencyCode": "NGN",
        "completedOn": data.fmt_iso_0000(c["paid_at"]) if c.get("paid_at") else None,
        "paymentDescription": c["description"],
        "paymentStatus": status,
        "transactionReference": c["transactionReference"],
        "paymentReference": c["paymentReference"],
        "merchantCode": "SANDBOX",
        "merchantName": sb.config["merchant_name"],
        "payableAmount": data.naira_num2(c["amount_kobo"]),
        "amountPaid": data.naira_num2(c["amount_paid_kobo"]),
        "completed": status in ("PAID", "OVERPAID"),
        "paymentMethodList": ["ACCOUNT_TRANSFER", "CARD"],
        "collectionChannel": "RESERVED_ACCOUNT" if c["product_type"] == "RESERVED_ACCOUNT" else "API_NOTIFICATION",
    }


def spring_page(items: list, page: int, size: int) -> dict:
    size = max(1, size)
    total = len(items)
    content = items[page * size:(page + 1) * size]
    pages = (total + size - 1) // size
    return {
        "content": content,
        "pageable": {"sort": {"sorted": False, "unsorted": True, "empty": True}, "pageSize": size,
                     "pageNumber": page, "offset": page * size, "paged": True, "unpaged": False},
        "totalElements": total,
        "totalPages": pages,
        "last": page >= pages - 1,
        "first": page == 0,
        "size": size,
        "number": page,
        "sort": {"sorted": False, "unsorted": True, "empty": True},
        "numberOfElements": len(content),
        "empty": not content,
    }


def _int(value: Any, default: int, field: str) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"{field} must be a number")
    if number < 0:
        raise ApiError(400, f"{field} must not be negative")
    return number


def _new_collection(sb: Sandbox, **fields: Any) -> dict:
    at = data.now_utc()
    ref = data.collection_reference(sb.rng, sb.next_seq(), at)
    c = {
        "transactionReference": ref,
        "paymentReference": ref,
        "amount_kobo": 0,
        "amount_paid_kobo": 0,
        "fee_kobo": 0,
        "status": "PENDING",
        "created_at": at,
        "paid_at": None,
        "customer": {"email": "", "name": ""},
        "description": "",
        "product_type": "API_NOTIFICATION",
        "product_reference": ref,
        "payment_method": "ACCOUNT_TRANSFER",
        "meta_data": {},
        "redirect_url": "",
        "payer": None,
        "destination": {},
        "refunded_kobo": 0,
    }
    c.update(fields)
    sb.collections[ref] = c
    return c


# ---- Monnify API ----


def init_transaction(sb: Sandbox, body: dict, base_url: str) -> dict:
    amount = parse_naira(body.get("amount"))
    if amount < 2000:
        raise ApiError(400, "Amount must be at least 20.00")
    email = body.get("customerEmail")
    if not isinstance(email, str) or "@" not in email:
        raise ApiError(400, "customerEmail is required and must be a valid email")
    payment_reference = body.get("paymentReference")
    if not isinstance(payment_reference, str) or not payment_reference.strip():
        raise ApiError(400, "paymentReference is required")
    contract = body.get("contractCode")
    if sb.config["contract_code"] and contract != sb.config["contract_code"]:
        raise ApiError(400, "Invalid contract code")
    if body.get("currencyCode", "NGN") != "NGN":
        raise ApiError(400, "Unsupported currency")
    if payment_reference in sb.payment_refs:
        raise ApiError(400, f"Duplicate payment reference: {payment_reference}")
    meta = body.get("metaData", body.get("metadata"))
    methods = body.get("paymentMethods") or ["CARD", "ACCOUNT_TRANSFER"]
    c = _new_collection(
        sb,
        amount_kobo=amount,
        customer={"email": email, "name": str(body.get("customerName") or "")},
        description=str(body.get("paymentDescription") or ""),
        meta_data=meta if isinstance(meta, dict) else {},
        redirect_url=str(body.get("redirectUrl") or ""),
        payment_methods=list(methods),
    )
    c["paymentReference"] = payment_reference
    c["product_reference"] = payment_reference
    sb.payment_refs[payment_reference] = c["transactionReference"]
    response = {
        "transactionReference": c["transactionReference"],
        "paymentReference": payment_reference,
        "merchantName": sb.config["merchant_name"],
        "apiKey": sb.config["api_key"],
        "enabledPaymentMethod": list(methods),
        "checkoutUrl": f"{base_url}/checkout/{c['transactionReference']}",
    }
    if c["redirect_url"]:
        response["redirectUrl"] = c["redirect_url"]
    return response


def init_bank_transfer(sb: Sandbox, body: dict) -> dict:
    c = sb.collections.get(str(body.get("transactionReference") or ""))
    if c is None:
        raise ApiError(404, "Transaction not found")
    if _effective_status(sb, c) != "PENDING":
        raise ApiError(400, "Transaction is no longer pending")
    if not c.get("dynamic_account"):
        number = sb.new_nuban()
        sb.account_index[number] = ("dynamic", c["transactionReference"])
        c["dynamic_account"] = number
    at = data.now_utc()
    bank_code = str(body.get("bankCode") or "058")
    return {
        "accountNumber": c["dynamic_account"],
        "accountName": sb.config["merchant_name"][:20],
        "bankName": data.BANK_NAMES["035"],
        "bankCode": "035",
        "accountDurationSeconds": int(sb.config["checkout_expiry_s"]),
        "ussdPayment": f"*{bank_code}*000*{c['dynamic_account']}#",
        "requestTime": data.fmt_iso_0000(at),
        "expiresOn": data.fmt_iso_0000(c["created_at"] + timedelta(seconds=sb.config["checkout_expiry_s"])),
        "transactionReference": c["transactionReference"],
        "paymentReference": c["paymentReference"],
        "amount": data.naira_num2(c["amount_kobo"]),
        "fee": data.naira_num2(0),
        "totalPayable": data.naira_num2(c["amount_kobo"]),
        "collectionChannel": "API_NOTIFICATION",
        "productInformation": None,
    }


def status_by_transaction_reference(sb: Sandbox, reference: str) -> dict:
    c = sb.collections.get(reference)
    if c is None:
        raise ApiError(404, f"Could not find transaction with the specified transaction reference: {reference}")
    return status_body(sb, c)


def status_query(sb: Sandbox, query: dict) -> dict:
    payment_reference = query.get("paymentReference")
    transaction_reference = query.get("transactionReference")
    if bool(payment_reference) == bool(transaction_reference):
        raise ApiError(400, "Supply exactly one of paymentReference or transactionReference")
    if payment_reference:
        ref = sb.payment_refs.get(payment_reference, payment_reference)
        c = sb.collections.get(ref)
        if c is None or c["paymentReference"] != payment_reference:
            raise ApiError(404, f"Could not find transaction with the specified payment reference: {payment_reference}")
        return status_body(sb, c)
    return status_by_transaction_reference(sb, transaction_reference)


def search(sb: Sandbox, query: dict) -> dict:
    page = _int(query.get("page"), 0, "page")
    size = _int(query.get("size"), 10, "size")
    start = _int(query.get("from"), 0, "from")
    end = _int(query.get("to"), 0, "to")
    items = []
    for c in sorted(sb.collections.values(), key=lambda c: c["created_at"], reverse=True):
        created = data.epoch_ms(c["created_at"])
        if start and created < start or end and created > end:
            continue
        if query.get("paymentStatus") and _effective_status(sb, c) != query["paymentStatus"]:
            continue
        if query.get("paymentReference") and c["paymentReference"] != query["paymentReference"]:
            continue
        if query.get("transactionReference") and c["transactionReference"] != query["transactionReference"]:
            continue
        if query.get("customerEmail") and c["customer"]["email"] != query["customerEmail"]:
            continue
        items.append(search_item(sb, c))
    return spring_page(items, page, size)


# ---- reserved accounts ----


def _reserved_body(sb: Sandbox, r: dict, with_count: bool = False) -> dict:
    body = {
        "contractCode": sb.config["contract_code"],
        "accountReference": r["accountReference"],
        "accountName": r["accountName"],
        "currencyCode": "NGN",
        "customerEmail": r["customerEmail"],
        "customerName": r["customerName"],
        "accounts": r["accounts"],
        "collectionChannel": "RESERVED_ACCOUNT",
        "reservationReference": r["reservationReference"],
        "reservedAccountType": "GENERAL",
        "status": r["status"],
        "createdOn": data.fmt_ymd_ms(r["created_at"]),
        "incomeSplitConfig": [],
        "bvn": r.get("bvn"),
        "restrictPaymentSource": False,
    }
    if r.get("nin"):
        body["nin"] = r["nin"]
    if with_count:
        body["transactionCount"] = sum(
            1 for c in sb.collections.values()
            if c["product_type"] == "RESERVED_ACCOUNT" and c["product_reference"] == r["accountReference"]
        )
    return body


def reserved_create(sb: Sandbox, body: dict) -> dict:
    reference = body.get("accountReference")
    if not isinstance(reference, str) or not reference.strip():
        raise ApiError(400, "accountReference is required")
    for field in ("accountName", "customerEmail", "customerName"):
        if not isinstance(body.get(field), str) or not body[field].strip():
            raise ApiError(400, f"{field} is required")
    if sb.config["contract_code"] and body.get("contractCode") != sb.config["contract_code"]:
        raise ApiError(400, "Invalid contract code")
    bvn, nin = body.get("bvn"), body.get("nin")
    if not bvn and not nin:
        raise ApiError(400, "Either bvn or nin is required")
    for name, value in (("bvn", bvn), ("nin", nin)):
        if value and not (isinstance(value, str) and value.isdigit() and len(value) == 11):
            raise ApiError(400, f"{name} must be 11 digits")
    if reference in sb.reserved:
        raise ApiError(422, "You cannot reserve more than one account for a customer with the same reference")
    if body.get("getAllAvailableBanks") is True:
        banks = list(data.RESERVED_ACCOUNT_BANKS)
    else:
        banks = [b for b in body.get("preferredBanks") or [] if b in data.RESERVED_ACCOUNT_BANKS]
        if not banks:
            raise ApiError(400, "preferredBanks is required when getAllAvailableBanks is false "
                                f"(available: {', '.join(data.RESERVED_ACCOUNT_BANKS)})")
    accounts = []
    for code in banks:
        number = sb.new_nuban()
        sb.account_index[number] = ("reserved", reference)
        accounts.append({"bankCode": code, "bankName": data.BANK_NAMES[code], "accountNumber": number,
                         "accountName": body["accountName"]})
    r = {
        "accountReference": reference,
        "accountName": body["accountName"],
        "customerEmail": body["customerEmail"],
        "customerName": body["customerName"],
        "accounts": accounts,
        "reservationReference": data.random_alnum(sb.rng, 20),
        "status": "ACTIVE",
        "created_at": data.now_utc(),
        "bvn": bvn,
        "nin": nin,
    }
    sb.reserved[reference] = r
    return _reserved_body(sb, r)


def reserved_get(sb: Sandbox, reference: str) -> dict:
    r = sb.reserved.get(reference)
    if r is None:
        raise ApiError(404, f"Cannot find reserved account with reference {reference}")
    return _reserved_body(sb, r, with_count=True)


def reserved_delete(sb: Sandbox, reference: str) -> dict:
    r = sb.reserved.get(reference)
    if r is None or r["status"] != "ACTIVE":
        raise ApiError(404, f"Cannot find reserved account with reference {reference}")
    r["status"] = "INACTIVE"
    return _reserved_body(sb, r)


def reserved_transactions(sb: Sandbox, query: dict) -> dict:
    reference = query.get("accountReference") or ""
    if reference not in sb.reserved:
        raise ApiError(404, f"Cannot find reserved account with reference {reference}")
    items = [
        search_item(sb, c) for c in sorted(sb.collections.values(), key=lambda c: c["created_at"], reverse=True)
        if c["product_type"] == "RESERVED_ACCOUNT" and c["product_reference"] == reference
    ]
    return spring_page(items, _int(query.get("page"), 0, "page"), _int(query.get("size"), 10, "size"))


# ---- webhooks ----


def _transaction_event_data(c: dict, status: str) -> dict:
    payer = c.get("payer")
    card = c["payment_method"] == "CARD"
    sources: Any = []
    if payer and not card:
        sources = [{
            "bankCode": payer["bankCode"],
            "amountPaid": data.naira_num(c["amount_paid_kobo"]),
            "accountName": payer["accountName"],
            "sessionId": payer["sessionId"],
            "accountNumber": payer["accountNumber"],
        }]
    return {
        "product": {"reference": c["product_reference"], "type": c["product_type"]},
        "transactionReference": c["transactionReference"],
        "paymentReference": c["paymentReference"],
        "paidOn": data.fmt_ymd_ms(c["paid_at"]),
        "paymentDescription": c["description"],
        "metaData": c["meta_data"],
        "paymentSourceInformation": sources,
        "destinationAccountInformation": c["destination"] if not card else {},
        "amountPaid": data.naira_num(c["amount_paid_kobo"]),
        "totalPayable": data.naira_num(c["amount_kobo"]),
        "cardDetails": ({"last4": "4081", "expMonth": "09", "expYear": "27", "bin": "539983", "reusable": False}
                        if card else {}),
        "paymentMethod": c["payment_method"],
        "currency": "NGN",
        "settlementAmount": data.naira_str(c["amount_paid_kobo"] - c["fee_kobo"]),
        "paymentStatus": status,
        "customer": {"name": c["customer"]["name"], "email": c["customer"]["email"]},
    }


def _rejected_event_data(c: dict) -> dict:
    payer = c["payer"] or {}
    dest = c["destination"] or {}
    return {
        "product": {"reference": c["product_reference"], "type": "WEB_SDK"},
        "amount": data.naira_num(c["amount_kobo"]),
        "paymentSourceInformation": {
            "bankCode": payer.get("bankCode", ""),
            "amountPaid": data.naira_num(c["amount_paid_kobo"]),
            "accountName": payer.get("accountName", ""),
            "sessionId": payer.get("sessionId", ""),
            "accountNumber": payer.get("accountNumber", ""),
        },
        "transactionReference": c["transactionReference"],
        "created_on": data.fmt_ymd_ms(c["paid_at"])[:-2],
        "paymentReference": c["paymentReference"],
        "paymentRejectionInformation": {
            "bankCode": dest.get("bankCode", "035"),
            "destinationAccountNumber": dest.get("accountNumber", ""),
            "bankName": dest.get("bankName", data.BANK_NAMES["035"]),
            "rejectionReason": "UNDER_PAYMENT",
            "expectedAmount": data.naira_num(c["amount_kobo"]),
        },
        "paymentDescription": c["description"],
        "customer": {"name": c["customer"]["name"], "email": c["customer"]["email"]},
    }


def _mark_paid(sb: Sandbox, c: dict, status: str, amount_paid: int, payer: dict | None) -> None:
    """Record the payment, roll status_disagrees, send the webhook. Caller holds the lock."""
    c["status"] = status
    c["amount_paid_kobo"] = amount_paid
    c["paid_at"] = data.now_utc()
    c["payer"] = payer
    c["fee_kobo"] = _fee_kobo(amount_paid, c["payment_method"])
    faults = sb.config["faults"]
    if status in ("PAID", "OVERPAID") and sb.roll(faults["status_disagrees_rate"]):
        c["status_override"] = faults["status_disagrees_with"]
        heal = faults["status_disagrees_for_s"]
        c["override_until"] = None if heal is None else data.now_utc() + timedelta(seconds=heal)
    if status in ("PAID", "OVERPAID"):
        sb.webhook_create("SUCCESSFUL_TRANSACTION", _transaction_event_data(c, status), c["transactionReference"])
    elif status == "PARTIALLY_PAID":
        kind = sb.config["underpayment_webhook"]
        if kind == "REJECTED_PAYMENT":
            sb.webhook_create("REJECTED_PAYMENT", _rejected_event_data(c), c["transactionReference"])
        elif kind == "SUCCESSFUL_TRANSACTION":
            sb.webhook_create("SUCCESSFUL_TRANSACTION", _transaction_event_data(c, status), c["transactionReference"])


def _payer(sb: Sandbox, body: dict) -> dict:
    bank = str(body.get("payer_bank_code") or "058")
    number = str(body.get("payer_account_number") or data.nuban(sb.rng))
    name = str(body.get("payer_name") or data.account_holder_name(number, bank))
    return {"accountName": name, "accountNumber": number, "bankCode": bank,
            "sessionId": data.session_id(sb.rng, data.now_utc())}


# ---- control ----


def control_reserved_payment(sb: Sandbox, account_number: str, body: dict) -> dict:
    try:
        amount = parse_naira(body.get("amount"))
    except ApiError as exc:
        raise ControlError(400, exc.message)
    entry = sb.account_index.get(account_number)
    if entry is None:
        raise ControlError(404, f"no reserved or dynamic account {account_number}")
    kind, key = entry
    if kind == "dynamic":
        c = sb.collections[key]
        if c["status"] != "PENDING":
            raise ControlError(409, f"checkout {key} is {c['status']}")
        c["destination"] = {"bankCode": "035", "bankName": data.BANK_NAMES["035"], "accountNumber": account_number}
        status = "PAID" if amount == c["amount_kobo"] else ("OVERPAID" if amount > c["amount_kobo"] else
                                                              "PARTIALLY_PAID")
        _mark_paid(sb, c, status, amount, _payer(sb, body))
        return {"transactionReference": c["transactionReference"], "paymentStatus": status}
    r = sb.reserved[key]
    if r["status"] != "ACTIVE":
        raise ControlError(409, f"reserved account {key} is {r['status']}")
    bank = next(a for a in r["accounts"] if a["accountNumber"] == account_number)
    c = _new_collection(
        sb,
        amount_kobo=amount,
        customer={"email": r["customerEmail"], "name": r["customerName"]},
        description=r["accountName"],
        product_type="RESERVED_ACCOUNT",
        product_reference=r["accountReference"],
        destination={"bankCode": bank["bankCode"], "bankName": bank["bankName"], "accountNumber": account_number},
    )
    _mark_paid(sb, c, "PAID", amount, _payer(sb, body))
    return {"transactionReference": c["transactionReference"], "paymentStatus": "PAID"}


def control_checkout_complete(sb: Sandbox, reference: str, body: dict) -> dict:
    c = sb.collections.get(reference)
    if c is None or c["product_type"] == "RESERVED_ACCOUNT":
        raise ControlError(404, f"no checkout {reference}")
    outcome = body.get("outcome")
    if outcome not in PAYMENT_OUTCOMES:
        raise ControlError(400, f"outcome must be one of {list(PAYMENT_OUTCOMES)}")
    if c["status"] != "PENDING":
        raise ControlError(409, f"checkout {reference} is already {c['status']}")
    method = body.get("payment_method") or "ACCOUNT_TRANSFER"
    if method not in ("ACCOUNT_TRANSFER", "CARD"):
        raise ControlError(400, "payment_method must be ACCOUNT_TRANSFER or CARD")
    c["payment_method"] = method
    if outcome in ("FAILED", "EXPIRED"):
        c["status"] = outcome
        return {"transactionReference": reference, "paymentStatus": outcome}
    default_paid = {"PAID": c["amount_kobo"], "PARTIALLY_PAID": c["amount_kobo"] // 2,
                    "OVERPAID": c["amount_kobo"] + c["amount_kobo"] // 10}[outcome]
    try:
        paid = parse_naira(body["amount_paid"], "amount_paid") if body.get("amount_paid") is not None \
            else default_paid
    except ApiError as exc:
        raise ControlError(400, exc.message)
    if outcome == "PARTIALLY_PAID" and paid >= c["amount_kobo"] or outcome == "OVERPAID" and paid <= c["amount_kobo"]:
        raise ControlError(400, f"amount_paid does not match outcome {outcome}")
    if method == "ACCOUNT_TRANSFER" and not c["destination"]:
        number = c.get("dynamic_account") or sb.new_nuban()
        c["destination"] = {"bankCode": "035", "bankName": data.BANK_NAMES["035"], "accountNumber": number}
    _mark_paid(sb, c, outcome, paid, _payer(sb, body) if method == "ACCOUNT_TRANSFER" else None)
    return {"transactionReference": reference, "paymentStatus": outcome}


def collections_view(sb: Sandbox) -> list[dict]:
    return [
        {"transactionReference": c["transactionReference"], "paymentReference": c["paymentReference"],
         "amount": data.naira_str(c["amount_kobo"]), "amountPaid": data.naira_str(c["amount_paid_kobo"]),
         "status": c["status"], "statusApiStatus": _effective_status(sb, c), "productType": c["product_type"],
         "productReference": c["product_reference"]}
        for c in sb.collections.values()
    ]
