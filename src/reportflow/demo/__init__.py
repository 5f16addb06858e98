"""reportflow.demo: the demo warehouse and the Python demo reports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reportflow.demo.warehouse import DEFAULT_ROWS, DEFAULT_SEED, build_warehouse

__all__ = ["DEFAULT_ROWS", "DEFAULT_SEED", "build_warehouse"]


def __getattr__(name: str) -> Any:
    # Lazy: every catalog imports reportflow.demo.reports, and the warehouse
    # builder would make each of them (and `reportflow reports list`) load SQLAlchemy.
    if name in __all__:
        from reportflow.demo import warehouse

        return getattr(warehouse, name)
    raise AttributeError(f"module 'reportflow.demo' has no attribute {name!r}")
