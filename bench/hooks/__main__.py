"""Generic hooks: reportflow's notifier against adnanh/webhook, same machine, same load.

Run from the repository root::

    .venv/bin/python -m bench.hooks [--runs 3] [--duration 10] [--connections 32]

Installs ``webhook`` and ``wrk`` with apt-get when they are missing (as root),
starts ``reportflow notifier --hooks`` (uvicorn, one worker, httptools, the
event loop of ``--loop``: uvloop, the notifier's default) and ``webhook`` on
loopback, and drives each with ``wrk`` (a Lua script POSTs a small JSON body)
for a fixed duration and connection count:

(a) a trivial hook: reportflow answers a static body; webhook is measured two
    ways, because every webhook hook must run a command — its plain hook
    (``/bin/true``, started in the background, answered at once) and a hook
    whose trigger rule never matches (no process, the bare HTTP path).
(b) a command hook that waits for ``/bin/sleep 0.01`` and answers with its
    output; reportflow caps it at ``--cap`` concurrent runs (the rest queue, or
    are refused with 429), webhook runs every call at once (it has no cap).
    A third reportflow case sets the cap to ``--connections``, so the cap is
    never the bottleneck and what is measured is the cost of running commands.
    With ``--cap`` 4 and 32 connections, 8 calls share each slot: the queued
    case cannot answer faster than 8 runs of ``sleep 0.01`` (80 ms) at p50.

(c) a command that works: ``sha256sum`` of a 4 MB file (about 15 ms of CPU
    here), under an open-loop load with Poisson arrivals at each
    ``--work-rate R`` (repeatable; ``bench.hooks.openloop --arrivals
    poisson``, the same seeded schedule for every server). webhook starts
    every call at once, so a burst shares the cores between all of them;
    reportflow caps the hook at ``--work-cap`` runs (default: the machine's
    CPU count) and queues the rest, so each run has a core to itself, first
    come first served. reportflow is also measured with no cap that binds
    (``--connections`` runs), which tells the cap's effect from the server's.

``--only TEXT`` (repeatable) keeps the closed-loop cases whose label holds
TEXT. Prints a markdown table of medians over ``--runs`` runs (the systems alternate),
with the server's CPU time per request (its own, and its children's: the
commands it ran) and the load average before and after.

``--open-rate R`` (repeatable) adds the command hook under an *open-loop*
load of R requests per second (``bench.hooks.openloop``: each request leaves
when it is due, whether or not earlier ones were answered, and its latency
counts from then): webhook with no cap against reportflow with the cap at
``--connections`` and 429 over it. Below both servers' capacity this compares
latency at the same work; above it, webhook takes every request and its
backlog grows for as long as the run lasts, while reportflow's cap refuses
what does not fit.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
BODY = json.dumps({"ref": "refs/heads/main", "repository": {"name": "reportflow"}})
LUA = f"""wrk.method = "POST"
wrk.body = {json.dumps(BODY)}
wrk.headers["Content-Type"] = "application/json"
"""


def ensure_tools() -> None:
    missing = [t for t in ("webhook", "wrk") if shutil.which(t) is None]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"missing {', '.join(missing)}: apt-get install -y webhook wrk")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "webhook", "wrk"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    sys.exit(f"nothing listens on {port} after {timeout}s")


WORK_BYTES = 4_000_000


def reportflow_hooks(cap: int, wide_cap: int, work_cap: int, blob: Path) -> str:
    work = f'{{argv: [/usr/bin/sha256sum, {blob}], stdin: ""}}'
    return f"""
hooks:
  - id: static
    response: {{body: ok}}
  - id: command
    command: {{argv: [/bin/sleep, "0.01"], stdin: ""}}
    max_concurrent: {cap}
    max_queued: 10000
    queue_timeout_seconds: 60
    response: {{include_output: true}}
  - id: command-shed
    command: {{argv: [/bin/sleep, "0.01"], stdin: ""}}
    max_concurrent: {cap}
    max_queued: 0
    response: {{include_output: true}}
  - id: command-wide
    command: {{argv: [/bin/sleep, "0.01"], stdin: ""}}
    max_concurrent: {wide_cap}
    max_queued: 0
    response: {{include_output: true}}
  - id: work
    command: {work}
    max_concurrent: {work_cap}
    max_queued: 100000
    queue_timeout_seconds: 120
    response: {{include_output: true}}
  - id: work-wide
    command: {work}
    max_concurrent: {wide_cap}
    max_queued: 0
    response: {{include_output: true}}
