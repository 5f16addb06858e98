"""Transform steps and their registry (see :mod:`.registry` for the contract)."""

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
from reportflow.etl.transforms.timeseries_steps import forecast, smooth

register_stream_transform("sql", sql_transform)
register_stream_transform("rename", rename)
register_stream_transform("format", format_columns)
register_transform("smooth", smooth)
register_transform("forecast", forecast)

__all__ = [
    "StreamTransform",
    "TableTransform",
    "apply_transform",
    "register_stream_transform",
    "register_transform",
    "transform_kinds",
]
