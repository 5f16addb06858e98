"""Command: run a program (never through a shell) with the alert as env vars and stdin JSON.

The argv items are templates, rendered one by one, so an alert label can never
inject shell syntax. The child starts in its own session: on timeout the whole
process group is killed, not just the first process. A semaphore caps how many
runs of one hook overlap; output is captured up to ``output_limit`` bytes and
the rest is drained and dropped so a chatty program cannot fill memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportflow.notifier.channels.base import Channel, Notification
from reportflow.notifier.config import CommandChannel as CommandConfig
from reportflow.notifier.errors import DeliveryError

EX_TEMPFAIL = 75  # sysexits.h: "try again later", the one exit code worth a retry
_CHUNK = 65536
_DRAIN_AFTER_KILL_SECONDS = 2.0
_NOT_NAME = re.compile(r"[^A-Z0-9]+")


def _env_name(prefix: str, key: str) -> str:
    return prefix + _NOT_NAME.sub("_", key.upper()).strip("_")


def alert_env(note: Notification) -> dict[str, str]:
    """``ALERT_*`` variables describing the group."""
    group = note.group
    env = {
        "ALERT_STATUS": group.status.value,
        "ALERT_RECEIVER": note.receiver,
        "ALERT_GROUP_KEY": group.group_key,
        "ALERT_NAME": group.alertname,
        "ALERT_SEVERITY": group.common_labels.get("severity", ""),
        "ALERT_COUNT": str(len(group.alerts)),
        "ALERT_FIRING": str(len(group.firing)),
        "ALERT_RESOLVED": str(len(group.resolved)),
        "ALERT_EXTERNAL_URL": group.external_url,
        "ALERT_TITLE": note.text("title"),
        "ALERT_SUMMARY": note.text("summary"),
    }
    env.update({_env_name("ALERT_LABEL_", k): v for k, v in group.common_labels.items()})
    env.update({_env_name("ALERT_ANNOTATION_", k): v for k, v in group.common_annotations.items()})
    return {k: v.replace("\x00", "") for k, v in env.items()}


async def _read_capped(stream: asyncio.StreamReader | None, limit: int) -> tuple[bytes, int]:
    """Keep the first ``limit`` bytes, drain the rest; returns (kept, total)."""
    kept = bytearray()
    total = 0
    if stream is None:
        return b"", 0
    while chunk := await stream.read(_CHUNK):
        total += len(chunk)
        if len(kept) < limit:
            kept.extend(chunk[: limit - len(kept)])
    return bytes(kept), total


def _show(data: bytes, total: int) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text + (f" …[{total - len(data)} bytes cut]" if total > len(data) else "")


class CommandChannel(Channel[CommandConfig]):
    """Runs ``argv`` with a timeout and at most ``max_concurrent`` runs at a time."""

    type = "command"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._slots = asyncio.Semaphore(self.config.max_concurrent)

    def argv(self, note: Notification) -> list[str]:
        return [note.render(f"argv[{i}]", item) for i, item in enumerate(self.config.argv)]

    async def send(self, note: Notification) -> str | None:
        argv = self.argv(note)
        env = {"PATH": os.defpath, **self.config.env, **alert_env(note)}
        stdin = json.dumps(note.group.to_json()).encode()
        async with self._slots:
            return await self._run(argv, env, stdin)

    async def _run(self, argv: list[str], env: dict[str, str], stdin: bytes) -> str | None:
        cfg = self.config
        try:
            result = await run_process(
                argv,
                env=env,
                stdin=stdin,
                cwd=cfg.cwd,
                timeout=cfg.timeout_seconds,
                output_limit=cfg.output_limit,
            )
        except TimeoutError as exc:  # before OSError, of which it is a subclass
            raise DeliveryError(
                f"command {argv[0]!r}: killed after {cfg.timeout_seconds:g}s timeout",
                retryable=False,
            ) from exc
        except OSError as exc:
            raise DeliveryError(
                f"command {argv[0]!r}: cannot start: {exc.strerror or exc}", retryable=False
            ) from exc
        if result.code != 0:
            raise DeliveryError(
                f"command {argv[0]!r} exited {result.code}: {result.stderr or result.stdout}",
                retryable=result.code == EX_TEMPFAIL,
            )
        return result.stdout or None


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """How a program run by :func:`run_process` ended."""

    code: int
    stdout: str
    """Captured standard output (up to the limit, with a note of what was cut)."""
    stderr: str


async def run_process(
    argv: list[str],
    *,
    env: dict[str, str],
    stdin: bytes,
    cwd: Path | None,
    timeout: float,
    output_limit: int,
) -> ProcessResult:
    """Run ``argv`` without a shell in its own session; kill its process group at ``timeout``.

    Raises:
        OSError: the program could not be started.
        TimeoutError: it ran past ``timeout`` and was killed (with its children).
    """
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    out = asyncio.create_task(_read_capped(proc.stdout, output_limit))
    err = asyncio.create_task(_read_capped(proc.stderr, output_limit))
    try:
        async with asyncio.timeout(timeout):
            await _feed(proc, stdin)
            code = await proc.wait()
    except (TimeoutError, asyncio.CancelledError):
        await _kill(proc, out, err)
        raise
    stdout, stderr = await out, await err
    return ProcessResult(code, _show(*stdout), _show(*stderr))


async def _feed(proc: asyncio.subprocess.Process, data: bytes) -> None:
    if proc.stdin is None:
        return
    # A program that ignores stdin closes the pipe early (or has already exited); that is
    # its right. uvloop reports the closed pipe as RuntimeError rather than BrokenPipeError.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError, RuntimeError):
        if data:
            proc.stdin.write(data)
            await proc.stdin.drain()
        proc.stdin.close()


async def _kill(proc: asyncio.subprocess.Process, *readers: asyncio.Task[Any]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    await proc.wait()
    # A grandchild that left the group may hold the pipes open: stop reading.
    _, pending = await asyncio.wait(readers, timeout=_DRAIN_AFTER_KILL_SECONDS)
    for task in pending:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
