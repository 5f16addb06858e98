"""``reportflow up`` serves the web app and a runner, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from runner_fleet import REPORTFLOW

# Start-up of the whole app can take 20 s on a loaded machine.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(120)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_up_serves_and_drains_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "REPORTFLOW_HOME": str(tmp_path / "home"),
        # A configured warehouse: skip building the 100,000-row demo one.
        "REPORTFLOW_CONNECTIONS__WAREHOUSE": f"sqlite:///{tmp_path / 'wh.db'}",
        "REPORTFLOW_LOG_FORMAT": "json",
    }
    out = tmp_path / "up.log"
    with out.open("wb") as log:
        proc = subprocess.Popen(
            [str(REPORTFLOW), "up", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        healthy = False
        for _ in range(300):  # up to 30 s on a busy machine
            try:
                healthy = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success
            except httpx.TransportError:
                healthy = False
            # "reportflow up on" is logged once the runner and the signal handlers are in place.
            ready = healthy and "reportflow up on" in out.read_text()
            if ready or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert healthy, out.read_text()[-3000:]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    text = out.read_text()
    assert f"web app:         http://127.0.0.1:{port}" in text
    assert "runner " in text
    assert "stopped" in text
