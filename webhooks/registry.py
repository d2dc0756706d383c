"""Which code handles which eventType. Payments registers its handlers at startup:

    @webhook_handler("SUCCESSFUL_TRANSACTION")
    def on_successful_transaction(event: WebhookEvent, data: dict) -> HandlerResult: ...

A handler is called outside any transaction (it may query Monnify), must be idempotent (it can
run again after a crash or a replay) and must never move a payment backwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PROCESSED = "processed"
IGNORED = "ignored"
PARKED = "parked"


@dataclass(frozen=True)
class HandlerResult:
    status: str = PROCESSED  # processed | ignored | parked
    note: str = ""


Handler = Callable[..., HandlerResult]
_handlers: dict[str, Handler] = {}


def webhook_handler(event_type: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _handlers[event_type] = func
        return func

    return register


def handler_for(event_type: str) -> Handler | None:
    return _handlers.get(event_type)


def handled_event_types() -> list[str]:
    """The eventTypes some handler processes (every other type is stored and ignored)."""
    return sorted(_handlers)


def registered_event_types() -> list[str]:
    return sorted(_handlers)
