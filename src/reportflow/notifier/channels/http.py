"""Generic HTTP: any method, headers, a body template, optional Standard Webhooks signature."""

from __future__ import annotations

import json

from reportflow.notifier.channels.base import Channel, Notification, post
from reportflow.notifier.config import HttpChannel as HttpConfig
from reportflow.notifier.signing import signature_headers


class HttpChannel(Channel[HttpConfig]):
    """Sends the payload (or a rendered body) to a URL; any 2xx is success."""

    type = "http"

    def body(self, note: Notification) -> bytes:
        if self.config.body is None:
            return json.dumps(note.group.to_json(), ensure_ascii=False).encode()
        return note.render("body", self.config.body).encode()

    async def send(self, note: Notification) -> str | None:
        content = self.body(note)
        headers = {"content-type": self.config.content_type, **self.config.headers}
        if self.config.secret:
            headers.update(signature_headers(self.config.secret, content))
        response = await post(
            self.client,
            self.config.url,
            content=content,
            headers=headers,
            timeout=self.config.timeout_seconds,
            method=self.config.method,
        )
        return f"HTTP {response.status_code}"
