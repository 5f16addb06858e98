"""``POST /hooks/runner``: where runners report state changes (Standard Webhooks)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from reportflow.errors import WebhookVerificationError
from reportflow.metrics import WEBHOOKS_RECEIVED
from reportflow.requestor import receiver
from reportflow.requestor.deps import ServicesDep
from reportflow.requestor.schemas import Problem
from reportflow.requestor.services import Services
from reportflow.webhooks import HEADER_ID
from reportflow.webhooks.batch import BatchFormatError, is_batch, split_batch

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
    """Apply one signed report event from a runner, or a batch of them."""
    if services.verifier is None:
        return JSONResponse({"detail": "runner webhooks are not configured"}, status_code=503)
    body = await request.body()
    try:
        services.verifier.verify(request.headers, body)
    except WebhookVerificationError as exc:
        WEBHOOKS_RECEIVED.labels("rejected").inc()
        return JSONResponse({"detail": str(exc)}, status_code=401)
    try:
        raw = receiver.decode(body)
        if is_batch(raw):
            return await _batch(services, raw)
        event = receiver.event_of(raw)
    except receiver.BadMessage as exc:
        WEBHOOKS_RECEIVED.labels("rejected").inc()
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)
    webhook_id = request.headers[HEADER_ID].strip()[:255]
    try:
        receipt = await receiver.receive(services, webhook_id, event)
    except SQLAlchemyError as exc:
        log.error("webhook %s: store failed: %s", webhook_id, exc)
        return _store_failed()
    return JSONResponse(receipt.body(), status_code=receipt.status)


async def _batch(services: Services, raw: dict[str, Any]) -> JSONResponse:
    """Several messages in one signed request (reportflow.webhooks.batch): each is
    checked and applied as if it came alone; one result per message."""
    try:
        pairs = split_batch(raw)
    except BatchFormatError as exc:
        raise receiver.BadMessage(422, str(exc)) from exc
    results: dict[str, dict[str, Any]] = {}
    good: list[tuple[str, receiver.RunnerEvent]] = []
    for msg_id, message in pairs:
        try:
            good.append((msg_id, receiver.event_of(message)))
        except receiver.BadMessage as exc:
            WEBHOOKS_RECEIVED.labels("rejected").inc()
            results[msg_id] = {"id": msg_id, "status": exc.status, "detail": exc.detail}
    try:
        receipts = await receiver.receive_many(services, good)
    except SQLAlchemyError as exc:
        log.error("webhook batch of %d: store failed: %s", len(pairs), exc)
        return _store_failed()
    for (msg_id, _), receipt in zip(good, receipts, strict=True):
        results[msg_id] = {"id": msg_id, "status": receipt.status, **receipt.body()}
    ordered = [results[msg_id] for msg_id, _ in pairs]
    return JSONResponse({"outcome": "batch", "results": ordered})


def _store_failed() -> JSONResponse:
    return JSONResponse(
        {"detail": "the store is unavailable; retry later"},
        status_code=503,
        headers={"Retry-After": STORE_RETRY_AFTER},
    )
