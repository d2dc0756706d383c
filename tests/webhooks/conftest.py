import json
from pathlib import Path

import pytest
from django.test import Client

from webhooks import registry
from webhooks.signatures import monnify_signature

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "monnify" / "webhooks"


def sample(name: str) -> dict:
    return json.loads((SHARED / f"{name}.json").read_text())


def compact(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def post_webhook(client: Client, body: bytes, *, secret: str | None, signature: str | None = None, **extra):
    headers = {}
    if signature is not None:
        headers["HTTP_MONNIFY_SIGNATURE"] = signature
    elif secret is not None:
        headers["HTTP_MONNIFY_SIGNATURE"] = monnify_signature(body, secret)
    return client.post("/webhooks/monnify", data=body, content_type="application/json", **headers, **extra)


@pytest.fixture
def secret(settings) -> str:
    return settings.MONNIFY_SECRET_KEY


@pytest.fixture
def test_handlers():
    """Swap in recording handlers for the duration of a test."""
    saved = dict(registry._handlers)
    calls: list[tuple[str, dict]] = []
    yield registry, calls
    registry._handlers.clear()
    registry._handlers.update(saved)
