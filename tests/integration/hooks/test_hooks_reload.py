"""Hot reload: a changed file is picked up, SIGHUP reloads at once, a broken file is ignored."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from hooks_helpers import Notifier, running_notifier

pytestmark = pytest.mark.integration

V1 = """
reload_interval_seconds: 0.1
hooks:
  - id: a
    response: {body: one}
"""
COMMANDS = """\
  - id: echo
    command: {argv: [/bin/echo, hi]}
    response: {include_output: true}
  - id: hang
    command: {argv: [/bin/sleep, "30"]}
    timeout_seconds: 0.3
"""
V2 = """
reload_interval_seconds: 0.1
hooks:
  - id: a
    response: {body: two}
  - id: b
"""


async def _until(notifier: Notifier, hook: str, body: str) -> None:
    for _ in range(200):
        response = await notifier.post(hook)
        if response.status_code == 200 and response.text == body:
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"hook {hook} never answered {body!r}")


async def _generation(notifier: Notifier) -> int:
    listed = (await notifier.client.get(f"{notifier.base}/api/v1/hooks")).json()
    return int(listed["generation"])


async def test_changed_file_is_reloaded(tmp_path: Path) -> None:
    async with running_notifier(tmp_path, V1) as n:
        assert (await n.post("a")).text == "one"
        assert (await n.post("b")).status_code == 404
        n.hooks_file.write_text(V2)
        await _until(n, "a", "two")
        assert (await n.post("b")).status_code == 200


async def test_broken_file_keeps_the_previous_hooks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_notifier(tmp_path, V1) as n:
        before = await _generation(n)
        n.hooks_file.write_text("hooks:\n  - id: a\n    respons: {body: typo}\n")
        for _ in range(200):
            listed = (await n.client.get(f"{n.base}/api/v1/hooks")).json()
            if listed["last_error"]:
                break
            await asyncio.sleep(0.05)
        assert "hooks[a].respons: Extra inputs are not permitted" in listed["last_error"]
        assert listed["generation"] == before
        assert (await n.post("a")).text == "one"  # still the old hooks
        assert "reload failed, keeping the previous 1 hook(s)" in caplog.text
        n.hooks_file.write_text(V2)  # fixed: picked up again
        await _until(n, "a", "two")


async def test_sighup_reloads_without_waiting_for_the_watch(tmp_path: Path) -> None:
    slow = V1.replace("0.1", "0")  # 0: no watching, SIGHUP only
    async with running_notifier(tmp_path, slow) as n:
        n.hooks_file.write_text(V2.replace("0.1", "0"))
        await asyncio.sleep(0.3)
        assert (await n.post("a")).text == "one"  # not watched
        os.kill(os.getpid(), signal.SIGHUP)  # the notifier's handler runs in this loop
        await _until(n, "a", "two")


async def test_reportflow_notifier_process_reloads_on_sighup(tmp_path: Path) -> None:
    hooks = tmp_path / "hooks.yaml"
    hooks.write_text(textwrap.dedent(V1.replace("0.1", "0")) + COMMANDS)
    port = _free_port()
    env = {
        **os.environ,
        "REPORTFLOW_HOME": str(tmp_path / "home"),
        "REPORTFLOW_CONFIG": str(tmp_path / "none.toml"),
        "REPORTFLOW_LOG_LEVEL": "WARNING",
    }
    program = str(Path(sys.executable).parent / "reportflow")
    command = [program, "notifier", "--port", str(port)]
    proc = await asyncio.create_subprocess_exec(
        *command,
        "--hooks",
        str(hooks),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await _wait_up(client, proc)
            assert (await client.post("/hooks/a")).text == "one"
            # Commands on the process's own (default) event loop: output, and a kill at the timeout.
            assert "hi" in (await client.post("/hooks/echo")).text
            hung = await client.post("/hooks/hang")
            assert (hung.status_code, hung.text) == (504, "hook action timed out")
            hooks.write_text(textwrap.dedent(V2.replace("0.1", "0")))
            proc.send_signal(signal.SIGHUP)
            for _ in range(200):
                if (await client.post("/hooks/a")).text == "two":
                    break
                await asyncio.sleep(0.05)
            assert (await client.post("/hooks/b")).status_code == 200
    finally:
        proc.terminate()
        await proc.wait()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _wait_up(client: httpx.AsyncClient, proc: asyncio.subprocess.Process) -> None:
    for _ in range(600):
        if proc.returncode is not None:
            pytest.fail(f"reportflow notifier exited with {proc.returncode}")
        try:
            await client.get("/healthz")
            return
        except httpx.TransportError:
            await asyncio.sleep(0.05)
    pytest.fail("reportflow notifier did not start within 30s")
