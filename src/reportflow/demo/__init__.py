"""reportflow.demo: the demo warehouse and the Python demo reports."""

from reportflow.demo.warehouse import DEFAULT_ROWS, DEFAULT_SEED, build_warehouse

__all__ = ["DEFAULT_ROWS", "DEFAULT_SEED", "build_warehouse"]
