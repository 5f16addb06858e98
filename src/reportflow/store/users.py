"""Users, API tokens and browser sessions.

Secrets never reach the database in the clear: passwords are argon2 hashes
(done by the caller), tokens and session ids are stored as their SHA-256.
"""

from __future__ import annotations

import re
import time
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from reportflow.errors import ConflictError, StoreError
from reportflow.store.records import Role, User
from reportflow.store.tables import api_tokens, sessions, users

#: A user name goes into URLs (``?user=``), logs and channel keys: short and plain.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MAX_TOKEN_NAME = 100


def check_user_name(name: str) -> None:
    """Raise StoreError unless ``name`` is 1-64 letters, digits or ``._@-``."""
    if not NAME_PATTERN.fullmatch(name):
        shown = name if len(name) <= 70 else name[:64] + "..."
        raise StoreError(
            f"user name {shown!r} must be 1-64 letters, digits or ._@- "
            "(starting with a letter or digit)"
        )


def _user(row: Any) -> User:
    return User(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        disabled=bool(row.disabled),
        created_at=row.created_at,
    )


async def create_user(
    conn: AsyncConnection, name: str, *, role: Role = Role.USER, password_hash: str | None = None
) -> User:
    """Add a user. Raises ConflictError when the name is taken, StoreError when
    it is not a valid name (:func:`check_user_name`)."""
    check_user_name(name)
    now = time.time()
    try:
        async with conn.begin_nested():
            result = await conn.execute(
                insert(users)
                .values(name=name, role=role.value, password_hash=password_hash, created_at=now)
                .returning(users.c.id)
            )
    except IntegrityError as exc:
        raise ConflictError(f"user {name!r} already exists") from exc
    return User(id=result.scalar_one(), name=name, role=role, disabled=False, created_at=now)


async def get_user(conn: AsyncConnection, user_id: int) -> User | None:
    row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
    return _user(row) if row else None


async def get_user_by_name(conn: AsyncConnection, name: str) -> User | None:
    row = (await conn.execute(select(users).where(users.c.name == name))).first()
    return _user(row) if row else None


async def require_user(conn: AsyncConnection, name: str) -> User:
    user = await get_user_by_name(conn, name)
    if user is None:
        raise StoreError(f"no user named {name!r}")
    return user


async def password_hash(conn: AsyncConnection, user_id: int) -> str | None:
    stmt = select(users.c.password_hash).where(users.c.id == user_id)
    return (await conn.execute(stmt)).scalar_one_or_none()


async def set_password_hash(conn: AsyncConnection, user_id: int, hashed: str) -> None:
    await conn.execute(update(users).where(users.c.id == user_id).values(password_hash=hashed))


async def create_token(
    conn: AsyncConnection,
    user_id: int,
    token_hash: str,
    *,
    name: str = "",
    expires_at: float | None = None,
) -> int:
    """Store a token's hash; returns the token's id."""
    if len(name) > MAX_TOKEN_NAME:
        raise StoreError(f"token name is longer than {MAX_TOKEN_NAME} characters: {name[:40]!r}...")
    result = await conn.execute(
        insert(api_tokens)
        .values(
            user_id=user_id,
            token_hash=token_hash,
            name=name,
            created_at=time.time(),
            expires_at=expires_at,
        )
        .returning(api_tokens.c.id)
    )
    return int(result.scalar_one())


# Per-request lookups as constant statements: SQLAlchemy builds and keys them once.
_USER_FOR_TOKEN = (
    select(users, api_tokens.c.expires_at)
    .join(api_tokens, api_tokens.c.user_id == users.c.id)
    .where(api_tokens.c.token_hash == bindparam("b_hash"), api_tokens.c.revoked.is_(False))
)
_USER_FOR_SESSION = (
    select(users, sessions.c.expires_at)
    .join(sessions, sessions.c.user_id == users.c.id)
    .where(sessions.c.id_hash == bindparam("b_hash"))
)


async def user_for_token(conn: AsyncConnection, token_hash: str, now: float) -> User | None:
    """The enabled user owning a live (not revoked, not expired) token."""
    row = (await conn.execute(_USER_FOR_TOKEN, {"b_hash": token_hash})).first()
    if row is None or row.disabled or (row.expires_at is not None and row.expires_at <= now):
        return None
    return _user(row)


async def create_session(
    conn: AsyncConnection, user_id: int, id_hash: str, *, expires_at: float
) -> None:
    await conn.execute(
        insert(sessions).values(
            id_hash=id_hash, user_id=user_id, created_at=time.time(), expires_at=expires_at
        )
    )


async def user_for_session(conn: AsyncConnection, id_hash: str, now: float) -> User | None:
    """The enabled user of a live session; an expired session is deleted on sight."""
    row = (await conn.execute(_USER_FOR_SESSION, {"b_hash": id_hash})).first()
    if row is None:
        return None
    if row.expires_at <= now:
        await delete_session(conn, id_hash)
        return None
    return None if row.disabled else _user(row)


async def delete_session(conn: AsyncConnection, id_hash: str) -> None:
    await conn.execute(delete(sessions).where(sessions.c.id_hash == id_hash))


async def purge_expired_sessions(conn: AsyncConnection, now: float) -> int:
    result = await conn.execute(delete(sessions).where(sessions.c.expires_at <= now))
    return int(result.rowcount or 0)
