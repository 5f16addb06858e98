"""The ``smooth`` and ``forecast`` steps: reportflow.timeseries over report columns.

Both are table transforms (a series needs all its points). Rows are sorted
by ``x`` (when given) within each ``group`` (when given), and every group is
its own series.

``smooth`` adds a column (``output``, default ``<column>_<method>``)::

    - kind: smooth
      method: ewma            # sma, cma, wma, ewma, ses, holt, holt_winters
      column: mtbf_hours
      group: machine          # optional: one series per machine
      x: month                # optional: the order of the points
      alpha: 0.5              # the method's parameters (window, weights, alpha,
                              #   beta, gamma, period, seasonal, trend, damping)
      fit: false              # ses/holt/holt_winters: estimate alpha/beta/gamma
      series: level           # ses/holt/holt_winters: level (default) or fitted
      nulls: skip             # skip (default: smooth the non-null points, keep
                              #   null where the input is null), zero, or error

For ``holt_winters`` the default ``series`` is ``fitted`` (level alone drops
the season). Moving averages leave null where their window is not full.

``forecast`` appends ``horizon`` future rows per group::

    - kind: forecast
      method: holt_winters    # ses, holt, holt_winters
      column: requests
      x: hour                 # numeric, date or timestamp column (required)
      step: 1 hour            # x's spacing: a number, or "N second|minute|hour|
                              #   day|week|month|year"; default: the last spacing
      horizon: 24
      fit: true
      period: 24
      kind_column: kind       # "actual" on input rows, "forecast" on new rows
      fitted: null            # optional column for one-step-ahead fitted values
      floor: 0                # optional lower bound of the forecasts (counts)

The new rows carry ``x``, the forecast in ``column``, the group value, and
null elsewhere. Bad options and bad data raise ``TransformError`` naming the
step, the option or column, and the group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from reportflow.catalog.model import TransformStep
from reportflow.errors import TransformError
from reportflow.etl.transforms.timeseries_x import advance, parse_step
from reportflow.timeseries import (
    SmoothingResult,
    cma,
    ewma,
    fit,
    holt,
    holt_winters,
    ses,
    sma,
    wma,
)

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

_MOVING = ("sma", "cma", "wma", "ewma")
_STATEFUL = ("ses", "holt", "holt_winters")
_PARAMS = {
    "sma": ("window",),
    "cma": ("window",),
    "wma": ("weights",),
    "ewma": ("alpha",),
    "ses": ("alpha", "initial_level"),
    "holt": ("alpha", "beta", "damping", "initial_level", "initial_trend"),
    "holt_winters": ("alpha", "beta", "gamma", "period", "seasonal", "trend", "damping"),
}
_RUNNERS: dict[str, Callable[..., SmoothingResult]] = {
    "ses": ses,
    "holt": holt,
    "holt_winters": holt_winters,
}
_COMMON = {"method", "column", "group", "x", "output", "fit", "nulls"}
_SMOOTH_ONLY = {"series"}
_FORECAST_ONLY = {"step", "horizon", "kind_column", "fitted", "floor"}


def _fail(kind: str, message: str) -> TransformError:
    return TransformError(f"transform {kind!r}: {message}")


def _option_names(step: TransformStep, methods: tuple[str, ...], extra: set[str]) -> str:
    options = step.options
    method = options.get("method")
    if method not in methods:
        raise _fail(step.kind, f"method must be one of {', '.join(methods)}, got {method!r}")
    allowed = _COMMON | extra | set(_PARAMS[method])
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise _fail(step.kind, f"unknown option {unknown[0]!r} for method {method!r}")
    return str(method)


def _optional_column(step: TransformStep, table: pa.Table, option: str) -> str | None:
    name = step.options.get(option)
    if name is None:
        return None
    if not isinstance(name, str) or name not in table.schema.names:
        have = ", ".join(table.schema.names)
        raise _fail(step.kind, f"{option}: no column {name!r} (columns: {have})")
    return name


def _column(step: TransformStep, table: pa.Table, option: str) -> str:
    name = _optional_column(step, table, option)
    if name is None:
        raise _fail(step.kind, f"option {option!r} is required")
    return name


def _ordered(table: pa.Table, group: str | None, x: str | None) -> pa.Table:
    keys = [(c, "ascending") for c in (group, x) if c is not None]
    return table.sort_by(keys) if keys else table


def _groups(table: pa.Table, group: str | None) -> Iterator[tuple[Any, int, int]]:
    """(group value, start, stop) of each run of equal group values (table sorted)."""
    n = table.num_rows
    if group is None:
        yield None, 0, n
        return
    values = table.column(group).to_pylist()
    start = 0
    for i in range(1, n + 1):
        if i == n or values[i] != values[start]:
            yield values[start], start, i
            start = i


def _values(step: TransformStep, table: pa.Table, column: str) -> FloatArray:
    col = table.column(column)
    if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)
            or pa.types.is_decimal(col.type)):  # fmt: skip
        raise _fail(step.kind, f"column {column!r} is {col.type}, not a number")
    floats = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(floats, dtype=np.float64)


def _where(group: Any, group_col: str | None) -> str:
    return f" ({group_col} = {group!r})" if group_col is not None else ""


def _params(step: TransformStep, method: str) -> dict[str, Any]:
    return {k: step.options[k] for k in _PARAMS[method] if k in step.options}


def _stateful(y: FloatArray, method: str, params: dict[str, Any], fitted: bool) -> SmoothingResult:
    if fitted:
        return fit(y, method, **params).result
    runner = _RUNNERS[method]
    if method == "holt_winters" and params.get("trend", "add") is None:
        params = {**params, "beta": params.get("beta")}
    needed = {"ses": ("alpha",), "holt": ("alpha", "beta"), "holt_winters": ("alpha", "gamma")}
    for name in needed[method]:
        if name not in params:
            raise ValueError(f"{name}: required for {method} (or set fit: true)")
    if method == "holt_winters" and params.get("trend", "add") is not None and "beta" not in params:
        raise ValueError("beta: required for holt_winters with a trend (or set fit: true)")
    return runner(y, **params)


def _smooth_values(y: FloatArray, method: str, step: TransformStep) -> FloatArray:
    params = _params(step, method)
    if method == "sma":
        return sma(y, params.get("window", 3))
    if method == "cma":
        return cma(y, params.get("window", 3))
    if method == "wma":
        return wma(y, params.get("weights", [1, 2, 3]))
    if method == "ewma":
        return ewma(y, params.get("alpha", 0.5))
    result = _stateful(y, method, params, bool(step.options.get("fit", False)))
    default = "fitted" if method == "holt_winters" else "level"
    series = step.options.get("series", default)
    if series not in ("level", "fitted"):
        raise ValueError(f"series: must be level or fitted, got {series!r}")
    out: FloatArray = result.level if series == "level" else result.fitted
    return out


def _nulls(step: TransformStep) -> str:
    mode = step.options.get("nulls", "skip")
    if mode not in ("skip", "zero", "error"):
        raise _fail(step.kind, f"nulls must be skip, zero or error, got {mode!r}")
    return str(mode)


def smooth(table: pa.Table, step: TransformStep, params: Mapping[str, Any]) -> pa.Table:
    method = _option_names(step, _MOVING + _STATEFUL, _SMOOTH_ONLY)
    column = _column(step, table, "column")
    group = _optional_column(step, table, "group")
    x = _optional_column(step, table, "x")
    output = str(step.options.get("output") or f"{column}_{method}")
    nulls = _nulls(step)
    table = _ordered(table, group, x)
    values = _values(step, table, column)
    out = np.full(values.shape[0], np.nan)
    for key, lo, hi in _groups(table, group):
        y = values[lo:hi]
        missing = np.isnan(y)
        if missing.any() and nulls == "error":
            at = int(np.argmax(missing))
            raise _fail("smooth", f"column {column!r}{_where(key, group)} is null at row {at}")
        if nulls == "zero":
            y, missing = np.where(missing, 0.0, y), np.zeros_like(missing)
        points = y[~missing]
        if points.shape[0] == 0:
            continue
        try:
            smoothed = _smooth_values(points, method, step)
        except ValueError as exc:
            raise _fail("smooth", f"{method}{_where(key, group)}: {exc}") from exc
        target = out[lo:hi]
        target[~missing] = smoothed
    arr = pa.array(out, pa.float64(), mask=np.isnan(out))
    if output in table.schema.names:
        return table.set_column(table.schema.get_field_index(output), output, arr)
    return table.append_column(output, arr)


def _forecast_group(
    y: FloatArray, method: str, step: TransformStep, horizon: int
) -> tuple[FloatArray, FloatArray]:
    result = _stateful(y, method, _params(step, method), bool(step.options.get("fit", False)))
    return result.fitted, result.forecast(horizon)


def _horizon(step: TransformStep) -> int:
    h = step.options.get("horizon", 1)
    if isinstance(h, bool) or not isinstance(h, int) or not 1 <= h <= 100_000:
        raise _fail("forecast", f"horizon must be a whole number in 1..100000, got {h!r}")
    return h


def _floor(step: TransformStep) -> float | None:
    raw = step.options.get("floor")
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _fail("forecast", f"floor must be a number, got {raw!r}")
    return float(raw)


def forecast(table: pa.Table, step: TransformStep, params: Mapping[str, Any]) -> pa.Table:
    method = _option_names(step, _STATEFUL, _FORECAST_ONLY)
    column = _column(step, table, "column")
    x = _column(step, table, "x")
    group = _optional_column(step, table, "group")
    horizon = _horizon(step)
    kind_col = str(step.options.get("kind_column") or "kind")
    fitted_col = step.options.get("fitted")
    floor = _floor(step)
    x_type = table.schema.field(x).type
    spacing = parse_step(step.options.get("step"), x_type, x)
    table = _ordered(table, group, x)
    values = _values(step, table, column)
    fitted = np.full(values.shape[0], np.nan)
    new_x: list[Any] = []
    new_y: list[float] = []
    new_g: list[Any] = []
    xs = table.column(x).to_pylist()
    for key, lo, hi in _groups(table, group):
        y = values[lo:hi]
        if np.isnan(y).any():
            at = int(np.argmax(np.isnan(y)))
            raise _fail("forecast", f"column {column!r}{_where(key, group)} is null at row {at}")
        if xs[hi - 1] is None:
            raise _fail("forecast", f"x column {x!r}{_where(key, group)} is null")
        try:
            fit_values, ahead = _forecast_group(y, method, step, horizon)
            future = advance(xs[lo:hi], spacing, horizon, x)
        except ValueError as exc:
            raise _fail("forecast", f"{method}{_where(key, group)}: {exc}") from exc
        if floor is not None:
            ahead = np.maximum(ahead, floor)
        fitted[lo:hi] = fit_values
        new_x.extend(future)
        new_y.extend(float(v) for v in ahead)
        new_g.extend([key] * horizon)
    actual = table.append_column(kind_col, pa.array(["actual"] * table.num_rows, pa.string()))
    index = actual.schema.get_field_index(column)
    if not pa.types.is_floating(actual.schema.field(column).type):
        # Counts forecast to fractions: the column becomes float for every row.
        actual = actual.set_column(index, column, pc.cast(actual.column(column), pa.float64()))
    if isinstance(fitted_col, str) and fitted_col:
        actual = actual.append_column(fitted_col, pa.array(fitted, pa.float64()))
    known = {x: new_x, column: new_y, kind_col: ["forecast"] * len(new_x)}
    if group is not None:
        known[group] = new_g
    return pa.concat_tables([actual, _future(actual.schema, known, len(new_x))])


def _future(schema: pa.Schema, known: dict[str, list[Any]], rows: int) -> pa.Table:
    """The appended rows: the known columns filled in, every other column null."""
    cols = [
        pa.array(known[f.name], f.type) if f.name in known else pa.nulls(rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(cols, schema=schema)
