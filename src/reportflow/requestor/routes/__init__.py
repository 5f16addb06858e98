"""The requestor's routers, one module per resource."""

from reportflow.requestor.routes import catalog, events, hooks, ops, reports, session

ROUTERS = (
    ops.router,
    session.router,
    catalog.router,
    reports.router,
    events.router,
    hooks.router,
)

__all__ = ["ROUTERS"]
