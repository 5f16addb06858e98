"""How many runners share the queue: a small registry of live runners.

Each autoscaling runner sizes its own pool from the shared signal (arrivals
and backlog of the whole queue), so it needs the number of live runners to
take its share. Every tick it records itself in a registry and counts the
entries seen within ``ttl`` seconds (three ticks by default): a runner that
stops or is killed drops out by itself.

* ``sqlite://`` and ``postgresql://`` queues: a ``reportflow_runners`` table
  in the queue's database (worker id, last seen, epoch seconds).
* ``memory://`` queues: a process-wide registry per queue URL.
* anything else (Redis): :class:`StaticPeers`, the count given in settings,
  1 by default.

Runners that do not autoscale never register, which is right: their slots
are fixed, and the autoscalers only size themselves.
"""

from __future__ import annotations

import logging
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from reportflow import sqlite_inline
from reportflow.errors import RunnerError

log = logging.getLogger("reportflow.runner")

TABLE = "reportflow_runners"
_metadata = sa.MetaData()
runners_table = sa.Table(
    TABLE,
    _metadata,
    sa.Column("worker", sa.String(255), primary_key=True),
    sa.Column("seen_at", sa.Double, nullable=False),
)
_ASYNC_DRIVERS = {
    "sqlite": f"sqlite+{sqlite_inline.DRIVER}",
    "sqlite+aiosqlite": f"sqlite+{sqlite_inline.DRIVER}",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


class Peers(Protocol):
    """A registry of live runners."""

    async def beat(self, worker: str, now: float) -> int:
        """Record ``worker`` as alive at ``now`` (epoch seconds); return the live count (>= 1)."""
        ...

    async def leave(self, worker: str) -> None:
        """Remove ``worker`` (a clean stop)."""
        ...

    async def close(self) -> None: ...


class StaticPeers:
    """A fixed count (for queues without a registry)."""

    def __init__(self, count: int = 1) -> None:
        if count < 1:
            raise RunnerError(f"peers: count must be >= 1, got {count}")
        self.count = count

    async def beat(self, worker: str, now: float) -> int:
        return self.count

    async def leave(self, worker: str) -> None:
        return None

    async def close(self) -> None:
        return None


_MEMORY: dict[str, dict[str, float]] = {}


class MemoryPeers:
    """Runners in this process sharing one ``name`` (the memory queue's URL)."""

    def __init__(self, name: str, ttl: float) -> None:
        self.seen = _MEMORY.setdefault(name, {})
        self.ttl = ttl

    async def beat(self, worker: str, now: float) -> int:
        self.seen[worker] = now
        for other, at in list(self.seen.items()):
            if at < now - self.ttl:
                del self.seen[other]
        return max(1, len(self.seen))

    async def leave(self, worker: str) -> None:
        self.seen.pop(worker, None)

    async def close(self) -> None:
        return None


class SqlPeers:
    """The ``reportflow_runners`` table in the queue's SQLite or PostgreSQL database."""

    def __init__(self, url: str, ttl: float) -> None:
        parsed = make_url(url)
        driver = _ASYNC_DRIVERS.get(parsed.drivername)
        if driver is None:
            raise RunnerError(f"peers: no runner registry for {parsed.drivername!r} URLs")
        self.dialect = parsed.get_backend_name()
        self.engine: AsyncEngine = create_async_engine(
            parsed.set(drivername=driver).render_as_string(hide_password=False)
        )
        self.ttl = ttl
        self._ready = False

    async def beat(self, worker: str, now: float) -> int:
        try:
            async with self.engine.begin() as conn:
                if not self._ready:
                    await conn.run_sync(_metadata.create_all)
                    self._ready = True
                await conn.execute(self._upsert(worker, now))
                await conn.execute(
                    runners_table.delete().where(runners_table.c.seen_at < now - self.ttl)
                )
                count = await conn.scalar(sa.select(sa.func.count()).select_from(runners_table))
        except (SQLAlchemyError, OSError) as exc:
            # Connection refusals arrive as OSError, before SQLAlchemy wraps anything.
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise RunnerError(f"peers: runner registry {TABLE!r} failed: {detail}") from exc
        return max(1, int(count or 0))

    def _upsert(self, worker: str, now: float) -> sa.Executable:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            pg = pg_insert(runners_table).values(worker=worker, seen_at=now)
            return pg.on_conflict_do_update(index_elements=["worker"], set_={"seen_at": now})
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite = sqlite_insert(runners_table).values(worker=worker, seen_at=now)
        return lite.on_conflict_do_update(index_elements=["worker"], set_={"seen_at": now})

    async def leave(self, worker: str) -> None:
        try:
            async with self.engine.begin() as conn:
                await conn.execute(runners_table.delete().where(runners_table.c.worker == worker))
        except (SQLAlchemyError, OSError) as exc:
            log.warning("peers: could not deregister %s: %s", worker, exc)

    async def close(self) -> None:
        await self.engine.dispose()


def peers_for(queue_url: str, ttl: float, *, static: int = 1) -> Peers:
    """The registry that fits the queue at ``queue_url``."""
    scheme = queue_url.split(":", 1)[0].lower()
    if scheme == "memory":
        return MemoryPeers(queue_url, ttl)
    if scheme in _ASYNC_DRIVERS:
        return SqlPeers(queue_url, ttl)
    log.info("peers: no runner registry for %s queues; assuming %d runner(s)", scheme, static)
    return StaticPeers(static)
