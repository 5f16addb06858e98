"""Interoperability with the Standard Webhooks reference library (``standardwebhooks``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import standardwebhooks

from reportflow.errors import WebhookVerificationError
from reportflow.webhooks import Verifier, generate_secret, signature_headers


def test_the_reference_library_verifies_what_we_sign() -> None:
    old, new = generate_secret(), generate_secret()
    body = '{"type":"report.succeeded","data":{"job_id":"j1"}}'
    headers = signature_headers([old, new], "msg_interop", body)
    for secret in (old, new):
        assert standardwebhooks.Webhook(secret).verify(body, headers) == {
            "type": "report.succeeded",
            "data": {"job_id": "j1"},
        }


def test_we_verify_what_the_reference_library_signs() -> None:
    secret = generate_secret()
    body = '{"status":"firing"}'
    now = int(time.time())
    signature = standardwebhooks.Webhook(secret).sign(
        "msg_ref", datetime.fromtimestamp(now, UTC), body
    )
    headers = {
        "webhook-id": "msg_ref",
        "webhook-timestamp": str(now),
        "webhook-signature": signature,
    }
    Verifier(secret).verify(headers, body)
    with pytest.raises(WebhookVerificationError):
        Verifier(generate_secret()).verify(headers, body)


def test_unpadded_secrets_decode_like_the_reference_library() -> None:
    padded = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # 24 bytes: no padding needed
    unpadded = "whsec_" + "c2VjcmV0LWtleS0xMjM0NQ"  # "secret-key-12345" without "=="
    for secret in (padded, unpadded):
        headers = signature_headers(secret, "msg_p", "{}")
        standardwebhooks.Webhook(secret).verify("{}", headers)
        Verifier(secret).verify(headers, "{}")
