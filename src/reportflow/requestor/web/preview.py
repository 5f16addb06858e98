"""``GET /api/v1/reports/{id}/preview``: the first rows of a finished report.

Reads the CSV or JSON-lines artifact as a stream and stops after ``limit``
rows or :data:`MAX_PREVIEW_BYTES`, whichever comes first, so a preview of a
two-million-row report costs the same as one of ten rows. The report's chart
spec (if its definition has one) comes along, for the page to draw.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from reportflow.errors import ArtifactError, CatalogError
from reportflow.requestor.deps import CallerDep, ServicesDep
from reportflow.requestor.routes.reports import ERRORS, owned_report
from reportflow.requestor.schemas import API
from reportflow.requestor.services import Services
from reportflow.store import Report

router = APIRouter(prefix=f"{API}/reports", tags=["reports"])
MAX_PREVIEW_ROWS = 500
MAX_PREVIEW_BYTES = 2 * 1024 * 1024
PREVIEWABLE = ("csv", "json")


async def _head_lines(chunks: AsyncIterator[bytes], lines: int) -> tuple[str, bool]:
    """The text of the first ``lines`` lines and whether more followed."""
    buffer = bytearray()
    async for chunk in chunks:
        buffer.extend(chunk)
        if buffer.count(b"\n") > lines or len(buffer) >= MAX_PREVIEW_BYTES:
            break
    more = buffer.count(b"\n") > lines or len(buffer) >= MAX_PREVIEW_BYTES
    head = bytes(buffer[:MAX_PREVIEW_BYTES]).split(b"\n")[:lines]
    return b"\n".join(head).decode("utf-8", errors="replace"), more


def _parse_csv(text: str, limit: int) -> tuple[list[str], list[list[Any]]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    return header, [row for row, _ in zip(reader, range(limit), strict=False)]


def _parse_jsonl(text: str, limit: int) -> tuple[list[str], list[list[Any]]]:
    records = []
    for line in text.splitlines():
        if line.strip():
            try:
                value = json.loads(line)
            except ValueError:
                break  # a line cut by the byte cap
            if isinstance(value, dict):
                records.append(value)
        if len(records) >= limit:
            break
    columns = list(dict.fromkeys(k for r in records for k in r))
    return columns, [[r.get(c) for c in columns] for r in records]


def _chart(services: Services, report: Report) -> dict[str, Any] | None:
    try:
        definition = services.catalog.get(report.report)
    except CatalogError:
        return None  # the report was removed from the catalog since it ran
    return definition.chart.model_dump() if definition.chart else None


@router.get("/{report_id}/preview", responses=ERRORS)
async def preview(
    report_id: str,
    services: ServicesDep,
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PREVIEW_ROWS)] = 50,
) -> dict[str, Any]:
    """The first ``limit`` rows of the report's CSV (or JSON) output, and its chart spec."""
    report = await owned_report(services, caller, report_id)
    chart = _chart(services, report)
    artifact = next(
        (a for fmt in PREVIEWABLE for a in report.artifacts if a.get("format") == fmt), None
    )
    if artifact is None or services.artifacts is None:
        return {"format": None, "columns": [], "rows": [], "truncated": False, "chart": chart}
    fmt = str(artifact["format"])
    # A CSV header takes a line; a quoted field may hold newlines, so read spare lines.
    wanted = limit * 2 + 1
    stream = services.artifacts.open(str(artifact.get("key")))
    try:
        text, more = await _head_lines(stream, wanted)
    except ArtifactError as exc:
        raise HTTPException(404, f"artifact {artifact.get('name')!r} is gone: {exc}") from exc
    finally:
        close = getattr(stream, "aclose", None)  # stop the read we cut short, now
        if close is not None:
            await close()
    parse = _parse_csv if fmt == "csv" else _parse_jsonl
    columns, rows = parse(text, limit)
    total = artifact.get("rows")
    truncated = more or (isinstance(total, int) and total > len(rows))
    return {
        "format": fmt,
        "artifact": artifact.get("name"),
        "columns": columns,
        "rows": rows,
        "total_rows": total,
        "truncated": truncated,
        "chart": chart,
    }
