"""The delivery channels and the factory that builds them from ``notifier.yaml``."""

from __future__ import annotations

from typing import Any

import httpx

from reportflow.notifier.channels.base import Channel, Notification
from reportflow.notifier.channels.command import CommandChannel
from reportflow.notifier.channels.email import EmailChannel
from reportflow.notifier.channels.http import HttpChannel
from reportflow.notifier.channels.scale import ScaleChannel
from reportflow.notifier.channels.slack import SlackChannel
from reportflow.notifier.channels.teams import TeamsChannel
from reportflow.spawn import ProcessRunner, run_process

CHANNEL_TYPES: dict[str, type[Channel[Any]]] = {
    cls.type: cls
    for cls in (EmailChannel, TeamsChannel, SlackChannel, HttpChannel, CommandChannel, ScaleChannel)
}


def build_channel(
    name: str, config: Any, client: httpx.AsyncClient, *, run_process: ProcessRunner = run_process
) -> Channel[Any]:
    """The channel for one validated channel config (its ``type`` picks the class);
    command channels run their programs with ``run_process``."""
    if config.type == CommandChannel.type:
        return CommandChannel(name, config, client, run_process=run_process)
    return CHANNEL_TYPES[config.type](name, config, client)


__all__ = [
    "CHANNEL_TYPES",
    "Channel",
    "CommandChannel",
    "EmailChannel",
    "HttpChannel",
    "Notification",
    "ScaleChannel",
    "SlackChannel",
    "TeamsChannel",
    "build_channel",
]
