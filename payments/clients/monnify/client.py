"""The Monnify HTTP client: every call CozonPay makes to Monnify goes through ``MonnifyClient``.

Contract (MONNIFY.md is the source for paths and fields):
- Base URL and credentials come from settings only (``MONNIFY_*``); explicit connect and read
  timeouts on every request; redirects are never followed; references in paths are
  percent-encoded (``MNFY|..`` -> ``MNFY%7C..``).
- Login (``POST /api/v1/auth/login``, Basic auth) gives a bearer token that is cached per
  process (thread-safe) and refreshed shortly before ``expiresIn`` runs out; a 401 from a
  business endpoint drops the token and retries that call once with a fresh one.
- Failures are classified (see ``errors``). Only idempotent reads are retried, with exponential
  backoff. Writes (init-transaction, reserved-account create, disbursement initiate and
  validate-otp, refund initiate) are never retried here: a timeout or 5xx after sending raises
  ``MonnifyUnknownOutcome``; resolve it by querying with the same reference.
- A disbursement answered 200 with ``status: "FAILED"`` (insufficient balance) is returned as a
  ``Disbursement`` whose ``is_failed`` is true, not raised: the transfer exists and has failed.
  D07 (same account and amount within 2 minutes) raises ``MonnifyTerminalError`` with
  ``response_code == "D07"``.
- Every HTTP attempt is recorded in the audit trail (action ``monnify.api.call``): method, path,
  query, status, latency, request and response bodies, redacted (secret, tokens, BVN/NIN, and
  account numbers beyond their last 4 digits). The record is written after the call returns,
  never inside a transaction this client opens (it opens none); a failure to write it is logged
  and never hides the provider's answer.
- No ORM here apart from that audit write.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import requests
from django.conf import settings

from .errors import (
    MonnifyAuthError,
    MonnifyError,
    MonnifyInvalidResponse,
    MonnifyNotFound,
    MonnifyRetryableError,
    MonnifyTerminalError,
    MonnifyUnknownOutcome,
)
from .parsing import dumps_compact, kobo_to_naira, loads
from .types import (
    AccountName,
    Bank,
    Disbursement,
    InitTransactionResult,
    Page,
    RefundDetails,
    ReservedAccount,
    TransactionStatus,
    TransactionSummary,
    WalletBalance,
)

logger = logging.getLogger("payments.monnify")

AUDIT_ACTION = "monnify.api.call"
_REFERENCE_KEYS = ("transactionReference", "paymentReference", "reference", "refundReference", "accountReference")
_TEN_DIGITS_RE = re.compile(r"(?<![0-9A-Za-z])\d{10}(?![0-9A-Za-z])")
_UNMASKED_KEYS = {"contractCode"}
_MAX_TEXT = 4000


# --- token cache ------------------------------------------------------------------------------


@dataclass
class _Token:
    value: str
    expires_at: float  # the client's clock (time.monotonic) seconds
    refresh_at: float


_token_lock = threading.Lock()
_tokens: dict[tuple[str, str], _Token] = {}


def clear_token_cache() -> None:
    """Forget every cached access token (tests, key rotation)."""
    with _token_lock:
        _tokens.clear()


# --- audit ------------------------------------------------------------------------------------


def _mask_ten_digits(value: Any, key: str | None = None) -> Any:
    """Account numbers hide in free text too ("Name inquiry failed. Account 0103284195 ...")."""
    if isinstance(value, dict):
        return {k: _mask_ten_digits(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_ten_digits(v) for v in value]
    if isinstance(value, str) and key not in _UNMASKED_KEYS:
        return _TEN_DIGITS_RE.sub(lambda m: "******" + m.group(0)[-4:], value)
    return value


def scrub(value: Any) -> Any:
    """What the audit trail may keep of a request or response body."""
    from audit.redaction import redact

    return redact(_mask_ten_digits(value))


def audit_monnify_call(record: dict, references: Iterable[str]) -> None:
    """Default recorder: one audit row per HTTP attempt, actor = the provider."""
    from audit.services import Actor, audit_record

    audit_record(action=AUDIT_ACTION, actor=Actor.provider("monnify"), references=references, payload=record)


Recorder = Callable[[dict, Iterable[str]], None]


# --- the client -------------------------------------------------------------------------------


class _TokenRejected(Exception):
    pass


class MonnifyClient:
    def __init__(
        self,
        *,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        retry_attempts: int | None = None,
        retry_backoff_s: float | None = None,
        recorder: Recorder | None = audit_monnify_call,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.base_url = str(settings.MONNIFY_BASE_URL).rstrip("/")
        self.api_key = settings.MONNIFY_API_KEY
        self._secret_key = settings.MONNIFY_SECRET_KEY
        self.contract_code = settings.MONNIFY_CONTRACT_CODE
        self.wallet_account_number = settings.MONNIFY_WALLET_ACCOUNT_NUMBER
        self.connect_timeout = float(
            connect_timeout if connect_timeout is not None else settings.MONNIFY_CONNECT_TIMEOUT
        )
        self.read_timeout = float(read_timeout if read_timeout is not None else settings.MONNIFY_READ_TIMEOUT)
        self.retry_attempts = max(
            1, int(retry_attempts if retry_attempts is not None else getattr(settings, "MONNIFY_RETRY_ATTEMPTS", 3))
        )
        self.retry_backoff_s = float(  # seconds, not money
            retry_backoff_s if retry_backoff_s is not None else getattr(settings, "MONNIFY_RETRY_BACKOFF_SECONDS", 0.2)
        )
        self.recorder = recorder
        self._sleep = sleep
        self._clock = clock
        self._local = threading.local()
        from audit.redaction import register_secret_value

        register_secret_value(self._secret_key)

    # ---- plumbing ----

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    @property
    def _token_key(self) -> tuple[str, str]:
        return (self.base_url, self.api_key)

    def _access_token(self) -> str:
        with _token_lock:
            token = _tokens.get(self._token_key)
            if token and self._clock() < token.refresh_at:
                return token.value
            # Log in while holding the lock: concurrent callers wait for one login, not N.
            token = self._login()
            _tokens[self._token_key] = token
            return token.value

    def _drop_token(self, value: str | None) -> None:
        with _token_lock:
            token = _tokens.get(self._token_key)
            if token and (value is None or token.value == value):
                del _tokens[self._token_key]

    def _login(self) -> _Token:
        credentials = base64.b64encode(f"{self.api_key}:{self._secret_key}".encode()).decode("ascii")
        body = self._call(
            "POST", "/api/v1/auth/login", op="login", authorization=f"Basic {credentials}", body={}, safe=True
        )
        token = str(body.get("accessToken") or "")
        if not token:
            raise MonnifyInvalidResponse(
                "login answered without an accessToken", method="POST", path="/api/v1/auth/login"
            )
        try:
            expires_in = float(body.get("expiresIn") or 3600)  # token lifetime in seconds, not money
        except (TypeError, ValueError):
            expires_in = 3600.0
        now = self._clock()
        margin = min(60.0, expires_in / 2)
        return _Token(value=token, expires_at=now + expires_in, refresh_at=now + expires_in - margin)

    def login(self) -> str:
        """Force a fresh login; answers the new access token (mostly for tests and health checks)."""
        with _token_lock:
            token = self._login()
            _tokens[self._token_key] = token
            return token.value

    def _request(
        self,
        method: str,
        path: str,
        *,
        op: str,
        query: dict | None = None,
        body: Any = None,
        safe: bool,
        references: Iterable[str] = (),
    ) -> Any:
        """A business call: bearer auth, one re-login on 401, retries only when ``safe``."""
        attempts = self.retry_attempts if safe else 1
        relogged = False
        attempt = 0
        while True:
            attempt += 1
            token = self._access_token()
            try:
                return self._call(
                    method, path, op=op, query=query, body=body, safe=safe, authorization=f"Bearer {token}",
                    references=references, attempt=attempt,
                )
            except _TokenRejected:
                self._drop_token(token)
                if relogged:
                    raise MonnifyAuthError(
                        "Monnify refused a fresh access token", method=method, path=path, http_status=401
                    )
                relogged = True
                attempt -= 1
            except MonnifyRetryableError:
                if attempt >= attempts:
                    raise
                self._sleep(self.retry_backoff_s * (2 ** (attempt - 1)))

    def _call(
        self,
        method: str,
        path: str,
        *,
        op: str,
        authorization: str,
        safe: bool,
        query: dict | None = None,
        body: Any = None,
        references: Iterable[str] = (),
        attempt: int = 1,
    ) -> Any:
        """One HTTP attempt: send, record, classify. Answers ``responseBody`` on success."""
        url = self.base_url + path
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None}, quote_via=quote)
        headers = {"Accept": "application/json", "Authorization": authorization}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = dumps_compact(body).encode("utf-8")
        record: dict[str, Any] = {
            "operation": op,
            "method": method,
            "path": path,
            "query": query or {},
            "attempt": attempt,
            "request": body,
            "status": None,
        }
        refs = set(references)
        refs.update(_references_in(body))
        started = time.monotonic()
        ctx = {"method": method, "path": path}
        try:
            response = self._session().request(
                method, url, data=data, headers=headers,
                timeout=(self.connect_timeout, self.read_timeout), allow_redirects=False,
            )
        except requests.RequestException as exc:
            record["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
            error = self._classify_exception(exc, safe=safe, ctx=ctx)
            record["error"] = f"{type(exc).__name__}: {exc}"[:_MAX_TEXT]
            record["outcome"] = error.kind
            self._record(record, refs)
            raise error
        record["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
        record["status"] = response.status_code
        try:
            payload = loads(response.content) if response.content else None
            record["response"] = payload
        except ValueError:
            payload = None
            record["response"] = response.text[:_MAX_TEXT]
        envelope = payload if isinstance(payload, dict) else {}
        response_body = envelope.get("responseBody")
        if isinstance(response_body, dict):
            refs.update(_references_in(response_body))
        try:
            result = self._classify_response(response.status_code, payload, envelope, op=op, safe=safe, ctx=ctx)
        except (MonnifyError, _TokenRejected) as exc:
            record["outcome"] = getattr(exc, "kind", "token_rejected")
            self._record(record, refs)
            raise
        record["outcome"] = "ok"
        self._record(record, refs)
        return result

    @staticmethod
    def _classify_exception(exc: requests.RequestException, *, safe: bool, ctx: dict) -> MonnifyError:
        if _certainly_not_sent(exc):
            return MonnifyRetryableError(f"could not connect to Monnify: {type(exc).__name__}", **ctx)
        if isinstance(exc, requests.Timeout):
            if safe:
                return MonnifyRetryableError("Monnify did not answer in time", **ctx)
            return MonnifyUnknownOutcome("Monnify did not answer in time; the request may have been done", **ctx)
        if safe:
            return MonnifyRetryableError(f"network error talking to Monnify: {type(exc).__name__}", **ctx)
        return MonnifyUnknownOutcome(
            f"network error after sending to Monnify ({type(exc).__name__}); the request may have been done", **ctx
        )

    @staticmethod
    def _classify_response(status: int, payload: Any, envelope: dict, *, op: str, safe: bool, ctx: dict) -> Any:
        code = envelope.get("responseCode")
        code = None if code is None else str(code)
        message = envelope.get("responseMessage") or envelope.get("error_description") or envelope.get("error")
        message = None if message is None else str(message)
        detail = {"http_status": status, "response_code": code, "response_message": message, **ctx}
        if status == 401 and op != "login":
            raise _TokenRejected()
        if status in (401, 403) and op == "login":
            raise MonnifyAuthError(f"Monnify refused the API credentials: {message or status}", **detail)
        if status == 429:
            raise MonnifyRetryableError("Monnify is rate limiting", **detail)
        if status >= 500:
            if safe:
                raise MonnifyRetryableError(f"Monnify answered {status}", **detail)
            raise MonnifyUnknownOutcome(f"Monnify answered {status}; the request may have been done", **detail)
        if 300 <= status < 400:
            raise MonnifyTerminalError(f"Monnify answered a redirect ({status}); not followed", **detail)
        if status == 404:
            raise MonnifyNotFound(message or "not found", **detail)
        if status >= 400:
            raise MonnifyTerminalError(message or f"Monnify refused the request ({status})", **detail)
        if not isinstance(payload, dict) or "responseBody" not in payload and "responseCode" not in payload:
            if safe:
                raise MonnifyInvalidResponse("Monnify answered something that is not its envelope", **detail)
            raise MonnifyUnknownOutcome("Monnify's answer could not be read; the request may have been done", **detail)
        if payload.get("requestSuccessful") is False or (code is not None and code not in ("0", "00")):
            raise MonnifyTerminalError(message or "Monnify refused the request", **detail)
        return payload.get("responseBody")

    def _record(self, record: dict, references: Iterable[str]) -> None:
        if self.recorder is None:
            return
        record = dict(record)
        record["request"] = scrub(record.get("request"))
        record["response"] = scrub(record.get("response"))
        record["query"] = scrub(record.get("query"))
        record["error"] = scrub(record.get("error")) if record.get("error") else None
        try:
            self.recorder(record, sorted({str(r) for r in references if r}))
        except Exception:  # the provider's answer must never be lost to an audit failure
            logger.exception(
                "could not record a Monnify call in the audit trail",
                extra={"monnify_call": {k: record.get(k) for k in ("operation", "method", "path", "status")}},
            )

    def _typed(self, parser: Callable[[Any], Any], body: Any, *, write: bool, method: str, path: str) -> Any:
        try:
            if not isinstance(body, dict):
                raise ValueError("responseBody is not an object")
            return parser(body)
        except (ValueError, TypeError, KeyError) as exc:
            if write:
                raise MonnifyUnknownOutcome(
                    f"Monnify's answer could not be read ({exc}); the request may have been done",
                    method=method, path=path,
                )
            raise MonnifyInvalidResponse(f"Monnify's answer could not be read: {exc}", method=method, path=path)

    # ---- collections ----

    def init_transaction(
        self,
        *,
        amount_kobo: int,
        payment_reference: str,
        customer_email: str,
        customer_name: str,
        payment_description: str,
        redirect_url: str | None = None,
        payment_methods: Iterable[str] | None = None,
        meta_data: dict | None = None,
        currency: str = "NGN",
        audit_references: Iterable[str] = (),
    ) -> InitTransactionResult:
        path = "/api/v1/merchant/transactions/init-transaction"
        body: dict[str, Any] = {
            "amount": kobo_to_naira(amount_kobo),
            "customerName": customer_name,
            "customerEmail": customer_email,
            "paymentReference": payment_reference,
            "paymentDescription": payment_description,
            "currencyCode": currency,
            "contractCode": self.contract_code,
        }
        if redirect_url:
            body["redirectUrl"] = redirect_url
        if payment_methods:
            body["paymentMethods"] = list(payment_methods)
        if meta_data:
            body["metaData"] = meta_data
        result = self._request("POST", path, op="init_transaction", body=body, safe=False,
                               references=[payment_reference, *audit_references])
        return self._typed(InitTransactionResult.from_body, result, write=True, method="POST", path=path)

    def transaction_status(
        self, transaction_reference: str, *, audit_references: Iterable[str] = ()
    ) -> TransactionStatus:
        """``GET /api/v2/transactions/{transactionReference}`` (the reference is percent-encoded)."""
        path = f"/api/v2/transactions/{_segment(transaction_reference)}"
        result = self._request("GET", path, op="transaction_status", safe=True,
                               references=[transaction_reference, *audit_references])
        return self._typed(TransactionStatus.from_body, result, write=False, method="GET", path=path)

    def transaction_status_by_payment_reference(
        self, payment_reference: str, *, audit_references: Iterable[str] = ()
    ) -> TransactionStatus:
        """``GET /api/v2/merchant/transactions/query?paymentReference=`` (the merchant's reference)."""
        path = "/api/v2/merchant/transactions/query"
        result = self._request("GET", path, op="transaction_status_by_payment_reference", safe=True,
                               query={"paymentReference": payment_reference},
                               references=[payment_reference, *audit_references])
        return self._typed(TransactionStatus.from_body, result, write=False, method="GET", path=path)

    def transaction_search(
        self,
        *,
        from_ms: int | None = None,
        to_ms: int | None = None,
        page: int = 0,
        size: int = 20,
        payment_status: str | None = None,
        payment_reference: str | None = None,
        transaction_reference: str | None = None,
        audit_references: Iterable[str] = (),
    ) -> Page[TransactionSummary]:
        path = "/api/v1/transactions/search"
        query = {
            "page": page, "size": size, "from": from_ms, "to": to_ms, "paymentStatus": payment_status,
            "paymentReference": payment_reference, "transactionReference": transaction_reference,
        }
        result = self._request("GET", path, op="transaction_search", safe=True, query=query,
                               references=list(audit_references))
        return self._typed(lambda b: Page.from_body(b, TransactionSummary), result, write=False,
                           method="GET", path=path)

    # ---- reserved accounts ----

    def reserved_account_create(
        self,
        *,
        account_reference: str,
        account_name: str,
        customer_email: str,
        customer_name: str,
        bvn: str | None = None,
        nin: str | None = None,
        get_all_available_banks: bool = True,
        preferred_banks: Iterable[str] = (),
        currency: str = "NGN",
        audit_references: Iterable[str] = (),
    ) -> ReservedAccount:
        path = "/api/v2/bank-transfer/reserved-accounts"
        body: dict[str, Any] = {
            "accountReference": account_reference,
            "accountName": account_name,
            "currencyCode": currency,
            "contractCode": self.contract_code,
            "customerEmail": customer_email,
            "customerName": customer_name,
            "getAllAvailableBanks": bool(get_all_available_banks),
        }
        if bvn:
            body["bvn"] = bvn
        if nin:
            body["nin"] = nin
        if not get_all_available_banks:
            body["preferredBanks"] = list(preferred_banks)
        result = self._request("POST", path, op="reserved_account_create", body=body, safe=False,
                               references=[account_reference, *audit_references])
        return self._typed(ReservedAccount.from_body, result, write=True, method="POST", path=path)

    def reserved_account_get(self, account_reference: str, *, audit_references: Iterable[str] = ()) -> ReservedAccount:
        path = f"/api/v2/bank-transfer/reserved-accounts/{_segment(account_reference)}"
        result = self._request("GET", path, op="reserved_account_get", safe=True,
                               references=[account_reference, *audit_references])
        return self._typed(ReservedAccount.from_body, result, write=False, method="GET", path=path)

    # ---- disbursements ----

    def disbursement_initiate(
        self,
        *,
        reference: str,
        amount_kobo: int,
        narration: str,
        destination_bank_code: str,
        destination_account_number: str,
        destination_account_name: str,
        currency: str = "NGN",
        async_: bool = False,
        audit_references: Iterable[str] = (),
    ) -> Disbursement:
        """``POST /api/v2/disbursements/single``. ``reference`` is the idempotency key: after an
        ``MonnifyUnknownOutcome`` call ``disbursement_summary(reference)``, never resubmit with a new
        reference unless Monnify says it has no record (``MonnifyNotFound``)."""
        path = "/api/v2/disbursements/single"
        body = {
            "amount": kobo_to_naira(amount_kobo),
            "reference": reference,
            "narration": narration,
            "destinationBankCode": destination_bank_code,
            "destinationAccountNumber": destination_account_number,
            "destinationAccountName": destination_account_name,
            "currency": currency,
            "sourceAccountNumber": self.wallet_account_number,
            "async": bool(async_),
        }
        result = self._request("POST", path, op="disbursement_initiate", body=body, safe=False,
                               references=[reference, *audit_references])
        return self._typed(Disbursement.from_body, result, write=True, method="POST", path=path)

    def disbursement_validate_otp(
        self, *, reference: str, authorization_code: str, audit_references: Iterable[str] = ()
    ) -> Disbursement:
        path = "/api/v2/disbursements/single/validate-otp"
        body = {"reference": reference, "authorizationCode": authorization_code}
        result = self._request("POST", path, op="disbursement_validate_otp", body=body, safe=False,
                               references=[reference, *audit_references])
        return self._typed(Disbursement.from_body, result, write=True, method="POST", path=path)

    def disbursement_summary(self, reference: str, *, audit_references: Iterable[str] = ()) -> Disbursement:
        """``GET /api/v2/disbursements/single/summary?reference=``. ``MonnifyNotFound`` when Monnify
        has no transfer with that reference."""
        path = "/api/v2/disbursements/single/summary"
        result = self._request("GET", path, op="disbursement_summary", safe=True, query={"reference": reference},
                               references=[reference, *audit_references])
        return self._typed(Disbursement.from_body, result, write=False, method="GET", path=path)

    def disbursement_search(
        self,
        *,
        from_ms: int | None = None,
        to_ms: int | None = None,
        page: int = 0,
        size: int = 100,
        audit_references: Iterable[str] = (),
    ) -> Page[Disbursement]:
        """``GET /api/v2/disbursements/search-transactions`` (MONNIFY.md 4.6): the single transfers
        from our wallet created between ``from_ms`` and ``to_ms`` (epoch ms), a page at a time."""
        path = "/api/v2/disbursements/search-transactions"
        query = {"sourceAccountNumber": self.wallet_account_number, "pageNo": page, "pageSize": size,
                 "startDate": from_ms, "endDate": to_ms}
        result = self._request("GET", path, op="disbursement_search", safe=True, query=query,
                               references=list(audit_references))
        return self._typed(lambda b: Page.from_body(b, Disbursement), result, write=False, method="GET", path=path)

    def wallet_balance(self, account_number: str | None = None) -> WalletBalance:
        path = "/api/v2/disbursements/wallet-balance"
        result = self._request("GET", path, op="wallet_balance", safe=True,
                               query={"accountNumber": account_number or self.wallet_account_number})
        return self._typed(WalletBalance.from_body, result, write=False, method="GET", path=path)

    def account_validate(self, *, account_number: str, bank_code: str) -> AccountName:
        """Name enquiry. An invalid account raises ``MonnifyTerminalError`` (responseCode 99)."""
        path = "/api/v1/disbursements/account/validate"
        result = self._request("GET", path, op="account_validate", safe=True,
                               query={"accountNumber": account_number, "bankCode": bank_code})
        return self._typed(AccountName.from_body, result, write=False, method="GET", path=path)

    def banks(self) -> list[Bank]:
        path = "/api/v1/banks"
        result = self._request("GET", path, op="banks", safe=True)
        if not isinstance(result, list):
            raise MonnifyInvalidResponse("banks answered something that is not a list", method="GET", path=path)
        return [Bank.from_body(item) for item in result if isinstance(item, dict)]

    # ---- refunds ----

    def refund_initiate(
        self,
        *,
        transaction_reference: str,
        refund_reference: str,
        refund_amount_kobo: int,
        refund_reason: str,
        customer_note: str,
        destination_account_number: str | None = None,
        destination_account_bank_code: str | None = None,
        audit_references: Iterable[str] = (),
    ) -> RefundDetails:
        path = "/api/v1/refunds/initiate-refund"
        body: dict[str, Any] = {
            "transactionReference": transaction_reference,
            "refundReference": refund_reference,
            "refundAmount": kobo_to_naira(refund_amount_kobo),
            "refundReason": refund_reason,
            "customerNote": customer_note,
        }
        if destination_account_number or destination_account_bank_code:
            body["destinationAccountNumber"] = destination_account_number
            body["destinationAccountBankCode"] = destination_account_bank_code
        result = self._request("POST", path, op="refund_initiate", body=body, safe=False,
                               references=[refund_reference, transaction_reference, *audit_references])
        return self._typed(RefundDetails.from_body, result, write=True, method="POST", path=path)

    def refund_get(self, refund_reference: str, *, audit_references: Iterable[str] = ()) -> RefundDetails:
        path = f"/api/v1/refunds/{_segment(refund_reference)}"
        result = self._request("GET", path, op="refund_get", safe=True,
                               references=[refund_reference, *audit_references])
        return self._typed(RefundDetails.from_body, result, write=False, method="GET", path=path)


def _segment(value: str) -> str:
    """A path segment with everything but unreserved characters percent-encoded (| -> %7C)."""
    return quote(str(value), safe="")


def _references_in(body: Any) -> set[str]:
    if not isinstance(body, dict):
        return set()
    return {str(body[k]) for k in _REFERENCE_KEYS if body.get(k)}


def _certainly_not_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached Monnify (refused, DNS, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, NewConnectionError | ConnectionRefusedError):
            return True
        if isinstance(item, MaxRetryError):
            stack.append(item.reason)
        if isinstance(item, BaseException):
            stack.extend(a for a in item.args if isinstance(a, BaseException))
            stack.append(item.__cause__)
            stack.append(item.__context__)
    return False


_default_lock = threading.Lock()
_default: tuple[tuple, MonnifyClient] | None = None


def get_client(**overrides: Any) -> MonnifyClient:
    """The client configured from settings (the only way production code should get one).

    Without overrides the same instance is shared per process (its per-thread sessions keep
    connections alive); it is rebuilt when the MONNIFY_* settings change (tests)."""
    global _default
    if overrides:
        return MonnifyClient(**overrides)
    key = tuple(
        getattr(settings, name, None)
        for name in ("MONNIFY_BASE_URL", "MONNIFY_API_KEY", "MONNIFY_SECRET_KEY", "MONNIFY_CONTRACT_CODE",
                     "MONNIFY_WALLET_ACCOUNT_NUMBER", "MONNIFY_CONNECT_TIMEOUT", "MONNIFY_READ_TIMEOUT",
                     "MONNIFY_RETRY_ATTEMPTS", "MONNIFY_RETRY_BACKOFF_SECONDS")
    )
    with _default_lock:
        if _default is None or _default[0] != key:
            _default = (key, MonnifyClient())
        return _default[1]
