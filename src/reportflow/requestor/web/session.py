"""Who is looking at a page: the session cookie, or a redirect to the login page."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import HTTPException, Request

from reportflow.requestor import auth
from reportflow.requestor.deps import Caller, authenticate, get_services
from reportflow.store import events


class LoginRequired(Exception):
    """The page needs a logged-in user; the handler answers with a redirect."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass(slots=True, frozen=True)
class Viewer:
    """A logged-in page viewer and what every page shell needs to know of them."""

    caller: Caller
    csrf_token: str
    last_seq: int
    """The newest seq in the viewer's event log: where the live channel starts."""

    @property
    def name(self) -> str:
        return self.caller.user.name

    @property
    def is_admin(self) -> bool:
        return self.caller.user.is_admin


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")


def safe_next(value: str | None) -> str:
    """A same-site path to go to after logging in (never an absolute URL)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/catalog"
    return value


async def viewer(request: Request) -> Viewer:
    """The page's viewer; raises :class:`LoginRequired` without a valid session.

    Pages accept only the session cookie: a bearer token is for scripts.
    """
    services = get_services(request)
    if not request.cookies.get(auth.SESSION_COOKIE):
        raise LoginRequired(request.url.path)
    try:
        caller = await authenticate(request, services)
    except HTTPException as exc:
        raise LoginRequired(request.url.path) from exc
    if caller.session_id is None:
        raise LoginRequired(request.url.path)
    async with services.store.read() as db:
        seq = await events.last_seq(db, caller.user.id)
    return Viewer(caller, auth.csrf_token(services.session_key, caller.session_id), seq)


async def optional_viewer(request: Request) -> Viewer | None:
    try:
        return await viewer(request)
    except LoginRequired:
        return None
