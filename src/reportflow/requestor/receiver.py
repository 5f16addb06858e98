"""The runner → requestor webhook: verify, deduplicate, apply, log, publish.

Answers (the runner's outbox retries anything but 2xx and 410):

- 2xx once the event is durably applied, or when retrying can never help
  (duplicate id, stale event, unknown report: the outbox may stop);
- 400/401/413/422 for requests that are wrong and stay wrong;
- 503 when the store failed, so a retry later makes sense.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from reportflow.metrics import WEBHOOKS_RECEIVED
from reportflow.requestor.channels import publish_entry
from reportflow.requestor.schemas import public_artifact
from reportflow.requestor.services import Services
from reportflow.store import LogEntry, Report, ReportStatus, events, reports, transition
from reportflow.store.lifecycle import KIND_PHASE

log = logging.getLogger("reportflow.requestor.hooks")

TYPE_PREFIX = "report."


class RunnerEvent(BaseModel):
    """``data`` of a runner webhook: a :class:`~reportflow.runner.events.ReportEvent`."""

    model_config = ConfigDict(extra="ignore")

    kind: str = Field(min_length=1, max_length=32)
    job_id: str = Field(min_length=1, max_length=40)
    report: str = Field(default="", max_length=64)
    attempt: int = Field(ge=0)
    at: float
    data: dict[str, Any] = Field(default_factory=dict)


class RunnerMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str = Field(min_length=1, max_length=64)
    data: RunnerEvent


@dataclass(slots=True, frozen=True)
class Receipt:
    """What happened to one webhook."""

    status: int
    outcome: str  # applied | stale | duplicate | unknown | rejected
    detail: str
    entries: tuple[LogEntry, ...] = ()
    """What was appended to the owner's log, in seq order (empty unless applied)."""

    @property
    def entry(self) -> LogEntry | None:
        """The entry of the event itself (the last one appended)."""
        return self.entries[-1] if self.entries else None

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"outcome": self.outcome, "detail": self.detail}
        if self.entry is not None:
            out["seq"] = self.entry.seq
        return out


class BadMessage(ValueError):
    """The body is not a runner event; carries the HTTP status."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(str(detail))
        self.status = status
        self.detail = detail


def decode(body: bytes) -> Any:
    """The JSON of a webhook body; raises BadMessage (400) when it is not JSON."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadMessage(400, f"body is not JSON: {exc}") from exc


def parse(body: bytes) -> RunnerEvent:
    """The event in a webhook body; raises BadMessage (400 not JSON, 422 wrong shape)."""
    return event_of(decode(body))


def event_of(raw: Any) -> RunnerEvent:
    """The event in a decoded webhook body; raises BadMessage (422) for a wrong shape."""
    try:
        message = RunnerMessage.model_validate(_without_nul(raw))
    except ValidationError as exc:
        raise BadMessage(422, exc.errors(include_url=False, include_context=False)) from exc
    event = message.data
    if event.kind not in KIND_PHASE:
        raise BadMessage(422, f"data.kind: unknown event kind {event.kind!r}")
    if message.type != TYPE_PREFIX + event.kind:
        raise BadMessage(422, f"type {message.type!r} does not match data.kind {event.kind!r}")
    return event


def _without_nul(value: Any) -> Any:
    """``value`` with every NUL in its text replaced: PostgreSQL stores none, and an
    error message read from a broken source may carry one (the event must still land)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


def user_data(report_id: str, event: RunnerEvent) -> dict[str, Any]:
    """What the owner's log keeps of an event: no store keys, paths or internals."""
    data = event.data
    if event.kind == "succeeded":
        artifacts = [public_artifact(report_id, a) for a in data.get("artifacts") or []]
        return {"artifacts": artifacts, "rows": data.get("rows")}
    if event.kind == "failed":
        return {"error": data.get("error"), "will_retry": bool(data.get("will_retry"))}
    if event.kind == "progress":
        return {k: data.get(k) for k in ("stage", "rows", "percent")}
    if event.kind == "cancelled":
        return {"reason": data.get("reason")}
    return {}


async def receive(services: Services, webhook_id: str, event: RunnerEvent) -> Receipt:
    """Apply one verified webhook exactly once (see :func:`apply`), and count it."""
    receipt = await apply(services, webhook_id, event)
    WEBHOOKS_RECEIVED.labels(receipt.outcome).inc()
    return receipt


async def receive_many(services: Services, items: list[tuple[str, RunnerEvent]]) -> list[Receipt]:
    """:func:`receive` for the events of a batch webhook, in one transaction."""
    receipts = await apply_many(services, items) if items else []
    for receipt in receipts:
        WEBHOOKS_RECEIVED.labels(receipt.outcome).inc()
    return receipts


