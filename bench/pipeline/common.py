"""What the pipeline and fan-out benchmarks share: databases, users, server processes, stats."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raise_fd_limit() -> int:
    """Raise this process's open-file limit to its hard limit; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    clean = [v for v in values if not math.isnan(v)]
    return statistics.median(clean) if clean else math.nan


# --- databases and users --------------------------------------------------


def create_pg_database() -> str:
    """A fresh PostgreSQL database for one run; returns its URL."""
    import psycopg

    name = f"rfbench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def drop_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except Exception:
        return False


async def _make_user(database_url: str, name: str) -> str:
    from reportflow.requestor.auth import digest, new_token
    from reportflow.store import Store, users

    store = await Store.open(database_url)
    try:
        token = new_token()
        async with store.transaction() as db:
            user = await users.create_user(db, name)
            await users.create_token(db, user.id, digest(token), name="bench")
        return token
    finally:
        await store.close()


def make_user(database_url: str, name: str = "bench") -> str:
    """Migrate the store, add a user, return a fresh API token for it."""
    return asyncio.run(_make_user(database_url, name))


# --- the server process ------------------------------------------------------


@dataclass(slots=True)
class ServerSpec:
    """How to start one server process (``bench.pipeline.server``)."""

    home: Path
    database_url: str
    mode: str = "embedded"  # embedded (requestor + runner) | requestor | floor
    concurrency: int = 64
    loop: str = "uvloop"
    log_level: str = "WARNING"
    webhook_secret: str | None = None
    ws_buffer: int = 4096
    profile: Path | None = None
    """Record a py-spy flame graph (SVG) of the server to this file."""
    stages: Path | None = None
    """Record each report's stage times to this file (bench.pipeline.stages)."""

    def argv(self, port: int) -> list[str]:
        prefix: list[str] = []
        if self.profile is not None:
            spy = Path(sys.executable).with_name("py-spy")
            fmt = "raw" if self.profile.suffix == ".txt" else "flamegraph"
            prefix = [str(spy), "record", "--gil", "-r", "100", "-f", fmt]
            prefix += ["-o", str(self.profile), "--"]
        argv = [
            *prefix,
            sys.executable,
            "-m",
            "bench.pipeline.server",
            "--home",
            str(self.home),
            "--port",
            str(port),
            "--database-url",
            self.database_url,
            "--mode",
            self.mode,
            "--concurrency",
            str(self.concurrency),
            "--loop",
            self.loop,
            "--log-level",
            self.log_level,
            "--ws-buffer",
            str(self.ws_buffer),
        ]
        if self.webhook_secret:
            argv += ["--webhook-secret", self.webhook_secret]
        if self.stages is not None:
            argv += ["--stages", str(self.stages)]
        return argv


@dataclass(slots=True)
class RunningServer:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def server_pid(self) -> int:
        """The Python server's pid (under py-spy, the profiler's child)."""
        pid = self.proc.pid
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            if children:
                return int(children[0])
        return pid

    def cpu_seconds(self) -> float:
        """User + system CPU the server used so far (from /proc)."""
        pid = self.server_pid()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks


@contextlib.contextmanager
def running_server(spec: ServerSpec) -> Iterator[RunningServer]:
    """Start the server, wait until ``/readyz`` answers 200, stop it (SIGTERM) on exit."""
    port = free_port()
    log = spec.home / "server.log"
    env = {**os.environ, "REPORTFLOW_CONFIG": str(spec.home / "none.toml")}
    with log.open("wb") as out:
        proc = subprocess.Popen(spec.argv(port), stdout=out, stderr=subprocess.STDOUT, env=env)
    server = RunningServer(proc, f"http://127.0.0.1:{port}", log)
    try:
        _wait_healthy(server)
        yield server
    finally:
        if proc.poll() is None:
            # The server itself drains on SIGTERM; a profiler above it then writes its file.
            with contextlib.suppress(ProcessLookupError):
                os.kill(server.server_pid(), signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_healthy(server: RunningServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            tail = server.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"server exited with {server.proc.returncode}:\n{tail}")
        with contextlib.suppress(httpx.HTTPError):
            # /readyz: the runner too has started (and warmed up) in the embedded mode.
            if httpx.get(server.url + "/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server at {server.url} not healthy after {STARTUP_TIMEOUT} s")


def run_json(argv: list[str], timeout: float) -> dict[str, Any]:
    """Run a load-generator process and parse the JSON object it prints last."""
    done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv[:4])} failed ({done.returncode}): {done.stderr.decode()[-2000:]}"
        )
    lines = done.stdout.decode().strip().splitlines()
    result: dict[str, Any] = json.loads(lines[-1])
    return result
