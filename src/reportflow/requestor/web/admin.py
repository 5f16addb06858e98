"""``/api/v1/admin``: what the admin pages show: queue, runner slots, webhook deliveries.

Admins only; anyone else gets 404, as for every resource they may not see.
Runner slots are known only for runners in this process (the embedded mode
puts them on ``app.state.runners``) or through the runner gauges registered
here; runners on other machines are watched through Prometheus.
"""

from __future__ import annotations

from typing import Annotated, Any, Protocol

from fastapi import APIRouter, HTTPException, Query, Request

from reportflow.errors import WebhookDeliveryError
from reportflow.metrics import RUNNER_SLOTS_BUSY, RUNNER_SLOTS_TOTAL
from reportflow.requestor.deps import Caller, CallerDep, ServicesDep
from reportflow.requestor.schemas import API, Problem
from reportflow.requestor.services import Services
from reportflow.webhooks import Delivery, Outbox

router = APIRouter(prefix=f"{API}/admin", tags=["admin"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem},
    404: {"model": Problem, "description": "Not an admin"},
}
MAX_DELIVERIES = 500
_TABLES_READY = "web_outbox_tables_ready"


class RunnerView(Protocol):
    """What the admin page reads of an in-process runner (a ``Runner``)."""

    @property
    def worker_id(self) -> str: ...
    @property
    def concurrency(self) -> int: ...
    @property
    def busy(self) -> int: ...


def require_admin(caller: Caller) -> None:
    if not caller.user.is_admin:
        raise HTTPException(404, "no such page")


def _runner_slots(request: Request) -> list[dict[str, Any]]:
    local: list[RunnerView] = list(getattr(request.app.state, "runners", []) or [])
    if local:
        return [
            {"worker": r.worker_id, "concurrency": r.concurrency, "busy": r.busy, "source": "local"}
            for r in local
        ]
    slots: dict[str, dict[str, Any]] = {}
    for gauge, key in ((RUNNER_SLOTS_TOTAL, "concurrency"), (RUNNER_SLOTS_BUSY, "busy")):
        for metric in gauge.collect():
            for sample in metric.samples:
                worker = sample.labels.get("worker", "?")
                row = slots.setdefault(worker, {"worker": worker, "source": "metrics"})
                row[key] = int(sample.value)
    return [{"concurrency": 0, "busy": 0, **row} for row in slots.values()]


@router.get("/overview", responses=ERRORS)
async def overview(request: Request, services: ServicesDep, caller: CallerDep) -> dict[str, Any]:
    """Queue depth per state, the oldest wait, and runner slots in this process."""
    require_admin(caller)
    stats = await services.queue.stats()
    return {
        "queue": {
            "url": _redacted(services.queue.url),
            "depth": {state.value: count for state, count in stats.depth.items()},
            "oldest_wait_seconds": stats.oldest_wait_seconds,
        },
        "runners": _runner_slots(request),
    }


def _redacted(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest


async def _outbox(request: Request, services: Services) -> Outbox:
    """The outbox in the store's database (where the embedded runner keeps it)."""
    outbox = Outbox(services.store.engine)
    if not getattr(request.app.state, _TABLES_READY, False):
        await outbox.create_tables()
        setattr(request.app.state, _TABLES_READY, True)
    return outbox


def _delivery_out(d: Delivery) -> dict[str, Any]:
    data = d.payload.get("data") if isinstance(d.payload, dict) else None
    event = data if isinstance(data, dict) else {}
    return {
        "id": d.id,
        "endpoint": d.endpoint,
        "state": d.state.value,
        "attempts": d.attempts,
        "created_at": d.created_at,
        "next_attempt_at": d.next_attempt_at,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "type": d.payload.get("type") if isinstance(d.payload, dict) else None,
        "report_id": event.get("job_id"),
    }


@router.get("/deliveries", responses=ERRORS)
async def list_deliveries(
    request: Request,
    services: ServicesDep,
    caller: CallerDep,
    failed: Annotated[bool, Query(description="Only dead, gone or failing messages")] = True,
    limit: Annotated[int, Query(ge=1, le=MAX_DELIVERIES)] = 100,
) -> dict[str, Any]:
    """Runner→requestor webhook messages in the outbox, newest first."""
    require_admin(caller)
    outbox = await _outbox(request, services)
    rows = await outbox.list_deliveries(failed_only=failed, limit=limit)
    return {"deliveries": [_delivery_out(d) for d in rows]}


@router.post(
    "/deliveries/{message_id}/redeliver",
    responses={**ERRORS, 409: {"model": Problem, "description": "Already delivered"}},
)
async def redeliver(
    message_id: str, request: Request, services: ServicesDep, caller: CallerDep
) -> dict[str, Any]:
    """Queue one webhook message for delivery again now."""
    require_admin(caller)
    outbox = await _outbox(request, services)
    try:
        await outbox.get(message_id)
    except WebhookDeliveryError as exc:
        raise HTTPException(404, str(exc)) from exc
    try:
        delivery = await outbox.redeliver(message_id)
    except WebhookDeliveryError as exc:
        raise HTTPException(409, str(exc)) from exc
    return _delivery_out(delivery)
