"""Bring a store database to the newest schema with Alembic, from code.

``Store.open`` runs it at startup. Migrations go through the app's own async
engine (Alembic's ``run_sync`` recipe), so no second, sync driver is needed and
an in-memory SQLite database is migrated on the very connection the app uses.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from reportflow.errors import ConfigError
from reportflow.store.engine import create_engine

ALEMBIC_DIR = Path(__file__).with_name("alembic")


def alembic_config() -> Config:
    """An Alembic config pointing at the store's migration scripts."""
    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    return cfg


async def migrate_engine(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision``.

    Raises:
        ConfigError: the database cannot be reached or a migration failed.
    """

    def upgrade(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade)
    except (SQLAlchemyError, OSError) as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise ConfigError(f"store {where}: migration failed: {exc}") from exc


async def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision`` (idempotent)."""
    engine = create_engine(url)
    try:
        await migrate_engine(engine, revision)
    finally:
        await engine.dispose()