async def apply(services: Services, event_id: str, event: RunnerEvent) -> Receipt:
    """Apply one event exactly once per ``event_id``, then publish what it logged.

    The webhook route and the reconciler (with its synthetic ids) share this
    path, so whichever comes first decides and the other is absorbed.
    Raises SQLAlchemyError when the store fails (the caller answers 503).
    """
    try:
        receipt = await _apply(services, event_id, event)
    except IntegrityError:
        # A concurrent delivery of the same id committed first.
        receipt = Receipt(200, "duplicate", f"webhook {event_id!r} was already received")
    for entry in receipt.entries:
        await publish_entry(services, entry)
    return receipt


async def apply_many(services: Services, items: list[tuple[str, RunnerEvent]]) -> list[Receipt]:
    """:func:`apply` for several events in one transaction (a batch webhook),
    then publish what they logged; the receipts are in the order of ``items``.

    If the shared transaction fails on a concurrent twin of one of the ids,
    each event is applied again on its own, so the others still land.
    """
    try:
        async with services.store.transaction() as db:
            receipts = await _apply_all(db, items, time.time())
    except IntegrityError:
        return [await apply(services, webhook_id, event) for webhook_id, event in items]
    for receipt in receipts:
        for entry in receipt.entries:
            await publish_entry(services, entry)
    return receipts


async def _apply(services: Services, webhook_id: str, event: RunnerEvent) -> Receipt:
    async with services.store.transaction() as db:
        [receipt] = await _apply_all(db, [(webhook_id, event)], time.time())
    return receipt


async def _apply_all(
    db: AsyncConnection, items: list[tuple[str, RunnerEvent]], now: float
) -> list[Receipt]:
    """Apply events inside the caller's transaction; their log entries are
    appended together at the end, so the owner's sequence row (which every
    writer for that user waits on) is held only until the commit that follows."""
    outcomes = [await _apply_in(db, webhook_id, event, now) for webhook_id, event in items]
    entries = iter(await events.append_events(db, [e for _, new in outcomes for e in new]))
    return [
        replace(receipt, entries=tuple(next(entries) for _ in new)) if new else receipt
        for receipt, new in outcomes
    ]


async def _apply_in(
    db: AsyncConnection, webhook_id: str, event: RunnerEvent, now: float
) -> tuple[Receipt, list[events.NewEntry]]:
    """Apply one event inside the caller's transaction; returns its receipt and
    the log entries it makes (appended by the caller)."""
    duplicate = Receipt(200, "duplicate", f"webhook {webhook_id!r} was already received")
    report = await reports.get_report(db, event.job_id, lock=True)
    if report is None:
        if not await events.record_webhook(
            db, webhook_id, at=now, report_id=None, outcome="unknown"
        ):
            return duplicate, []
        log.warning("webhook %s for unknown report %s ignored", webhook_id, event.job_id)
        return Receipt(200, "unknown", f"no report {event.job_id!r}; ignored"), []
    change = transition(report, event.kind, event.attempt, event.at, event.data)
    outcome = "stale" if change is None else "applied"
    if not await events.record_webhook(
        db, webhook_id, at=now, report_id=report.id, outcome=outcome
    ):
        return duplicate, []
    if change is None:
        detail = (
            f"report {report.id} is {report.status.value} at attempt {report.attempt}; "
            f"{event.kind} of attempt {event.attempt} changes nothing"
        )
        return Receipt(200, "stale", detail), []
    await reports.update_report(db, report.id, change.status, change.values)
    new: list[events.NewEntry] = []
    if change.opens_attempt:
        # The attempt's own ``started`` was overtaken, lost or held back (a
        # runner sends a short report's final event alone): log one in its
        # place, so the owner sees queued → started → ...; a late ``started``
        # will be stale.
        new.append(_entry(report, event, "started", ReportStatus.RUNNING, {}))
    new.append(_entry(report, event, event.kind, change.status, user_data(report.id, event)))
    return Receipt(200, "applied", f"report {report.id} is {change.status.value}"), new


def _entry(
    report: Report, event: RunnerEvent, kind: str, status: ReportStatus, data: dict[str, Any]
) -> events.NewEntry:
    return events.NewEntry(
        user_id=report.user_id,
        report_id=report.id,
        type=TYPE_PREFIX + kind,
        attempt=event.attempt,
        status=status.value,
        at=event.at,
        data=data,
    )
