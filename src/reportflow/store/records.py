"""What the store hands back: plain, typed records (never SQLAlchemy rows)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """What a user may do."""

    USER = "user"  # requests reports, sees only their own
    ADMIN = "admin"  # sees every user's reports, artifacts and channel


class ReportStatus(StrEnum):
    """Where a report request is, as its owner sees it."""

    QUEUED = "queued"  # accepted, waiting for a runner (or for a retry)
    RUNNING = "running"  # a runner is working on an attempt
    SUCCEEDED = "succeeded"  # finished; artifacts are ready
    FAILED = "failed"  # failed for good, with a reason
    CANCELLED = "cancelled"  # stopped on request


FINAL_STATUSES = frozenset({ReportStatus.SUCCEEDED, ReportStatus.FAILED, ReportStatus.CANCELLED})


@dataclass(slots=True, frozen=True)
class User:
    id: int
    name: str
    role: Role
    disabled: bool
    created_at: float

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(slots=True, frozen=True)
class Report:
    """One report request and its current state."""

    id: str
    user_id: int
    report: str
    params: dict[str, Any]
    formats: list[str]
    status: ReportStatus
    attempt: int
    phase: int
    progress: dict[str, Any] | None
    artifacts: list[dict[str, Any]]
    error: str | None
    request_hash: str
    idempotency_key: str | None
    retry_of: str | None
    created_at: float
    updated_at: float
    started_at: float | None
    finished_at: float | None
    owner: str | None = None
    """The requesting user's name (read with the report; None when built without it)."""

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    def artifact(self, name: str) -> dict[str, Any] | None:
        return next((a for a in self.artifacts if a.get("name") == name), None)


@dataclass(slots=True, frozen=True)
class LogEntry:
    """One event in a user's log; ``seq`` is gap-free and increasing per user."""

    user_id: int
    seq: int
    report_id: str
    type: str
    attempt: int
    status: str
    at: float
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "type": self.type,
            "report_id": self.report_id,
            "attempt": self.attempt,
            "status": self.status,
            "at": self.at,
            "data": self.data,
        }
