"""Payload signatures: HMAC (GitHub style), Stripe's timestamped HMAC, and shared tokens.

Every style accepts several secrets (rotation: the new one and the old one
both verify until the sender switches) and, in the header, several signatures
separated by commas or spaces. Comparisons are constant-time.

- ``hmac`` (GitHub: ``X-Hub-Signature-256: sha256=<hex>``): the HMAC of the raw body,
  after the prefix;
- ``stripe`` (``Stripe-Signature: t=<unix>,v1=<hex>``): the HMAC of ``"<t>." + body``,
  with ``t`` within the tolerance (replays are refused);
- ``token`` (GitLab: ``X-Gitlab-Token: <secret>``): the header is one of the secrets
  (GitLab does not sign).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from typing import Any

from reportflow.notifier.hooks.config import SignatureConfig

_SPLIT = re.compile(r"[,\s]+")
_DIGESTS: dict[str, Callable[[], Any]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
}


def _mac(secret: str, data: bytes, config: SignatureConfig) -> str:
    digest = hmac.new(secret.encode(), data, _DIGESTS[config.algorithm]).digest()
    if config.encoding == "base64":
        return base64.b64encode(digest).decode()
    return digest.hex()


def _any_equal(candidates: list[str], expected: list[str], *, fold: bool) -> bool:
    found = False
    for given in candidates:
        given = given.lower() if fold else given
        for want in expected:
            # No early exit: the time taken does not depend on which pair matched.
            found |= hmac.compare_digest(given.encode(), want.encode())
    return found


def verify(config: SignatureConfig, headers: Mapping[str, str], body: bytes, now: float) -> bool:
    """True when the request carries a valid signature (or token) for one of the secrets."""
    value = headers.get(config.header.lower(), "").strip()
    if not value:
        return False
    if config.style == "token":
        return _any_equal([value], config.secrets, fold=False)
    if config.style == "stripe":
        return _verify_stripe(config, value, body, now)
    candidates = []
    for part in _SPLIT.split(value):
        if config.prefix:
            if not part.lower().startswith(config.prefix.lower()):
                continue
            part = part[len(config.prefix) :]
        if part:
            candidates.append(part)
    hexed = config.encoding == "hex"
    expected = [_mac(secret, body, config) for secret in config.secrets]
    return _any_equal(candidates, expected, fold=hexed)


def _verify_stripe(config: SignatureConfig, value: str, body: bytes, now: float) -> bool:
    stamp: str | None = None
    candidates = []
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        if key == "t":
            stamp = item
        elif key == config.scheme:
            candidates.append(item)
    if stamp is None or not stamp.isdigit() or not candidates:
        return False
    if abs(now - int(stamp)) > config.tolerance_seconds:
        return False
    signed = stamp.encode() + b"." + body
    expected = [_mac(secret, signed, config) for secret in config.secrets]
    return _any_equal(candidates, expected, fold=config.encoding == "hex")


def sign(config: SignatureConfig, body: bytes, *, secret: str | None = None, now: int = 0) -> str:
    """The header value a sender would put on ``body`` (for tests, examples and tools)."""
    key = secret if secret is not None else config.secrets[0]
    if config.style == "token":
        return key
    if config.style == "stripe":
        mac = _mac(key, str(now).encode() + b"." + body, config)
        return f"t={now},{config.scheme}={mac}"
    return f"{config.prefix}{_mac(key, body, config)}"
