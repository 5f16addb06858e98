"""The time axis of the ``forecast`` step: its spacing and the future x values.

``step`` is a number for numeric x, or ``"N unit"`` for dates and
timestamps (unit: second, minute, hour, day, week, month, year; a plural
``s`` is fine). Months and years move by the calendar (Jan 31 + 1 month is
Feb 28/29). Without ``step`` the spacing of the last two points is used.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

_UNITS = {
    "second": datetime.timedelta(seconds=1),
    "minute": datetime.timedelta(minutes=1),
    "hour": datetime.timedelta(hours=1),
    "day": datetime.timedelta(days=1),
    "week": datetime.timedelta(weeks=1),
}
_STEP = re.compile(r"^\s*(\d+)\s*([a-z]+?)s?\s*$")


@dataclass(frozen=True, slots=True)
class Spacing:
    """A fixed number, a fixed timedelta, or whole calendar months; None: infer."""

    number: float | None = None
    delta: datetime.timedelta | None = None
    months: int | None = None


def parse_step(raw: Any, x_type: pa.DataType, x: str) -> Spacing:
    """Check ``step`` against the x column's type. Raises ValueError naming ``step``."""
    numeric = pa.types.is_integer(x_type) or pa.types.is_floating(x_type)
    temporal = pa.types.is_date(x_type) or pa.types.is_timestamp(x_type)
    if not (numeric or temporal):
        from reportflow.errors import TransformError

        raise TransformError(
            f"transform 'forecast': x column {x!r} is {x_type}; it must be a number, "
            "date or timestamp"
        )
    if raw is None:
        return Spacing()
    if numeric:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or raw <= 0:
            return _bad(f"step: must be a positive number for numeric x {x!r}, got {raw!r}")
        return Spacing(number=float(raw))
    match = _STEP.match(str(raw).lower())
    if match is None or int(match.group(1)) < 1:
        return _bad(f"step: expected 'N unit' like '1 hour' or '1 month', got {raw!r}")
    count, unit = int(match.group(1)), match.group(2)
    if unit in ("month", "year"):
        return Spacing(months=count * (12 if unit == "year" else 1))
    if unit not in _UNITS:
        return _bad(f"step: unknown unit {unit!r} (second, minute, hour, day, week, month, year)")
    if pa.types.is_date(x_type) and unit in ("second", "minute", "hour"):
        return _bad(f"step: x column {x!r} holds dates; {unit}s are finer than a day")
    return Spacing(delta=count * _UNITS[unit])


def _bad(message: str) -> Spacing:
    from reportflow.errors import TransformError

    raise TransformError(f"transform 'forecast': {message}")


def _add_months(value: datetime.date, months: int) -> datetime.date:
    total = value.month - 1 + months
    year, month = value.year + total // 12, total % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def advance(xs: Sequence[Any], spacing: Spacing, horizon: int, x: str) -> list[Any]:
    """``horizon`` x values after ``xs[-1]``. Raises ValueError when the spacing
    cannot be inferred (fewer than two points, or the last two are equal)."""
    last = xs[-1]
    if spacing.months is not None:
        return [_add_months(last, spacing.months * k) for k in range(1, horizon + 1)]
    gap: Any = spacing.number if spacing.number is not None else spacing.delta
    if gap is None:
        if len(xs) < 2 or xs[-2] is None or xs[-1] == xs[-2]:
            raise ValueError(f"step: cannot infer the spacing of {x!r}; set step")
        gap = xs[-1] - xs[-2]
    return [last + gap * k for k in range(1, horizon + 1)]
