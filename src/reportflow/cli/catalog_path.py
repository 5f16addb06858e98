"""Where the server commands find report definitions when none are configured.

The ``catalog`` setting defaults to ``reports/`` relative to the working
directory, which is right in a checkout and wrong anywhere else: ``reportflow
up`` started from ``$HOME`` would serve a catalog of nothing but the built-in
Python reports, and a runner beside it would fail every YAML report. So when
the catalog is *not configured* and ``./reports`` does not exist, the servers
fall back to the demo catalog that ships with reportflow (inside the wheel as
``reportflow/demo/catalog``, or the checkout's ``reports/`` for an editable
install) and say so. A configured catalog is never second-guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import reportflow
from reportflow.config import Settings

DEFAULT_CATALOG = Path("reports")
_PACKAGE = Path(reportflow.__file__).resolve().parent
#: The demo catalog inside an installed wheel, then in a source checkout.
SHIPPED_CATALOGS = (_PACKAGE / "demo" / "catalog", _PACKAGE.parents[1] / "reports")


@dataclass(frozen=True, slots=True)
class CatalogChoice:
    """The catalog a server will load and, when it is not the configured one, why."""

    paths: list[Path]
    note: str | None = None


def shipped_catalog() -> Path | None:
    """The demo catalog shipped with reportflow, if this installation has one."""
    for candidate in SHIPPED_CATALOGS:
        if candidate.is_dir() and any(candidate.glob("*.yaml")):
            return candidate
    return None


def choose_catalog(settings: Settings, cwd: Path | None = None) -> CatalogChoice:
    """``settings.catalog``, or the shipped demo catalog when it is unset and absent."""
    cwd = cwd or Path.cwd()
    configured = "catalog" in settings.model_fields_set
    if configured or settings.catalog != [DEFAULT_CATALOG] or (cwd / DEFAULT_CATALOG).exists():
        return CatalogChoice(list(settings.catalog))
    shipped = shipped_catalog()
    if shipped is None:
        return CatalogChoice(
            [],
            f"warning: no {DEFAULT_CATALOG}/ in {cwd} and no demo catalog installed: only the "
            "built-in reports (noop, sleep) are served; set catalog in reportflow.toml "
            "or REPORTFLOW_CATALOG",
        )
    return CatalogChoice(
        [shipped],
        f"catalog: no {DEFAULT_CATALOG}/ in {cwd}, using the demo catalog in {shipped} "
        "(set catalog in reportflow.toml or REPORTFLOW_CATALOG to use your own)",
    )


def apply_catalog(settings: Settings, cwd: Path | None = None) -> str | None:
    """Point ``settings.catalog`` at :func:`choose_catalog`'s choice; return its note."""
    choice = choose_catalog(settings, cwd)
    settings.catalog = choice.paths
    return choice.note
