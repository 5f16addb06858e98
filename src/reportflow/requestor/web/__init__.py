"""The hook point for the requestor's web pages (HTML/JS UI).

:func:`create_app <reportflow.requestor.create_app>` calls :func:`install`
after every API route is registered, so pages never shadow the API. The web
app fills this package in: templates, static files and page routes that call
the same services (``app.state.services``) the API uses. Until then it mounts
``static_dir`` when one is given, and nothing else.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_PATH = "/static"


def install(app: FastAPI, *, static_dir: Path | None = None) -> None:
    """Add the web pages to ``app``."""
    if static_dir is not None:
        app.mount(STATIC_PATH, StaticFiles(directory=static_dir), name="static")
