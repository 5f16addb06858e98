"""``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from reportflow.metrics import REGISTRY
from reportflow.requestor.deps import ServicesDep

router = APIRouter(tags=["operations"])
READY_TIMEOUT = 3.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "A dependency is unreachable"}})
async def readyz(request: Request, services: ServicesDep) -> JSONResponse:
    """The store and the queue answer, and every part of the process has started
    (``app.state.starting`` names those still starting, such as the embedded runner)."""
    checks: dict[str, str] = {
        name: "starting" for name in sorted(getattr(request.app.state, "starting", ()))
    }
    for name, probe in (("store", services.store.ping()), ("queue", services.queue.stats())):
        try:
            await asyncio.wait_for(probe, READY_TIMEOUT)
            checks[name] = "ok"
        except Exception as exc:  # whatever the failure, the answer is "not ready"
            checks[name] = f"{type(exc).__name__}: {exc}"[:200]
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response)
async def metrics() -> Response:
    """Prometheus text exposition of every reportflow metric in this process."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
