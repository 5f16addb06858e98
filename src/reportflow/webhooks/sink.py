"""The runner's event sink that posts report state changes to the requestor.

Final events (succeeded, failed, cancelled) go through the durable outbox: the
result is stored before any attempt, and retried until the requestor takes it.
``started`` and ``progress`` are sent directly and at most once: losing one
costs nothing, since the next event or the final one supersedes it. Progress is
throttled per job to one message per ``progress_interval``, always the latest.
Direct messages gather while up to ``MAX_DIRECT_REQUESTS`` requests are out
and leave together (one request for many messages under load, with the
client's ``batch_size``). A job's progress never leaves while a request
carrying its ``started`` is still out (it may ride in the same batch, after
it), so a requestor sees them in the order they happened; other jobs do not
wait.

Webhook ids of final events are ``msg_<job>_<attempt>_<kind>``: the same event
emitted twice (a runner that crashed after emitting) has the same id, and the
receiver drops the duplicate.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reportflow.errors import ReportflowError
from reportflow.runner.events import EventKind, ReportEvent
from reportflow.webhooks.batch import Message
from reportflow.webhooks.delivery import Outcome, WebhookClient, encode_payload
from reportflow.webhooks.dispatcher import DEFAULT_BATCH_SIZE, OutboxDispatcher
from reportflow.webhooks.outbox import ClaimedMessage, Outbox
from reportflow.webhooks.schedule import RetrySchedule
from reportflow.webhooks.signing import Secrets

DEFAULT_PROGRESS_INTERVAL = 0.5
MAX_DIRECT_REQUESTS = 4
EVENT_TYPE_PREFIX = "report."

log = logging.getLogger("reportflow.webhooks")


def event_payload(event: ReportEvent) -> dict[str, Any]:
    """The JSON body for one event: ``{"type", "timestamp", "data"}``."""
    return {
        "type": f"{EVENT_TYPE_PREFIX}{event.kind.value}",
        "timestamp": datetime.fromtimestamp(event.at, UTC).isoformat(),
        "data": event.to_dict(),
    }


def event_message_id(event: ReportEvent) -> str:
    """Deterministic for final events (receiver-side dedupe), random otherwise."""
    if event.final:
        return f"msg_{event.job_id}_{event.attempt}_{event.kind.value}"
    return f"msg_{uuid.uuid4().hex}"


@dataclass(slots=True)
class _Throttle:
    """Progress of one job: when the last one went out, and the newest held back."""

    last_sent: float = float("-inf")
    held: ReportEvent | None = None
    timer: asyncio.TimerHandle | None = None


class WebhookSink:
    """An :class:`~reportflow.runner.events.EventSink` posting to one webhook endpoint.

    Args:
        client: sends direct (started/progress) messages, and names the endpoint
            final messages are stored for.
        outbox: where final messages are stored; an :class:`OutboxDispatcher`
            with the same client must run to deliver them (see :meth:`connect`).
        progress_interval: at most one progress message per job this often.
        quiet_start: hold a job's first progress until ``progress_interval``
            after its ``started`` (False: the first progress goes at once). A
            report that ends within the interval then sends no progress at all,
            since its final event supersedes what was held: fewer webhooks and
            store writes per short report, the same information for long ones.
        hold_started: seconds a job's ``started`` waits before it leaves (0: at
            once). A job that ends sooner sends its final event alone: the
            requestor logs the ``started`` that event implies, so the owner sees
            the same states, with one webhook and one store write fewer per
            short report. A progress that leaves sends the held ``started``
            first; one still held by ``quiet_start`` keeps it held.
    """

    def __init__(
        self,
        client: WebhookClient,
        outbox: Outbox,
        *,
        progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
        dispatcher: OutboxDispatcher | None = None,
        quiet_start: bool = False,
        hold_started: float = 0.0,
    ) -> None:
        self.client = client
        self.hold_started = hold_started
        self._held_started: dict[str, tuple[ReportEvent, asyncio.TimerHandle]] = {}
        self.outbox = outbox
        self.progress_interval = progress_interval
        self.quiet_start = quiet_start
        self._dispatcher = dispatcher
        self._throttles: dict[str, _Throttle] = {}
        self._direct: list[tuple[ReportEvent, Message]] = []
        """Direct messages not yet sent, oldest first."""
        self._requests = 0
        """Direct requests out now."""
        self._started_out: dict[str, int] = {}
        """Jobs whose ``started`` is in a request still out: their progress waits."""
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    async def connect(
        cls,
        url: str,
        secrets: Secrets,
        outbox_url: str,
        *,
        schedule: RetrySchedule | None = None,
        progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
        timeout: float = 10.0,
        name: str | None = None,
        quiet_start: bool = False,
        hold_started: float = 0.0,
        batch_size: int = 1,
    ) -> WebhookSink:
        """A sink that owns its client, outbox and a running dispatcher (all closed on close).

        ``batch_size``: most messages per POST (:mod:`reportflow.webhooks.batch`),
        for direct messages and the outbox alike.
        """
        client = WebhookClient(url, secrets, timeout=timeout, name=name, batch_size=batch_size)
        outbox = Outbox.from_url(outbox_url)
        await outbox.create_tables()
        dispatcher = OutboxDispatcher(
            outbox, client, schedule=schedule, batch_size=max(DEFAULT_BATCH_SIZE, batch_size)
        )
        await dispatcher.start()
        return cls(
            client,
            outbox,
            progress_interval=progress_interval,
            dispatcher=dispatcher,
            quiet_start=quiet_start,
            hold_started=hold_started,
        )

    async def emit(self, event: ReportEvent) -> None:
        """Store (final) or start sending (others) the event; never raises for delivery."""
        if event.final:
            self._forget(event.job_id)
            await self._store(event)
        elif event.kind is EventKind.PROGRESS:
            self._progress(event)
        else:
            self._forget(event.job_id)  # a new attempt starts its own progress
            if self.quiet_start:
                # As if a progress went out just now: the first real one waits an interval.
                self._throttles[event.job_id] = _Throttle(last_sent=time.monotonic())
            if self.hold_started > 0:
                # Timers, not tasks: most are cancelled (the job ends first), and
                # cancelling a handle costs nothing where a task must be resumed.
                loop = asyncio.get_running_loop()
                timer = loop.call_later(self.hold_started, self._send_held_started, event.job_id)
                self._held_started[event.job_id] = (event, timer)
            else:
                self._send(event)

    def _send_held_started(self, job_id: str) -> None:
        held = self._held_started.pop(job_id, None)
        if held is not None:
            event, timer = held
            timer.cancel()  # nothing when it is the one firing
            self._send(event)

    async def drain(self) -> None:
        """Wait until every direct message started so far, and what is held
        (progress, started), is sent."""
        loop = asyncio.get_running_loop()
        while True:
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
                continue
            timers = [timer for _, timer in self._held_started.values()]
            timers += [t.timer for t in self._throttles.values() if t.timer is not None]
            if not timers:
                return
            await asyncio.sleep(max(0.0, max(t.when() for t in timers) - loop.time()))

    async def close(self) -> None:
        await self.drain()
        if self._dispatcher is not None:
            await self._dispatcher.stop()
            await self.outbox.close()
            await self.client.aclose()

    async def _store(self, event: ReportEvent) -> None:
        msg_id = event_message_id(event)
        payload = event_payload(event)
        dispatcher = self._dispatcher if self._dispatcher and self._dispatcher.running else None
        lease = dispatcher.lease if dispatcher is not None else None
        try:
            stored = await self.outbox.add(self.client.endpoint, msg_id, payload, lease=lease)
        except ReportflowError as exc:
            # The outbox database is down: a direct attempt is the best left.
            log.error("webhook %s: outbox unavailable (%s); sending directly", msg_id, exc)
            self._send(event, msg_id)
            return
        if stored and dispatcher is not None:
            # Stored leased to our own dispatcher: it sends without claiming.
            dispatcher.hand_over(ClaimedMessage(msg_id, self.client.endpoint, payload, 0, None))

    def _progress(self, event: ReportEvent) -> None:
        throttle = self._throttles.setdefault(event.job_id, _Throttle())
        if throttle.timer is not None:
            throttle.held = event  # supersedes whatever was held
            return
        wait = throttle.last_sent + self.progress_interval - time.monotonic()
        if wait <= 0:
            throttle.last_sent = time.monotonic()
            self._send_progress(event)
            return
        throttle.held = event
        loop = asyncio.get_running_loop()
        throttle.timer = loop.call_later(wait, self._release, event.job_id, throttle)

    def _release(self, job_id: str, throttle: _Throttle) -> None:
        held, throttle.held, throttle.timer = throttle.held, None, None
        if held is None or self._throttles.get(job_id) is not throttle:
            return
        throttle.last_sent = time.monotonic()
        self._send_progress(held)

    def _send_progress(self, event: ReportEvent) -> None:
        """Send a progress, after its job's ``started`` if that is still held."""
        self._send_held_started(event.job_id)
        self._send(event)

    def _forget(self, job_id: str) -> None:
        """Drop the job's held progress and started: a newer state supersedes them."""
        throttle = self._throttles.pop(job_id, None)
        if throttle is not None and throttle.timer is not None:
            throttle.timer.cancel()
        held = self._held_started.pop(job_id, None)
        if held is not None:
            held[1].cancel()

    def _send(self, event: ReportEvent, msg_id: str | None = None) -> None:
        """Queue a direct message; it leaves as soon as a request slot is free."""
        msg_id = msg_id or event_message_id(event)
        self._direct.append((event, Message(msg_id, encode_payload(event_payload(event)))))
        self._pump()

    def _pump(self) -> None:
        """Start requests for what may leave now, while slots are free."""
        while self._direct and self._requests < MAX_DIRECT_REQUESTS:
            batch: list[tuple[ReportEvent, Message]] = []
            held: list[tuple[ReportEvent, Message]] = []
            for item in self._direct:
                event = item[0]
                waits = event.kind is EventKind.PROGRESS and event.job_id in self._started_out
                full = len(batch) >= self.client.batch_size
                (held if waits or full else batch).append(item)
            self._direct = held
            if not batch:
                return
            started = [e.job_id for e, _ in batch if e.kind is EventKind.STARTED]
            for job_id in started:
                self._started_out[job_id] = self._started_out.get(job_id, 0) + 1
            self._requests += 1
            self._spawn(self._post([m for _, m in batch], started))

    async def _post(self, messages: list[Message], started: list[str]) -> None:
        try:
            for attempt in await self.client.send_many(messages):
                if attempt.outcome is not Outcome.DELIVERED:
                    log.info("webhook %s not delivered: %s", attempt.msg_id, attempt.error)
        finally:
            self._requests -= 1
            for job_id in started:
                left = self._started_out.pop(job_id) - 1
                if left:
                    self._started_out[job_id] = left
            self._pump()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
