"""Accepting, cancelling and retrying report requests.

A submission writes the report row, its first log entry and (when the queue
shares the database) the queue job in one transaction: either the caller
gets a 202 and all three exist, or nothing was written.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException
from fastapi.encoders import jsonable_encoder
from sqlalchemy.exc import IntegrityError

from reportflow.catalog import ReportDefinition, bind_parameters
from reportflow.errors import CatalogError, JobNotFoundError, ParameterError, ReportflowError
from reportflow.metrics import RATE_LIMITED, REPORTS_SUBMITTED
from reportflow.queue import JobState, new_job_id
from reportflow.requestor.channels import publish_entry
from reportflow.requestor.services import Services
from reportflow.store import (
    LogEntry,
    Phase,
    Report,
    ReportStatus,
    User,
    events,
    reports,
    transition,
)

RATE_WINDOW_SECONDS = 60.0
IN_FLIGHT_RETRY_AFTER = 5


@dataclass(slots=True, frozen=True)
class Submission:
    report: str
    params: dict[str, Any]
    formats: list[str] | None
    idempotency_key: str | None = None
    retry_of: str | None = None


def problem(status: int, field: list[str], message: str) -> HTTPException:
    """An error in the same shape as FastAPI's validation errors, naming the field."""
    return HTTPException(status, [{"loc": field, "msg": message, "type": "value_error"}])


def may_request(user: User, definition: ReportDefinition) -> bool:
    return not definition.roles or user.is_admin or user.role.value in definition.roles


def _definition(services: Services, user: User, name: str) -> ReportDefinition:
    try:
        definition = services.catalog.get(name)
    except CatalogError as exc:
        raise problem(422, ["body", "report"], str(exc)) from exc
    if not may_request(user, definition):
        raise HTTPException(403, f"user {user.name!r} may not request report {name!r}")
    return definition


def _formats(definition: ReportDefinition, asked: list[str] | None) -> list[str]:
    offered = [f.value for f in definition.formats]
    if asked is None:
        return offered
    wrong = [f for f in asked if f not in offered]
    if wrong or not asked:
        raise problem(
            422,
            ["body", "formats"],
            f"report {definition.name!r} renders {', '.join(offered)}; "
            f"not {', '.join(wrong) or 'an empty list'}",
        )
    return list(dict.fromkeys(asked))


def _params(definition: ReportDefinition, raw: dict[str, Any]) -> dict[str, Any]:
    try:
        bound = bind_parameters(definition, raw)
    except ParameterError as exc:
        raise HTTPException(
            422,
            [
                {"loc": ["body", "params", name], "msg": msg, "type": "value_error"}
                for name, msg in exc.problems.items()
            ],
        ) from exc
    encoded: dict[str, Any] = jsonable_encoder(bound)
    return encoded


