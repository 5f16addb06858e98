"""reportflow.etl: run a report — extract, transform, render and load, streaming.

The runner and the CLI call :func:`run_report`; the time-series steps plug in
through :func:`register_transform`.
"""

from reportflow.etl.batches import BATCH_ROWS
from reportflow.etl.contract import Progress, ProgressCallback, RunResult, Stage
from reportflow.etl.engine import run_report
from reportflow.etl.transforms import (
    TableTransform,
    register_stream_transform,
    register_transform,
    transform_kinds,
)

__all__ = [
    "BATCH_ROWS",
    "Progress",
    "ProgressCallback",
    "RunResult",
    "Stage",
    "TableTransform",
    "register_stream_transform",
    "register_transform",
    "run_report",
    "transform_kinds",
]
