"""The command channel: argv from templates, ALERT_* env, stdin JSON, timeout, concurrency cap."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import httpx
import pytest
from notifier_helpers import alive, channel, note
from notifier_samples import backlog

from reportflow.notifier import DeliveryError

pytestmark = pytest.mark.integration

RECORD = """
import json, os, sys
out = {"argv": sys.argv[1:], "stdin": json.load(sys.stdin),
       "env": {k: v for k, v in os.environ.items()}}
open(sys.argv[1], "w").write(json.dumps(out))
print("recorded")
"""


async def test_argv_env_and_stdin(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    spec = {
        "type": "command",
        "argv": [
            sys.executable,
            "-c",
            RECORD,
            str(target),
            "{{ severity }}",
            "{{ title }}; rm -rf /",
        ],
        "env": {"PAGER_PROFILE": "reporting"},
    }
    async with httpx.AsyncClient() as client:
        detail = await channel(spec, client).send(note(backlog(2)))
    assert detail == "recorded"
    seen = json.loads(target.read_text())
    # The title arrives as one argument, shell syntax and all: no shell ever saw it.
    assert seen["argv"][1:] == ["warning", "[FIRING:2] BacklogGrowing (severity=warning); rm -rf /"]
    assert seen["stdin"]["groupKey"] == '{}:{alertname="BacklogGrowing"}'
    assert len(seen["stdin"]["alerts"]) == 2
    env = seen["env"]
    assert env["ALERT_STATUS"] == "firing"
    assert env["ALERT_NAME"] == "BacklogGrowing"
    assert env["ALERT_COUNT"] == "2"
    assert env["ALERT_LABEL_SEVERITY"] == "warning"
    assert env["ALERT_ANNOTATION_DESCRIPTION"] == "Queue backlog grew for 15m."
    assert env["PAGER_PROFILE"] == "reporting"
    assert "HOME" not in env  # a clean environment: nothing of the receiver's leaks


async def test_failure_reports_stderr_truncated() -> None:
    script = "import sys; sys.stderr.write('boom ' * 5000); sys.exit(3)"
    spec = {"type": "command", "argv": [sys.executable, "-c", script], "output_limit": 100}
    async with httpx.AsyncClient() as client:
        with pytest.raises(DeliveryError) as info:
            await channel(spec, client).send(note())
    message = str(info.value)
    assert "exited 3: boom boom" in message
    assert "bytes cut]" in message
    assert len(message) < 300
    assert not info.value.retryable


async def test_tempfail_exit_is_retryable() -> None:
    spec = {"type": "command", "argv": [sys.executable, "-c", "raise SystemExit(75)"]}
    async with httpx.AsyncClient() as client:
        with pytest.raises(DeliveryError) as info:
            await channel(spec, client).send(note())
    assert info.value.retryable


async def test_missing_program_is_a_clear_error() -> None:
    spec = {"type": "command", "argv": ["/nonexistent/page-on-call"]}
    async with httpx.AsyncClient() as client:
        with pytest.raises(DeliveryError, match="'/nonexistent/page-on-call': cannot start"):
            await channel(spec, client).send(note())


async def test_hanging_command_group_is_killed_at_timeout(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    # The parent starts a child in the same group, records both pids, then both hang.
    script = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "time.sleep(60)\n"
    )
    spec = {"type": "command", "argv": [sys.executable, "-c", script], "timeout_seconds": 1.0}
    started = time.monotonic()
    async with httpx.AsyncClient() as client:
        with pytest.raises(DeliveryError, match="killed after 1s timeout"):
            await channel(spec, client).send(note())
    assert time.monotonic() - started < 10
    parent, child = (int(p) for p in pids.read_text().split())
    for _ in range(100):  # the kernel delivers SIGKILL promptly; allow a moment
        if not alive(parent) and not alive(child):
            break
        await asyncio.sleep(0.02)
    assert not alive(parent)
    assert not alive(child)


async def test_concurrency_cap_is_honoured(tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    # Each run appends its own start and end times, so overlap is measured by the runs.
    script = (
        "import sys, time\n"
        "start = time.time(); time.sleep(0.3); end = time.time()\n"
        "open(sys.argv[1], 'a').write(f'{start} {end}\\n')\n"
    )
    spec = {
        "type": "command",
        "argv": [sys.executable, "-c", script, str(log)],
        "max_concurrent": 2,
    }
    async with httpx.AsyncClient() as client:
        hook = channel(spec, client)
        await asyncio.gather(*(hook.send(note()) for _ in range(6)))
    runs = [tuple(map(float, line.split())) for line in log.read_text().splitlines()]
    assert len(runs) == 6
    events = sorted([(s, 1) for s, _ in runs] + [(e, -1) for _, e in runs])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    assert peak == 2
