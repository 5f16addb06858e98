"""``python -m bench.etl [--rows N] [--repeat R]``: reportflow vs pandas.

Builds (or reuses) a SQLite ledger of N journal lines, then runs each case R
times, each in a fresh process, and prints a markdown table of the medians:
wall time, peak RSS, and the ratios against the pandas baseline of the same
task (speed-up = pandas time / reportflow time; memory = reportflow / pandas).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.etl.warehouse import ensure_warehouse

PAIRS = [
    ("trial balance → CSV", "reportflow_tb_csv", "pandas_tb_csv"),
    ("trial balance, sums in the sql step → CSV", "reportflow_tb_duckdb_csv", "pandas_tb_csv"),
    ("trial balance → XLSX", "reportflow_tb_xlsx", "pandas_tb_xlsx"),
    ("export all lines → CSV", "reportflow_export_csv", "pandas_export_csv"),
]


def _run(case: str, db: Path) -> dict[str, float]:
    out = Path(tempfile.mkdtemp(prefix=f"bench-{case}-"))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.etl.cases", case, str(db), str(out)],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--dir", type=Path, default=Path(tempfile.gettempdir()) / "reportflow-bench"
    )
    parser.add_argument("--only", default="", help="run only tasks whose label contains this")
    args = parser.parse_args()
    db = ensure_warehouse(args.rows, args.dir)
    pairs = [pair for pair in PAIRS if args.only in pair[0]]

    medians: dict[str, tuple[float, float]] = {}
    for _, ours, theirs in pairs:
        for case in (ours, theirs):
            if case in medians:
                continue
            runs = [_run(case, db) for _ in range(args.repeat)]
            seconds = statistics.median(r["seconds"] for r in runs)
            peak = statistics.median(r["peak_mb"] for r in runs)
            medians[case] = (seconds, peak)
            print(f"{case}: {seconds:.2f} s, {peak:.0f} MB", file=sys.stderr, flush=True)

    print(f"\n{args.rows:,} journal lines, SQLite, median of {args.repeat} runs\n")
    print(
        "| task | reportflow | pandas | speed-up | reportflow peak RSS | pandas peak RSS"
        " | memory ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, ours, theirs in pairs:
        (s1, m1), (s2, m2) = medians[ours], medians[theirs]
        print(
            f"| {label} | {s1:.2f} s | {s2:.2f} s | {s2 / s1:.1f}× | {m1:.0f} MB | {m2:.0f} MB "
            f"| {m1 / m2:.2f} |"
        )


if __name__ == "__main__":
    main()
