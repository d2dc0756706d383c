"""The sandbox's memory and behaviour. One ``Sandbox`` per server; every mutation holds
``self.lock``; network work (webhook deliveries) happens on the scheduler's threads, outside it.

Documented choices where Monnify's own behaviour is uncertain (MONNIFY.md [U] items):
- A repeated disbursement ``reference`` returns the original transfer (knob
  ``duplicate_reference: "error"`` answers 400/99 instead); ``initiate_calls`` counts both.
- D07 is answered HTTP 400 ``{"requestSuccessful": false, "responseCode": "D07"}``.
- Insufficient wallet balance is HTTP 200 with ``status: "FAILED"`` and Monnify's comment; no
  webhook is sent for it (the caller already has the answer).
- A transfer is debited from the wallet when it is accepted (PENDING counts) and credited back on
  FAILED or REVERSED. Fee: ``disbursement_fee``.
- Refund status while pending: ``IN_PROGRESS``.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import secrets
import threading
import time
from collections import deque
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from . import data
from .config import EVENT_CATEGORY, initial_config, merge_config
from .scheduler import Scheduler
from .signing import SIGNATURE_HEADER, compact_body, sign_body


class ApiError(Exception):
    """A Monnify-shaped refusal: ``{"requestSuccessful": false, "responseCode": ..., ...}``."""

    def __init__(self, http_status: int, message: str, code: str = "99"):
        super().__init__(message)
        self.http_status, self.message, self.code = http_status, message, code


class ControlError(Exception):
    def __init__(self, http_status: int, message: str):
        super().__init__(message)
        self.http_status, self.message = http_status, message


def parse_naira(value: Any, field: str = "amount") -> int:
    """Naira (number or string) to kobo; ApiError on anything else, >2 dp included."""
    if isinstance(value, bool) or value is None:
        raise ApiError(400, f"{field} is required")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ApiError(400, f"{field} must be a number")
    if not number.is_finite() or number <= 0:
        raise ApiError(400, f"{field} must be greater than zero")
    kobo = number * 100
    if kobo != kobo.to_integral_value():
        raise ApiError(400, f"{field} must have at most 2 decimal places")
    return int(kobo)


class Sandbox:
    def __init__(self, **config_overrides: Any):
        self.lock = threading.RLock()
        self.scheduler = Scheduler()
        # Requests hanging on a timeout fault wait on this; a reset wakes them, and bumps the
        # epoch so they neither change nor log into the fresh state.
        self.epoch = 0
        self.hang_release = threading.Event()
        self.startup_config = initial_config(**config_overrides)
        self._reset_locked()

    # ---- lifecycle ----

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        self.hang_release.set()
        self.scheduler.stop()

    @property
    def stop_event(self) -> threading.Event:
        return self.scheduler.stop_event

    def reset(self) -> None:
        with self.lock:
            self.scheduler.clear()
            self._reset_locked()
            self.epoch += 1
            released, self.hang_release = self.hang_release, threading.Event()
        released.set()

    def _reset_locked(self) -> None:
        self.config = copy.deepcopy(self.startup_config)
        self.rng = random.Random(self.config["seed"])
        self.wallet_kobo = int(Decimal(self.config["wallet_balance"]) * 100)
        self.tokens: dict[str, float] = {}
        self.collections: dict[str, dict] = {}
        self.payment_refs: dict[str, str] = {}
        self.reserved: dict[str, dict] = {}
        self.account_index: dict[str, tuple[str, str]] = {}  # NUBAN -> ("reserved"|"dynamic", key)
        self.disbursements: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.webhooks: dict[int, dict] = {}
        self.requests: deque[dict] = deque(maxlen=5000)
        self.seq = 0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    # ---- config ----

    def config_view(self) -> dict:
        with self.lock:
            view = copy.deepcopy(self.config)
            view["wallet_balance"] = data.naira_str(self.wallet_kobo)
            secret = view.get("secret_key") or ""
            view["secret_key"] = ("*" * max(0, len(secret) - 4) + secret[-4:]) if secret else ""
            return view

    def config_patch(self, patch: Any) -> dict:
        with self.lock:
            new = merge_config(self.config, patch)
            if "wallet_balance" in patch:
                self.wallet_kobo = int(Decimal(new["wallet_balance"]) * 100)
            if "seed" in patch:
                self.rng = random.Random(new["seed"])
            self.config = new
        return self.config_view()

    def roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        if rate >= 1:
            return True
        with self.lock:
            return self.rng.random() < rate

    # ---- auth ----

    def login(self, authorization: str) -> dict:
        if not authorization:
            raise ApiError(401, "Unauthorized, supply authorization header")
        scheme, _, value = authorization.partition(" ")
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except ValueError:
            decoded = ""
        with self.lock:
            expected = f"{self.config['api_key']}:{self.config['secret_key']}"
            if scheme.lower() != "basic" or not secrets.compare_digest(decoded, expected):
                raise ApiError(401, "Invalid authentication credentials. Please check your API key and secret key")
            ttl = self.config["token_ttl_s"]
            token = _jwt_like(self.config["api_key"], ttl)
            self.tokens[token] = time.monotonic() + ttl
        return {"accessToken": token, "expiresIn": int(ttl)}

    def check_bearer(self, authorization: str) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "Full authentication is required to access this resource")
        with self.lock:
            expires = self.tokens.get(token.strip())
            if expires is None or time.monotonic() >= expires:
                raise ApiError(401, "Access token expired or invalid")

    def expire_tokens(self) -> int:
        with self.lock:
            count = len(self.tokens)
            for token in self.tokens:
                self.tokens[token] = 0.0
            return count

    # ---- webhooks ----

    def webhook_create(self, event_type: str, event_data: dict, reference: str, extra: dict | None = None) -> dict:
        """Record a webhook and schedule its deliveries per the faults. Caller holds the lock."""
        payload: dict[str, Any] = {"eventType": event_type, "eventData": event_data}
        if extra:
            payload.update(extra)
        faults = self.config["faults"]
        webhook = {
            "id": len(self.webhooks) + 1,
            "eventType": event_type,
            "reference": reference,
            "category": EVENT_CATEGORY.get(event_type, "transaction"),
            "payload": payload,
            "body": compact_body(payload),
            "attempts": 0,
            "delivered": False,
            "delivered_count": 0,
            "dropped": False,
            "copies": 1 + faults["webhook_duplicates"],
            "history": [],
            "created_at": data.now_utc().isoformat(),
        }
        self.webhooks[webhook["id"]] = webhook
        if self.roll(faults["webhook_drop_rate"]):
            webhook["dropped"] = True
            return webhook
        for _ in range(webhook["copies"]):
            self._schedule_delivery(webhook["id"], self._initial_delay_s(), self.config["webhook_retry"]["attempts"])
        return webhook

    def _initial_delay_s(self) -> float:
        faults = self.config["faults"]
        low, high = faults["webhook_delay_ms"]
        delay = self.rng.uniform(low, high) if high > 0 else 0.0
        if faults["webhook_shuffle"]:
            delay += self.rng.uniform(0, faults["webhook_shuffle_window_ms"])
        return delay / 1000

    def _schedule_delivery(self, webhook_id: int, delay_s: float, attempts_left: int, epoch: int | None = None) -> None:
        epoch = self.epoch if epoch is None else epoch
        self.scheduler.call_later(delay_s, lambda: self._deliver(webhook_id, attempts_left, epoch))

    def webhook_redeliver(self, webhook_id: int) -> dict:
        with self.lock:
            webhook = self.webhooks.get(webhook_id)
            if webhook is None:
                raise ControlError(404, f"no webhook {webhook_id}")
            self._schedule_delivery(webhook_id, 0, self.config["webhook_retry"]["attempts"])
            return _webhook_view(webhook)

    def _deliver(self, webhook_id: int, attempts_left: int, epoch: int) -> None:
        with self.lock:
            webhook = self.webhooks.get(webhook_id)
            if webhook is None or epoch != self.epoch:  # reset since: not ours any more
                return
            config = self.config
            url = config["webhook_urls"].get(webhook["category"]) or config["webhook_url"]
            secret = config["secret_key"]
            omit, corrupt = config["omit_signature"], config["corrupt_signature"]
            timeout = config["webhook_timeout_s"]
            body = webhook["body"]
            webhook["attempts"] += 1
            attempt = webhook["attempts"]
        if not url:
            self._note(webhook_id, epoch, {"attempt": attempt, "error": "no webhook_url configured"})
            return
        headers = {"Content-Type": "application/json"}
        if not omit:
            signature = sign_body(body, secret)
            if corrupt:
                signature = sign_body(body, secret + "-corrupted")
            headers[SIGNATURE_HEADER] = signature
        status: int | None = None
        error = None
        try:
            response = requests.post(url, data=body, headers=headers, timeout=timeout or None, allow_redirects=False)
            status = response.status_code
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}"
        ok = status == 200
        self._note(webhook_id, epoch, {"attempt": attempt, "url": url, "status": status, "error": error}, ok)
        if not ok and attempts_left > 1 and not self.stop_event.is_set():
            with self.lock:
                interval = self.config["webhook_retry"]["interval_s"]
            self._schedule_delivery(webhook_id, interval, attempts_left - 1, epoch)

    def _note(self, webhook_id: int, epoch: int, entry: dict, ok: bool = False) -> None:
        with self.lock:
            webhook = self.webhooks.get(webhook_id)
            if webhook is None or epoch != self.epoch:
                return
            entry["at"] = data.now_utc().isoformat()
            webhook["history"].append(entry)
            if ok:
                webhook["delivered"] = True
                webhook["delivered_count"] += 1

    def webhooks_view(self) -> list[dict]:
        with self.lock:
            return [_webhook_view(w) for w in self.webhooks.values()]

    def webhook_custom(self, body: Any) -> dict:
        if not isinstance(body, dict) or not isinstance(body.get("eventType"), str):
            raise ControlError(400, "eventType and eventData are required")
        event_data = body.get("eventData")
        if not isinstance(event_data, dict):
            raise ControlError(400, "eventData must be an object")
        extra = {"metaData": body["metaData"]} if isinstance(body.get("metaData"), dict) else None
        reference = str(
            event_data.get("transactionReference") or event_data.get("reference") or event_data.get("refundReference")
            or ""
        )
        with self.lock:
            return _webhook_view(self.webhook_create(body["eventType"], event_data, reference, extra))

    def log_request(self, entry: dict, epoch: int) -> None:
        with self.lock:
            if epoch == self.epoch:
                self.requests.append(entry)

    def requests_view(self) -> list[dict]:
        with self.lock:
            return list(self.requests)

    # ---- helpers shared by the API modules ----

    def account_name_for(self, account_number: str, bank_code: str) -> str:
        entry = self.account_index.get(account_number)
        if entry and entry[0] == "reserved":
            return self.reserved[entry[1]]["accountName"]
        return data.account_holder_name(account_number, bank_code)

    def is_invalid_account(self, account_number: str) -> bool:
        config = self.config
        return account_number in config["invalid_accounts"] or any(
            account_number.startswith(p) for p in config["invalid_account_prefixes"] if p
        )

    def new_nuban(self) -> str:
        while True:
            number = data.nuban(self.rng)
            if number not in self.account_index and not self.is_invalid_account(number):
                return number


def _webhook_view(webhook: dict) -> dict:
    return {
        key: webhook[key]
        for key in ("id", "eventType", "reference", "category", "attempts", "delivered", "delivered_count",
                    "dropped", "copies", "history", "created_at", "payload")
    } | {"body": webhook["body"].decode("utf-8")}


def _jwt_like(subject: str, ttl: float) -> str:
    def b64(raw: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(raw, separators=(",", ":")).encode()).rstrip(b"=").decode()

    now = int(time.time())
    header = b64({"alg": "HS512"})
    claims = b64({"sub": subject, "iat": now, "exp": now + int(ttl), "jti": secrets.token_hex(8)})
    return f"{header}.{claims}.{secrets.token_urlsafe(32)}"


def lagos_window_ok(at: datetime, window_s: float) -> bool:
    return data.now_utc() - at < timedelta(seconds=window_s)
