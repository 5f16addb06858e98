"""The demo reports written in Python: ``noop`` and ``sleep``.

Importing this module registers them; the default catalog always does. They
need no database, which makes them the load of choice for runner benchmarks:
``sleep`` only awaits, so thousands of them can run at once in one process.
"""

from __future__ import annotations

import asyncio
from typing import Any

from reportflow.catalog.registry import report


@report(
    name="noop",
    title="No-op",
    description="Returns one row at once; measures the overhead of running a report.",
    tags=["demo", "benchmark"],
    formats=["csv", "json"],
)
def noop() -> list[dict[str, Any]]:
    return [{"ok": True}]


@report(
    name="sleep",
    title="Sleep",
    description="Waits without using CPU, then returns one row; stands in for a slow report.",
    tags=["demo", "benchmark"],
    parameters=[
        {
            "name": "seconds",
            "type": "number",
            "label": "Seconds",
            "help": "How long to wait.",
            "default": 1,
            "min": 0,
            "max": 3600,
        }
    ],
    formats=["csv", "json"],
)
async def sleep(seconds: float = 1.0) -> list[dict[str, Any]]:
    await asyncio.sleep(seconds)
    return [{"slept_seconds": seconds}]
