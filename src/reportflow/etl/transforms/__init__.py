"""Transform steps and their registry (see :mod:`.registry` for the contract)."""

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from reportflow.catalog.model import TransformStep
from reportflow.etl.transforms.columns import format_columns, rename
from reportflow.etl.transforms.registry import (
    StreamTransform,
    TableTransform,
    apply_transform,
    register_stream_transform,
    register_transform,
    transform_kinds,
)
from reportflow.etl.transforms.sql import sql_transform


# The time-series steps pull in numba (about 100 MB resident and a second of
# start-up); load them only when a report uses one, so plain exports stay lean.
def _smooth(table: pa.Table, step: TransformStep, params: Mapping[str, Any]) -> pa.Table:
    from reportflow.etl.transforms.timeseries_steps import smooth

    return smooth(table, step, params)


def _forecast(table: pa.Table, step: TransformStep, params: Mapping[str, Any]) -> pa.Table:
    from reportflow.etl.transforms.timeseries_steps import forecast

    return forecast(table, step, params)


register_stream_transform("sql", sql_transform)
register_stream_transform("rename", rename)
register_stream_transform("format", format_columns)
register_transform("smooth", _smooth)
register_transform("forecast", _forecast)

__all__ = [
    "StreamTransform",
    "TableTransform",
    "apply_transform",
    "register_stream_transform",
    "register_transform",
    "transform_kinds",
]
