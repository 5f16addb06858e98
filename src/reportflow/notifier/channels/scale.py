"""Scale: ask the runner's scale hook for more or fewer workers."""

from __future__ import annotations

import json
from typing import Any

from reportflow.notifier.channels.base import Channel, Notification, post
from reportflow.notifier.config import ScaleChannel as ScaleConfig


class ScaleChannel(Channel[ScaleConfig]):
    """POSTs ``{"target": N}``, ``{"delta": ±N}`` or the alert payload, with a bearer token."""

    type = "scale"

    def body(self, note: Notification) -> dict[str, Any]:
        mode = self.config.mode
        if mode == "payload":
            return note.group.to_json()
        return {mode: self.config.value}

    async def send(self, note: Notification) -> str | None:
        headers = {"content-type": "application/json"}
        if self.config.token:
            headers["authorization"] = f"Bearer {self.config.token}"
        body = self.body(note)
        await post(
            self.client,
            self.config.url,
            content=json.dumps(body).encode(),
            headers=headers,
            timeout=self.config.timeout_seconds,
        )
        return None if self.config.mode == "payload" else json.dumps(body)
