"""From one alert group to deliveries: route, dedupe, render, send with retries, record.

Every channel is delivered concurrently and independently: a template error
or a dead SMTP server on one channel is recorded for that channel while the
others still deliver. The answer tells Alertmanager whether to retry: only
when a channel failed with an error a retry may fix.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reportflow.metrics import NOTIFICATIONS
from reportflow.notifier.channels import Channel, Notification
from reportflow.notifier.config import NotifierConfig, RetryConfig
from reportflow.notifier.dedupe import DedupeCache
from reportflow.notifier.errors import DeliveryError, TemplateError
from reportflow.notifier.history import NotificationLog, NotificationRecord, Outcome
from reportflow.notifier.payload import AlertGroup
from reportflow.notifier.routing import Destination, resolve
from reportflow.notifier.templates import TemplateRenderer, build_context

log = logging.getLogger(__name__)


@dataclass(slots=True)
class DispatchResult:
    """What happened to one webhook request."""

    records: list[NotificationRecord]
    retry: bool
    """True when Alertmanager should retry (answer 5xx)."""

    @property
    def summary(self) -> dict[str, int]:
        counts = {o.value: 0 for o in Outcome}
        for r in self.records:
            counts[r.outcome.value] += 1
        return counts


async def send_with_retries(
    channel: Channel[Any], note: Notification, retry: RetryConfig
) -> tuple[str | None, int]:
    """Send, retrying retryable failures with exponential backoff; returns (detail, attempts)."""
    delay = retry.backoff_seconds
    for attempt in range(1, retry.attempts + 1):
        try:
            return await channel.send(note), attempt
        except DeliveryError as exc:
            if not exc.retryable or attempt == retry.attempts:
                exc.add_note(f"attempts={attempt}")
                raise
            log.info("retrying %s after: %s", channel.name, exc, extra={"attempt": attempt})
        await asyncio.sleep(delay)
        delay = min(delay * 2, retry.max_backoff_seconds)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _attempts(exc: BaseException) -> int:
    for note in getattr(exc, "__notes__", []):
        if note.startswith("attempts="):
            return int(note.split("=", 1)[1])
    return 1


class Dispatcher:
    """Routes one group to its receivers' channels and records every outcome."""

    def __init__(
        self,
        config: NotifierConfig,
        channels: Mapping[str, list[Channel[Any]]],
        history: NotificationLog,
        dedupe: DedupeCache,
    ) -> None:
        self.config = config
        self.channels = channels
        self.history = history
        self.dedupe = dedupe
        self.renderer = TemplateRenderer()

    async def dispatch(self, group: AlertGroup) -> DispatchResult:
        destinations = resolve(self.config.route, group, self.config.templates)
        key = group.dedupe_key()
        context = build_context(group)
        async with self.dedupe.hold(key):
            done = self.dedupe.delivered(key)
            jobs = []
            for dest in destinations:
                for channel in self.channels.get(dest.receiver, []):
                    cid = f"{dest.receiver}/{channel.name}"
                    skip = cid in done
                    jobs.append((cid, self._deliver(group, dest, channel, context, skip)))
            outcomes = await asyncio.gather(*(job for _, job in jobs))
            finished = {
                cid
                for (cid, _), (record, retryable) in zip(jobs, outcomes, strict=True)
                if record.outcome is Outcome.SENT or not retryable
            }
            self.dedupe.mark(key, finished)
        records = [record for record, _ in outcomes]
        try:
            await self.history.record(records)
        except Exception:  # the sends happened; a history outage must not cause re-sends
            log.exception("cannot record %d notification(s)", len(records))
        return DispatchResult(records, retry=any(retryable for _, retryable in outcomes))

    async def _deliver(
        self,
        group: AlertGroup,
        dest: Destination,
        channel: Channel[Any],
        context: dict[str, Any],
        skip: bool,
    ) -> tuple[NotificationRecord, bool]:
        record = NotificationRecord(
            receiver=dest.receiver,
            channel_type=channel.type,
            channel_name=channel.name,
            alertname=group.alertname,
            status=group.status.value,
            group_key=group.group_key,
            outcome=Outcome.DEDUPLICATED,
            attempts=0,
            error=None,
            latency_ms=0.0,
        )
        if skip:
            NOTIFICATIONS.labels(channel.type, record.outcome.value).inc()
            return record, False
        templates = dest.templates.model_copy(
            update=channel.config.templates.model_dump(exclude_none=True)
        ).resolved()
        note = Notification(group, dest.receiver, templates, self.renderer, context)
        started = time.perf_counter()
        retryable = False
        try:
            _, record.attempts = await send_with_retries(channel, note, self.config.retry)
            record.outcome = Outcome.SENT
        except TemplateError as exc:
            record.outcome, record.attempts, record.error = Outcome.FAILED, 1, str(exc)
        except DeliveryError as exc:
            record.outcome, record.attempts, record.error = Outcome.FAILED, _attempts(exc), str(exc)
            retryable = exc.retryable
        except Exception as exc:  # a bug in one channel must not take the others down
            log.exception("channel %s crashed", channel.name)
            record.outcome, record.attempts = Outcome.FAILED, 1
            record.error = f"{type(exc).__name__}: {exc}"
        record.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        NOTIFICATIONS.labels(channel.type, record.outcome.value).inc()
        level = logging.WARNING if record.outcome is Outcome.FAILED else logging.INFO
        log.log(
            level,
            "%s %s via %s/%s",
            record.outcome.value,
            group.alertname,
            dest.receiver,
            channel.name,
            extra={"error": record.error, "attempts": record.attempts},
        )
        return record, retryable
