"""``/api/v1/catalog``: the reports a user may request, with their parameter schema."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from reportflow.catalog import ReportDefinition, parameters_schema
from reportflow.errors import CatalogError
from reportflow.requestor.deps import CallerDep, ServicesDep
from reportflow.requestor.schemas import API, CatalogDetail, CatalogEntry, Problem
from reportflow.requestor.submissions import may_request

router = APIRouter(prefix=f"{API}/catalog", tags=["catalog"])


def _entry(definition: ReportDefinition) -> dict[str, object]:
    return {
        "name": definition.name,
        "title": definition.title or definition.name,
        "description": definition.description,
        "tags": definition.tags,
        "formats": [f.value for f in definition.formats],
        "links": {"self": f"{API}/catalog/{definition.name}", "submit": f"{API}/reports"},
    }


@router.get("", response_model=list[CatalogEntry], responses={401: {"model": Problem}})
async def list_catalog(services: ServicesDep, caller: CallerDep) -> list[CatalogEntry]:
    """Reports you may request."""
    return [
        CatalogEntry.model_validate(_entry(d))
        for d in services.catalog.list()
        if may_request(caller.user, d)
    ]


@router.get(
    "/{name}",
    response_model=CatalogDetail,
    responses={401: {"model": Problem}, 404: {"model": Problem}},
)
async def show_catalog_entry(name: str, services: ServicesDep, caller: CallerDep) -> CatalogDetail:
    """One report, with the JSON Schema of its parameters."""
    try:
        definition = services.catalog.get(name)
    except CatalogError as exc:
        raise HTTPException(404, str(exc)) from exc
    if not may_request(caller.user, definition):
        raise HTTPException(404, f"unknown report {name!r}")
    return CatalogDetail.model_validate(
        {**_entry(definition), "parameters_schema": parameters_schema(definition)}
    )
