"""Standard Webhooks signing and verification, including the spec's test vector."""

from __future__ import annotations

import base64

import pytest

from reportflow.errors import WebhookError, WebhookVerificationError
from reportflow.webhooks import Verifier, generate_secret, sign, signature_headers
from reportflow.webhooks.signing import decode_secret

# The published Standard Webhooks test vector (reference libraries' tests).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TS = 1614265330
VECTOR_BODY = '{"test": 2432232314}'
VECTOR_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
NOW = 1_764_288_000


def _verifier(secrets: str | list[str], now: float = NOW, tolerance: float = 300) -> Verifier:
    return Verifier(secrets, tolerance=tolerance, clock=lambda: now)


def test_sign_reproduces_the_official_test_vector() -> None:
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY) == VECTOR_SIG


def test_the_official_test_vector_verifies() -> None:
    headers = {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TS),
        "webhook-signature": VECTOR_SIG,
    }
    _verifier(VECTOR_SECRET, now=VECTOR_TS + 10).verify(headers, VECTOR_BODY.encode())


def test_round_trip_with_header_names_in_any_case() -> None:
    secret = generate_secret()
    body = b'{"type":"report.succeeded"}'
    headers = signature_headers(secret, "msg_1", body, timestamp=NOW)
    _verifier(secret).verify({k.upper(): v for k, v in headers.items()}, body)


def test_rotation_signs_with_every_secret_and_verifies_with_any() -> None:
    old, new = generate_secret(), generate_secret()
    headers = signature_headers([old, new], "msg_r", b"{}", timestamp=NOW)
    assert len(headers["webhook-signature"].split()) == 2
    _verifier(old).verify(headers, b"{}")
    _verifier(new).verify(headers, b"{}")
    # A receiver mid-rotation accepts a sender still on the old secret only.
    _verifier([new, old]).verify(signature_headers(old, "msg_o", b"{}", timestamp=NOW), b"{}")


def test_tampered_body_is_rejected() -> None:
    secret = generate_secret()
    headers = signature_headers(secret, "msg_t", b'{"rows":1}', timestamp=NOW)
    with pytest.raises(WebhookVerificationError, match="'msg_t': no signature matches"):
        _verifier(secret).verify(headers, b'{"rows":2}')


def test_wrong_secret_is_rejected() -> None:
    headers = signature_headers(generate_secret(), "msg_w", b"{}", timestamp=NOW)
    with pytest.raises(WebhookVerificationError, match="no signature matches"):
        _verifier(generate_secret()).verify(headers, b"{}")


def test_a_changed_id_breaks_the_signature() -> None:
    secret = generate_secret()
    headers = signature_headers(secret, "msg_a", b"{}", timestamp=NOW)
    headers["webhook-id"] = "msg_b"
    with pytest.raises(WebhookVerificationError):
        _verifier(secret).verify(headers, b"{}")


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_is_named(missing: str) -> None:
    secret = generate_secret()
    headers = signature_headers(secret, "msg_m", b"{}", timestamp=NOW)
    del headers[missing]
    with pytest.raises(WebhookVerificationError, match=f"missing {missing} header"):
        _verifier(secret).verify(headers, b"{}")


@pytest.mark.parametrize(("offset", "message"), [(-301, "s old"), (301, "s in the future")])
def test_timestamp_outside_tolerance_is_rejected(offset: int, message: str) -> None:
    secret = generate_secret()
    headers = signature_headers(secret, "msg_ts", b"{}", timestamp=NOW + offset)
    with pytest.raises(WebhookVerificationError, match=message):
        _verifier(secret).verify(headers, b"{}")
    # Inside the tolerance, the same request passes.
    _verifier(secret, now=NOW + offset).verify(headers, b"{}")


def test_tolerance_is_configurable() -> None:
    secret = generate_secret()
    headers = signature_headers(secret, "msg_tt", b"{}", timestamp=NOW - 30)
    _verifier(secret).verify(headers, b"{}")
    with pytest.raises(WebhookVerificationError, match="tolerance 10 s"):
        _verifier(secret, tolerance=10).verify(headers, b"{}")


def test_non_numeric_timestamp_is_named() -> None:
    secret = generate_secret()
    headers = signature_headers(secret, "msg_n", b"{}", timestamp=NOW)
    headers["webhook-timestamp"] = "yesterday"
    with pytest.raises(WebhookVerificationError, match="not unix seconds: 'yesterday'"):
        _verifier(secret).verify(headers, b"{}")


def test_other_signature_versions_and_garbage_are_skipped() -> None:
    secret = generate_secret()
    good = sign(secret, "msg_v", NOW, b"{}")
    headers = {
        "webhook-id": "msg_v",
        "webhook-timestamp": str(NOW),
        "webhook-signature": f"v1a,abc v1,ünïcode v2,xyz {good}",
    }
    _verifier(secret).verify(headers, b"{}")
    headers["webhook-signature"] = "v1a,abc v1,ünïcode"
    with pytest.raises(WebhookVerificationError, match="no signature matches"):
        _verifier(secret).verify(headers, b"{}")
    headers["webhook-signature"] = "v1a,abc"
    with pytest.raises(WebhookVerificationError, match="has no v1 signature"):
        _verifier(secret).verify(headers, b"{}")


def test_raw_keys_are_used_as_bytes() -> None:
    assert decode_secret("plain-key") == b"plain-key"
    assert decode_secret(b"\x00\x01") == b"\x00\x01"
    headers = signature_headers("plain-key", "msg_p", b"{}", timestamp=NOW)
    _verifier("plain-key").verify(headers, b"{}")


def test_generated_secrets_are_whsec_base64_and_distinct() -> None:
    first, second = generate_secret(), generate_secret()
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 24
    assert first != second


@pytest.mark.parametrize(
    ("secret", "message"),
    [("whsec_not base64!", "not base64"), ("", "is empty"), ("whsec_", "is empty")],
)
def test_bad_secrets_are_named(secret: str, message: str) -> None:
    with pytest.raises(WebhookError, match=message):
        Verifier(secret)


def test_no_secrets_and_short_generated_secrets_are_refused() -> None:
    with pytest.raises(WebhookError, match="no webhook secret"):
        sign([], "msg", NOW, b"")
    with pytest.raises(WebhookError, match="too short"):
        generate_secret(8)
    with pytest.raises(WebhookError, match="negative"):
        Verifier("k", tolerance=-1)
