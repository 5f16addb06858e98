"""End-to-end pipeline benchmark: API submit → queue → runner → signed webhook → websocket.

    .venv/bin/python -m bench.pipeline                 # SQLite, throughput + latency, 3 runs
    .venv/bin/python -m bench.pipeline --store both    # also PostgreSQL (store, queue, outbox)
    .venv/bin/python -m bench.pipeline --quick         # a smoke run
    .venv/bin/python -m bench.pipeline --server floor  # the same load against bench.pipeline.floor
    .venv/bin/python -m bench.pipeline --mode latency --stages  # where each report's time goes

Each run starts a fresh embedded server (``serve_embedded``: requestor +
runner + webhook path, one process, one port) on a fresh database, and a
load generator in another process (``bench.pipeline.load``). Prints a markdown
table with the median of the runs, and each run's numbers.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.pipeline import stages
from bench.pipeline.common import (
    ServerSpec,
    create_pg_database,
    drop_pg_database,
    make_user,
    median,
    pg_available,
    run_json,
    running_server,
)

LOAD_TIMEOUT = 1800.0


# Not the temp dir: on the machines these figures come from, creating a file
# under /tmp costs about 0.38 ms of kernel time against 0.015 ms elsewhere on
# the same ext4 disk, about 1.3 ms of CPU per noop report (docs/benchmarks.md).
WORKDIR = Path(__file__).resolve().parents[2] / ".reportflow" / "bench"


@dataclass(slots=True)
class Case:
    store: str  # sqlite | postgres
    mode: str  # throughput | latency
    load_args: list[str]
    label: str


def one_run(case: Case, args: argparse.Namespace) -> dict[str, Any]:
    args.workdir.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="rf-bench-pipeline-", dir=args.workdir))
    database_url = (
        create_pg_database() if case.store == "postgres" else f"sqlite:///{home / 'reportflow.db'}"
    )
    try:
        token = make_user(database_url)
        profile = None
        if args.profile:
            given = Path(args.profile)  # .txt: py-spy's raw collapsed stacks; else a flame graph
            profile = given.with_suffix(f".{case.store}.{case.mode}{given.suffix or '.svg'}")
        spec = ServerSpec(
            home=home,
            database_url=database_url,
            concurrency=args.runner_concurrency,
            log_level=args.log_level,
            loop=args.loop,
            profile=profile,
            mode=args.server,
            stages=home / "stages.json" if args.stages and case.mode == "latency" else None,
        )
        with running_server(spec) as server:
            cpu0 = server.cpu_seconds()
            argv = [sys.executable, "-m", "bench.pipeline.load", "--url", server.url]
            argv += ["--token", token, "--mode", case.mode, "--client", args.client]
            argv += case.load_args
            result = run_json(argv, LOAD_TIMEOUT)
            result["server_cpu_ms_per_report"] = (
                (server.cpu_seconds() - cpu0) * 1000.0 / max(1, result["accepted"])
            )
        if spec.stages is not None:
            result["stages"] = stages.table(spec.stages)
        return result
    finally:
        if case.store == "postgres":
            drop_pg_database(database_url)
        shutil.rmtree(home, ignore_errors=True)


def fmt(value: float, digits: int = 1) -> str:
    return "—" if value != value else f"{value:,.{digits}f}"


def table(rows: list[tuple[Case, list[dict[str, Any]]]]) -> str:
    head = (
        "| store | run | reports | done | reports/s (end to end) | submits/s "
        "| p50 ms | p95 ms | p99 ms | submit p99 ms | server CPU ms/report | dup | gaps | runs |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    lines = [head]
    for case, results in rows:

        def med(key: str, results: list[dict[str, Any]] = results) -> float:
            return median([float(r[key]) for r in results])

        lines.append(
            f"| {case.store} | {case.label} | {fmt(med('accepted'), 0)} "
            f"| {fmt(med('completed'), 0)} "
            f"| {fmt(med('throughput'))} | {fmt(med('submit_rate'))} | {fmt(med('p50_ms'))} "
            f"| {fmt(med('p95_ms'))} | {fmt(med('p99_ms'))} | {fmt(med('submit_p99_ms'))} "
            f"| {fmt(med('server_cpu_ms_per_report'))} "
            f"| {sum(r['duplicates'] for r in results)} | {sum(r['gaps'] for r in results)} "
            f"| {len(results)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reports", type=int, default=1000, help="throughput run size")
    parser.add_argument("--concurrency", type=int, default=32, help="submits in flight")
    parser.add_argument("--rate", type=float, action="append", help="paced req/s (repeatable)")
    parser.add_argument("--duration", type=float, default=20.0, help="paced run seconds")
    parser.add_argument("--runner-concurrency", type=int, default=64)
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--mode", choices=["throughput", "latency", "both"], default="both")
    parser.add_argument(
        "--client",
        choices=["httpx", "aiohttp"],
        default="httpx",
        help="the load's HTTP client (aiohttp for rates above a few hundred per second)",
    )
    parser.add_argument(
        "--server",
        choices=["embedded", "floor"],
        default="embedded",
        help="floor: the same load against bench.pipeline.floor (the HTTP and websocket "
        "stack with no work behind it)",
    )
    parser.add_argument(
        "--profile", help="py-spy profile prefix, one per case (.txt: collapsed stacks, else SVG)"
    )
    parser.add_argument(
        "--stages",
        action="store_true",
        help="time each report at the server's stages in the paced runs (bench.pipeline.stages)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=WORKDIR,
        help="where each run's home (database, artifacts) is made and removed again "
        "(default: .reportflow/bench in the checkout, beside what `make up` keeps)",
    )
    parser.add_argument("--quick", action="store_true", help="1 run, 100 reports, 5 s at 10/s")
    args = parser.parse_args(argv)
    rates = args.rate or [100.0]
    if args.quick:
        args.runs, args.reports, args.duration, rates = 1, 100, 5.0, [10.0]
    stores = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    if "postgres" in stores and not pg_available():
        print("PostgreSQL is not reachable on 127.0.0.1:5432; skipping it", file=sys.stderr)
        stores.remove("postgres")
    cases: list[Case] = []
    for store in stores:
        if args.mode in ("throughput", "both"):
            load = ["--reports", str(args.reports), "--concurrency", str(args.concurrency)]
            label = f"throughput, {args.concurrency} submits in flight"
            cases.append(Case(store, "throughput", load, label))
        if args.mode in ("latency", "both"):
            for rate in rates:
                load = ["--rate", f"{rate:g}", "--duration", f"{args.duration:g}"]
                label = f"paced {rate:g}/s for {args.duration:g} s"
                cases.append(Case(store, "latency", [*load, "--concurrency", "256"], label))
    rows: list[tuple[Case, list[dict[str, Any]]]] = []
    for case in cases:
        results = []
        for i in range(args.runs):
            result = one_run(case, args)
            stage_table = result.pop("stages", None)
            print(f"# {case.store} {case.mode} run {i + 1}: {result}", file=sys.stderr)
            if stage_table is not None:
                print(
                    f"\n{case.store}, {case.label}, run {i + 1}: {stage_table}\n", file=sys.stderr
                )
            results.append(result)
        rows.append((case, results))
    print(table(rows))


if __name__ == "__main__":
    main()