"""


WEBHOOK_HOOKS: list[dict[str, object]] = [
    {"id": "static", "execute-command": "/bin/true", "response-message": "ok"},
    {
        "id": "static-nomatch",
        "execute-command": "/bin/true",
        "trigger-rule": {
            "match": {
                "type": "value",
                "value": "never",
                "parameter": {"source": "payload", "name": "ref"},
            }
        },
        "trigger-rule-mismatch-http-response-code": 200,
    },
    {
        "id": "command",
        "execute-command": "/bin/sleep",
        "pass-arguments-to-command": [{"source": "string", "name": "0.01"}],
        "include-command-output-in-response": True,
    },
]


def webhook_hooks(blob: Path) -> list[dict[str, object]]:
    work: dict[str, object] = {
        "id": "work",
        "execute-command": "/usr/bin/sha256sum",
        "pass-arguments-to-command": [{"source": "string", "name": str(blob)}],
        "include-command-output-in-response": True,
    }
    return [*WEBHOOK_HOOKS, work]


@contextlib.contextmanager
def servers(
    tmp: Path, cap: int, wide_cap: int, work_cap: int, loop: str = "uvloop"
) -> Iterator[tuple[int, int, list[int]]]:
    blob = tmp / "blob"
    blob.write_bytes(random.Random(0).randbytes(WORK_BYTES))
    (tmp / "hooks.yaml").write_text(reportflow_hooks(cap, wide_cap, work_cap, blob))
    (tmp / "hooks.json").write_text(json.dumps(webhook_hooks(blob)))
    rf_port, wh_port = free_port(), free_port()
    env = {
        **os.environ,
        "REPORTFLOW_HOME": str(tmp / "home"),
        "REPORTFLOW_LOG_LEVEL": "WARNING",
        "REPORTFLOW_CONFIG": str(tmp / "none.toml"),
    }
    command = [str(ROOT / ".venv/bin/reportflow"), "notifier", "--port", str(rf_port)]
    command += ["--loop", loop]
    rf = subprocess.Popen(
        [*command, "--hooks", str(tmp / "hooks.yaml")],
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
    )
    wh = subprocess.Popen(
        ["webhook", "-hooks", str(tmp / "hooks.json"), "-ip", "127.0.0.1", "-port", str(wh_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(rf_port, rf)
        wait_port(wh_port, wh)
        yield rf_port, wh_port, [rf.pid, wh.pid]
    finally:
        for proc in (rf, wh):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int
    ok_rps: float = 0.0
    """Answers with 2xx or 3xx per second (req/s counts the 429s of the shedding case too)."""
    cpu_ms: float = 0.0
    """The server's CPU time per request (user + system), in milliseconds."""
    child_cpu_ms: float = 0.0
    """Its reaped children's (the commands') CPU time per request."""


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


def _commands(server: psutil.Process) -> list[psutil.Process]:
    """The server's processes other than its spawner helper: the commands it runs."""
    helpers = {p.pid for p in _helpers(server)}
    return [p for p in server.children(recursive=True) if p.pid not in helpers]


