"""What every channel shares: the notification it is handed and the small base class.

A channel turns one :class:`Notification` into one delivery (or a few, when a
message must be split). It raises :class:`DeliveryError` (saying whether a
retry may help) or :class:`TemplateError`; the dispatcher retries, times and
records it, so a channel holds only what is particular to it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import httpx

from reportflow.notifier.errors import DeliveryError
from reportflow.notifier.payload import AlertGroup
from reportflow.notifier.templates import TemplateRenderer

ConfigT = TypeVar("ConfigT")
_BEFORE_TEXTS = ("title", "summary")


@dataclass(slots=True)
class Notification:
    """One alert group on its way to one channel, with its templates rendered lazily.

    Rendering is lazy so a broken ``html`` template fails only the channels
    that use HTML, not the Teams card next to them.
    """

    group: AlertGroup
    receiver: str
    templates: dict[str, str]
    renderer: TemplateRenderer
    context: dict[str, Any]
    _texts: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str:
        """The rendered template ``name`` (title, summary, text, html, or a channel's own)."""
        if name in self._texts:
            return self._texts[name]
        ctx = self.context
        if name not in _BEFORE_TEXTS:
            ctx = {**ctx, "title": self.text("title"), "summary": self.text("summary")}
        value = self.renderer.render(name, self.templates[name], ctx, html=name == "html")
        if name in _BEFORE_TEXTS:
            value = " ".join(value.split())  # one line: subjects and headers
        self._texts[name] = value
        return value

    def render(self, name: str, source: str) -> str:
        """Render a channel's own template (an argv item, an HTTP body)."""
        ctx = {**self.context, "title": self.text("title"), "summary": self.text("summary")}
        return self.renderer.render(name, source, ctx)


class Channel(ABC, Generic[ConfigT]):
    """A configured destination. Subclasses set ``type`` and implement :meth:`send`."""

    type: ClassVar[str]

    def __init__(self, name: str, config: ConfigT, client: httpx.AsyncClient) -> None:
        self.name = name
        self.config = config
        self.client = client

    @abstractmethod
    async def send(self, note: Notification) -> str | None:
        """Deliver ``note``; return a short detail for the log or None.

        Raises:
            DeliveryError: the send failed; ``retryable`` says whether to try again.
            TemplateError: a template of this channel did not render.
        """


async def post(
    client: httpx.AsyncClient,
    url: str,
    *,
    content: bytes,
    headers: dict[str, str],
    timeout: float,
    method: str = "POST",
    accept: frozenset[int] | None = None,
) -> httpx.Response:
    """Send and classify: network errors, 5xx and 429 may be retried; other 4xx not."""
    try:
        response = await client.request(
            method, url, content=content, headers=headers, timeout=timeout
        )
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"{_host(url)}: timed out after {timeout:g}s", retryable=True) from exc
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{_host(url)}: {type(exc).__name__}: {exc}", retryable=True) from exc
    ok = response.status_code in accept if accept else response.is_success
    if ok:
        return response
    retryable = response.status_code >= 500 or response.status_code in (408, 429)
    snippet = " ".join(response.text[:200].split())
    raise DeliveryError(
        f"{_host(url)}: HTTP {response.status_code} {snippet}".rstrip(), retryable=retryable
    )


def _host(url: str) -> str:
    # Webhook URLs carry their secret in the path: never log more than the host.
    try:
        return httpx.URL(url).host or url
    except httpx.InvalidURL:
        return "invalid URL"
