"""Standard Webhooks signatures: sign what we send, verify what we receive.

A message is signed as ``HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")``
and sent with three headers::

    webhook-id: msg_2Lk...            unique per message, the same on every retry
    webhook-timestamp: 1764288000     unix seconds of this attempt
    webhook-signature: v1,K5oZfzN...  "v1," + base64 of the HMAC; several, space-separated

Secrets are ``whsec_`` followed by the base64 of the key (the form the
Standard Webhooks libraries generate and accept); a secret without the prefix
is used as raw key bytes so keys from other systems work unchanged. Signing
with several secrets puts one signature per secret in the header, which is how
a secret is rotated without a window where the receiver rejects messages.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from reportflow.errors import WebhookError, WebhookVerificationError

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"
DEFAULT_TOLERANCE_SECONDS = 300.0
DEFAULT_SECRET_BYTES = 24

Secret = str | bytes
"""A ``whsec_<base64>`` string, a raw key string, or raw key bytes."""
Secrets = Secret | Sequence[Secret]
"""One secret, or every secret active during a rotation."""


def generate_secret(nbytes: int = DEFAULT_SECRET_BYTES) -> str:
    """A new random secret in the ``whsec_<base64>`` form."""
    if nbytes < 16:
        raise WebhookError(f"secret length {nbytes} bytes is too short (minimum 16)")
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(nbytes)).decode("ascii")


def decode_secret(secret: Secret) -> bytes:
    """The HMAC key of one secret: base64-decoded after ``whsec_``, else the raw bytes."""
    if isinstance(secret, bytes):
        key = secret
    elif secret.startswith(SECRET_PREFIX):
        encoded = secret[len(SECRET_PREFIX) :]
        # Unpadded base64 is accepted, as the reference libraries do.
        encoded += "=" * (-len(encoded) % 4)
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise WebhookError("webhook secret: the part after 'whsec_' is not base64") from exc
    else:
        key = secret.encode("utf-8")
    if not key:
        raise WebhookError("webhook secret is empty")
    return key


def decode_secrets(secrets: Secrets) -> list[bytes]:
    """The HMAC keys of one or several secrets; raises :class:`WebhookError` on a bad one."""
    items: Iterable[Secret] = [secrets] if isinstance(secrets, str | bytes) else secrets
    keys = [decode_secret(s) for s in items]
    if not keys:
        raise WebhookError("no webhook secret given")
    return keys


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


def _digest(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def sign(secrets: Secrets, msg_id: str, timestamp: int, body: bytes | str) -> str:
    """The ``webhook-signature`` header value: one ``v1,<sig>`` per secret, space-separated."""
    raw = _as_bytes(body)
    return " ".join(
        f"{SIGNATURE_VERSION},{_digest(key, msg_id, timestamp, raw)}"
        for key in decode_secrets(secrets)
    )


def signature_headers(
    secrets: Secrets, msg_id: str, body: bytes | str, *, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for one delivery attempt (timestamp: now)."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        HEADER_ID: msg_id,
        HEADER_TIMESTAMP: str(ts),
        HEADER_SIGNATURE: sign(secrets, msg_id, ts, body),
    }


class Verifier:
    """Checks the Standard Webhooks headers of an inbound request.

    ``secrets`` are every secret currently accepted (old and new during a
    rotation); a request passes when any of its signatures matches any of them.
    ``tolerance`` bounds how far ``webhook-timestamp`` may be from now, in
    either direction, so a captured request cannot be replayed later.
    """

    def __init__(
        self,
        secrets: Secrets,
        *,
        tolerance: float = DEFAULT_TOLERANCE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if tolerance < 0:
            raise WebhookError(f"verification tolerance {tolerance} s is negative")
        self._keys = decode_secrets(secrets)
        self.tolerance = tolerance
        self._clock = clock

    def verify(self, headers: Mapping[str, str], body: bytes | str) -> None:
        """Return if the request is authentic and fresh.

        Raises:
            WebhookVerificationError: a header is missing or malformed, the
                timestamp is outside the tolerance, or no signature matches.
        """
        lower = {k.lower(): v for k, v in headers.items()}
        msg_id = _required(lower, HEADER_ID)
        timestamp = _timestamp(_required(lower, HEADER_TIMESTAMP))
        signatures = _required(lower, HEADER_SIGNATURE)
        self._check_time(timestamp)
        raw = _as_bytes(body)
        expected = [_digest(k, msg_id, timestamp, raw).encode("ascii") for k in self._keys]
        offered = _v1_signatures(signatures)
        if not offered:
            raise WebhookVerificationError(
                f"{HEADER_SIGNATURE} header has no {SIGNATURE_VERSION} signature"
            )
        # compare_digest on every pair, without an early exit per secret, so
        # timing says nothing about which secret or signature came close.
        matched = False
        for sig in offered:
            for exp in expected:
                matched |= hmac.compare_digest(sig, exp)
        if not matched:
            raise WebhookVerificationError(
                f"webhook {msg_id!r}: no signature matches any accepted secret"
            )

    def _check_time(self, timestamp: int) -> None:
        skew = self._clock() - timestamp
        if skew > self.tolerance:
            raise WebhookVerificationError(
                f"{HEADER_TIMESTAMP} {timestamp} is {skew:.0f} s old "
                f"(tolerance {self.tolerance:.0f} s)"
            )
        if -skew > self.tolerance:
            raise WebhookVerificationError(
                f"{HEADER_TIMESTAMP} {timestamp} is {-skew:.0f} s in the future "
                f"(tolerance {self.tolerance:.0f} s)"
            )


def _required(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name, "").strip()
    if not value:
        raise WebhookVerificationError(f"missing {name} header")
    return value


def _timestamp(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise WebhookVerificationError(
            f"{HEADER_TIMESTAMP} header is not unix seconds: {value[:40]!r}"
        ) from None


def _v1_signatures(header: str) -> list[bytes]:
    """The ``v1`` signatures of a header; other versions (e.g. ``v1a``) are skipped."""
    out: list[bytes] = []
    for part in header.split():
        version, _, sig = part.partition(",")
        if version == SIGNATURE_VERSION and sig:
            # Non-ASCII bytes cannot be a valid base64 signature; encoding with
            # "replace" keeps compare_digest (which refuses non-ASCII str) happy.
            out.append(sig.encode("ascii", "replace"))
    return out