def request_hash(report: str, params: dict[str, Any], formats: list[str] | None) -> str:
    canonical = json.dumps([report, params, formats], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def _check_limits(services: Services, db: Any, user: User, now: float) -> None:
    config = services.config
    in_flight, window_full_since = await reports.usage(
        db,
        user.id,
        now - RATE_WINDOW_SECONDS,
        max_in_flight=config.max_in_flight,
        per_window=config.submissions_per_minute,
    )
    if config.max_in_flight and in_flight >= config.max_in_flight:
        RATE_LIMITED.labels("in_flight").inc()
        raise HTTPException(
            429,
            f"user {user.name!r} has {config.max_in_flight} reports in flight already",
            headers={"Retry-After": str(IN_FLIGHT_RETRY_AFTER)},
        )
    if window_full_since is not None:
        RATE_LIMITED.labels("per_minute").inc()
        # A slot frees when the limit-th newest submission leaves the window.
        wait = max(1, math.ceil(window_full_since + RATE_WINDOW_SECONDS - now))
        raise HTTPException(
            429,
            f"user {user.name!r} submitted {config.submissions_per_minute} reports "
            f"in the last minute (the limit)",
            headers={"Retry-After": str(wait)},
        )


def _same_request(existing: Report, fingerprint: str) -> Report:
    if existing.request_hash != fingerprint:
        raise problem(
            422,
            ["header", "Idempotency-Key"],
            f"Idempotency-Key was used for a different request (report {existing.id})",
        )
    return existing


async def submit(services: Services, user: User, sub: Submission) -> tuple[Report, bool]:
    """Validate and queue a report. Returns it and whether it is new (False: an
    in-flight twin with the same idempotency key)."""
    definition = _definition(services, user, sub.report)
    formats = _formats(definition, sub.formats)
    params = _params(definition, sub.params)
    fingerprint = request_hash(sub.report, sub.params, sub.formats)
    now = time.time()
    report_id = new_job_id()
    try:
        async with services.store.transaction() as db:
            if sub.idempotency_key:
                existing = await reports.find_inflight(db, user.id, sub.idempotency_key)
                if existing is not None:
                    return _same_request(existing, fingerprint), False
            await _check_limits(services, db, user, now)
            report = await reports.insert_report(
                db,
                id=report_id,
                user_id=user.id,
                report=definition.name,
                params=params,
                formats=formats,
                request_hash=fingerprint,
                at=now,
                idempotency_key=sub.idempotency_key,
                retry_of=sub.retry_of,
                owner=user.name,
            )
            if services.enqueue_in_transaction:
                await _enqueue(services, user, report, connection=db)
            # Last: the user's sequence row stays locked until the commit.
            entry = await events.append_event(
                db,
                user_id=user.id,
                report_id=report_id,
                type="report.queued",
                attempt=0,
                status=ReportStatus.QUEUED.value,
                at=now,
                data={"report": definition.name, "retry_of": sub.retry_of},
            )
    except IntegrityError:
        # A concurrent twin with the same idempotency key committed first.
        async with services.store.read() as db:
            existing = await reports.find_inflight(db, user.id, sub.idempotency_key or "")
        if existing is None:
            raise
        return _same_request(existing, fingerprint), False
    if not services.enqueue_in_transaction:
        await _enqueue_after_commit(services, user, report)
    REPORTS_SUBMITTED.labels(definition.name).inc()
    await publish_entry(services, entry)
    return report, True


async def _enqueue(services: Services, user: User, report: Report, *, connection: Any) -> None:
    await services.queue.enqueue(
        report.report,
        report.params,
        job_id=report.id,
        meta={"user_id": user.id, "user": user.name, "formats": report.formats},
        connection=connection,
    )


async def _enqueue_after_commit(services: Services, user: User, report: Report) -> None:
    """The queue is elsewhere (Redis): enqueue after the commit; if that fails,
    the report is marked failed so it is never silently stuck in ``queued``."""
    try:
        await _enqueue(services, user, report, connection=None)
    except ReportflowError as exc:
        await apply_local(services, report.id, "failed", {"error": f"could not enqueue: {exc}"})
        raise HTTPException(503, f"the queue refused report {report.id}: {exc}") from exc


async def apply_local(
    services: Services, report_id: str, kind: str, data: dict[str, Any], attempt: int | None = None
) -> Report:
    """Apply a state change the requestor itself decided (cancel of a queued
    job, enqueue failure) through the same lifecycle as runner events."""
    now = time.time()
    entry: LogEntry | None = None
    async with services.store.transaction() as db:
        report = await reports.get_report(db, report_id, lock=True)
        if report is None:
            raise HTTPException(404, f"no report {report_id!r}")
        if attempt is None:
            # Past an ended attempt (queued for a retry) the decision belongs to the next one.
            attempt = report.attempt + (1 if report.phase >= Phase.ENDED else 0)
        change = transition(report, kind, attempt, now, data)
        if change is not None:
            await reports.update_report(db, report_id, change.status, change.values)
        updated = await reports.get_report(db, report_id)
        if change is not None:
            # Last: the user's sequence row stays locked until the commit.
            entry = await events.append_event(
                db,
                user_id=report.user_id,
                report_id=report_id,
                type=f"report.{kind}",
                attempt=change.values["attempt"],
                status=change.status.value,
                at=now,
                data=data,
            )
    if entry is not None:
        await publish_entry(services, entry)
    assert updated is not None
    return updated


async def cancel(services: Services, report: Report) -> tuple[Report, bool]:
    """Cancel a report; returns it and whether the runner still has to stop it."""
    if report.final:
        raise HTTPException(409, f"report {report.id} is already {report.status.value}")
    try:
        job = await services.queue.cancel(report.id)
    except JobNotFoundError:
        return await apply_local(services, report.id, "cancelled", {"reason": "cancelled"}), False
    except ReportflowError as exc:
        raise HTTPException(503, f"the queue could not cancel report {report.id}: {exc}") from exc
    if job.state is JobState.CANCELLED:
        data = {"reason": "cancelled before it ran"}
        return await apply_local(services, report.id, "cancelled", data), False
    return report, job.state is JobState.RUNNING


async def retry(services: Services, user: User, report: Report) -> Report:
    """A new report with the same request as a failed or cancelled one."""
    if report.status not in (ReportStatus.FAILED, ReportStatus.CANCELLED):
        raise HTTPException(
            409, f"report {report.id} is {report.status.value}; only failed or cancelled retry"
        )
    # Keyed by the old report: a double-clicked retry finds the first one's
    # in-flight twin instead of queueing the report twice.
    key = f"retry-of:{report.id}"
    sub = Submission(report.report, report.params, report.formats, key, retry_of=report.id)
    new, _ = await submit(services, user, sub)
    return new
