"""``reportflow runner --http-port`` in-process (serve_scaled) and ``reportflow scale``
against it over loopback HTTP."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from reportflow.cli.main import cli
from reportflow.config import Settings
from reportflow.runner import SleepExecutor
from reportflow.runner.autoscale import serve_scaled

pytestmark = pytest.mark.integration

TOKEN = "cli-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def wait_up(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never answered")


async def wait_for_status(url: str, status: int, served: asyncio.Task[None]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(400):
            if served.done():
                await served  # the startup error
            try:
                if (await client.get(url)).status_code == status:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never answered {status}")


def scale(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["scale", *args])
    return result.exit_code, result.output


async def test_cli_scales_a_served_runner() -> None:
    port = free_port()
    settings = Settings(
        queue_url="memory://cli-scale",
        runner={
            "concurrency": 2,
            "min_concurrency": 1,
            "max_concurrency": 12,
            "scale_token": TOKEN,
            "grace_seconds": 0,
            "switch_interval_seconds": 0.003,
        },
    )
    served = asyncio.create_task(
        serve_scaled(settings, SleepExecutor(0.01), http_port=port, autoscale=True)
    )
    base = f"http://127.0.0.1:{port}"
    url = f"{base}/hooks/scale"
    up = False
    try:
        await wait_up(f"{base}/healthz")  # served after the signal handlers are in
        up = True
        assert sys.getswitchinterval() == pytest.approx(0.003)  # tune_switch_interval
        code, out = await asyncio.to_thread(scale, "--target", "9", "--url", url, "--token", TOKEN)
        assert (code, out.strip()) == (0, "concurrency 2 -> 9")
        code, out = await asyncio.to_thread(scale, "--delta", "+20", "--url", url, "--token", TOKEN)
        assert code == 0
        assert out.strip() == "concurrency 9 -> 12 (clamped to the runner's bounds)"
        code, out = await asyncio.to_thread(scale, "--target", "3", "--url", url, "--token", "bad")
        assert code == 2
        assert "HTTP 401" in out
        async with httpx.AsyncClient() as client:
            state = await client.get(url, headers={"authorization": f"Bearer {TOKEN}"})
        assert state.json()["target"] == 12
    finally:
        if up:
            os.kill(os.getpid(), signal.SIGTERM)  # the runner's own drain path
        else:
            served.cancel()
        await asyncio.wait_for(asyncio.gather(served, return_exceptions=True), timeout=20)


def test_cli_needs_exactly_one_of_target_or_delta() -> None:
    code, out = scale("--token", "x")
    assert code == 2
    assert "exactly one of --target or --delta" in out
    code, out = scale("--target", "1", "--delta", "1", "--token", "x")
    assert code == 2


def test_cli_unreachable_hook_is_one_line() -> None:
    code, out = scale("--target", "1", "--token", "x", "--url", f"http://127.0.0.1:{free_port()}")
    assert code == 2
    assert out.startswith("error: scale hook http://127.0.0.1:")
    assert out.count("\n") == 1


@pytest.mark.usefixtures("restore_gc")
async def test_up_serves_the_scale_hook_on_its_port(tmp_path: Path) -> None:
    from reportflow.requestor.embedded import serve_embedded

    port = free_port()
    settings = Settings(
        home=tmp_path,
        connections={"warehouse": f"sqlite:///{tmp_path / 'none.db'}"},
        runner={
            "concurrency": 2,
            "max_concurrency": 6,
            "scale_token": TOKEN,
            "switch_interval_seconds": 0.002,
        },
    )
    served = asyncio.create_task(serve_embedded(settings, "127.0.0.1", port))
    url = f"http://127.0.0.1:{port}/hooks/scale"
    mounted = False
    try:
        # The hook is mounted right before the signal handlers go in (no await between).
        await wait_for_status(url, 401, served)
        mounted = True
        assert gc.get_freeze_count() > 0  # start-up objects out of the collector's way
        assert sys.getswitchinterval() == pytest.approx(0.002)  # the runs' threads
        async with httpx.AsyncClient() as client:
            auth = {"authorization": f"Bearer {TOKEN}"}
            r = await client.post(url, json={"target": 5}, headers=auth)
            assert (r.status_code, r.json()["target"]) == (200, 5)
            r = await client.post(url, json={"target": 5})
            assert r.status_code == 401
            assert (await client.get(url, headers=auth)).json()["target"] == 5
    finally:
        if mounted:
            os.kill(os.getpid(), signal.SIGTERM)
        else:
            served.cancel()
        await asyncio.wait_for(asyncio.gather(served, return_exceptions=True), timeout=30)
