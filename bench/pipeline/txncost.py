"""What a store transaction costs on SQLite, by shape, in CPU per transaction.

Run from the repository root::

    .venv/bin/python -m bench.pipeline.txncost [--n 500] [--rounds 9]

A report costs the embedded server about 24 statements in 5 transactions
(docs/benchmarks.md, "Pipeline and fan-out"); this measures what such
transactions cost through the store (``Store.transaction``/``Store.read``:
the write gate, SQLAlchemy's async API, ``sqlite+inline``), and the same five
statements through ``AsyncConnection.run_sync`` (one greenlet for the whole
transaction) and through SQLAlchemy's plain sync engine on ``sqlite3`` (WAL,
``synchronous=NORMAL``, as the store), for scale. The databases live under
``.reportflow/bench`` (see ``bench.pipeline``).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import uvloop
from bench.pipeline.__main__ import WORKDIR
from sqlalchemy.engine import Connection

from reportflow.store import Store

table = sa.Table(
    "bench_t",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("v", sa.Integer),
)
UPDATE = table.update().where(table.c.id == sa.bindparam("b_id")).values(v=table.c.v + 1)
SELECT = sa.select(table.c.v).where(table.c.id == sa.bindparam("b_id"))


def five(conn: Connection) -> None:
    for _ in range(4):
        conn.execute(UPDATE, {"b_id": 1})
    conn.execute(SELECT, {"b_id": 1}).scalar()


def _like_the_store(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


Case = tuple[str, Callable[[], Awaitable[None]]]


def transactions(store: Store, sync: sa.Engine) -> list[Case]:
    async def empty() -> None:
        async with store.transaction():
            pass

    async def one() -> None:
        async with store.transaction() as db:
            await db.execute(UPDATE, {"b_id": 1})

    async def five_async() -> None:
        async with store.transaction() as db:
            for _ in range(4):
                await db.execute(UPDATE, {"b_id": 1})
            (await db.execute(SELECT, {"b_id": 1})).scalar()

    async def five_run_sync() -> None:
        async with store.transaction() as db:
            await db.run_sync(five)

    async def read() -> None:
        async with store.read() as db:
            (await db.execute(SELECT, {"b_id": 1})).scalar()

    async def five_sync() -> None:
        with sync.begin() as conn:
            five(conn)

    return [
        ("write transaction, no statement", empty),
        ("write transaction, 1 UPDATE", one),
        ("write transaction, 4 UPDATE + 1 SELECT", five_async),
        ("the same 5 in one run_sync", five_run_sync),
        ("read transaction, 1 SELECT", read),
        ("the same 5, SQLAlchemy sync engine (not the store)", five_sync),
    ]


async def main(n: int, rounds: int, home: Path) -> None:
    store = await Store.open(f"sqlite:///{home / 'a.db'}")
    sync = sa.create_engine(f"sqlite:///{home / 'b.db'}")
    sa.event.listen(sync, "connect", _like_the_store)
    async with store.transaction() as db:
        await db.run_sync(table.metadata.create_all)
        await db.execute(table.insert(), [{"id": 1, "v": 0}])
    with sync.begin() as conn:
        table.metadata.create_all(conn)
        conn.execute(table.insert(), [{"id": 1, "v": 0}])
    cases = transactions(store, sync)
    for _, case in cases:
        for _ in range(n // 10):  # warm-up: statement cache, pool
            await case()
    samples: dict[str, list[float]] = {label: [] for label, _ in cases}
    for _ in range(rounds):  # the cases take turns, so a noisy moment hits them all
        for label, case in cases:
            started = time.process_time()
            for _ in range(n):
                await case()
            samples[label].append((time.process_time() - started) / n * 1e6)
    print(f"| transaction | CPU µs, median of {rounds} rounds of {n} |")
    print("|---|---:|")
    for label, values in samples.items():
        print(f"| {label} | {statistics.median(values):.0f} |")
    await store.close()
    sync.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="transactions per case and round")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    WORKDIR.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="rf-bench-txn-", dir=WORKDIR))
    try:
        uvloop.run(main(args.n, args.rounds, home))
    finally:
        shutil.rmtree(home, ignore_errors=True)
