"""``POST /hooks/runner``: where runners report state changes (Standard Webhooks)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from reportflow.errors import WebhookVerificationError
from reportflow.metrics import WEBHOOKS_RECEIVED
from reportflow.requestor import receiver
from reportflow.requestor.deps import ServicesDep
from reportflow.requestor.schemas import Problem
from reportflow.webhooks import HEADER_ID

log = logging.getLogger("reportflow.requestor.hooks")

router = APIRouter(tags=["hooks"])
STORE_RETRY_AFTER = "5"


@router.post(
    "/hooks/runner",
    responses={
        200: {"description": "Applied, or already applied / stale / unknown: stop retrying"},
        400: {"model": Problem},
        401: {"model": Problem, "description": "Unsigned, wrongly signed or stale timestamp"},
        413: {"model": Problem},
        422: {"model": Problem},
        503: {"model": Problem, "description": "Store unavailable; retry later"},
    },
)
async def runner_hook(request: Request, services: ServicesDep) -> JSONResponse:
    """Apply one signed report event from a runner."""
    if services.verifier is None:
        return JSONResponse({"detail": "runner webhooks are not configured"}, status_code=503)
    body = await request.body()
    try:
        services.verifier.verify(request.headers, body)
    except WebhookVerificationError as exc:
        WEBHOOKS_RECEIVED.labels("rejected").inc()
        return JSONResponse({"detail": str(exc)}, status_code=401)
    try:
        event = receiver.parse(body)
    except receiver.BadMessage as exc:
        WEBHOOKS_RECEIVED.labels("rejected").inc()
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)
    webhook_id = request.headers[HEADER_ID].strip()[:255]
    try:
        receipt = await receiver.receive(services, webhook_id, event)
    except SQLAlchemyError as exc:
        log.error("webhook %s: store failed: %s", webhook_id, exc)
        return JSONResponse(
            {"detail": "the store is unavailable; retry later"},
            status_code=503,
            headers={"Retry-After": STORE_RETRY_AFTER},
        )
    return JSONResponse(receipt.body(), status_code=receipt.status)
