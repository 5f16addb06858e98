"""``/api/v1/reports``: submit, list, show, cancel, retry, download."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Response
from fastapi.responses import StreamingResponse

from reportflow.errors import ArtifactError
from reportflow.requestor import submissions
from reportflow.requestor.deps import Caller, CallerDep, ServicesDep, resolve_subject
from reportflow.requestor.schemas import (
    API,
    Problem,
    ReportOut,
    ReportPage,
    SubmitRequest,
    report_out,
)
from reportflow.requestor.services import Services
from reportflow.store import Report, ReportStatus, reports

router = APIRouter(prefix=f"{API}/reports", tags=["reports"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Not authenticated"},
    403: {"model": Problem, "description": "Missing CSRF token, or report not allowed"},
    404: {"model": Problem, "description": "No such report (or not yours)"},
}
MAX_PAGE = 200


async def owned_report(services: Services, caller: Caller, report_id: str) -> Report:
    """The report if the caller may see it; another user's report is a 404, like a missing one."""
    async with services.store.read() as db:
        report = await reports.get_report(db, report_id)
    if report is None or (report.user_id != caller.user.id and not caller.user.is_admin):
        raise HTTPException(404, f"no report {report_id!r}")
    return report


@router.post(
    "",
    status_code=202,
    response_model=ReportOut,
    responses={
        **ERRORS,
        200: {"model": ReportOut, "description": "Idempotent replay of an in-flight request"},
        413: {"model": Problem},
        422: {"model": Problem, "description": "Unknown report, bad params or formats"},
        429: {"model": Problem, "description": "Rate or in-flight limit; see Retry-After"},
    },
)
async def submit_report(
    body: SubmitRequest,
    services: ServicesDep,
    caller: CallerDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> ReportOut:
    """Request a report; it is queued and runs as soon as a runner is free."""
    sub = submissions.Submission(body.report, body.params, body.formats, idempotency_key or None)
    report, created = await submissions.submit(services, caller.user, sub)
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"{API}/reports/{report.id}"
    return report_out(report)


@router.get("", response_model=ReportPage, responses=ERRORS)
async def list_reports(
    services: ServicesDep,
    caller: CallerDep,
    status: Annotated[list[ReportStatus] | None, Query()] = None,
    report: Annotated[str | None, Query(max_length=64)] = None,
    user: Annotated[str | None, Query(max_length=64, description="Admins: this user's")] = None,
    all_users: Annotated[bool, Query(description="Admins: every user's reports")] = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> ReportPage:
    """Your reports, newest first, filtered by status and report name."""
    subject = await resolve_subject(services, caller, user)
    user_id = None if all_users and caller.user.is_admin else subject.id
    async with services.store.read() as db:
        page = await reports.list_reports(
            db,
            user_id=user_id,
            statuses=[s.value for s in status or ()],
            report=report,
            before=_decode_cursor(cursor),
            limit=limit + 1,
        )
    more = len(page) > limit
    page = page[:limit]
    next_cursor = _encode_cursor(page[-1].id) if more and page else None
    return ReportPage(reports=[report_out(r) for r in page], next_cursor=next_cursor)


@router.get("/{report_id}", response_model=ReportOut, responses=ERRORS)
async def get_report(report_id: str, services: ServicesDep, caller: CallerDep) -> ReportOut:
    return report_out(await owned_report(services, caller, report_id))


@router.post(
    "/{report_id}/cancel",
    status_code=202,
    response_model=ReportOut,
    responses={**ERRORS, 409: {"model": Problem, "description": "Already finished"}},
)
async def cancel_report(report_id: str, services: ServicesDep, caller: CallerDep) -> ReportOut:
    """Cancel a queued report at once, or ask the runner to stop a running one."""
    report = await owned_report(services, caller, report_id)
    updated, _pending = await submissions.cancel(services, report)
    return report_out(updated)


@router.post(
    "/{report_id}/retry",
    status_code=202,
    response_model=ReportOut,
    responses={**ERRORS, 409: {"model": Problem}, 429: {"model": Problem}},
)
async def retry_report(report_id: str, services: ServicesDep, caller: CallerDep) -> ReportOut:
    """Request a failed or cancelled report again (a new report, ``retry_of`` the old)."""
    report = await owned_report(services, caller, report_id)
    owner = caller.user if report.user_id == caller.user.id else None
    if owner is None:
        raise HTTPException(409, "admins cannot retry another user's report for them")
    return report_out(await submissions.retry(services, owner, report))


@router.get(
    "/{report_id}/artifacts/{name}",
    responses={**ERRORS, 200: {"content": {"application/octet-stream": {}}}},
    response_class=StreamingResponse,
)
async def download_artifact(
    report_id: str, name: str, services: ServicesDep, caller: CallerDep
) -> StreamingResponse:
    """Stream one output of a finished report."""
    report = await owned_report(services, caller, report_id)
    artifact = report.artifact(name)
    if artifact is None or services.artifacts is None:
        raise HTTPException(404, f"report {report_id} has no artifact {name!r}")
    key = str(artifact.get("key", ""))
    if not key or not await services.artifacts.exists(key):
        raise HTTPException(404, f"artifact {name!r} of report {report_id} is gone")
    stream = services.artifacts.open(key)
    try:
        first = await anext(stream, b"")
    except ArtifactError as exc:
        raise HTTPException(404, f"artifact {name!r} of report {report_id}: {exc}") from exc

    async def body() -> AsyncIterator[bytes]:
        yield first
        async for chunk in stream:
            yield chunk

    headers = {"Content-Disposition": f'attachment; filename="{_safe(name)}"'}
    if isinstance(artifact.get("size"), int):
        headers["Content-Length"] = str(artifact["size"])
    media = str(artifact.get("content_type") or "application/octet-stream")
    return StreamingResponse(body(), media_type=media, headers=headers)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


def _encode_cursor(report_id: str) -> str:
    return base64.urlsafe_b64encode(report_id.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if not decoded.isalnum():
        raise HTTPException(422, f"cursor {cursor[:40]!r} is not one this API gave out")
    return decoded
