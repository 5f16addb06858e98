"""Standard Webhooks signatures for the generic HTTP channel.

A minimal signer (``v1`` = HMAC-SHA256 over ``"{id}.{timestamp}.{body}"``,
secret ``whsec_`` + base64) so the notifier does not depend on the requestor's
webhook package; receivers verify it with any Standard Webhooks library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid

SECRET_PREFIX = "whsec_"


def _key(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError:
        # A secret that is not base64 is used as is, like most libraries do for plain keys.
        return raw.encode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256>``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signature_headers(
    secret: str, body: bytes, *, msg_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` for ``body``."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }
