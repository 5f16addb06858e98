"""``reportflow up``'s first run: the admin account and its password file."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

from reportflow.cli.firstrun import AdminState, ensure_admin, password_file
from reportflow.config import Settings
from reportflow.requestor.auth import verify_password
from reportflow.store import Role, Store, users


async def _admin(settings: Settings) -> tuple[Role, str | None] | None:
    store = await Store.open(settings.resolved_database_url)
    try:
        async with store.read() as db:
            user = await users.get_user_by_name(db, "admin")
            if user is None:
                return None
            return user.role, await users.password_hash(db, user.id)
    finally:
        await store.close()


def test_first_run_creates_admin_with_a_private_password_file(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    admin = ensure_admin(settings)
    assert admin.state is AdminState.CREATED
    assert admin.password_file == password_file(settings) == tmp_path / "home" / "admin-password"
    assert stat.S_IMODE(admin.password_file.stat().st_mode) == 0o600
    assert admin.password is not None
    assert admin.password_file.read_text().strip() == admin.password
    found = asyncio.run(_admin(settings))
    assert found is not None
    role, hashed = found
    assert role is Role.ADMIN
    assert verify_password(hashed, admin.password)


def test_later_runs_keep_the_account_and_its_password(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    first = ensure_admin(settings)
    again = ensure_admin(settings)
    assert again.state is AdminState.EXISTS
    assert again.password is None
    assert again.managed
    assert again.password_file.read_text().strip() == first.password


def test_a_password_file_left_by_a_crash_is_the_password_used(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    password_file(settings).write_text("left-by-an-earlier-start\n")
    admin = ensure_admin(settings)
    assert admin.state is AdminState.CREATED
    assert admin.password == "left-by-an-earlier-start"
    found = asyncio.run(_admin(settings))
    assert found is not None
    assert verify_password(found[1], "left-by-an-earlier-start")


def test_an_admin_made_by_an_operator_is_left_alone(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)

    async def add() -> None:
        store = await Store.open(settings.resolved_database_url)
        try:
            async with store.transaction() as db:
                await users.create_user(db, "admin", role=Role.ADMIN, password_hash=None)
        finally:
            await store.close()

    asyncio.run(add())
    admin = ensure_admin(settings)
    assert admin.state is AdminState.EXISTS
    assert not admin.managed
    assert not password_file(settings).exists()
