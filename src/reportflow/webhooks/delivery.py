"""One signed POST to one endpoint, and what its answer means for retrying.

:class:`WebhookClient` makes exactly one attempt per :meth:`~WebhookClient.send`
and never raises for delivery problems: it returns a :class:`DeliveryAttempt`
whose :class:`Outcome` tells the caller (the outbox dispatcher, the sink, the
alert notifier) whether to stop, retry, or give up::

    2xx                                   DELIVERED
    410 Gone                              GONE      the endpoint is gone for good
    408, 409, 425, 429, 5xx, 3xx          RETRY     (Retry-After honoured on any of them)
    connection error, timeout             RETRY
    any other 4xx                         FAILED    the request itself is wrong; retrying won't help
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Any, Self

import httpx

from reportflow.errors import WebhookError
from reportflow.metrics import WEBHOOK_DELIVERIES, WEBHOOK_DELIVERY_LATENCY
from reportflow.webhooks.schedule import parse_retry_after
from reportflow.webhooks.signing import Secrets, decode_secrets, signature_headers

DEFAULT_TIMEOUT_SECONDS = 10.0
RETRYABLE_4XX = frozenset({408, 409, 425, 429})
_ERROR_BODY_CHARS = 200
USER_AGENT = "reportflow-webhooks/1"


class Outcome(StrEnum):
    """What one delivery attempt means for the message."""

    DELIVERED = "delivered"  # the endpoint accepted it (2xx)
    RETRY = "retry"  # a transient problem: try again later
    FAILED = "failed"  # the endpoint rejected it for good (4xx other than the retryable ones)
    GONE = "gone"  # 410: the endpoint no longer wants any message


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """The record of one attempt, handed to whoever keeps the delivery log."""

    msg_id: str
    endpoint: str
    outcome: Outcome
    at: float
    """Wall-clock start of the attempt (unix seconds)."""
    latency: float
    """Seconds from sending the request to the end of the response (or the error)."""
    status: int | None = None
    """HTTP status; ``None`` when no response came (connection error, timeout)."""
    error: str | None = None
    """One line saying what went wrong; ``None`` when delivered."""
    retry_after: float | None = None
    """Seconds the endpoint asked us to wait (``Retry-After``), if it did."""


def encode_payload(payload: dict[str, Any]) -> bytes:
    """The exact body sent (and signed): compact JSON, UTF-8, non-JSON values as strings."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def classify(status: int) -> Outcome:
    """The outcome of an HTTP status code (see the module docstring)."""
    if 200 <= status < 300:
        return Outcome.DELIVERED
    if status == 410:
        return Outcome.GONE
    if 400 <= status < 500 and status not in RETRYABLE_4XX:
        return Outcome.FAILED
    return Outcome.RETRY


class WebhookClient:
    """Signs and POSTs webhook messages to one URL.

    Args:
        url: the endpoint, e.g. ``http://requestor:8000/hooks/runner``.
        secrets: the signing secret(s); with several, every message carries one
            signature per secret (rotation).
        name: the endpoint's stable name in the outbox (default: the URL), so the
            URL may change between restarts without orphaning pending messages.
        http: a shared ``httpx.AsyncClient``; the client makes (and closes) its
            own when omitted.
        timeout: seconds for the whole attempt (connect, send, answer).
    """

    def __init__(
        self,
        url: str,
        secrets: Secrets,
        *,
        name: str | None = None,
        http: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise WebhookError(f"webhook url {url!r} is not http:// or https://")
        if timeout <= 0:
            raise WebhookError(f"webhook timeout {timeout} s is not > 0")
        decode_secrets(secrets)  # fail now, at configuration time, on a bad secret
        self.url = url
        self.endpoint = name or url
        self._secrets = secrets
        self._timeout = timeout
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout)

    async def send(self, msg_id: str, payload: dict[str, Any]) -> DeliveryAttempt:
        """POST ``payload`` once, signed with a fresh timestamp; never raises for delivery."""
        return await self.send_body(msg_id, encode_payload(payload))

    async def send_body(self, msg_id: str, body: bytes) -> DeliveryAttempt:
        """POST an already encoded JSON body once (see :meth:`send`)."""
        headers = signature_headers(self._secrets, msg_id, body)
        headers["content-type"] = "application/json"
        headers["user-agent"] = USER_AGENT
        at = time.time()
        started = time.perf_counter()
        try:
            response = await self._http.post(
                self.url, content=body, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException as exc:
            return self._record(
                msg_id, at, started, error=f"timeout after {self._timeout} s: {exc}"
            )
        except httpx.HTTPError as exc:
            kind = type(exc).__name__
            return self._record(msg_id, at, started, error=f"{kind}: {exc or 'no detail'}")
        status = response.status_code
        outcome = classify(status)
        error = None if outcome is Outcome.DELIVERED else _describe(response)
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return self._record(msg_id, at, started, status, outcome, error, retry_after)

    def _record(
        self,
        msg_id: str,
        at: float,
        started: float,
        status: int | None = None,
        outcome: Outcome = Outcome.RETRY,
        error: str | None = None,
        retry_after: float | None = None,
    ) -> DeliveryAttempt:
        latency = time.perf_counter() - started
        WEBHOOK_DELIVERIES.labels(outcome.value).inc()
        WEBHOOK_DELIVERY_LATENCY.observe(latency)
        return DeliveryAttempt(
            msg_id=msg_id,
            endpoint=self.endpoint,
            outcome=outcome,
            at=at,
            latency=latency,
            status=status,
            error=error,
            retry_after=retry_after,
        )

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _describe(response: httpx.Response) -> str:
    """One line naming what the endpoint answered."""
    text = " ".join(response.text.split())[:_ERROR_BODY_CHARS]
    where = response.headers.get("location")
    detail = f" -> {where}" if where else (f": {text}" if text else "")
    return f"HTTP {response.status_code} from {response.request.url}{detail}"
