"""Turning raw parameter values into typed ones, and back into JSON.

Raw values come from a CLI (``"42"``), an HTML form (``"2024-01-31"``), a JSON
body (``42``) or a YAML file (``2024-01-31`` already parsed as a date). Every
path goes through :func:`coerce`, so a value means the same thing whichever way
it arrived. Errors are ``ValueError`` with a short reason; callers add the name.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time
from typing import Any

from reportflow.catalog.model import Parameter, ParamType

_TRUE = frozenset({"true", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "no", "n", "off", "0"})


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected an integer, got {value!r}")


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    result: float | None = None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            result = None
    if result is None or not math.isfinite(result):
        raise ValueError(f"expected a number, got {value!r}")
    return result


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError(f"expected true or false, got {value!r}")


def _date(value: Any) -> date:
    # datetime is a subclass of date: a timestamp is not a date, say so.
    if isinstance(value, datetime):
        raise ValueError(f"expected a date (YYYY-MM-DD), got a date-time {value.isoformat()!r}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a date (YYYY-MM-DD), got {value!r}")


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a date-time (YYYY-MM-DDTHH:MM:SS), got {value!r}")


def _string(value: Any) -> str:
    if isinstance(value, str):
        # PostgreSQL cannot store or bind a NUL, and no real text holds one.
        if "\x00" in value:
            raise ValueError("must not contain a NUL character")
        return value
    # YAML reads `default: 2024` as an int; for a text parameter that is text.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected text, got {value!r}")


def _choice(param: Parameter, value: Any) -> Any:
    choices = param.choices or []
    for choice in choices:
        if value == choice and type(value) is type(choice):
            return choice
    # Forms and the CLI send text; match it against the text of each choice.
    if isinstance(value, str):
        for choice in choices:
            if str(choice) == value.strip():
                return choice
    shown = ", ".join(str(c) for c in choices)
    raise ValueError(f"{value!r} is not one of: {shown}")


def _multi_choice(param: Parameter, value: Any) -> list[Any]:
    if isinstance(value, str):
        items: list[Any] = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    else:
        raise ValueError(f"expected a list of choices, got {value!r}")
    result: list[Any] = []
    for item in items:
        chosen = _choice(param, item)
        if chosen in result:
            raise ValueError(f"{chosen!r} is given more than once")
        result.append(chosen)
    return result


def coerce(param: Parameter, value: Any) -> Any:
    """Convert ``value`` to the Python type of ``param``; ``ValueError`` if it cannot.

    Only the type is checked here; bounds, patterns and choices of scalar
    types are checked by :func:`reportflow.catalog.params.check_value`.
    """
    kind = param.type
    if kind is ParamType.STRING:
        return _string(value)
    if kind is ParamType.INTEGER:
        return _integer(value)
    if kind is ParamType.NUMBER:
        return _number(value)
    if kind is ParamType.BOOLEAN:
        return _boolean(value)
    if kind is ParamType.DATE:
        return _date(value)
    if kind is ParamType.DATETIME:
        return _datetime(value)
    if kind is ParamType.CHOICE:
        return _choice(param, value)
    return _multi_choice(param, value)


def to_json(value: Any) -> Any:
    """The JSON form of a typed value (dates as ISO strings, lists element-wise)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def is_blank(value: Any) -> bool:
    """A value that means "not given": absent, None, or an empty form field."""
    return value is None or (isinstance(value, str) and value.strip() == "")
