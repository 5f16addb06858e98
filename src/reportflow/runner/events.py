"""Report state changes and the sinks they go to.

The runner emits one :class:`ReportEvent` per state change. A sink forwards it
(log, memory for tests, the webhook to the requestor). ``emit`` must not raise
for delivery problems: a sink that cannot deliver now keeps the event (final
events durably) and retries on its own, so a run is never repeated because a
notification failed.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable


class EventKind(StrEnum):
    """What happened to a report."""

    STARTED = "started"  # a runner claimed it and began the attempt
    PROGRESS = "progress"  # stage / rows / percent moved on
    SUCCEEDED = "succeeded"  # finished; ``data["artifacts"]`` lists outputs
    FAILED = "failed"  # the attempt failed; ``data["error"]``, ``data["will_retry"]``
    CANCELLED = "cancelled"  # stopped on request


FINAL_KINDS = frozenset({EventKind.SUCCEEDED, EventKind.FAILED, EventKind.CANCELLED})


@dataclass(slots=True, frozen=True)
class ReportEvent:
    """One state change of one attempt of one job."""

    kind: EventKind
    job_id: str
    report: str
    attempt: int
    at: float = field(default_factory=time.time)
    data: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    """The job's meta (owner etc.), so the receiver can route it."""

    @property
    def final(self) -> bool:
        return self.kind in FINAL_KINDS

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready values, for encoding right away (nested
        values are shared with the event, not copied)."""
        return {
            "kind": self.kind.value,
            "job_id": self.job_id,
            "report": self.report,
            "attempt": self.attempt,
            "at": self.at,
            "data": self.data,
            "meta": self.meta,
        }


@runtime_checkable
class EventSink(Protocol):
    """Where events go. ``emit`` is awaited in the runner's task, so be quick."""

    async def emit(self, event: ReportEvent) -> None: ...

    async def close(self) -> None: ...


class MemorySink:
    """Keeps every event in a list: for tests and the local ``run`` command."""

    def __init__(self) -> None:
        self.events: list[ReportEvent] = []

    async def emit(self, event: ReportEvent) -> None:
        self.events.append(event)

    async def close(self) -> None:
        return None

    def kinds(self, job_id: str) -> list[EventKind]:
        return [e.kind for e in self.events if e.job_id == job_id]


class LogSink:
    """Writes each event as one structured log line."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or logging.getLogger("reportflow.events")

    async def emit(self, event: ReportEvent) -> None:
        level = logging.DEBUG if event.kind is EventKind.PROGRESS else logging.INFO
        if not self._log.isEnabledFor(level):
            return  # the JSON copy below is most of a busy runner's per-event cost
        self._log.log(
            level,
            "report %s %s",
            event.job_id,
            event.kind.value,
            extra={"event": json.loads(json.dumps(event.to_dict(), default=str))},
        )

    async def close(self) -> None:
        return None


class FanoutSink:
    """Sends every event to several sinks in order."""

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks = list(sinks)

    async def emit(self, event: ReportEvent) -> None:
        for sink in self.sinks:
            await sink.emit(event)

    async def close(self) -> None:
        for sink in self.sinks:
            await sink.close()
