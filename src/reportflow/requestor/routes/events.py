"""``GET /api/v1/events`` (polling) and ``WS /api/v1/ws`` (push): one user's event log."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, WebSocket
from fastapi.responses import JSONResponse

from reportflow.requestor import auth
from reportflow.requestor.channels import ChannelSession
from reportflow.requestor.deps import (
    Caller,
    CallerDep,
    ServicesDep,
    authenticate,
    get_services,
    resolve_subject,
)
from reportflow.requestor.schemas import API, EventPage, Problem, event_out
from reportflow.requestor.services import Services
from reportflow.store import User, events

router = APIRouter(prefix=API, tags=["events"])
MAX_PAGE = 1000
AUTH_MESSAGE_TIMEOUT = 10.0
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_BAD_REQUEST = 4400


@router.get(
    "/events",
    response_model=EventPage,
    responses={401: {"model": Problem}, 404: {"model": Problem}},
)
async def list_events(
    services: ServicesDep,
    caller: CallerDep,
    since: Annotated[int, Query(ge=0, le=2**62, description="Last seq you saw")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    user: Annotated[str | None, Query(max_length=64, description="Admins: this user's log")] = None,
) -> EventPage:
    """Your events after ``since``, oldest first: the polling twin of the websocket."""
    subject = await resolve_subject(services, caller, user)
    async with services.store.read() as db:
        page = await events.list_events(db, subject.id, since=since, limit=limit + 1)
    more = len(page) > limit
    page = page[:limit]
    last = page[-1].seq if page else since
    return EventPage(events=[event_out(e) for e in page], last_seq=last, more=more)


async def _deny(ws: WebSocket, status: int, detail: str, close_code: int) -> None:
    """Refuse a handshake with an HTTP status where the server supports it."""
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(JSONResponse({"detail": detail}, status_code=status))
    else:
        await ws.close(code=close_code, reason=detail[:120])


async def _auth_by_message(ws: WebSocket, services: Services) -> User | None:
    """Accept, then expect ``{"type": "auth", "token": "..."}`` as the first message."""
    await ws.accept()
    try:
        raw = await asyncio.wait_for(ws.receive_text(), AUTH_MESSAGE_TIMEOUT)
        message = json.loads(raw)
        token = message.get("token") if isinstance(message, dict) else None
    except (TimeoutError, ValueError):
        token = None
    if isinstance(token, str) and token:
        ws.scope.setdefault("headers", []).append((b"authorization", f"Bearer {token}".encode()))
        try:
            caller = await authenticate(ws, services)
        except HTTPException:
            caller = None
        if caller is not None:
            return caller.user
    await ws.close(code=CLOSE_UNAUTHORIZED, reason="authentication failed")
    return None


def _cross_origin(ws: WebSocket) -> bool:
    """A browser page from another origin riding on the session cookie."""
    origin = ws.headers.get("origin")
    if origin is None:
        return False
    host = ws.headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") != host


@router.websocket("/ws")
async def channel(ws: WebSocket, since: int = 0, user: str | None = None) -> None:
    """Your live events; see docs/requestor.md for the protocol."""
    services = get_services(ws)
    if since < 0:
        await _deny(ws, 400, "since must be >= 0", CLOSE_BAD_REQUEST)
        return
    has_credentials = "authorization" in ws.headers or auth.SESSION_COOKIE in ws.cookies
    accepted = False
    if has_credentials:
        try:
            caller: Caller = await authenticate(ws, services)
        except HTTPException as exc:
            await _deny(ws, exc.status_code, str(exc.detail), CLOSE_UNAUTHORIZED)
            return
        if caller.via == "session" and _cross_origin(ws):
            await _deny(ws, 403, "cross-origin websocket with a session cookie", CLOSE_UNAUTHORIZED)
            return
        me = caller.user
    else:
        found = await _auth_by_message(ws, services)
        if found is None:
            return
        me, accepted = found, True
    try:
        subject = await resolve_subject(services, Caller(me, "session"), user)
    except HTTPException as exc:
        if accepted:
            await ws.close(code=CLOSE_NOT_FOUND, reason=str(exc.detail)[:120])
        else:
            await _deny(ws, 404, str(exc.detail), CLOSE_NOT_FOUND)
        return
    if not accepted:
        await ws.accept()
    await ChannelSession(ws, services, subject.id, since).run()
