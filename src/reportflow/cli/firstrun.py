"""What ``reportflow up`` prepares on its first run: the admin account.

The account is named ``admin`` and its password lives in
``{home}/admin-password`` (0600). The file is written *before* the account
is created, so a crash in between leaves a password the next start uses for
the account it then creates; once the account exists, nothing changes it
(operators change passwords themselves, and up never overwrites them).
"""

from __future__ import annotations

import asyncio
import enum
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from reportflow.config import Settings

ADMIN_NAME = "admin"
PASSWORD_FILE = "admin-password"
PASSWORD_BYTES = 18  # 24 URL-safe characters


class AdminState(enum.StrEnum):
    CREATED = "created"  # made on this start; the password is shown once
    EXISTS = "exists"  # an earlier start (or an operator) made it


@dataclass(frozen=True, slots=True)
class AdminAccount:
    """The admin account ``up`` made or found, and where its password is kept."""

    state: AdminState
    password_file: Path
    password: str | None = None
    """Only when created on this start, for the console."""

    @property
    def managed(self) -> bool:
        """Whether the password file holds this account's password (up made it)."""
        return self.password_file.exists()


def password_file(settings: Settings) -> Path:
    return settings.home / PASSWORD_FILE


def _read_or_create_password(path: Path) -> str:
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(PASSWORD_BYTES)
    # O_EXCL + mode: the file is never readable by others, not even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(value + "\n")
    return value


async def _ensure_admin(settings: Settings) -> AdminAccount:
    from reportflow.requestor.auth import hash_password
    from reportflow.store import Role, Store, users

    path = password_file(settings)
    store = await Store.open(settings.resolved_database_url)
    try:
        async with store.read() as db:
            existing = await users.get_user_by_name(db, ADMIN_NAME)
        if existing is not None:
            return AdminAccount(AdminState.EXISTS, path)
        password = _read_or_create_password(path)
        hashed = await asyncio.to_thread(hash_password, password)
        async with store.transaction() as db:
            await users.create_user(db, ADMIN_NAME, role=Role.ADMIN, password_hash=hashed)
        return AdminAccount(AdminState.CREATED, path, password)
    finally:
        await store.close()


def ensure_admin(settings: Settings) -> AdminAccount:
    """Create the ``admin`` account unless it exists; see the module docstring."""
    settings.home.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_ensure_admin(settings))
