"""How runner events move a report through its states, idempotently.

::

    queued ──started──▶ running ──succeeded──▶ succeeded
      ▲                   │ ├──failed (no retry)──▶ failed
      └─failed(will_retry)┘ └──cancelled──────────▶ cancelled

Each report remembers the attempt it is on and how far that attempt got
(its *phase*). An event is applied only when it moves that pair forward, so
redeliveries, reordering and late events from an attempt whose lease was lost
never overwrite a newer state. A final status is never left.

``started`` and ``progress`` travel separately and best effort, so the first
``progress`` of an attempt may overtake its ``started``. That progress then
*opens* the attempt (the report starts running, ``started_at`` is set, and the
receiver logs a ``started`` for it); the late ``started`` is stale and absorbed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from reportflow.store.records import FINAL_STATUSES, Report, ReportStatus


class Phase(IntEnum):
    """How far the current attempt got."""

    NEW = 0  # not started (fresh, or queued again for a retry before it starts)
    STARTED = 1  # a runner said it started
    PROGRESS = 2  # progress was reported (may repeat)
    ENDED = 3  # the attempt finished one way or another


KIND_PHASE = {
    "started": Phase.STARTED,
    "progress": Phase.PROGRESS,
    "succeeded": Phase.ENDED,
    "failed": Phase.ENDED,
    "cancelled": Phase.ENDED,
}


@dataclass(slots=True, frozen=True)
class Transition:
    """The column values an applied event sets."""

    status: ReportStatus
    values: dict[str, Any]
    opens_attempt: bool = False
    """A progress, success or failure that overtook its attempt's ``started``
    (lost, or held back by a runner for a short report): it starts the attempt
    too, and the receiver logs the ``started`` in its place."""


class UnknownEventKind(ValueError):
    """The event kind is not one the report lifecycle knows."""


def is_stale(report: Report, kind: str, attempt: int) -> bool:
    """True when applying the event would not move the report forward."""
    phase = KIND_PHASE.get(kind)
    if phase is None:
        raise UnknownEventKind(f"unknown event kind {kind!r} (expected: {', '.join(KIND_PHASE)})")
    if report.status in FINAL_STATUSES or attempt < report.attempt:
        return True
    if attempt > report.attempt:
        return False
    if phase is Phase.PROGRESS:
        return report.phase > Phase.PROGRESS
    return report.phase >= phase


def transition(
    report: Report, kind: str, attempt: int, at: float, data: dict[str, Any]
) -> Transition | None:
    """The change an event makes, or None when it is stale (already applied or older)."""
    if is_stale(report, kind, attempt):
        return None
    values: dict[str, Any] = {"attempt": attempt, "phase": int(KIND_PHASE[kind]), "updated_at": at}
    if kind == "started":
        values["started_at"] = report.started_at or at
        values["progress"] = None
        return Transition(ReportStatus.RUNNING, values)
    # Only an attempt that ran reports progress, success or failure (a cancel may
    # come before any attempt), so those imply the attempt's start.
    opens = kind != "cancelled" and (attempt > report.attempt or report.phase < Phase.STARTED)
    if opens:
        values["started_at"] = report.started_at or at
    if kind == "progress":
        values["progress"] = {k: data.get(k) for k in ("stage", "rows", "percent")}
        return Transition(ReportStatus.RUNNING, values, opens_attempt=opens)
    if kind == "failed" and data.get("will_retry"):
        values["error"] = _error(data)
        return Transition(ReportStatus.QUEUED, values, opens_attempt=opens)
    values["finished_at"] = at
    values["inflight_key"] = None
    if kind == "succeeded":
        values["artifacts"] = list(data.get("artifacts") or [])
        values["error"] = None
        return Transition(ReportStatus.SUCCEEDED, values, opens_attempt=opens)
    if kind == "failed":
        values["error"] = _error(data)
        return Transition(ReportStatus.FAILED, values, opens_attempt=opens)
    values["error"] = data.get("reason")
    return Transition(ReportStatus.CANCELLED, values)


def _error(data: dict[str, Any]) -> str:
    return str(data.get("error") or "the report failed without a reason")
