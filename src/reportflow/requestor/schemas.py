"""Request and response bodies of the API (they make the OpenAPI schema)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reportflow.store import LogEntry, Report

API = "/api/v1"


class SubmitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report: str = Field(min_length=1, max_length=64, description="Report name from the catalog.")
    params: dict[str, Any] = Field(default_factory=dict)
    formats: list[str] | None = Field(
        default=None, max_length=16, description="Output formats; default: the report's own."
    )


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # No NUL: PostgreSQL cannot compare text holding one (the lookup would fail, not miss).
    username: str = Field(min_length=1, max_length=64, pattern=r"^[^\x00]+$")
    password: str = Field(min_length=1, max_length=1024)


class SessionInfo(BaseModel):
    user: str
    role: str
    csrf_token: str | None = None
    expires_at: float | None = None


class ArtifactOut(BaseModel):
    name: str
    format: str | None = None
    content_type: str | None = None
    size: int | None = None
    rows: int | None = None
    sha256: str | None = None
    url: str


class ReportOut(BaseModel):
    id: str
    report: str
    owner: str | None = Field(
        default=None, description="Username of who requested it (admins see every user's)."
    )
    status: str
    attempt: int
    params: dict[str, Any]
    formats: list[str]
    progress: dict[str, Any] | None
    artifacts: list[ArtifactOut]
    error: str | None
    retry_of: str | None
    created_at: float
    updated_at: float
    started_at: float | None
    finished_at: float | None
    links: dict[str, str]


class ReportPage(BaseModel):
    reports: list[ReportOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class EventOut(BaseModel):
    seq: int
    type: str
    report_id: str
    attempt: int
    status: str
    at: float
    data: dict[str, Any]


class EventPage(BaseModel):
    events: list[EventOut]
    last_seq: int = Field(description="The newest seq returned (or ``since`` when none).")
    more: bool = Field(description="True when a next page is waiting: call again with since.")


class CatalogEntry(BaseModel):
    name: str
    title: str
    description: str
    tags: list[str]
    formats: list[str]
    links: dict[str, str]


class CatalogDetail(CatalogEntry):
    parameters_schema: dict[str, Any]


class Problem(BaseModel):
    detail: Any


def artifact_url(report_id: str, name: str) -> str:
    return f"{API}/reports/{report_id}/artifacts/{name}"


def public_artifact(report_id: str, artifact: dict[str, Any]) -> dict[str, Any]:
    """An artifact as users see it: no store key or location."""
    name = str(artifact.get("name", ""))
    return {
        "name": name,
        "format": artifact.get("format"),
        "content_type": artifact.get("content_type"),
        "size": artifact.get("size"),
        "rows": artifact.get("rows"),
        "sha256": artifact.get("sha256"),
        "url": artifact_url(report_id, name),
    }


def report_out(report: Report) -> ReportOut:
    base = f"{API}/reports/{report.id}"
    return ReportOut(
        id=report.id,
        report=report.report,
        owner=report.owner,
        status=report.status.value,
        attempt=report.attempt,
        params=report.params,
        formats=report.formats,
        progress=report.progress,
        artifacts=[ArtifactOut(**public_artifact(report.id, a)) for a in report.artifacts],
        error=report.error,
        retry_of=report.retry_of,
        created_at=report.created_at,
        updated_at=report.updated_at,
        started_at=report.started_at,
        finished_at=report.finished_at,
        links={"self": base, "cancel": f"{base}/cancel", "retry": f"{base}/retry"},
    )


def event_out(entry: LogEntry) -> EventOut:
    return EventOut(**entry.to_dict())
