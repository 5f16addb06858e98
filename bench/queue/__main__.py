"""Queue benchmark: throughput and enqueue→start latency, reportflow vs peers, one run.

    .venv/bin/python -m bench.queue                      # everything, 3 runs
    .venv/bin/python -m bench.queue --runs 1 --systems rf-sqlite,saq --modes latency

a. throughput: enqueue ``--jobs`` no-op jobs, then time until a consumer has
   processed all of them (enqueueing not timed).
b. latency: ``--rate`` jobs/s for ``--seconds`` from an open-loop producer
   while the consumer waits; latency = job start − wall clock just before the
   enqueue call (so a durable enqueue's commit counts).

Every measurement runs in its own subprocess; runs are interleaved across
systems so load changes on the machine hit every system alike. Prints a
markdown table of medians over the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from bench.queue.common import latency_summary, median

RF = ["rf-memory", "rf-sqlite", "rf-postgres"]
RF_RUNNER = ["rf-memory-runner", "rf-sqlite-runner", "rf-postgres-runner"]
PEERS = ["saq", "celery", "procrastinate", "taskiq"]
# procrastinate runs ~100 jobs/s here: a smaller batch keeps a run bounded.
JOB_CAP = {"procrastinate": 2000}
TIMEOUT = 900


def run_one(system: str, mode: str, args: argparse.Namespace) -> dict[str, Any] | None:
    jobs = min(args.jobs, JOB_CAP.get(system, args.jobs))
    command = [
        sys.executable, "-m", "bench.queue.one", system, mode,
        "--jobs", str(jobs), "--rate", str(args.rate), "--seconds", str(args.seconds),
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        print(f"  {system} {mode}: timed out after {TIMEOUT}s", file=sys.stderr)
        return None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"  {system} {mode}: failed: {tail}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def table(results: dict[tuple[str, str], list[dict[str, Any]]], systems: list[str]) -> str:
    rows = [
        "| system | throughput (jobs/s) | × best peer | jobs | p50 ms | p95 ms | p99 ms "
        "| enqueue call p50 / p99 ms | runs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rates: dict[str, float] = {}
    for system in systems:
        runs = results.get((system, "throughput"), [])
        if runs:
            rates[system] = median([r["jobs"] / r["seconds"] for r in runs])
    best_peer = max((rates[s] for s in PEERS if s in rates), default=float("nan"))
    for system in systems:
        tput = results.get((system, "throughput"), [])
        lat = results.get((system, "latency"), [])
        summaries = [latency_summary(r["latencies"]) for r in lat]
        calls = [latency_summary(r.get("enqueue_seconds", [])) for r in lat]
        rate = rates.get(system, float("nan"))
        jobs = tput[0]["jobs"] if tput else 0
        cells = [
            system,
            f"{rate:,.0f}",
            f"{rate / best_peer:.2f}",
            f"{jobs:,}",
            *(f"{median([s[k] for s in summaries]):.1f}" for k in ("p50_ms", "p95_ms", "p99_ms")),
            f"{median([c['p50_ms'] for c in calls]):.1f} / "
            f"{median([c['p99_ms'] for c in calls]):.1f}",
            f"{max(len(tput), len(lat))}",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def save(path: str, results: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        json.dump([{"system": s, "mode": m, "runs": r} for (s, m), r in results.items()], out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--systems", default=",".join(RF + RF_RUNNER + PEERS))
    parser.add_argument("--modes", default="throughput,latency")
    parser.add_argument("--json", help="also write every raw result to this file")
    args = parser.parse_args()
    systems = [s for s in args.systems.split(",") if s]
    modes = [m for m in args.modes.split(",") if m]
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    started = time.time()
    for run in range(args.runs):
        for mode in modes:
            for system in systems:
                print(f"run {run + 1}/{args.runs} {mode:10} {system}", file=sys.stderr)
                result = run_one(system, mode, args)
                if result is not None:
                    results.setdefault((system, mode), []).append(result)
                    if args.json:  # after every result: a long run can be read early
                        save(args.json, results)
    load = os.getloadavg()
    print(
        f"\n{args.runs} runs, {args.jobs:,} jobs, {args.rate:.0f} jobs/s for {args.seconds:.0f} s; "
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f}; took {time.time() - started:.0f} s\n"
    )
    print(table(results, systems))


if __name__ == "__main__":
    main()
