"""``reportflow requestor``, ``user add``, ``token create`` and ``deliveries list|redeliver``."""

from __future__ import annotations

import asyncio
import sys
import time

import click

from reportflow.cli.catalog_path import apply_catalog
from reportflow.config import Settings, load_settings
from reportflow.errors import ConfigError, StoreError
from reportflow.logs import setup_logging


def _settings() -> Settings:
    settings = load_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    return settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def requestor(host: str, port: int) -> None:
    """Serve the requestor API (no runner) until SIGINT/SIGTERM."""
    from reportflow.requestor.server import serve

    settings = _settings()
    note = apply_catalog(settings)
    if note:
        click.echo(note, err=True)
    setup_logging(settings.log_level, settings.log_format)
    asyncio.run(serve(settings, host, port))


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("password", hide_input=True, confirmation_prompt=True))


@click.group()
def user() -> None:
    """Manage requestor users."""


@user.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="Give the user the admin role.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.option("--no-password", is_flag=True, help="No password: the user signs in with tokens.")
def user_add(name: str, admin: bool, password_stdin: bool, no_password: bool) -> None:
    """Add user NAME (asks for a password unless --password-stdin or --no-password)."""
    from reportflow.requestor.auth import hash_password
    from reportflow.store import Role, Store, users

    password = None if no_password else _read_password(password_stdin)
    try:
        hashed = hash_password(password) if password is not None else None
    except ValueError as exc:
        raise ConfigError(f"user {name!r}: {exc}") from exc

    async def main() -> None:
        store = await Store.open(_settings().resolved_database_url)
        try:
            async with store.transaction() as db:
                role = Role.ADMIN if admin else Role.USER
                await users.create_user(db, name, role=role, password_hash=hashed)
        finally:
            await store.close()

    asyncio.run(main())
    click.echo(f"added {'admin' if admin else 'user'} {name}")


@user.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
def user_password(name: str, password_stdin: bool) -> None:
    """Set the password of user NAME (asks for it unless --password-stdin)."""
    from reportflow.requestor.auth import hash_password
    from reportflow.store import Store, users

    try:
        hashed = hash_password(_read_password(password_stdin))
    except ValueError as exc:
        raise ConfigError(f"user {name!r}: {exc}") from exc

    async def main() -> None:
        store = await Store.open(_settings().resolved_database_url)
        try:
            async with store.transaction() as db:
                found = await users.get_user_by_name(db, name)
                if found is None:
                    raise StoreError(f"no user named {name!r} (add it with: user add)")
                await users.set_password_hash(db, found.id, hashed)
        finally:
            await store.close()

    asyncio.run(main())
    click.echo(f"password of {name} set")


@click.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.argument("user_name", metavar="USER")
@click.option("--name", "label", default="", help="What the token is for.")
@click.option("--expires-days", type=click.FloatRange(min=0, min_open=True), help="Lifetime.")
def token_create(user_name: str, label: str, expires_days: float | None) -> None:
    """Create an API token for USER and print it (it is shown only this once)."""
    from reportflow.requestor.auth import digest, new_token
    from reportflow.store import Store, users

    secret = new_token()
    expires_at = time.time() + expires_days * 86400 if expires_days else None

    async def main() -> None:
        store = await Store.open(_settings().resolved_database_url)
        try:
            async with store.transaction() as db:
                owner = await users.get_user_by_name(db, user_name)
                if owner is None:
                    raise StoreError(f"no user named {user_name!r} (add it with: user add)")
                await users.create_token(
                    db, owner.id, digest(secret), name=label, expires_at=expires_at
                )
        finally:
            await store.close()

    asyncio.run(main())
    click.echo(secret)


@click.group()
def deliveries() -> None:
    """Inspect and retry runner→requestor webhook deliveries (the outbox)."""


_outbox_url = click.option(
    "--outbox-url", help="The outbox database; default: the store's (embedded mode)."
)


@deliveries.command("list")
@click.option("--failed", is_flag=True, help="Only dead, gone or failing messages.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@_outbox_url
def deliveries_list(failed: bool, limit: int, outbox_url: str | None) -> None:
    """List webhook messages, newest first."""
    from reportflow.webhooks import Delivery, Outbox

    async def main() -> list[Delivery]:
        outbox = Outbox.from_url(outbox_url or _settings().resolved_database_url)
        try:
            await outbox.create_tables()
            return await outbox.list_deliveries(failed_only=failed, limit=limit)
        finally:
            await outbox.close()

    rows = asyncio.run(main())
    if not rows:
        click.echo("no deliveries")
        return
    click.echo(f"{'ID':<48} {'STATE':<10} {'TRIES':>5} {'LAST':>5}  ERROR")
    for d in rows:
        status = str(d.last_status) if d.last_status is not None else "-"
        click.echo(
            f"{d.id:<48} {d.state.value:<10} {d.attempts:>5} {status:>5}  {d.last_error or ''}"
        )


@deliveries.command("redeliver")
@click.argument("message_id", metavar="ID")
@_outbox_url
def deliveries_redeliver(message_id: str, outbox_url: str | None) -> None:
    """Queue message ID for delivery again now (a running dispatcher sends it)."""
    from reportflow.webhooks import Outbox

    async def main() -> str:
        outbox = Outbox.from_url(outbox_url or _settings().resolved_database_url)
        try:
            await outbox.create_tables()
            return (await outbox.redeliver(message_id)).state.value
        finally:
            await outbox.close()

    click.echo(f"{message_id}: {asyncio.run(main())}")
