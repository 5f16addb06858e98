"""Report requests: insert, look up, list with a cursor, count for limits, update."""

from __future__ import annotations

from collections.abc import Collection
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from reportflow.store.records import Report, ReportStatus
from reportflow.store.tables import reports, users

IN_FLIGHT = (ReportStatus.QUEUED.value, ReportStatus.RUNNING.value)
_INSERT = insert(reports)
_UPDATE = update(reports).where(reports.c.id == bindparam("b_report_id"))


def _select() -> Select[Any]:
    """Report rows with their owner's name (one join: lists never look users up one by one)."""
    return select(reports, users.c.name.label("owner")).join(users, users.c.id == reports.c.user_id)


_GET = _select().where(reports.c.id == bindparam("b_id"))
# Lock the report only: the user's row is the event log's sequence lock.
_GET_LOCKED = _GET.with_for_update(of=reports)
_FIND_INFLIGHT = _select().where(
    reports.c.user_id == bindparam("b_user"), reports.c.inflight_key == bindparam("b_key")
)
# The limits' query stops counting at the limit: what it reads is bounded by the
# limits, not by how many reports a user has in flight or sent in the last minute
# (a user allowed thousands a minute would otherwise have them all counted on
# every submission).
_IN_FLIGHT_UP_TO_CAP = (
    select(func.count())
    .select_from(
        select(reports.c.id)
        # One bound value per status, not an expanding list SQLAlchemy re-renders per call.
        .where(
            reports.c.user_id == bindparam("b_user"),
            reports.c.status.in_([bindparam(f"b_status_{s}", s) for s in IN_FLIGHT]),
        )
        .limit(bindparam("b_in_flight_cap"))
        .subquery()
    )
    .scalar_subquery()
)
# The created_at of the user's n-th newest submission after b_since (OFFSET n-1),
# NULL when there are fewer: the window is full until that one leaves it.
_NTH_NEWEST_SINCE = (
    select(reports.c.created_at)
    .where(reports.c.user_id == bindparam("b_user"), reports.c.created_at > bindparam("b_since"))
    .order_by(reports.c.created_at.desc())
    .limit(bindparam("b_take"))
    .offset(bindparam("b_skip"))
    .scalar_subquery()
)
_USAGE = select(_IN_FLIGHT_UP_TO_CAP, _NTH_NEWEST_SINCE)


def _report(row: Any) -> Report:
    return Report(
        id=row.id,
        user_id=row.user_id,
        report=row.report,
        params=row.params,
        formats=list(row.formats),
        status=ReportStatus(row.status),
        attempt=row.attempt,
        phase=row.phase,
        progress=row.progress,
        artifacts=list(row.artifacts or []),
        error=row.error,
        request_hash=row.request_hash,
        idempotency_key=row.idempotency_key,
        retry_of=row.retry_of,
        created_at=row.created_at,
        updated_at=row.updated_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        owner=row.owner,
    )


async def insert_report(
    conn: AsyncConnection,
    *,
    id: str,
    user_id: int,
    report: str,
    params: dict[str, Any],
    formats: list[str],
    request_hash: str,
    at: float,
    idempotency_key: str | None = None,
    retry_of: str | None = None,
    owner: str | None = None,
) -> Report:
    """Add a queued report. A second in-flight twin with the same idempotency
    key fails with IntegrityError (the caller looks the first one up).
    ``owner``: the user's name, when the caller knows it (saves reading the row back)."""
    values: dict[str, Any] = {
        "id": id,
        "user_id": user_id,
        "report": report,
        "params": params,
        "formats": formats,
        "status": ReportStatus.QUEUED.value,
        "attempt": 0,
        "phase": 0,
        "request_hash": request_hash,
        "idempotency_key": idempotency_key,
        "inflight_key": idempotency_key,
        "retry_of": retry_of,
        "created_at": at,
        "updated_at": at,
    }
    # Values as parameters of a constant statement: SQLAlchemy caches its
    # compiled form, where .values(...) would build a new cache key per call.
    await conn.execute(_INSERT, values)
    if owner is None:
        inserted = await get_report(conn, id)
        assert inserted is not None  # just written in this transaction
        return inserted
    # The row as the database now holds it, without reading it back.
    unset = dict.fromkeys(("progress", "artifacts", "error", "started_at", "finished_at"))
    return _report(SimpleNamespace(**values, **unset, owner=owner))


async def get_report(conn: AsyncConnection, report_id: str, *, lock: bool = False) -> Report | None:
    """The report, locked against concurrent appliers with ``lock`` (Postgres)."""
    row = (await conn.execute(_GET_LOCKED if lock else _GET, {"b_id": report_id})).first()
    return _report(row) if row else None


async def find_inflight(conn: AsyncConnection, user_id: int, key: str) -> Report | None:
    row = (await conn.execute(_FIND_INFLIGHT, {"b_user": user_id, "b_key": key})).first()
    return _report(row) if row else None


async def list_reports(
    conn: AsyncConnection,
    *,
    user_id: int | None,
    statuses: Collection[str] = (),
    report: str | None = None,
    before: str | None = None,
    limit: int = 50,
) -> list[Report]:
    """Newest first; ``before`` is the last id of the previous page (ids sort by time)."""
    stmt = _select()
    if user_id is not None:
        stmt = stmt.where(reports.c.user_id == user_id)
    if statuses:
        stmt = stmt.where(reports.c.status.in_(list(statuses)))
    if report:
        stmt = stmt.where(reports.c.report == report)
    if before:
        stmt = stmt.where(reports.c.id < before)
    stmt = stmt.order_by(reports.c.id.desc()).limit(limit)
    return [_report(row) for row in await conn.execute(stmt)]


async def list_quiet_in_flight(
    conn: AsyncConnection, *, quiet_since: float, after: str = "", limit: int = 100
) -> list[Report]:
    """In-flight reports unchanged since ``quiet_since``, by id after ``after``.

    The reconciler pages through these (wrapping around at the end) to find
    reports whose job ended without a final event reaching the requestor.
    """
    stmt = (
        _select()
        .where(
            reports.c.status.in_(IN_FLIGHT),
            reports.c.id > after,
            reports.c.updated_at <= quiet_since,
        )
        .order_by(reports.c.id)
        .limit(limit)
    )
    return [_report(row) for row in await conn.execute(stmt)]


async def usage(
    conn: AsyncConnection, user_id: int, since: float, *, max_in_flight: int, per_window: int
) -> tuple[int, float | None]:
    """The submission limits' figures for one user, in one statement.

    Returns the user's reports in flight, counted up to ``max_in_flight``, and
    the time of their ``per_window``-th newest submission after ``since`` (None
    when they made fewer): the window stays full until that one leaves it.
    A limit of 0 is not checked (0 and None come back); with both 0 the
    database is not asked.
    """
    if max_in_flight <= 0 and per_window <= 0:
        return 0, None
    params = {
        "b_user": user_id,
        "b_since": since,
        "b_in_flight_cap": max(0, max_in_flight),
        "b_take": 1 if per_window > 0 else 0,
        "b_skip": max(0, per_window - 1),
    }
    in_flight, nth_at = (await conn.execute(_USAGE, params)).one()
    return int(in_flight), nth_at


async def update_report(
    conn: AsyncConnection, report_id: str, status: ReportStatus, values: dict[str, Any]
) -> None:
    # The SET clause comes from the parameters' keys (see insert_report for why).
    await conn.execute(_UPDATE, {"b_report_id": report_id, "status": status.value, **values})
