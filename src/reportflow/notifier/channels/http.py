"""Generic HTTP: any method, headers, a body template, optional Standard Webhooks signature.

Signing uses :mod:`reportflow.webhooks.signing`, the same code the runner signs its
webhooks with.
"""

from __future__ import annotations

import hashlib
import json

from reportflow.notifier.channels.base import Channel, Notification, post
from reportflow.notifier.config import HttpChannel as HttpConfig
from reportflow.webhooks.signing import signature_headers


class HttpChannel(Channel[HttpConfig]):
    """Sends the payload (or a rendered body) to a URL; any 2xx is success."""

    type = "http"

    def body(self, note: Notification) -> bytes:
        if self.config.body is None:
            return json.dumps(note.group.to_json(), ensure_ascii=False).encode()
        return note.render("body", self.config.body).encode()

    def message_id(self, note: Notification) -> str:
        """Stable for one notification on one channel, across retries (Alertmanager's too),
        so the receiver can use ``webhook-id`` to drop duplicates."""
        raw = f"{note.receiver}/{self.name}/{note.group.dedupe_key()}".encode()
        return "msg_" + hashlib.sha256(raw).hexdigest()[:32]

    async def send(self, note: Notification) -> str | None:
        content = self.body(note)
        headers = {"content-type": self.config.content_type, **self.config.headers}
        if self.config.secret:
            headers.update(signature_headers(self.config.secret, self.message_id(note), content))
        response = await post(
            self.client,
            self.config.url,
            content=content,
            headers=headers,
            timeout=self.config.timeout_seconds,
            method=self.config.method,
        )
        return f"HTTP {response.status_code}"
