"""Command: run a program (never through a shell) with the alert as env vars and stdin JSON.

The argv items are templates, rendered one by one, so an alert label can never
inject shell syntax. The program runs through the notifier's
:class:`~reportflow.spawn.Spawner` (or :func:`run_process` when none is given: own session,
the whole process group killed at the timeout, output captured up to
``output_limit`` bytes and the rest drained and dropped so a chatty program
cannot fill memory). A semaphore caps how many runs of one receiver overlap.
"""

from __future__ import annotations

import asyncio
import json
import os
import re

import httpx

from reportflow.notifier.channels.base import Channel, Notification
from reportflow.notifier.config import CommandChannel as CommandConfig
from reportflow.notifier.errors import DeliveryError
from reportflow.spawn import ProcessRunner, run_process

EX_TEMPFAIL = 75  # sysexits.h: "try again later", the one exit code worth a retry
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


class CommandChannel(Channel[CommandConfig]):
    """Runs ``argv`` with a timeout and at most ``max_concurrent`` runs at a time."""

    type = "command"

    def __init__(
        self,
        name: str,
        config: CommandConfig,
        client: httpx.AsyncClient,
        *,
        run_process: ProcessRunner = run_process,
    ) -> None:
        super().__init__(name, config, client)
        self._run_process = run_process
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
            result = await self._run_process(
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
