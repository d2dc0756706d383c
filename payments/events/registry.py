"""Event handlers, registered at startup (payments.apps.ready imports the modules that register):

    @event_handler("payment.confirmed", name="notify_customer")
    def notify_customer(event: OutboxEvent) -> None: ...

Each (event, handler) pair becomes one `HandlerRun` row when the event is emitted, so completion is
recorded per pair. A handler runs outside any transaction (it may send email or call Monnify), may
run more than once after a crash, and so must be idempotent: key its effects on the event id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

Handler = Callable[..., None]
_handlers: dict[str, dict[str, Handler]] = defaultdict(dict)


def event_handler(event_type: str, *, name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _handlers[event_type][name] = func
        return func

    return register


def handlers_for(event_type: str) -> dict[str, Handler]:
    return dict(_handlers.get(event_type, {}))


def handler(event_type: str, name: str) -> Handler | None:
    return _handlers.get(event_type, {}).get(name)
