"""The sandbox's WSGI application: routing, Monnify's envelope, bearer auth and the API faults
(``api_error_rate``, ``api_error_after_commit_rate``, ``api_timeout_rate``), the control API and
a tiny hosted-checkout page."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from payments.clients.monnify.parsing import dumps_compact, loads

from . import collections as col
from . import data
from . import transfers as tr
from .config import ConfigError
from .state import ApiError, ControlError, Sandbox


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str]
    host: str
    params: dict[str, str] = field(default_factory=dict)
    epoch: int = 0

    def json(self, decimals: bool = True) -> Any:
        """Monnify API bodies parse numbers as Decimal (exact amounts); control bodies as floats."""
        if not self.body.strip():
            return {}
        try:
            return loads(self.body) if decimals else json.loads(self.body)
        except ValueError:
            raise ApiError(400, "Malformed JSON request body")

    def json_object(self) -> dict:
        value = self.json()
        if not isinstance(value, dict):
            raise ApiError(400, "The request body must be a JSON object")
        return value


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


def envelope(body: Any) -> dict:
    return {"requestSuccessful": True, "responseMessage": "success", "responseCode": "0", "responseBody": body}


def monnify_json(status: int, payload: Any) -> Response:
    return Response(status, dumps_compact(payload).encode("utf-8"))


def control_json(status: int, payload: Any) -> Response:
    return Response(status, json.dumps(payload, default=_plain).encode("utf-8"))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


_STATUS_TEXT = {200: "OK", 201: "Created", 303: "See Other", 400: "Bad Request", 401: "Unauthorized",
                404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 422: "Unprocessable Entity",
                500: "Internal Server Error"}

Handler = Callable[[Sandbox, Request], Any]


class SandboxApp:
    def __init__(self, sandbox: Sandbox):
        self.sb = sandbox
        self.api_routes: list[tuple[str, re.Pattern, Handler]] = []
        self.control_routes: list[tuple[str, re.Pattern, Handler]] = []
        self._register()

    # ---- routing table ----

    def _api(self, method: str, pattern: str, handler: Handler) -> None:
        self.api_routes.append((method, re.compile(f"^{pattern}$"), handler))

    def _control(self, method: str, pattern: str, handler: Handler) -> None:
        self.control_routes.append((method, re.compile(f"^{pattern}$"), handler))

    def _register(self) -> None:
        a, c = self._api, self._control
        a("POST", "/api/v1/auth/login", lambda sb, r: sb.login(r.headers.get("authorization", "")))
        a("POST", "/api/v1/merchant/transactions/init-transaction",
          lambda sb, r: col.init_transaction(sb, r.json_object(), f"http://{r.host}"))
        a("POST", "/api/v1/merchant/bank-transfer/init-payment",
          lambda sb, r: col.init_bank_transfer(sb, r.json_object()))
        a("GET", "/api/v2/transactions/(?P<ref>.+)",
          lambda sb, r: col.status_by_transaction_reference(sb, r.params["ref"]))
        a("GET", "/api/v2/merchant/transactions/query", lambda sb, r: col.status_query(sb, r.query))
        a("GET", "/api/v1/transactions/search", lambda sb, r: col.search(sb, r.query))
        a("POST", "/api/v2/bank-transfer/reserved-accounts", lambda sb, r: col.reserved_create(sb, r.json_object()))
        a("GET", "/api/v1/bank-transfer/reserved-accounts/transactions",
          lambda sb, r: col.reserved_transactions(sb, r.query))
        a("GET", "/api/v2/bank-transfer/reserved-accounts/(?P<ref>[^/]+)",
          lambda sb, r: col.reserved_get(sb, r.params["ref"]))
        a("DELETE", "/api/v1/bank-transfer/reserved-accounts/reference/(?P<ref>[^/]+)",
          lambda sb, r: col.reserved_delete(sb, r.params["ref"]))
        a("POST", "/api/v2/disbursements/single", lambda sb, r: tr.initiate(sb, r.json_object()))
        a("POST", "/api/v2/disbursements/single/validate-otp", lambda sb, r: tr.validate_otp(sb, r.json_object()))
        a("POST", "/api/v2/disbursements/single/resend-otp", lambda sb, r: tr.resend_otp(sb, r.json_object()))
        a("GET", "/api/v2/disbursements/single/summary", lambda sb, r: tr.summary(sb, r.query))
        a("GET", "/api/v2/disbursements/single/transactions", lambda sb, r: tr.transfers_list(sb, r.query))
        a("GET", "/api/v2/disbursements/search-transactions", lambda sb, r: tr.transfers_search(sb, r.query))
        a("GET", "/api/v2/disbursements/wallet-balance", lambda sb, r: tr.wallet_balance(sb, r.query))
        a("GET", "/api/v1/disbursements/account/validate", lambda sb, r: tr.account_validate(sb, r.query))
        a("GET", "/api/v1/banks", lambda sb, r: tr.banks(sb))
        a("GET", "/api/v1/sdk/transactions/banks", lambda sb, r: tr.banks(sb))
        a("POST", "/api/v1/refunds/initiate-refund", lambda sb, r: tr.refund_initiate(sb, r.json_object()))
        a("GET", "/api/v1/refunds", lambda sb, r: tr.refunds_list(sb, r.query))
        a("GET", "/api/v1/refunds/(?P<ref>[^/]+)", lambda sb, r: tr.refund_get(sb, r.params["ref"]))

        c("GET", "/sandbox/health", lambda sb, r: {"status": "ok"})
        c("POST", "/sandbox/reset", _reset)
        c("GET", "/sandbox/config", lambda sb, r: sb.config_view())
        c("PATCH", "/sandbox/config", _config_patch)
        c("POST", "/sandbox/tokens/expire", lambda sb, r: {"expired": sb.expire_tokens()})
        c("POST", "/sandbox/reserved-accounts/(?P<acct>[^/]+)/payments",
          lambda sb, r: _locked(sb, col.control_reserved_payment, r.params["acct"], _control_body(r)))
        c("GET", "/sandbox/reserved-accounts", lambda sb, r: _locked(sb, lambda s: [
            col._reserved_body(s, x) for x in s.reserved.values()]))
        c("GET", "/sandbox/collections", lambda sb, r: _locked(sb, col.collections_view))
        c("POST", "/sandbox/checkouts/(?P<ref>.+)/complete",
          lambda sb, r: _locked(sb, col.control_checkout_complete, r.params["ref"], _control_body(r)))
        c("GET", "/sandbox/disbursements",
          lambda sb, r: _locked(sb, lambda s: [tr.disbursement_view(d) for d in s.disbursements.values()]))
        c("POST", "/sandbox/disbursements/(?P<ref>.+)/resolve",
          lambda sb, r: _locked(sb, tr.control_resolve, r.params["ref"], _control_body(r)))
        c("GET", "/sandbox/refunds", lambda sb, r: _locked(sb, tr.refunds_view))
        c("POST", "/sandbox/refunds/(?P<ref>.+)/resolve",
          lambda sb, r: _locked(sb, tr.control_refund_resolve, r.params["ref"], _control_body(r)))
        c("GET", "/sandbox/webhooks", lambda sb, r: sb.webhooks_view())
        c("POST", "/sandbox/webhooks", lambda sb, r: sb.webhook_custom(_control_body(r)))
        c("POST", "/sandbox/webhooks/(?P<id>[0-9]+)/redeliver", lambda sb, r: sb.webhook_redeliver(int(r.params["id"])))
        c("GET", "/sandbox/requests", lambda sb, r: sb.requests_view())

    # ---- WSGI ----

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        request = _request_from(environ)
        if request.path.startswith("/api/"):
            response = self._handle_api(request)
        elif request.path.startswith("/sandbox/"):
            response = self._handle_control(request)
        elif request.path.startswith("/checkout/"):
            response = self._handle_checkout(request)
        else:
            response = control_json(404, {"error": f"no route {request.method} {request.path}"})
        reason = _STATUS_TEXT.get(response.status, "Status")
        headers = [("Content-Type", response.content_type), ("Content-Length", str(len(response.body))),
                   *response.headers]
        start_response(f"{response.status} {reason}", headers)
        return [response.body]

    def _match(self, routes: list, request: Request) -> tuple[Handler | None, bool]:
        path_matched = False
        for method, pattern, handler in routes:
            match = pattern.match(request.path)
            if match:
                path_matched = True
                if method == request.method:
                    request.params = match.groupdict()
                    return handler, True
        return None, path_matched

    def _handle_api(self, request: Request) -> Response:
        sb = self.sb
        with sb.lock:
            faults = dict(sb.config["faults"])
            hang_s = sb.config["api_timeout_s"]
            hang_after = sb.config["api_timeout_after_commit"]
            epoch, release = sb.epoch, sb.hang_release
        request.epoch = epoch
        applies = not faults["api_fault_paths"] or any(request.path.startswith(p) for p in faults["api_fault_paths"])
        fault = None
        if applies and sb.roll(faults["api_error_rate"]):
            response = monnify_json(500, {"requestSuccessful": False, "responseMessage": "An error occurred",
                                          "responseCode": "99"})
            self._log(request, response.status, "api_error")
            return response
        hang = applies and sb.roll(faults["api_timeout_rate"])
        if hang and not hang_after:
            release.wait(hang_s)
            if sb.epoch != epoch:  # the sandbox was reset (or stopped) meanwhile: do nothing
                return monnify_json(500, {"requestSuccessful": False, "responseMessage": "An error occurred",
                                          "responseCode": "99"})
        response = self._dispatch_api(request)
        if hang:
            fault = "api_timeout"
            if hang_after:
                release.wait(hang_s)
        elif applies and sb.roll(faults["api_error_after_commit_rate"]):
            fault = "api_error_after_commit"
            response = monnify_json(500, {"requestSuccessful": False, "responseMessage": "An error occurred",
                                          "responseCode": "99"})
        self._log(request, response.status, fault)
        return response

    def _dispatch_api(self, request: Request) -> Response:
        handler, path_matched = self._match(self.api_routes, request)
        if handler is None:
            status = 405 if path_matched else 404
            return monnify_json(status, {"requestSuccessful": False, "responseCode": "99",
                                         "responseMessage": f"No handler for {request.method} {request.path}"})
        try:
            if request.path != "/api/v1/auth/login":
                self.sb.check_bearer(request.headers.get("authorization", ""))
            with self.sb.lock:
                body = handler(self.sb, request)
        except ApiError as exc:
            return monnify_json(exc.http_status, {"requestSuccessful": False, "responseMessage": exc.message,
                                                  "responseCode": exc.code})
        return monnify_json(200, envelope(body))

    def _handle_control(self, request: Request) -> Response:
        handler, path_matched = self._match(self.control_routes, request)
        if handler is None:
            return control_json(405 if path_matched else 404, {"error": f"no route {request.method} {request.path}"})
        try:
            result = handler(self.sb, request)
        except ControlError as exc:
            return control_json(exc.http_status, {"error": exc.message})
        except (ConfigError, ApiError) as exc:
            return control_json(400, {"error": getattr(exc, "message", str(exc))})
        return control_json(200, result)

    def _log(self, request: Request, status: int, fault: str | None) -> None:
        self.sb.log_request({"method": request.method, "path": request.path, "query": request.query,
                             "status": status, "at": data.now_utc().isoformat(), "fault": fault},
                            request.epoch)

    # ---- hosted checkout ----

    def _handle_checkout(self, request: Request) -> Response:
        match = re.match(r"^/checkout/(?P<ref>.+?)(?P<complete>/complete)?$", request.path)
        if not match:
            return Response(404, b"not found", "text/plain")
        ref = match.group("ref")
        if request.method == "POST":
            form = dict(parse_qsl(request.body.decode("utf-8", "replace")))
            try:
                with self.sb.lock:
                    col.control_checkout_complete(self.sb, ref, {"outcome": form.get("outcome")})
                    redirect = self.sb.collections[ref]["redirect_url"]
                    payment_reference = self.sb.collections[ref]["paymentReference"]
            except ControlError as exc:
                return Response(exc.http_status, html.escape(exc.message).encode(), "text/plain; charset=utf-8")
            if redirect:
                sep = "&" if "?" in redirect else "?"
                location = f"{redirect}{sep}{urlencode({'paymentReference': payment_reference})}"
                return Response(303, b"", "text/plain", [("Location", location)])
            return Response(200, f"Checkout {html.escape(ref)}: {html.escape(form.get('outcome', ''))}".encode(),
                            "text/plain; charset=utf-8")
        with self.sb.lock:
            c = self.sb.collections.get(ref)
            if c is None:
                return Response(404, b"Unknown checkout", "text/plain")
            status = col._effective_status(self.sb, c)
            amount = data.naira_str(c["amount_kobo"])
            merchant = self.sb.config["merchant_name"]
            description = c["description"]
        buttons = "".join(
            f'<button name="outcome" value="{o}">{o.replace("_", " ").title()}</button> '
            for o in col.PAYMENT_OUTCOMES
        )
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>Monnify sandbox checkout</title>"
            "<style>body{font-family:sans-serif;max-width:32em;margin:3em auto}button{margin:.3em;padding:.6em}"
            "</style></head><body>"
            f"<h1>{html.escape(merchant)}</h1><p>{html.escape(description)}</p>"
            f"<p>Amount: <strong>&#8358;{amount}</strong></p><p>Reference: <code>{html.escape(ref)}</code></p>"
            f"<p>Status: <strong>{html.escape(status)}</strong></p>"
            + (f"<form method='post' action='/checkout/{quote(ref, safe='')}'>{buttons}</form>"
               if status == "PENDING" else "")
            + "<p><small>Local Monnify sandbox: no money moves.</small></p></body></html>"
        )
        return Response(200, page.encode("utf-8"), "text/html; charset=utf-8")


def _request_from(environ: dict) -> Request:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    # wsgiref decodes PATH_INFO as latin-1 after unquoting; undo that for UTF-8 references.
    path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
    headers = {
        key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")
    }
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    return Request(method=environ["REQUEST_METHOD"].upper(), path=path, query=query, body=body, headers=headers,
                   host=environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}")


def _control_body(request: Request) -> dict:
    try:
        value = request.json(decimals=False)
    except ApiError as exc:
        raise ControlError(400, exc.message)
    if not isinstance(value, dict):
        raise ControlError(400, "the body must be a JSON object")
    return value


def _locked(sb: Sandbox, fn: Callable, *args: Any) -> Any:
    with sb.lock:
        return fn(sb, *args)


def _reset(sb: Sandbox, request: Request) -> dict:
    sb.reset()
    return {"reset": True}


def _config_patch(sb: Sandbox, request: Request) -> dict:
    return sb.config_patch(_control_body(request))
