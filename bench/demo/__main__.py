"""``python -m bench.demo [--rows N] [--runs K]``: how fast the demo warehouse builds.

Compares, in one run: the builder (chunked ``executemany``) on SQLite,
PostgreSQL and MariaDB (each skipped when not reachable on 127.0.0.1), a
row-at-a-time insert on SQLite as the naive peer, the builder's Python memory
peak at two sizes (it should not grow with the row count), and the cost of
``bind_parameters`` per request. Prints a markdown table of medians.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from reportflow.catalog import Catalog, bind_parameters
from reportflow.demo import build_warehouse, generate, schema
from reportflow.demo.warehouse import engine_url

REPORTS = Path(__file__).resolve().parents[2] / "reports"


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def _database(kind: str, workdir: Path) -> Iterator[str | None]:
    name = f"rf_bench_{uuid.uuid4().hex[:8]}"
    if kind == "sqlite":
        yield f"sqlite:///{workdir / (name + '.db')}"
        return
    port = 5432 if kind == "postgresql" else 3306
    if not _reachable(port):
        yield None
        return
    if kind == "postgresql":
        admin = sa.create_engine(
            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
        )
        create, drop = f'CREATE DATABASE "{name}"', f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    else:
        admin = sa.create_engine("mysql+pymysql://root@127.0.0.1:3306/")
        create, drop = f"CREATE DATABASE `{name}`", f"DROP DATABASE IF EXISTS `{name}`"
        url = f"mysql+pymysql://root@127.0.0.1:3306/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(create))
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(drop))
        admin.dispose()


def _median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _row_at_a_time(url: str, rows: int) -> None:
    """The naive peer: one INSERT statement per ledger line, one transaction."""
    engine = sa.create_engine(engine_url(url))
    schema.metadata.drop_all(engine)
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(schema.gl_accounts.insert(), generate.accounts())
        conn.execute(schema.gl_periods.insert(), generate.periods())
        for row in generate.gl_entries(rows, 42):
            conn.execute(schema.gl_entries.insert().values(**row))
    engine.dispose()


def _peak_mib(url: str, rows: int) -> float:
    tracemalloc.start()
    build_warehouse(url, rows)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows, runs = args.rows, args.runs
    out = ["| case | rows | median s | rows/s | note |", "|---|---:|---:|---:|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        builder_sqlite = 0.0
        for kind in ("sqlite", "postgresql", "mariadb"):
            with _database(kind, workdir) as url:
                if url is None:
                    out.append(f"| build_warehouse {kind} | {rows} | – | – | not reachable |")
                    continue
                seconds = _median_seconds(lambda u=url: build_warehouse(u, rows), runs)
                builder_sqlite = seconds if kind == "sqlite" else builder_sqlite
                note = "chunked executemany, all 7 tables"
                out.append(
                    f"| build_warehouse {kind} | {rows} | {seconds:.2f} | {rows / seconds:,.0f} | "
                    f"{note} |"
                )
        with _database("sqlite", workdir) as url:
            assert url is not None
            naive = _median_seconds(lambda: _row_at_a_time(url, rows), runs)
            ratio = naive / builder_sqlite if builder_sqlite else float("nan")
            out.append(
                f"| row-at-a-time INSERT sqlite (peer) | {rows} | {naive:.2f} | "
                f"{rows / naive:,.0f} | gl tables only; {ratio:.1f}x the builder's time |"
            )
        for size in (rows // 4, rows):
            with _database("sqlite", workdir) as url:
                assert url is not None
                peak = _peak_mib(url, size)
                out.append(f"| Python memory peak, sqlite | {size} | – | – | {peak:.1f} MiB |")
    definition = Catalog.load([REPORTS]).get("trial_balance")
    raw = {"period_from": "2025-01", "period_to": "2025-06"}
    calls = 2_000
    per_call = _median_seconds(
        lambda: [bind_parameters(definition, raw) for _ in range(calls)], runs
    )
    out.append(
        f"| bind_parameters trial_balance | {calls} calls | {per_call:.3f} | "
        f"{calls / per_call:,.0f} calls/s | {per_call / calls * 1e6:.0f} µs per request |"
    )
    print("\n".join(out))


if __name__ == "__main__":
    main()
