"""reportflow's web app: the pages the requestor serves to people.

:func:`create_app <reportflow.requestor.create_app>` calls :func:`install`
after every API route is registered, so pages never shadow the API. Pages
are server-rendered shells (Jinja2, autoescaped) whose live parts are small
ES modules under ``/static/js`` that call the same JSON API as any client;
the few endpoints only the pages need (a result preview, the admin views)
live here too, under ``/api/v1``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from reportflow.requestor.web import admin, pages, preview
from reportflow.requestor.web.session import LoginRequired, login_url, optional_viewer
from reportflow.requestor.web.templating import STATIC_DIR

STATIC_PATH = "/static"
_NOT_PAGES = ("/api/", "/hooks/", "/static/", "/metrics", "/healthz", "/readyz", "/openapi")


def _wants_page(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(_NOT_PAGES) and "text/html" in request.headers.get("accept", "")


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(login_url(exc.next_path), status_code=303)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Browsers asking for a page get the designed error page; API clients get JSON."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code not in (403, 404) or not _wants_page(request):
        return await http_exception_handler(request, exc)
    who = await optional_viewer(request)
    return pages.render(request, "404.html", who, status_code=404)


def install(app: FastAPI, *, static_dir: Path | None = None) -> None:
    """Add the pages, their static files and their API endpoints to ``app``.

    ``static_dir`` replaces the bundled static files (for a branded build).
    """
    app.mount(STATIC_PATH, StaticFiles(directory=static_dir or STATIC_DIR), name="static")
    app.include_router(preview.router)
    app.include_router(admin.router)
    app.include_router(pages.router)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(StarletteHTTPException, _http_error)
