"""``reportflow up`` is the whole system on one port, from zero configuration.

Starts ``reportflow up`` twice as a subprocess with a fresh home and checks
what a first-time user relies on: the admin account and its password file,
the generated tokens guarding the notifier and the scale hook, the route
order on ``/hooks/*``, and one ``/metrics`` for every component.
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

# Start-up of the whole app can take 20 s on a loaded machine; the test starts it twice.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(180)]

REPORTFLOW = Path(sys.executable).with_name("reportflow")
STARTUP_SECONDS = 60.0

NOTIFIER_YAML = f"""\
receivers:
  log:
    - type: command
      name: noop
      argv: [{sys.executable!r}, "-c", "pass"]
route:
  receiver: log
"""


def _alert(fingerprint: str) -> dict[str, object]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="UpTest"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "reportflow",
        "groupLabels": {"alertname": "UpTest"},
        "commonLabels": {"alertname": "UpTest"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.invalid",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "UpTest"},
                "annotations": {},
                "startsAt": "2026-11-28T00:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.invalid",
                "fingerprint": fingerprint,
            }
        ],
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_up(tmp_path: Path, port: int, log_name: str) -> Iterator[Path]:
    """``reportflow up`` until the block ends (SIGTERM, then it must exit 0); yields its log."""
    (tmp_path / "notifier.yaml").write_text(NOTIFIER_YAML)
    env = {
        **os.environ,
        "REPORTFLOW_HOME": str(tmp_path / "home"),
        # A configured warehouse: skip building the 100,000-row demo one.
        "REPORTFLOW_CONNECTIONS__WAREHOUSE": f"sqlite:///{tmp_path / 'wh.db'}",
        "REPORTFLOW_NOTIFIER_CONFIG": str(tmp_path / "notifier.yaml"),
        "REPORTFLOW_LOG_FORMAT": "json",
    }
    env.pop("REPORTFLOW_RUNNER__SCALE_TOKEN", None)
    out = tmp_path / log_name
    with out.open("wb") as log:
        proc = subprocess.Popen(
            [str(REPORTFLOW), "up", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        # "reportflow up on" is logged once the runner and the scale hook are in place.
        while "reportflow up on" not in out.read_text() and proc.poll() is None:
            assert time.monotonic() < deadline, out.read_text()[-3000:]
            time.sleep(0.1)
        assert proc.poll() is None, out.read_text()[-3000:]
        yield out
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, out.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _login(client: httpx.Client, password: str) -> httpx.Response:
    return client.post("/api/v1/session", json={"username": "admin", "password": password})


def test_up_is_the_whole_system_with_zero_configuration(tmp_path: Path) -> None:
    port = _free_port()
    home = tmp_path / "home"
    secrets = home / "secrets"
    with (
        running_up(tmp_path, port, "first.log") as log,
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client,
    ):
        printed = log.read_text()
        assert f"web app:         http://127.0.0.1:{port}" in printed
        assert "log in as admin with the password in " in printed
        assert "first run: account created, password " in printed
        assert str(secrets / "alertmanager_token") in printed
        assert str(secrets / "scale_token") in printed

        password_path = home / "admin-password"
        password = password_path.read_text().strip()
        assert password in printed  # shown once, on the first run
        for path in (password_path, *secrets.iterdir()):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert _login(client, "not-the-password").status_code == 401
        session = _login(client, password)
        assert session.status_code == 200, session.text
        assert session.json()["role"] == "admin"

        notifier = {
            "authorization": f"Bearer {(secrets / 'alertmanager_token').read_text().strip()}"
        }
        hook = "/hooks/alertmanager"
        assert client.post(hook, json=_alert("a1")).status_code == 401
        answer = client.post(hook, json=_alert("a1"), headers=notifier)
        assert answer.status_code == 200, answer.text
        assert answer.json()["outcomes"]["sent"] == 1
        assert client.get("/api/v1/notifications").status_code == 401
        history = client.get("/api/v1/notifications", headers=notifier).json()["items"]
        assert [(i["channel_name"], i["outcome"]) for i in history] == [("noop", "sent")]

        scale = {"authorization": f"Bearer {(secrets / 'scale_token').read_text().strip()}"}
        assert client.post("/hooks/scale", json={"target": 3}).status_code == 401
        resized = client.post("/hooks/scale", json={"target": 3}, headers=scale)
        assert resized.status_code == 200, resized.text
        assert resized.json()["target"] == 3

        # /hooks/{id} answers only what no fixed hook path claims.
        assert "webhook" in client.post("/hooks/runner", json={}).json()["detail"]
        unknown = client.post("/hooks/nope", json={})
        assert (unknown.status_code, unknown.json()["detail"]) == (404, "unknown hook 'nope'")

        metrics = client.get("/metrics").text
        for series in (
            "reportflow_runner_slots ",  # runner
            "reportflow_queue_depth{",  # queue
            "reportflow_http_requests_total{",  # requestor
            'reportflow_notifications_total{channel="command",outcome="sent"}',  # notifier
            "reportflow_scale_actions_total{",  # scale hook
        ):
            assert series in metrics, series

    with (
        running_up(tmp_path, port, "second.log") as log,
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client,
    ):
        printed = log.read_text()
        assert "first run" not in printed
        assert f"log in as admin with the password in {password_path}" in printed
        assert password not in printed
        assert password_path.read_text().strip() == password
        assert _login(client, password).status_code == 200
