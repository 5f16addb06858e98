"""``reportflow user password NAME``: how an operator replaces up's generated password."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportflow.cli.firstrun import ensure_admin
from reportflow.cli.main import cli
from reportflow.config import Settings
from reportflow.requestor.auth import verify_password
from reportflow.store import Store, users


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("REPORTFLOW_HOME", str(tmp_path))
    return Settings()


def _hash(settings: Settings, name: str) -> str | None:
    async def main() -> str | None:
        store = await Store.open(settings.resolved_database_url)
        try:
            async with store.read() as db:
                user = await users.require_user(db, name)
                return await users.password_hash(db, user.id)
        finally:
            await store.close()

    return asyncio.run(main())


def test_sets_a_new_password(settings: Settings) -> None:
    first = ensure_admin(settings)
    result = CliRunner().invoke(
        cli, ["user", "password", "admin", "--password-stdin"], input="a-new-long-password\n"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "password of admin set\n"
    hashed = _hash(settings, "admin")
    assert verify_password(hashed, "a-new-long-password")
    assert first.password is not None
    assert not verify_password(hashed, first.password)


def test_unknown_user_is_one_line(settings: Settings) -> None:
    result = CliRunner().invoke(
        cli, ["user", "password", "nobody", "--password-stdin"], input="a-new-long-password\n"
    )
    assert result.exit_code == 2
    assert result.stderr == "error: no user named 'nobody' (add it with: user add)\n"


def test_short_password_is_refused(settings: Settings) -> None:
    ensure_admin(settings)
    result = CliRunner().invoke(cli, ["user", "password", "admin", "--password-stdin"], input="x\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: user 'admin': password is shorter than ")
