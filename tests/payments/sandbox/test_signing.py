"""The sandbox signs exactly as Monnify does: the published test vector and every sample."""

import json
from pathlib import Path

import pytest

from payments.clients.monnify.parsing import loads
from payments.sandbox import compact_body, sign_body

# A copy of shared/monnify/webhooks (Monnify's documented samples and signature vector).
SHARED = Path(__file__).resolve().parents[1] / "fixtures" / "monnify_webhooks"


def test_monnify_published_signature_vector():
    vector = json.loads((SHARED / "SIGNATURE_TEST_VECTOR.json").read_text())
    raw = vector["rawBody"].encode("utf-8")
    assert sign_body(raw, vector["secretKey"]) == vector["expectedSignature"]
    # and re-serialising the parsed body gives back the exact bytes that were signed
    assert compact_body(loads(raw)) == raw


def _samples():
    listing = json.loads((SHARED / "signatures_with_dummy_secret.json").read_text())
    return [(listing["secretKey"], item["file"], item["compactBodySha512Hmac"]) for item in listing["signatures"]]


@pytest.mark.parametrize(("secret", "name", "signature"), _samples())
def test_every_sample_payload_signs_identically(secret, name, signature):
    payload = loads((SHARED / name).read_text())
    assert sign_body(compact_body(payload), secret) == signature
