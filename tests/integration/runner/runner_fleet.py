"""Runner processes on a shared queue: start them, signal them, read what they recorded."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from reportflow.queue import Job, connect

T = TypeVar("T")
STARTUP = 45.0

HERE = Path(__file__).parent
REPORTFLOW = Path(sys.executable).with_name("reportflow")


@dataclass
class Records:
    """What the recorder executor and hook wrote: (kind, job id, pid) lines."""

    path: Path

    def lines(self) -> list[tuple[str, str, int]]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text().splitlines():
            kind, job_id, pid = line.split()
            out.append((kind, job_id, int(pid)))
        return out

    def count(self, kind: str) -> Counter[str]:
        return Counter(job for k, job, _ in self.lines() if k == kind)

    def pids(self, kind: str) -> set[int]:
        return {pid for k, _, pid in self.lines() if k == kind}


class Fleet:
    """Runner subprocesses sharing one queue URL."""

    def __init__(self, queue_url: str, home: Path) -> None:
        self.queue_url = queue_url
        self.home = home
        self.records = Records(home / "records.txt")
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, concurrency: int = 4, grace: float = 5.0) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "PYTHONPATH": str(HERE),
            "RF_TEST_LOG": str(self.records.path),
            "REPORTFLOW_HOME": str(self.home),
            "REPORTFLOW_RUNNER__LEASE_SECONDS": "2",
            "REPORTFLOW_RUNNER__HEARTBEAT_SECONDS": "0.4",
            "REPORTFLOW_RUNNER__GRACE_SECONDS": str(grace),
            "REPORTFLOW_LOG_FORMAT": "json",
        }
        args = [
            str(REPORTFLOW),
            "runner",
            "--queue-url",
            self.queue_url,
            "--concurrency",
            str(concurrency),
            "--executor",
            "runner_recorder:executor",
            "--hooks",
            "runner_recorder:hooks",
        ]
        log = open(self.home / f"runner-{len(self.procs)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append(proc)
        return proc

    def wait_ready(self, *procs: subprocess.Popen[bytes]) -> None:
        """Until every runner logged its start (imports take seconds on a busy machine)."""
        self.wait_for(
            lambda: all("started with" in self.log(p) for p in procs), STARTUP, "runners to start"
        )

    def log(self, proc: subprocess.Popen[bytes]) -> str:
        """What a runner logged so far."""
        return (self.home / f"runner-{self.procs.index(proc)}.log").read_text()

    def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll a condition of the subprocesses' records (they cannot signal us)."""
        deadline = time.monotonic() + timeout
        for _ in range(int(timeout / 0.05) + 1):
            if condition():
                return
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        logs = "\n".join(p.read_text()[-2000:] for p in sorted(self.home.glob("runner-*.log")))
        pytest.fail(f"timed out after {timeout}s waiting for {what}\n{logs}")

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one queue operation from a synchronous test."""
    return asyncio.run(coro)


async def enqueue_many(url: str, params: list[dict[str, Any]]) -> list[str]:
    async with connect(url) as queue:
        return [(await queue.enqueue("sleep", p)).id for p in params]


async def jobs_of(url: str, ids: list[str]) -> dict[str, Job]:
    async with connect(url) as queue:
        found = {job_id: await queue.get(job_id) for job_id in ids}
    return {job_id: job for job_id, job in found.items() if job is not None}
