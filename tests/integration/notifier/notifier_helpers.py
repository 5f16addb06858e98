"""Building notifications and channels for the integration tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from notifier_samples import backlog, group

from reportflow.notifier.channels import Channel, Notification, build_channel
from reportflow.notifier.config import NotifierConfig, parse_config
from reportflow.notifier.templates import TemplateRenderer, Templates, build_context


def note(data: dict[str, Any] | None = None, **templates: str) -> Notification:
    g = group(data if data is not None else backlog())
    resolved = Templates.model_validate(templates).resolved()
    return Notification(g, "ops", resolved, TemplateRenderer(), build_context(g))


def channel(spec: dict[str, Any], client: httpx.AsyncClient) -> Channel[Any]:
    config: NotifierConfig = parse_config({"receivers": {"r": [spec]}, "route": {"receiver": "r"}})
    cfg = config.receivers["r"][0]
    return build_channel(cfg.name or f"{cfg.type}-0", cfg, client)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a killed orphan may linger as a zombie until reaped
