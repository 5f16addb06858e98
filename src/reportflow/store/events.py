"""Each user's event log (per-user sequence numbers) and the webhook receipts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from reportflow.errors import StoreError
from reportflow.store.records import LogEntry
from reportflow.store.tables import report_events, users, webhook_receipts

DEFAULT_PAGE = 500
_INSERT_EVENT = insert(report_events)
_INSERT_RECEIPT_SQLITE = sqlite.insert(webhook_receipts).on_conflict_do_nothing()
_INSERT_RECEIPT_PG = postgresql.insert(webhook_receipts).on_conflict_do_nothing()
# Constant statements with bound parameters: SQLAlchemy builds and keys them once.
_NEXT_SEQS = (
    update(users)
    .where(users.c.id == bindparam("b_user"))
    .values(last_seq=users.c.last_seq + bindparam("b_count"))
    .returning(users.c.last_seq)
)


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An event to append to a user's log (its sequence number is given on append)."""

    user_id: int
    report_id: str
    type: str
    attempt: int
    status: str
    at: float
    data: dict[str, Any]


async def append_event(
    conn: AsyncConnection,
    *,
    user_id: int,
    report_id: str,
    type: str,
    attempt: int,
    status: str,
    at: float,
    data: dict[str, Any],
) -> LogEntry:
    """Append one event to the user's log with the next sequence number."""
    new = NewEntry(user_id, report_id, type, attempt, status, at, data)
    [entry] = await append_events(conn, [new])
    return entry


async def append_events(conn: AsyncConnection, new: Sequence[NewEntry]) -> list[LogEntry]:
    """Append events to their users' logs, in order, with the next sequence numbers.

    Per user, the numbers come from one ``UPDATE ... RETURNING`` on the user's
    row, which the transaction then holds until it commits: a concurrent
    appender for the same user waits, so sequence order is commit order and
    readers never see a gap that fills in later. Callers append last in their
    transaction, so that row is held for as short a time as possible (every
    writer for the user queues on it).
    """
    counts: dict[int, int] = {}
    for item in new:
        counts[item.user_id] = counts.get(item.user_id, 0) + 1
    next_seq: dict[int, int] = {}
    for user_id, count in counts.items():
        params = {"b_user": user_id, "b_count": count}
        last = (await conn.execute(_NEXT_SEQS, params)).scalar_one_or_none()
        if last is None:
            raise StoreError(f"cannot log an event for unknown user id {user_id}")
        next_seq[user_id] = int(last) - count + 1
    entries: list[LogEntry] = []
    for item in new:
        seq = next_seq[item.user_id]
        next_seq[item.user_id] = seq + 1
        entries.append(
            LogEntry(
                user_id=item.user_id,
                seq=seq,
                report_id=item.report_id,
                type=item.type,
                attempt=item.attempt,
                status=item.status,
                at=item.at,
                data=item.data,
            )
        )
    # Values as parameters of a constant statement: SQLAlchemy caches its
    # compiled form, where .values(...) would build a new cache key per call.
    rows = [
        {
            "user_id": e.user_id,
            "seq": e.seq,
            "report_id": e.report_id,
            "type": e.type,
            "attempt": e.attempt,
            "status": e.status,
            "at": e.at,
            "data": e.data,
        }
        for e in entries
    ]
    if rows:
        await conn.execute(_INSERT_EVENT, rows)
    return entries


async def list_events(
    conn: AsyncConnection, user_id: int, *, since: int = 0, limit: int = DEFAULT_PAGE
) -> list[LogEntry]:
    """Events with ``seq > since``, oldest first, at most ``limit``."""
    stmt = (
        select(report_events)
        .where(report_events.c.user_id == user_id, report_events.c.seq > since)
        .order_by(report_events.c.seq)
        .limit(limit)
    )
    return [
        LogEntry(
            user_id=row.user_id,
            seq=int(row.seq),
            report_id=row.report_id,
            type=row.type,
            attempt=row.attempt,
            status=row.status,
            at=row.at,
            data=row.data,
        )
        for row in await conn.execute(stmt)
    ]


async def last_seq(conn: AsyncConnection, user_id: int) -> int:
    stmt = select(users.c.last_seq).where(users.c.id == user_id)
    return int((await conn.execute(stmt)).scalar_one_or_none() or 0)


async def record_webhook(
    conn: AsyncConnection, webhook_id: str, *, at: float, report_id: str | None, outcome: str
) -> bool:
    """Remember a webhook id and what it did; False when that id was already
    recorded (a duplicate, which the caller must then leave without effect).

    One statement both checks and records: a concurrent twin waits for this
    transaction on the unique key, then finds the id taken.
    """
    insert = _INSERT_RECEIPT_PG if conn.dialect.name == "postgresql" else _INSERT_RECEIPT_SQLITE
    values = {"webhook_id": webhook_id, "received_at": at, "report_id": report_id}
    result = await conn.execute(insert, {**values, "outcome": outcome})
    return bool(result.rowcount)


async def count_receipts(conn: AsyncConnection) -> int:
    stmt = select(func.count()).select_from(webhook_receipts)
    return int((await conn.execute(stmt)).scalar_one())
