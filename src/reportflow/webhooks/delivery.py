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

import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from types import TracebackType
from typing import Any, Self

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL

from reportflow.errors import WebhookError
from reportflow.metrics import WEBHOOK_DELIVERIES, WEBHOOK_DELIVERY_LATENCY
from reportflow.webhooks.batch import Message, answer_statuses, chunks, encode_batch
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


def env_proxy(url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
    """The proxy the environment names for ``url`` (``HTTPS_PROXY``, ``NO_PROXY``...), if any.

    Looked up once per client, as httpx does, rather than with aiohttp's
    ``trust_env``, which looks it up, and reads ``~/.netrc``, in a worker
    thread before every request: two trips to a thread and back per
    webhook, each waiting for the loop and the GIL.
    """
    try:
        return get_env_proxy_for_url(URL(url))
    except LookupError:
        return None, None


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
        http: a shared ``aiohttp.ClientSession``; the client makes (and closes)
            its own, on first use, when omitted. aiohttp rather than httpx (which
            the rest of reportflow uses): one delivery costs about 125 µs of CPU
            against 480 µs, and every report's final event is one (docs/webhooks.md).
        timeout: seconds for the whole attempt (connect, send, answer).
        batch_size: most messages :meth:`send_many` puts in one POST
            (:mod:`reportflow.webhooks.batch`); 1 sends each message alone, which
            any Standard Webhooks endpoint understands.
    """

    def __init__(
        self,
        url: str,
        secrets: Secrets,
        *,
        name: str | None = None,
        http: aiohttp.ClientSession | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        batch_size: int = 1,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise WebhookError(f"webhook url {url!r} is not http:// or https://")
        if timeout <= 0:
            raise WebhookError(f"webhook timeout {timeout} s is not > 0")
        if batch_size < 1:
            raise WebhookError(f"webhook batch size {batch_size} is not >= 1")
        decode_secrets(secrets)  # fail now, at configuration time, on a bad secret
        self.url = url
        self.endpoint = name or url
        self._secrets = secrets
        self._timeout = timeout
        self.batch_size = batch_size
        self._own_http = http is None
        self._http = http
        self._proxy: tuple[URL | None, aiohttp.BasicAuth | None] = (None, None)
        """The environment's proxy for ``url``, for the session made here."""
        self._request_timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(self, msg_id: str, payload: dict[str, Any]) -> DeliveryAttempt:
        """POST ``payload`` once, signed with a fresh timestamp; never raises for delivery."""
        return await self.send_body(msg_id, encode_payload(payload))

    async def send_many(self, messages: Sequence[Message]) -> list[DeliveryAttempt]:
        """One attempt for each message, in batches of up to ``batch_size``; the
        attempts come back in the order of ``messages``."""
        if self.batch_size == 1:
            return list(await asyncio.gather(*(self.send_body(m.id, m.body) for m in messages)))
        batches = chunks(messages, self.batch_size)
        results = await asyncio.gather(*(self._send_batch(batch) for batch in batches))
        return [attempt for batch in results for attempt in batch]

    async def _send_batch(self, batch: list[Message]) -> list[DeliveryAttempt]:
        if len(batch) == 1:
            return [await self.send_body(batch[0].id, batch[0].body)]
        whole = await self._post(f"msg_batch_{uuid.uuid4().hex}", encode_batch(batch))
        if whole.outcome is not Outcome.DELIVERED:
            return [self._count(replace(whole.attempt, msg_id=m.id)) for m in batch]
        statuses = answer_statuses(whole.answer)
        attempts = []
        for message in batch:
            status, detail = statuses.get(message.id, (None, "no result for it in the answer"))
            outcome = Outcome.RETRY if status is None else classify(status)
            error = None if outcome is Outcome.DELIVERED else f"in batch: {status} {detail}"
            attempt = replace(
                whole.attempt, msg_id=message.id, status=status, outcome=outcome, error=error
            )
            attempts.append(self._count(attempt))
        return attempts

    async def send_body(self, msg_id: str, body: bytes) -> DeliveryAttempt:
        """POST an already encoded JSON body once (see :meth:`send`)."""
        return self._count((await self._post(msg_id, body)).attempt)

    async def _post(self, msg_id: str, body: bytes) -> _Posted:
        headers = signature_headers(self._secrets, msg_id, body)
        headers["content-type"] = "application/json"
        headers["user-agent"] = USER_AGENT
        at = time.time()
        started = time.perf_counter()
        if self._http is None:
            # Made in the running loop (aiohttp wants one).
            self._http = aiohttp.ClientSession()
            self._proxy = env_proxy(self.url)
        try:
            async with self._http.post(
                self.url,
                data=body,
                headers=headers,
                timeout=self._request_timeout,
                allow_redirects=False,
                proxy=self._proxy[0],
                proxy_auth=self._proxy[1],
            ) as response:
                status = response.status
                answer = await response.read()
        except TimeoutError as exc:
            reason = f"timeout after {self._timeout} s" + (f": {exc}" if str(exc) else "")
            return _Posted(self._attempt(msg_id, at, started, error=reason))
        except aiohttp.ClientConnectorError as exc:
            return _Posted(self._attempt(msg_id, at, started, error=f"connect failed: {exc}"))
        except aiohttp.ClientError as exc:
            reason = f"{type(exc).__name__}: {exc or 'no detail'}"
            return _Posted(self._attempt(msg_id, at, started, error=reason))
        outcome = classify(status)
        error = None if outcome is Outcome.DELIVERED else self._describe(response, answer)
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        attempt = self._attempt(msg_id, at, started, status, outcome, error, retry_after)
        return _Posted(attempt, _json_or_none(status, answer))

    def _attempt(
        self,
        msg_id: str,
        at: float,
        started: float,
        status: int | None = None,
        outcome: Outcome = Outcome.RETRY,
        error: str | None = None,
        retry_after: float | None = None,
    ) -> DeliveryAttempt:
        return DeliveryAttempt(
            msg_id=msg_id,
            endpoint=self.endpoint,
            outcome=outcome,
            at=at,
            latency=time.perf_counter() - started,
            status=status,
            error=error,
            retry_after=retry_after,
        )

    @staticmethod
    def _count(attempt: DeliveryAttempt) -> DeliveryAttempt:
        WEBHOOK_DELIVERIES.labels(attempt.outcome.value).inc()
        WEBHOOK_DELIVERY_LATENCY.observe(attempt.latency)
        return attempt

    def _describe(self, response: aiohttp.ClientResponse, body: bytes) -> str:
        """One line naming what the endpoint answered."""
        text = " ".join(body.decode("utf-8", "replace").split())[:_ERROR_BODY_CHARS]
        where = response.headers.get("location")
        detail = f" -> {where}" if where else (f": {text}" if text else "")
        return f"HTTP {response.status} from {self.url}{detail}"

    async def aclose(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.close()
            self._http = None  # a later send opens a new session

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


@dataclass(frozen=True, slots=True)
class _Posted:
    """One POST's attempt, and its decoded JSON answer when it was 2xx JSON."""

    attempt: DeliveryAttempt
    answer: Any = None

    @property
    def outcome(self) -> Outcome:
        return self.attempt.outcome


def _json_or_none(status: int, body: bytes) -> Any:
    if not 200 <= status < 300:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
