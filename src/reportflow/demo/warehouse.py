"""Building the demo warehouse on any SQLAlchemy URL.

Tables are dropped and recreated, then filled in chunks with ``executemany``
from the row generators, so a ten-million-row ledger needs no more memory than
a thousand-row one. Each table is one transaction: a failed build never leaves
a half-filled table behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from reportflow.demo import generate, schema
from reportflow.errors import ConfigError

DEFAULT_ROWS = 100_000
DEFAULT_SEED = 42
CHUNK_ROWS = 5_000
MIN_ROWS = 2  # one journal: a debit and a credit

#: Called as rows go in: ``(table, rows_so_far, rows_expected or None)``.
ProgressFn = Callable[[str, int, int | None], None]

# The blocking drivers reportflow ships with; a bare scheme would pick psycopg2.
_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}


def engine_url(url: str) -> URL:
    """The SQLAlchemy URL with reportflow's default driver; ``ConfigError`` if unparsable."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(f"not a database URL: {url!r}") from exc
    driver = _DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _fill(
    engine: sa.Engine,
    table: sa.Table,
    rows: Iterable[dict[str, Any]],
    expected: int | None,
    progress: ProgressFn | None,
) -> int:
    done = 0
    with engine.begin() as conn:
        for chunk in _chunks(rows, CHUNK_ROWS):
            conn.execute(table.insert(), chunk)
            done += len(chunk)
            if progress is not None:
                progress(table.name, done, expected)
    return done


def _make_engine(url: URL) -> sa.Engine:
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        return sa.create_engine(url, poolclass=NullPool)
    except (sa.exc.ArgumentError, ImportError) as exc:  # unknown dialect, missing driver
        shown = url.render_as_string(hide_password=True)
        raise ConfigError(f"cannot use database URL {shown!r}: {exc}") from exc


def _analyze(engine: sa.Engine) -> None:
    """Refresh the planner's statistics so it picks the covering index."""
    statement = (
        "ANALYZE TABLE gl_entries" if engine.dialect.name in ("mysql", "mariadb") else "ANALYZE"
    )
    with engine.begin() as conn:
        conn.exec_driver_sql(statement)


def build_warehouse(
    url: str,
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    *,
    progress: ProgressFn | None = None,
) -> dict[str, int]:
    """(Re)create the demo tables at ``url``; ``rows`` sizes ``gl_entries``.

    Returns the row count of each table. Raises :class:`ConfigError` for a bad
    URL or row count, and when the database cannot be reached or written.
    """
    if rows < MIN_ROWS:
        raise ConfigError(f"rows must be at least {MIN_ROWS} (one balanced journal), got {rows}")
    target = engine_url(url)
    shown = target.render_as_string(hide_password=True)
    engine = _make_engine(target)
    plan: list[tuple[sa.Table, Iterable[dict[str, Any]], int | None]] = [
        (schema.gl_accounts, generate.accounts(), None),
        (schema.gl_periods, generate.periods(), None),
        (schema.gl_entries, generate.gl_entries(rows, seed), rows),
        (schema.gages, generate.gages(seed), None),
        (schema.gage_calibrations, generate.gage_calibrations(seed), None),
        (schema.machines, generate.machines(), None),
        (schema.machine_downtime, generate.machine_downtime(seed), None),
    ]
    counts: dict[str, int] = {}
    try:
        schema.metadata.drop_all(engine)
        schema.metadata.create_all(engine)
        for table, table_rows, expected in plan:
            counts[table.name] = _fill(engine, table, table_rows, expected, progress)
        _analyze(engine)
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise ConfigError(f"cannot build the demo warehouse at {shown}: {reason}") from exc
    finally:
        engine.dispose()
    return counts
