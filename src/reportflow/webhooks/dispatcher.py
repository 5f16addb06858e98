"""The task that empties the outbox: send due messages, record, reschedule."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

from reportflow.errors import WebhookError
from reportflow.metrics import OUTBOX_BACKLOG, WEBHOOK_MESSAGES_DEAD
from reportflow.webhooks.batch import Message
from reportflow.webhooks.delivery import DeliveryAttempt, Outcome, WebhookClient, encode_payload
from reportflow.webhooks.outbox import ClaimedMessage, MessageState, Outbox
from reportflow.webhooks.schedule import RetrySchedule

DEFAULT_POLL_SECONDS = 5.0
DEFAULT_BATCH_SIZE = 16
DEFAULT_LEASE_SECONDS = 120.0
#: The outbox's backlog and earliest due retry are read from the database at most this often.
LOOK_EVERY_SECONDS = 1.0
#: Deliveries (one POST and its recording each) out at once: a message handed
#: over while one is out leaves at once instead of waiting for its round trip.
MAX_IN_FLIGHT = 4

log = logging.getLogger("reportflow.webhooks")


class OutboxDispatcher:
    """Delivers the outbox's messages for a set of endpoints until stopped.

    It wakes at once when a message is added through the same :class:`Outbox`
    object, when the earliest retry falls due, and at least every
    ``poll_interval`` seconds (which covers messages added by other processes).
    Messages pending when it starts, left by an earlier process, are sent first.
    Up to :data:`MAX_IN_FLIGHT` deliveries are out at once.

    Args:
        outbox: where messages are stored.
        clients: one client per endpoint; a message goes to the client whose
            ``endpoint`` name matches the message's. Messages for endpoints not
            listed here are left alone (another dispatcher may own them).
        schedule: the retry schedule.
        lease: seconds a claimed message is hidden from other dispatchers; must
            exceed the clients' timeout. A dispatcher that dies mid-attempt
            delays that message by at most this much.
    """

    def __init__(
        self,
        outbox: Outbox,
        clients: WebhookClient | Sequence[WebhookClient],
        *,
        schedule: RetrySchedule | None = None,
        poll_interval: float = DEFAULT_POLL_SECONDS,
        batch_size: int = DEFAULT_BATCH_SIZE,
        lease: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        listed = [clients] if isinstance(clients, WebhookClient) else list(clients)
        if not listed:
            raise WebhookError("outbox dispatcher: no webhook client given")
        if poll_interval <= 0 or batch_size < 1 or lease <= 0:
            raise WebhookError(
                f"outbox dispatcher: poll_interval {poll_interval}, batch_size {batch_size} "
                f"and lease {lease} must all be > 0"
            )
        self.outbox = outbox
        self.clients = {c.endpoint: c for c in listed}
        self.schedule = schedule or RetrySchedule()
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.lease = lease
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._handed: list[ClaimedMessage] = []
        """Messages their producer stored already leased to this dispatcher."""
        self._look = True
        """Whether the database may hold due messages (start, wake(), a due time, a poll)."""
        self._next_look = 0.0
        self._due: float | None = None
        """When the earliest pending message is due, as last read or scheduled here."""
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._in_flight: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """Look for due messages now rather than at the next poll."""
        self._look = True
        self._wake.set()

    def hand_over(self, message: ClaimedMessage) -> None:
        """Send a message its producer has just stored leased for ``lease`` seconds
        (:meth:`Outbox.add` with ``lease``): no claim round trip to the database.
        Should this process die first, the lease runs out and any dispatcher sends it."""
        self._handed.append(message)
        self._wake.set()

    async def start(self) -> None:
        if self.running:
            raise WebhookError("outbox dispatcher is already running")
        self._stopping = False
        self.outbox.subscribe(self.wake)
        self._task = asyncio.create_task(self._loop(), name="reportflow-webhook-outbox")

    async def stop(self) -> None:
        """Finish the attempts in flight (recorded as usual), then return."""
        self._stopping = True
        self.outbox.unsubscribe(self.wake)
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def run_once(self) -> int:
        """Attempt every message due now, retries that fall due meanwhile
        included; returns how many attempts were made."""
        total = 0
        while attempted := await self._run(look=True):
            await self._settle()  # recorded: a retry due at once is found again
            total += attempted
        return total

    async def _settle(self) -> None:
        """Wait for the deliveries in flight (recorded as usual)."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight)

    async def _run(self, *, look: bool) -> int:
        """Send the handed-over messages, then (``look``) the due ones in the database.

        Returns once every message is out (not answered): up to
        :data:`MAX_IN_FLIGHT` deliveries go on in the background.
        """
        total = 0
        while not self._stopping:
            if self._handed:
                batch = self._handed[: self.batch_size]
                del self._handed[: self.batch_size]
            elif look:
                batch = await self.outbox.claim_due(
                    list(self.clients), limit=self.batch_size, lease=self.lease
                )
            else:
                break
            if not batch:
                break
            by_endpoint: dict[str, list[ClaimedMessage]] = {}
            for message in batch:
                by_endpoint.setdefault(message.endpoint, []).append(message)
            for group in by_endpoint.values():
                await self._slots.acquire()
                task = asyncio.create_task(self._deliver_in_slot(group))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
            total += len(batch)
        return total

    async def _deliver_in_slot(self, messages: list[ClaimedMessage]) -> None:
        try:
            await self._deliver(messages)
            if self._due is not None:
                self._wake.set()  # the loop's wait may now end sooner (a retry)
        except Exception:
            # A bug must not silently end delivery: the leases run out and the
            # messages are looked for (and sent) again.
            log.exception("webhooks %s: delivery failed", _ids(messages))
            self._look = True
            self._wake.set()
        finally:
            self._slots.release()

    async def _loop(self) -> None:
        while not self._stopping:
            # Clear before looking, so an add() during the look is not missed.
            self._wake.clear()
            timeout = self.poll_interval
            look, self._look = self._look, False
            try:
                # Messages handed over need no look in the database: a claim
                # there would find nothing (they are leased to us already).
                await self._run(look=look)
                timeout = await self._idle_timeout()
            except WebhookError as exc:
                self._look = True
                log.warning("webhook outbox: %s; retrying in %.0f s", exc, self.poll_interval)
            except Exception:
                # A bug must not silently end delivery for the whole process.
                self._look = True
                log.exception("webhook outbox dispatcher failed; retrying")
            if self._stopping:
                break
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                self._look = True  # a retry fell due, or it is time to poll
        await self._settle()

    async def _idle_timeout(self) -> float:
        """Seconds until the earliest due message, at most ``poll_interval``.

        Read from the database (with the backlog gauge) at most once per
        :data:`LOOK_EVERY_SECONDS`; in between, retries this dispatcher
        scheduled itself are known without asking.
        """
        now = time.monotonic()
        if now >= self._next_look:
            self._next_look = now + LOOK_EVERY_SECONDS
            # A delivery finishing during the read may schedule a retry: keep it.
            self._due = None
            read = await self.outbox.next_due_at(list(self.clients))
            if read is not None:
                self._due = read if self._due is None else min(read, self._due)
            OUTBOX_BACKLOG.set(await self.outbox.pending_count())
        if self._due is None:
            return self.poll_interval
        wait = self._due - time.time()
        if wait <= 0:
            self._due, self._next_look = None, 0.0  # look again once it was attempted
        return min(self.poll_interval, max(0.0, wait))

    async def _deliver(self, messages: list[ClaimedMessage]) -> None:
        """One attempt for each message of one endpoint (batched as its client
        allows), recorded in one transaction."""
        client = self.clients[messages[0].endpoint]
        bodies = [Message(m.id, encode_payload(m.payload)) for m in messages]
        attempts = await client.send_many(bodies)
        steps = []
        for message, attempt in zip(messages, attempts, strict=True):
            state, next_at = self._next_step(message, attempt)
            if state in (MessageState.DEAD, MessageState.GONE):
                WEBHOOK_MESSAGES_DEAD.labels(state.value).inc()
            log.log(
                logging.INFO if attempt.outcome is Outcome.DELIVERED else logging.WARNING,
                "webhook %s to %s: %s%s",
                message.id,
                message.endpoint,
                attempt.outcome.value,
                f" ({attempt.error})" if attempt.error else "",
                extra={"webhook": _log_fields(attempt, state)},
            )
            steps.append((attempt, state, next_at))
        try:
            await self.outbox.record_many(steps)
        except WebhookError as exc:
            # The lease expires and the messages are sent again: at-least-once.
            log.error("webhooks %s: attempts not recorded: %s", _ids(messages), exc)
            return
        # Only now, committed: a look in the database from here on sees them too.
        for _, state, next_at in steps:
            if next_at is not None and state is MessageState.PENDING:
                self._due = next_at if self._due is None else min(self._due, next_at)

    def _next_step(
        self, message: ClaimedMessage, attempt: DeliveryAttempt
    ) -> tuple[MessageState, float | None]:
        if attempt.outcome is Outcome.DELIVERED:
            return MessageState.DELIVERED, None
        if attempt.outcome is Outcome.GONE:
            return MessageState.GONE, None
        if attempt.outcome is Outcome.FAILED:
            return MessageState.DEAD, None
        started = message.round_started_at if message.round_started_at is not None else attempt.at
        delay = self.schedule.next_delay(
            message.round_attempts + 1,
            elapsed=attempt.at - started,
            at_least=attempt.retry_after or 0.0,
        )
        if delay is None:
            return MessageState.DEAD, None
        # From the end of the attempt, so Retry-After counts from the answer.
        return MessageState.PENDING, attempt.at + attempt.latency + delay


def _ids(messages: list[ClaimedMessage]) -> str:
    return ", ".join(m.id for m in messages[:3]) + (", ..." if len(messages) > 3 else "")


def _log_fields(attempt: DeliveryAttempt, state: MessageState) -> dict[str, Any]:
    return {
        "id": attempt.msg_id,
        "endpoint": attempt.endpoint,
        "status": attempt.status,
        "latency_ms": round(attempt.latency * 1000, 1),
        "state": state.value,
    }
