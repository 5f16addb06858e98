"""``python -m bench.cli [--runs K]``: how long ``reportflow`` takes to start.

Compares, in one run and in fresh interpreters: the bare interpreter (the
floor), the lazy command group as shipped (``--help``, ``reports list``,
``up --help``), and the same ``--help`` with every subcommand module imported
up front, which is what the command did before subcommands loaded lazily.
Prints a markdown table of medians, with each row's ratio to the eager
``--help``, and which heavy libraries each case imported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

HEAVY = ("duckdb", "pyarrow", "sqlalchemy", "numba", "fastapi", "uvicorn")
MODULES = ("demo", "notifier", "reports", "requestor", "run", "runner", "scale", "up")
_RUN = (
    "import sys, io, contextlib\n"
    "{prelude}"
    "from reportflow.cli.main import cli\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    cli({args!r}, standalone_mode=False)\n"
    "sys.stderr.write(__import__('json').dumps([m for m in {heavy!r} if m in sys.modules]))\n"
)
# Before: every subcommand module, and what they imported at their top then
# (the ETL engine from ``run``, the warehouse builder from ``demo``, httpx from ``scale``).
EAGER = "import reportflow.etl, reportflow.demo.warehouse, httpx\n" + "".join(
    f"import reportflow.cli.{m}\n" for m in MODULES
)
CASES: dict[str, str | None] = {
    "python -c pass (floor)": None,
    "reportflow --help, eager imports (before)": _RUN.format(
        prelude=EAGER, args=["--help"], heavy=HEAVY
    ),
    "reportflow --help (lazy)": _RUN.format(prelude="", args=["--help"], heavy=HEAVY),
    "reportflow up --help (lazy)": _RUN.format(prelude="", args=["up", "--help"], heavy=HEAVY),
    "reportflow reports list (lazy)": _RUN.format(
        prelude="", args=["reports", "list"], heavy=HEAVY
    ),
}


def _once(code: str | None) -> tuple[float, list[str]]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code or "pass"], capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - started
    return elapsed, json.loads(done.stderr.strip().splitlines()[-1]) if code else []


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cli")
    parser.add_argument("--runs", type=int, default=7, help="Runs per case (median reported).")
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in CASES}
    loaded: dict[str, list[str]] = {}
    for _ in range(args.runs):  # interleaved, so machine load hits every case alike
        for name, code in CASES.items():
            elapsed, loaded[name] = _once(code)
            times[name].append(elapsed)
    eager = statistics.median(times["reportflow --help, eager imports (before)"])
    print(f"| case ({args.runs} runs, medians) | wall time | vs eager --help | heavy imports |")
    print("|---|---:|---:|---|")
    for name, runs in times.items():
        median = statistics.median(runs)
        heavy = ", ".join(loaded[name]) or "none"
        print(f"| {name} | {median * 1000:.0f} ms | {median / eager:.2f}× | {heavy} |")


if __name__ == "__main__":
    main()
