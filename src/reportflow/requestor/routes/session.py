"""``/api/v1/session``: log in (sets the cookie), who am I, log out."""

from __future__ import annotations

import time

from fastapi import APIRouter, HTTPException, Request, Response

from reportflow.requestor import auth
from reportflow.requestor.deps import CallerDep, ServicesDep
from reportflow.requestor.schemas import API, LoginRequest, Problem, SessionInfo
from reportflow.store import users

router = APIRouter(prefix=f"{API}/session", tags=["session"])


@router.post(
    "",
    response_model=SessionInfo,
    responses={401: {"model": Problem, "description": "Wrong user name or password"}},
)
async def login(body: LoginRequest, services: ServicesDep, response: Response) -> SessionInfo:
    """Log in with a user name and password; sets the session and CSRF cookies."""
    async with services.store.read() as db:
        user = await users.get_user_by_name(db, body.username)
        hashed = await users.password_hash(db, user.id) if user else None
    ok = await auth.verify_password_async(hashed, body.password)
    if user is None or user.disabled or not ok:
        raise HTTPException(401, "wrong user name or password")
    session_id = auth.new_session_id()
    expires_at = time.time() + services.config.session_ttl_seconds
    async with services.store.transaction() as db:
        await users.create_session(db, user.id, auth.digest(session_id), expires_at=expires_at)
    csrf = auth.csrf_token(services.session_key, session_id)
    max_age = int(services.config.session_ttl_seconds)
    secure = services.config.secure_cookies
    response.set_cookie(
        auth.SESSION_COOKIE,
        session_id,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    # Readable by the page's script, which echoes it in the X-CSRF-Token header.
    response.set_cookie(
        auth.CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="lax", secure=secure
    )
    return SessionInfo(user=user.name, role=user.role.value, csrf_token=csrf, expires_at=expires_at)


@router.get("", response_model=SessionInfo, responses={401: {"model": Problem}})
async def whoami(caller: CallerDep, services: ServicesDep) -> SessionInfo:
    """The logged-in user (and the session's CSRF token)."""
    csrf = auth.csrf_token(services.session_key, caller.session_id) if caller.session_id else None
    return SessionInfo(user=caller.user.name, role=caller.user.role.value, csrf_token=csrf)


@router.delete("", status_code=204, responses={401: {"model": Problem}, 403: {"model": Problem}})
async def logout(request: Request, caller: CallerDep, services: ServicesDep) -> Response:
    """End the session (a no-op for token callers) and clear the cookies."""
    if caller.session_id is not None:
        async with services.store.transaction() as db:
            await users.delete_session(db, auth.digest(caller.session_id))
    response = Response(status_code=204)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    response.delete_cookie(auth.CSRF_COOKIE)
    return response
