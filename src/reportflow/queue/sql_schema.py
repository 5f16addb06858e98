"""The ``reportflow_jobs`` table shared by the SQLite and PostgreSQL backends.

Times are epoch seconds (DOUBLE), read from the wall clock of the process that
acts, so runners' clocks must be NTP-synchronised; leases are tens of seconds,
so sub-second skew does not matter.

Indexes, each for one query:

* ``reportflow_jobs_claim``: the claim's ``ORDER BY priority DESC,
  scheduled_at, id`` over queued jobs of a queue (partial: finished jobs never
  slow a claim down).
* ``reportflow_jobs_leases``: expired leases of running jobs.
* ``reportflow_jobs_idempotency``: unique ``(queue, idempotency_key)`` among
  in-flight jobs, so two concurrent enqueues with one key make one job, and a
  finished job frees its key.
* ``reportflow_jobs_state``: per-state counts for ``stats``.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Double,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from reportflow.queue.checks import MAX_NAME_LENGTH

TABLE = "reportflow_jobs"
NOTIFY_CHANNEL = "reportflow_jobs"

metadata = MetaData()

_Json = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

jobs = Table(
    TABLE,
    metadata,
    Column("id", String(MAX_NAME_LENGTH), primary_key=True),
    Column("queue", String(MAX_NAME_LENGTH), nullable=False),
    Column("report", String(MAX_NAME_LENGTH), nullable=False),
    Column("params", _Json, nullable=False),
    Column("meta", _Json, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("idempotency_key", String(MAX_NAME_LENGTH)),
    Column("enqueued_at", Double, nullable=False),
    Column("scheduled_at", Double, nullable=False),
    Column("started_at", Double),
    Column("finished_at", Double),
    Column("lease_until", Double),
    Column("worker", String(MAX_NAME_LENGTH)),
    Column("cancel_requested", Boolean, nullable=False),
    Column("result", _Json),
    Column("error", Text),
)

_QUEUED = text("state = 'queued'")
_RUNNING = text("state = 'running'")
IN_FLIGHT_WITH_KEY = text("state IN ('queued', 'running') AND idempotency_key IS NOT NULL")

Index(
    "reportflow_jobs_claim",
    jobs.c.queue,
    jobs.c.priority.desc(),
    jobs.c.scheduled_at,
    jobs.c.id,
    postgresql_where=_QUEUED,
    sqlite_where=_QUEUED,
)
Index(
    "reportflow_jobs_leases",
    jobs.c.queue,
    jobs.c.lease_until,
    postgresql_where=_RUNNING,
    sqlite_where=_RUNNING,
)
Index(
    "reportflow_jobs_idempotency",
    jobs.c.queue,
    jobs.c.idempotency_key,
    unique=True,
    postgresql_where=IN_FLIGHT_WITH_KEY,
    sqlite_where=IN_FLIGHT_WITH_KEY,
)
Index("reportflow_jobs_state", jobs.c.queue, jobs.c.state)

# PostgreSQL: every row that becomes claimable (inserted, retried, released,
# lease reaped) notifies listeners. NOTIFY is transactional, so the wake-up
# fires when the enqueuing transaction commits (also the caller's own one),
# and repeats within one transaction collapse into one.
POSTGRES_NOTIFY_DDL = (
    f"""
    CREATE OR REPLACE FUNCTION {TABLE}_notify() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('{NOTIFY_CHANNEL}', NEW.queue);
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE OR REPLACE TRIGGER {TABLE}_notify
    AFTER INSERT OR UPDATE OF state ON {TABLE}
    FOR EACH ROW WHEN (NEW.state = 'queued')
    EXECUTE FUNCTION {TABLE}_notify()
    """,
)