def settle(port: int, pids: list[int], timeout: float = 120, quiet: float = 1.0) -> None:
    """Wait until no server has started a command for ``quiet`` seconds (webhook's
    background commands, reportflow's queued ones: a server still working off a backlog
    starts one every few milliseconds) and the server answers promptly, so one case
    does not load the next."""
    deadline = time.monotonic() + timeout
    calm_since = time.monotonic()
    while time.monotonic() < deadline:
        if any(_commands(psutil.Process(pid)) for pid in pids):
            calm_since = time.monotonic()
        elif time.monotonic() - calm_since >= quiet:
            started = time.monotonic()
            with contextlib.suppress(OSError):
                with socket.create_connection(("127.0.0.1", port), 1) as conn:
                    conn.sendall(
                        b"GET /hooks/none HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    )
                    conn.recv(64)
                if time.monotonic() - started < 0.05:
                    time.sleep(2)
                    return
        time.sleep(0.05)


def wrk(url: str, lua: Path, duration: int, connections: int) -> Load:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(lua), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    non = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    total, seconds = re.search(r"(\d+) requests in ([\d.]+)s", out).groups()  # type: ignore[union-attr]
    non_2xx = int(non.group(1)) if non else 0
    return Load(
        rps,
        p50,
        p99,
        non_2xx,
        sum(int(g) for g in errs.groups()) if errs else 0,
        (int(total) - non_2xx) / float(seconds),
    )


def _helpers(server: psutil.Process) -> list[psutil.Process]:
    """reportflow's spawner helper (its commands are the helper's children, not the server's)."""
    found = []
    for child in server.children():
        with contextlib.suppress(psutil.Error):
            if "reportflow.spawn.helper" in child.cmdline():
                found.append(child)
    return found


def _cpu(procs: list[psutil.Process]) -> tuple[float, float]:
    """CPU seconds of ``procs`` themselves, and of their reaped children."""
    own = children = 0.0
    for proc in procs:
        times = proc.cpu_times()
        own += times.user + times.system
        children += times.children_user + times.children_system
    return own, children


def measured(pid: int, url: str, lua: Path, duration: int, connections: int) -> Load:
    """``wrk`` against ``url``, with the CPU time the server (``pid``) spent meanwhile,
    its spawner helper's included."""
    server = psutil.Process(pid)
    procs = [server, *_helpers(server)]
    own, children = _cpu(procs)
    load = wrk(url, lua, duration, connections)
    own_after, children_after = _cpu(procs)
    requests = max(load.rps * duration, 1)
    load.cpu_ms = (own_after - own) / requests * 1000
    load.child_cpu_ms = (children_after - children) / requests * 1000
    return load


def median_load(loads: list[Load]) -> Load:
    return Load(
        statistics.median(x.rps for x in loads),
        statistics.median(x.p50_ms for x in loads),
        statistics.median(x.p99_ms for x in loads),
        sum(x.non_2xx for x in loads),
        sum(x.errors for x in loads),
        statistics.median(x.ok_rps for x in loads),
        statistics.median(x.cpu_ms for x in loads),
        statistics.median(x.child_cpu_ms for x in loads),
    )


@dataclass
class OpenLoad:
    ok_rps: float
    refused_rps: float
    p50_ms: float
    p99_ms: float
    ok_p99_ms: float
    max_ms: float
    unfinished: int
    lag_ms: float


def open_loop(url: str, rate: float, duration: int, arrivals: str = "uniform") -> OpenLoad:
    argv = [sys.executable, "-m", "bench.hooks.openloop", url, "--rate", f"{rate:g}"]
    argv += ["--duration", str(duration), "--arrivals", arrivals]
    out = subprocess.run(argv, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    r = json.loads(out)
    refused = sum(n for status, n in r["statuses"].items() if status == "429")
    return OpenLoad(
        r["ok_per_s"],
        refused / r["sending_s"],
        r["p50_ms"] or float("nan"),
        r["p99_ms"] or float("nan"),
        r["ok_p99_ms"] or float("nan"),
        r["max_ms"] or float("nan"),
        r["unfinished"],
        r["send_lag_ms_max"],
    )


@dataclass
class OpenRuns:
    """One run of every open-loop case at every rate, the cases' order alternating by run."""

    ports: dict[str, int]
    pids: list[int]
    duration: int
    index: int

    def run(
        self,
        cases: list[tuple[str, str, str]],
        results: dict[tuple[float, str], list[OpenLoad]],
        arrivals: str,
    ) -> None:
        for rate in dict.fromkeys(rate for rate, _ in results):
            for label, system, hook in cases if self.index % 2 == 0 else cases[::-1]:
                url = f"http://127.0.0.1:{self.ports[system]}/hooks/{hook}"
                settle(self.ports[system], self.pids)
                result = open_loop(url, rate, self.duration, arrivals)
                results[(rate, label)].append(result)
                print(
                    f"run {self.index + 1} open loop ({arrivals}) {rate:g}/s {label}: "
                    f"{result.ok_rps:.0f} 2xx/s, p99 {result.p99_ms:.1f} ms",
                    file=sys.stderr,
                )


def open_loop_table(results: dict[tuple[float, str], list[OpenLoad]], title: str) -> None:
    print(
        f"\n{title}\n\n| open loop req/s | server | 2xx/s | 429/s | p50 ms | p99 ms "
        "| p99 of 2xx ms | max ms | unfinished | generator lag ms |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (rate, label), loads in results.items():

        def med(attr: str, loads: list[OpenLoad] = loads) -> float:
            return float(statistics.median(getattr(x, attr) for x in loads))

        print(
            f"| {rate:,.0f} | {label} | {med('ok_rps'):,.0f} | {med('refused_rps'):,.0f} "
            f"| {med('p50_ms'):,.1f} | {med('p99_ms'):,.1f} | {med('ok_p99_ms'):,.1f} "
            f"| {med('max_ms'):,.0f} | {sum(x.unfinished for x in loads)} "
            f"| {max(x.lag_ms for x in loads):.1f} |"
        )


def work_ratios(results: dict[tuple[float, str], list[OpenLoad]], capped: str) -> None:
    """(c): reportflow's p99 over webhook's, run by run (the runs are paired)."""
    for (rate, label), loads in results.items():
        if label != capped:
            continue
        webhook = results[(rate, "webhook, no cap")]
        each = [rf.p99_ms / wh.p99_ms for rf, wh in zip(loads, webhook, strict=True)]
        print(
            f"(c) {rate:g}/s {label}: p99 / webhook p99 "
            f"{', '.join(f'{r:.2f}' for r in each)}; median {statistics.median(each):.2f}"
        )


def closed_loop_table(
    cases: list[tuple[str, str, str, str]], results: dict[int, list[Load]]
) -> None:
    print(
        "| case | server | req/s | 2xx/s | p50 ms | p99 ms | non-2xx | socket errors | CPU ms/req |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for i, (case, label, _, _) in enumerate(cases):
        m = median_load(results[i])
        print(
            f"| {case} | {label} | {m.rps:,.0f} | {m.ok_rps:,.0f} | {m.p50_ms:.2f} | "
            f"{m.p99_ms:.2f} | {m.non_2xx} | {m.errors} | {m.cpu_ms:.3f} + {m.child_cpu_ms:.3f} |"
        )


def ratios(cap: int, wide_cap: int, by_label: dict[str, list[Load]]) -> None:
    """The targets' ratios, for the cases that ran."""

    def med(label: str, attr: str) -> float | None:
        loads = by_label.get(label)
        return float(statistics.median(getattr(x, attr) for x in loads)) if loads else None

    a_rf = med("reportflow static body", "rps")
    a_true = med("webhook, /bin/true in background", "rps")
    a_bare = med("webhook, rule mismatch (no process)", "rps")
    if a_rf and a_true:
        print(f"\n(a) reportflow / webhook with its /bin/true: {a_rf / a_true:.2f} (target >= 0.5)")
    if a_rf and a_bare:
        print(f"(a) reportflow / webhook with no process: {a_rf / a_bare:.2f}")
    b_wh, b_wh_rps = med("webhook, no cap", "p99_ms"), med("webhook, no cap", "ok_rps")
    if not (b_wh and b_wh_rps):
        return
    for label in (
        f"reportflow, cap {cap}, queue",
        f"reportflow, cap {cap}, 429 over cap",
        f"reportflow, cap {wide_cap} (not the bottleneck)",
    ):
        b_rf, b_rps = med(label, "p99_ms"), med(label, "ok_rps")
        if b_rf is not None and b_rps is not None:
            print(
                f"(b) {label}: p99 / webhook p99 {b_rf / b_wh:.2f} (target < 1), "
                f"2xx/s / webhook {b_rps / b_wh_rps:.2f}"
            )


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--cap", type=int, default=4, help="reportflow's max_concurrent in (b)")
    parser.add_argument(
        "--wide-cap",
        type=int,
        help="max_concurrent where the cap is not the bottleneck (default: --connections)",
    )
    parser.add_argument(
        "--loop", choices=["asyncio", "uvloop"], default="uvloop", help="reportflow's event loop"
    )
    parser.add_argument(
        "--open-rate",
        type=float,
        action="append",
        default=[],
        help="also run the command hook under an open-loop load of this many req/s (repeatable)",
    )
    parser.add_argument(
        "--work-rate",
        type=float,
        action="append",
        default=[],
        help="also run (c), the CPU-bound command, under Poisson arrivals at this req/s "
        "(repeatable)",
    )
    parser.add_argument(
        "--work-cap",
        type=int,
        default=os.cpu_count() or 2,
        help="reportflow's max_concurrent in (c) (default: the CPU count)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="run only the closed-loop cases whose label contains this text (repeatable)",
    )
    args = parser.parse_args()
    wide_cap = args.wide_cap or args.connections
    ensure_tools()
    cases = [
        ("(a) trivial", "reportflow static body", "rf", "static"),
        ("(a) trivial", "webhook, /bin/true in background", "wh", "static"),
        ("(a) trivial", "webhook, rule mismatch (no process)", "wh", "static-nomatch"),
        ("(b) command", f"reportflow, cap {args.cap}, queue", "rf", "command"),
        ("(b) command", f"reportflow, cap {args.cap}, 429 over cap", "rf", "command-shed"),
        ("(b) command", "webhook, no cap", "wh", "command"),
        ("(b) command", f"reportflow, cap {wide_cap} (not the bottleneck)", "rf", "command-wide"),
    ]
    if args.only:
        cases = [c for c in cases if any(text in c[1] for text in args.only)]
    results: dict[int, list[Load]] = {i: [] for i in range(len(cases))}
    open_cases = [
        ("webhook, no cap", "wh", "command"),
        (f"reportflow, cap {wide_cap}, 429 over cap", "rf", "command-wide"),
    ]
    open_results: dict[tuple[float, str], list[OpenLoad]] = {
        (rate, label): [] for rate in args.open_rate for label, _, _ in open_cases
    }
    work_cases = [
        ("webhook, no cap", "wh", "work"),
        (f"reportflow, cap {args.work_cap}, queue", "rf", "work"),
        (f"reportflow, cap {wide_cap}, 429 over cap", "rf", "work-wide"),
    ]
    work_results: dict[tuple[float, str], list[OpenLoad]] = {
        (rate, label): [] for rate in args.work_rate for label, _, _ in work_cases
    }
    load_before = loadavg()
    with tempfile.TemporaryDirectory(prefix="bench-hooks-") as tmp_name:
        tmp = Path(tmp_name)
        lua = tmp / "post.lua"
        lua.write_text(LUA)
        with servers(tmp, args.cap, wide_cap, args.work_cap, args.loop) as (
            rf_port,
            wh_port,
            pids,
        ):
            ports = {"rf": rf_port, "wh": wh_port}
            server_pid = {"rf": pids[0], "wh": pids[1]}
            for _, _, system, hook in cases:  # warm-up, not counted
                settle(ports[system], pids)
                wrk(f"http://127.0.0.1:{ports[system]}/hooks/{hook}", lua, 2, args.connections)
            for run in range(args.runs):
                order = list(enumerate(cases))
                if run % 2:
                    order.reverse()
                for i, (_, label, system, hook) in order:
                    url = f"http://127.0.0.1:{ports[system]}/hooks/{hook}"
                    settle(ports[system], pids)
                    load = measured(server_pid[system], url, lua, args.duration, args.connections)
                    results[i].append(load)
                    print(
                        f"run {run + 1} {label}: {load.rps:.0f} req/s p99 {load.p99_ms:.1f} ms, "
                        f"CPU {load.cpu_ms:.3f} + {load.child_cpu_ms:.3f} ms/req",
                        file=sys.stderr,
                    )
                open_runs = OpenRuns(ports, pids, args.duration, run)
                open_runs.run(open_cases, open_results, "uniform")
                open_runs.run(work_cases, work_results, "poisson")
    print(
        f"\n{args.runs} runs x {args.duration}s, reportflow on {args.loop}, "
        f"wrk -t2 -c{args.connections}, "
        f"{os.cpu_count()} CPUs, load average {load_before} before and {loadavg()} after; "
        "medians; CPU ms/req: the server's own + its commands'\n"
    )
    if cases:
        closed_loop_table(cases, results)
    ratios(args.cap, wide_cap, {label: results[i] for i, (_, label, _, _) in enumerate(cases)})
    if open_results:
        open_loop_table(open_results, "(b) `sleep 0.01`, open loop, even spacing")
    if work_results:
        open_loop_table(work_results, "(c) `sha256sum` of 4 MB, open loop, Poisson arrivals")
        work_ratios(work_results, work_cases[1][0])


if __name__ == "__main__":
    main()
