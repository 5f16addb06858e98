"""Command actions: argv/env/stdin from the request, response mapping, timeout kill, the cap."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hooks_helpers import Notifier, running_notifier

pytestmark = pytest.mark.integration

PY = sys.executable


@pytest.fixture
async def notifier(tmp_path: Path) -> AsyncIterator[Notifier]:
    gate = tmp_path / "gate"
    hooks = f"""
    hooks:
      - id: echo
        command:
          argv:
            - {PY}
            - -c
            - |
              import os, sys
              print("args=" + "|".join(sys.argv[1:]))
              print("env=" + os.environ["REF"] + "|" + os.environ["HOOK_ID"])
              print("stdin=" + sys.stdin.read())
              sys.exit(int(os.environ["CODE"]))
            - "{{{{ payload.repository.name }}}}"
            - "{{{{ query.target }}}}; rm -rf /"
          env: {{REF: "{{{{ payload.ref }}}}", CODE: "{{{{ query.code or 0 }}}}"}}
          stdin: "{{{{ headers['x-note'] }}}}"
        response:
          include_output: true
          exit_status: {{3: 422, 75: 503}}
          headers: {{X-Run: echo}}
      - id: raw
        command: {{argv: [/bin/cat]}}
        response: {{body: "exit={{{{ exit_code }}}} out={{{{ output }}}}"}}
      - id: hang
        command:
          argv: [/bin/sh, -c, 'sleep 60 & echo $! > {tmp_path}/child.pid; wait']
        timeout_seconds: 1
      - id: hang-mapped
        command: {{argv: [/bin/sleep, "60"]}}
        timeout_seconds: 0.5
        response: {{timeout_status: 202, body: "still running? no: {{{{ outcome }}}}"}}
      - id: missing
        command: {{argv: [/nonexistent/program]}}
      - id: gated
        command: {{argv: [/bin/sh, -c, 'while [ ! -e {gate} ]; do sleep 0.02; done']}}
        max_concurrent: 1
        max_queued: 1
        queue_timeout_seconds: 20
      - id: gated-bg
        command:
          argv: [/bin/sh, -c, 'while [ ! -e {gate} ]; do sleep 0.02; done; echo done']
          wait: false
        max_concurrent: 1
    """
    async with running_notifier(tmp_path, hooks) as n:
        yield n


async def test_arguments_env_and_stdin_come_from_the_request(notifier: Notifier) -> None:
    response = await notifier.post(
        "echo",
        params={"target": "prod"},
        json={"ref": "refs/heads/main", "repository": {"name": "plant-erp"}},
        headers={"X-Note": "from the header"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-run"] == "echo"
    # Each argv item is one argument: the shell syntax in it is just text.
    assert response.text.splitlines() == [
        "args=plant-erp|prod; rm -rf /",
        "env=refs/heads/main|echo",
        "stdin=from the header",
    ]


@pytest.mark.parametrize(("code", "status"), [(3, 422), (75, 503), (9, 500)])
async def test_exit_status_maps_to_http_status(notifier: Notifier, code: int, status: int) -> None:
    response = await notifier.post("echo", params={"code": code}, json={"ref": "r"})
    assert response.status_code == status
    calls = await notifier.calls(hook="echo")
    assert calls[0]["exit_code"] == code
    assert calls[0]["outcome"] == "failed"


async def test_raw_body_on_stdin_and_a_response_template(notifier: Notifier) -> None:
    response = await notifier.post("raw", content=b"plain text body")
    assert response.text == "exit=0 out=plain text body"


async def test_hanging_command_is_killed_with_its_children(
    notifier: Notifier, tmp_path: Path
) -> None:
    started = asyncio.get_running_loop().time()
    response = await notifier.post("hang")
    elapsed = asyncio.get_running_loop().time() - started
    assert response.status_code == 504
    assert response.text == "hook action timed out"
    assert elapsed < 10
    child = int((tmp_path / "child.pid").read_text())
    for _ in range(100):  # the kill is immediate; reaping by init may take a moment
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail(f"child {child} of the timed-out command is still alive")
    calls = await notifier.calls(hook="hang")
    assert calls[0]["outcome"] == "timeout"
    assert "killed after 1s timeout" in calls[0]["error"]


async def test_timeout_status_and_body_are_configurable(notifier: Notifier) -> None:
    response = await notifier.post("hang-mapped")
    assert response.status_code == 202
    assert response.text == "still running? no: timeout"


async def test_program_that_cannot_start_is_500(notifier: Notifier) -> None:
    response = await notifier.post("missing")
    assert response.status_code == 500
    calls = await notifier.calls(hook="missing")
    assert "cannot start" in calls[0]["error"]


async def test_concurrency_cap_queues_then_refuses(notifier: Notifier, tmp_path: Path) -> None:
    first = asyncio.create_task(notifier.post("gated"))
    await _until_running(notifier, "gated", running=1, queued=0)
    second = asyncio.create_task(notifier.post("gated"))
    await _until_running(notifier, "gated", running=1, queued=1)
    third = await notifier.post("gated")
    assert third.status_code == 429
    assert third.headers["retry-after"] == "1"
    (tmp_path / "gate").touch()
    assert (await first).status_code == 200
    assert (await second).status_code == 200
    assert [c["outcome"] for c in await notifier.calls(hook="gated")] == [
        "succeeded",
        "succeeded",
        "limited",
    ]


async def test_background_command_answers_202_and_records_its_end(
    notifier: Notifier, tmp_path: Path
) -> None:
    response = await notifier.post("gated-bg")
    assert response.status_code == 202
    await _until_running(notifier, "gated-bg", running=1, queued=0)
    refused = await notifier.post("gated-bg")  # the cap holds for background runs too
    assert refused.status_code == 429
    (tmp_path / "gate").touch()
    outcomes: list[str] = []
    for _ in range(400):  # the run's own row is written once it ends
        outcomes = sorted(c["outcome"] for c in await notifier.calls(hook="gated-bg"))
        if len(outcomes) == 3:
            break
        await asyncio.sleep(0.025)
    assert outcomes == ["accepted", "limited", "succeeded"]


async def _until_running(notifier: Notifier, hook: str, *, running: int, queued: int) -> None:
    for _ in range(400):
        listed = (await notifier.client.get(f"{notifier.base}/api/v1/hooks")).json()
        state = next(h for h in listed["hooks"] if h["id"] == hook)
        if (state["running"], state["queued"]) == (running, queued):
            return
        await asyncio.sleep(0.025)
    pytest.fail(f"{hook} never reached running={running} queued={queued}: {state}")
