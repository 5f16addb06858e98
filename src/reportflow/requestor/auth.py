"""Credentials: argon2 passwords, API tokens, session cookies and CSRF tokens.

API tokens and session ids are 256-bit random strings, stored as their
SHA-256. A slow hash (argon2) exists to make guessing *low-entropy* secrets
expensive; a random 256-bit value cannot be guessed however fast the hash,
and a fast, deterministic hash lets the database find the token by an index.

CSRF tokens are ``HMAC(session_secret, session id)``: a synchronizer token
that needs no storage, is bound to the session, and changes when it does.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TOKEN_PREFIX = "rf_"
SESSION_COOKIE = "rf_session"
CSRF_COOKIE = "rf_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FORM_FIELD = "csrf_token"
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()
# Verified when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("reportflow-dummy-password")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password is shorter than {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(hashed: str | None, password: str) -> bool:
    """Constant-ish time whether or not a hash exists; never raises."""
    try:
        return _hasher.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password_async(hashed: str | None, password: str) -> bool:
    """:func:`verify_password` off the event loop (argon2 takes tens of milliseconds)."""
    return await asyncio.to_thread(verify_password, hashed, password)


def new_token() -> str:
    """A new API token, shown to its owner once."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What the store keeps of a token or session id."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def csrf_token(key: bytes, session_id: str) -> str:
    mac = hmac.new(key, session_id.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def csrf_matches(key: bytes, session_id: str, offered: str | None) -> bool:
    if not offered:
        return False
    return hmac.compare_digest(csrf_token(key, session_id), offered)
