"""The pieces of the end-to-end alerting test: loopback servers, the real
Prometheus and Alertmanager binaries, and recorders that tests wait on."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml
from obs_kit import ALERTMANAGER_YML, RULES, compress_rules, free_port, require_binary

from reportflow.runner import RunnerHooks

#: The shipped rules run 60x faster: 5m of `for:` becomes 5s, [10m] becomes [10s].
TIME_FACTOR = 60


class Signal:
    """A condition tests wait on without sleeping: set() from any thread wakes waiters."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()

    def set(self) -> None:
        self._loop.call_soon_threadsafe(self._event.set)

    async def until(self, check: Callable[[], bool], timeout: float, what: str) -> None:
        """Return once ``check()`` holds, re-checking at every set(); fail after ``timeout``."""
        try:
            async with asyncio.timeout(timeout):
                while not check():
                    await self._event.wait()
                    self._event.clear()
        except TimeoutError:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}") from None


class ResizeLog(RunnerHooks):
    """Every concurrency change of the runner, with its reason."""

    def __init__(self) -> None:
        self.changes: list[tuple[int, int, str]] = []
        self.signal = Signal()

    async def on_resize(self, old: int, new: int, reason: str) -> None:
        self.changes.append((old, new, reason))
        self.signal.set()


class MailBox:
    """An aiosmtpd handler keeping (subject, text) of every message."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.signal = Signal()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(preferencelist=("plain",))
        self.messages.append((str(message["subject"]), body.get_content() if body else ""))
        self.signal.set()
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[int, MailBox]]:
    from aiosmtpd.controller import Controller

    box, port = MailBox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


@dataclass
class Capture:
    """An ASGI app recording every POST body (the Teams workflow endpoint)."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    signal: Signal = field(default_factory=Signal)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        import json

        self.bodies.append(json.loads(body or b"{}"))
        self.signal.set()
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b"1"})


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[int]:
    """Serve an ASGI app with uvicorn on a free loopback port, in this event loop."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port: int = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, lifespan="off", ws="none", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield port
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.contextmanager
def process(argv: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child process, terminated (then killed) on exit; its output goes to ``log``."""
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


async def ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 20) -> None:
    """Wait for a binary's readiness endpoint (bounded; its log on failure)."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=1) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"{url} exited early:\n{tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} not ready after {timeout}s:\n{tail(log)}")


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


def prometheus_files(folder: Path, target: str, alertmanager: str) -> Path:
    """A test config: 1 s scrapes and evaluations, the shipped rules on the fast clock."""
    rules = []
    for path in RULES:
        out = folder / f"rules-{path.name}"
        out.write_text(
            yaml.safe_dump(compress_rules(yaml.safe_load(path.read_text()), TIME_FACTOR))
        )
        rules.append(str(out))
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": rules,
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
        "scrape_configs": [{"job_name": "reportflow", "static_configs": [{"targets": [target]}]}],
    }
    path = folder / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def alertmanager_file(folder: Path, urls: dict[str, str], tokens: dict[str, str]) -> Path:
    """The shipped Alertmanager config with loopback URLs, token files and 1 s timings.

    ``urls``/``tokens`` map the hook name (``alertmanager``, ``scale``) to the test's.
    """
    config = yaml.safe_load(ALERTMANAGER_YML.read_text())
    for receiver in config["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            name = hook["url"].rsplit("/", 1)[-1]
            hook["url"] = urls[name]
            token = folder / f"{name}.token"
            token.write_text(tokens[name])
            hook["http_config"]["authorization"]["credentials_file"] = str(token)

    def fast(route: dict[str, Any]) -> None:
        for key in ("group_wait", "group_interval"):
            if key in route:
                route[key] = "0s" if route[key] == "0s" else "1s"
        for child in route.get("routes", []):
            fast(child)

    fast(config["route"])
    path = folder / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def prometheus_argv(config: Path, data: Path, port: int) -> list[str]:
    return [
        require_binary("prometheus"),
        f"--config.file={config}",
        f"--storage.tsdb.path={data}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--rules.alert.resend-delay=1s",
        "--log.level=warn",
    ]


def alertmanager_argv(config: Path, data: Path, port: int) -> list[str]:
    return [
        require_binary("alertmanager"),
        f"--config.file={config}",
        f"--storage.path={data}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]


async def query(client: httpx.AsyncClient, promql: str) -> list[dict[str, Any]]:
    """Prometheus' instant query; raises with Prometheus' error for an invalid query."""
    answer = await client.get("/api/v1/query", params={"query": promql})
    data = answer.json()
    if data.get("status") != "success":
        raise AssertionError(f"{promql}: {data.get('error')}")
    result: list[dict[str, Any]] = data["data"]["result"]
    return result
