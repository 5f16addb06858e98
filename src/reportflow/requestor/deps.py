"""FastAPI dependencies: the services, the caller (token or session) and CSRF."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.requests import HTTPConnection

from reportflow.requestor import auth
from reportflow.requestor.services import Services
from reportflow.store import User, users

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def get_services(conn: HTTPConnection) -> Services:
    services: Services = conn.app.state.services
    return services


async def _services(conn: HTTPConnection) -> Services:
    # The dependency is async on purpose: FastAPI runs a plain ``def``
    # dependency in a worker thread, a thread hop per request for a lookup.
    return get_services(conn)


ServicesDep = Annotated[Services, Depends(_services)]


@dataclass(slots=True, frozen=True)
class Caller:
    """Who is calling, and how they proved it."""

    user: User
    via: str  # "token" or "session"
    session_id: str | None = None


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def bearer_token(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise unauthorized("Authorization header must be 'Bearer <token>'")
    return value.strip()


async def authenticate(conn: HTTPConnection, services: Services) -> Caller:
    """The caller of an HTTP request or websocket handshake; raises 401.

    A bearer token wins over a session cookie: a script that sends one means it.
    """
    now = time.time()
    token = bearer_token(conn)
    if token is not None:
        async with services.store.read() as db:
            user = await users.user_for_token(db, auth.digest(token), now)
        if user is None:
            raise unauthorized("invalid, expired or revoked API token")
        return Caller(user, "token")
    session_id = conn.cookies.get(auth.SESSION_COOKIE)
    if session_id:
        async with services.store.transaction() as db:
            user = await users.user_for_session(db, auth.digest(session_id), now)
        if user is None:
            raise unauthorized("session expired or logged out; log in again")
        return Caller(user, "session", session_id)
    raise unauthorized("authentication required: an API token or a session cookie")


async def check_csrf(request: Request, caller: Caller, services: Services) -> None:
    """Cookie-authenticated unsafe requests must echo the session's CSRF token.

    Token-authenticated requests need none: browsers never attach a bearer
    token on their own, which is what CSRF exploits.
    """
    if caller.via != "session" or request.method not in UNSAFE_METHODS:
        return
    assert caller.session_id is not None
    offered = request.headers.get(auth.CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if offered is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get(auth.CSRF_FORM_FIELD)
        offered = field if isinstance(field, str) else None
    if not auth.csrf_matches(services.session_key, caller.session_id, offered):
        raise HTTPException(
            403, f"missing or wrong CSRF token (send the {auth.CSRF_HEADER} header)"
        )


async def current_caller(request: Request, services: ServicesDep) -> Caller:
    caller = await authenticate(request, services)
    await check_csrf(request, caller, services)
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


async def resolve_subject(services: Services, caller: Caller, user_name: str | None) -> User:
    """Whose data a request is about: the caller, or (admins only) ``?user=NAME``.

    A non-admin naming someone else gets 404, the same as a missing user, so
    names cannot be probed.
    """
    if user_name is None or user_name == caller.user.name:
        return caller.user
    if not caller.user.is_admin:
        raise HTTPException(404, f"no user named {user_name!r}")
    async with services.store.read() as db:
        user = await users.get_user_by_name(db, user_name)
    if user is None:
        raise HTTPException(404, f"no user named {user_name!r}")
    return user
