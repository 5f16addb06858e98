"""The HTML pages: server-rendered shells whose live parts the page scripts fill in.

Every page but the login page needs a session; without one it redirects to
``/login?next=<the page>``. A page about something the viewer may not see
(another user's report, the admin page for a non-admin) is a 404, as in the API.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from reportflow.catalog import parameters_schema
from reportflow.errors import CatalogError
from reportflow.requestor.deps import get_services
from reportflow.requestor.routes.reports import owned_report
from reportflow.requestor.submissions import may_request
from reportflow.requestor.web.forms import build_form
from reportflow.requestor.web.session import Viewer, optional_viewer, safe_next, viewer
from reportflow.requestor.web.templating import templates

router = APIRouter(include_in_schema=False)


def render(
    request: Request, name: str, who: Viewer | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    base = {"viewer": who, "page": name.removesuffix(".html")}
    response = templates.TemplateResponse(
        request, name, {**base, **context}, status_code=status_code
    )
    # Pages carry a CSRF token and personal data: never cache them in shared caches.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@router.get("/")
async def home(request: Request) -> Response:
    who = await optional_viewer(request)
    return RedirectResponse("/catalog" if who else "/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None) -> Response:
    target = safe_next(next)
    if await optional_viewer(request) is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "login.html", None, next_path=target)


@router.get("/catalog", response_class=HTMLResponse)
async def catalog_page(request: Request) -> Response:
    who = await viewer(request)
    services = get_services(request)
    entries = [d for d in services.catalog.list() if may_request(who.caller.user, d)]
    return render(request, "catalog.html", who, reports=entries)


@router.get("/catalog/{name}", response_class=HTMLResponse)
async def report_form_page(request: Request, name: str) -> Response:
    who = await viewer(request)
    services = get_services(request)
    try:
        definition = services.catalog.get(name)
    except CatalogError as exc:
        raise HTTPException(404, f"unknown report {name!r}") from exc
    if not may_request(who.caller.user, definition):
        raise HTTPException(404, f"unknown report {name!r}")
    fields = build_form(parameters_schema(definition))
    formats = [f.value for f in definition.formats]
    return render(request, "form.html", who, definition=definition, fields=fields, formats=formats)


def report_titles(request: Request) -> dict[str, str]:
    """Report name → title, for the tables the page scripts draw."""
    return {d.name: d.title or d.name for d in get_services(request).catalog.list()}


@router.get("/reports", response_class=HTMLResponse)
async def my_reports_page(request: Request) -> Response:
    who = await viewer(request)
    return render(request, "reports.html", who, titles=report_titles(request))


@router.get("/reports/{report_id}", response_class=HTMLResponse)
async def report_page(request: Request, report_id: str) -> Response:
    who = await viewer(request)
    services = get_services(request)
    report = await owned_report(services, who.caller, report_id)
    try:
        title = services.catalog.get(report.report).title or report.report
    except CatalogError:
        title = report.report
    return render(request, "report.html", who, report=report, title=title)


@router.get("/admin", response_class=HTMLResponse)
async def admin_page(request: Request) -> Response:
    who = await viewer(request)
    if not who.is_admin:
        raise HTTPException(404, "no such page")
    return render(request, "admin.html", who, titles=report_titles(request))
