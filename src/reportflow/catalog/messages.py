"""What a person reads when a parameter value is wrong.

``bind_parameters`` reports problems per field; the API shows them in 422
answers and the web form next to the field. JSON Schema's own messages
(``'2025-13' does not match '^[0-9]{4}-…'``) are written for programmers, so
each failed check is phrased here instead, from the parameter's spec: its
``help`` for a pattern, its bounds, its choices, its type.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from reportflow.catalog.model import Parameter, ParamType

_TYPE_NEEDS: dict[ParamType, str] = {
    ParamType.STRING: "must be text",
    ParamType.INTEGER: "must be a whole number",
    ParamType.NUMBER: "must be a number",
    ParamType.BOOLEAN: "must be true or false",
    ParamType.DATE: "must be a date like 2026-11-28",
    ParamType.DATETIME: "must be a date and time like 2026-11-28T09:30:00",
}


def shown(value: Any) -> str:
    """A value as the person typed it: text quoted, dates in ISO form."""
    if isinstance(value, date | datetime):
        return repr(value.isoformat())
    return repr(_number(value))


def _number(value: Any) -> Any:
    # A number parameter holds floats: 3600.0 reads better as 3600.
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _choices(param: Parameter) -> str:
    return ", ".join(str(c) for c in param.choices or [])


def _is_choice(param: Parameter, item: Any) -> bool:
    texts = {str(c) for c in param.choices or []}
    return item in (param.choices or []) or (isinstance(item, str) and item.strip() in texts)


def _multi_choice_problem(param: Parameter, value: Any) -> str:
    if isinstance(value, str):
        items: list[Any] = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    else:
        return f"must be a list of choices from: {_choices(param)} (got {shown(value)})"
    for item in items:
        if not _is_choice(param, item):
            return f"must only hold choices from: {_choices(param)} (got {shown(item)})"
    repeated = next((i for n, i in enumerate(items) if i in items[:n]), None)
    return f"lists {shown(repeated)} more than once"


def type_problem(param: Parameter, value: Any) -> str:
    """Why ``value`` cannot be read as the parameter's type (or choice)."""
    if param.type is ParamType.CHOICE:
        return f"must be one of: {_choices(param)} (got {shown(value)})"
    if param.type is ParamType.MULTI_CHOICE:
        return _multi_choice_problem(param, value)
    if param.type is ParamType.DATE and isinstance(value, datetime):
        return f"must be a date without a time, like 2026-11-28 (got {shown(value)})"
    return f"{_TYPE_NEEDS[param.type]} (got {shown(value)})"


def _plural(n: Any, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def constraint_problem(param: Parameter, keyword: str, value: Any) -> str:
    """Why a typed ``value`` fails the JSON Schema ``keyword`` of the parameter."""
    got = f"(got {shown(value)})"
    if keyword == "pattern":
        if param.help:
            return f"{shown(value)} does not fit: {param.help.strip()}"
        return f"must match the format {param.pattern} {got}"
    if keyword == "minimum":
        return f"must be at least {_number(param.min)} {got}"
    if keyword == "maximum":
        return f"must be at most {_number(param.max)} {got}"
    if keyword == "minLength":
        return f"must be at least {_plural(param.min, 'character')} long {got}"
    if keyword == "maxLength":
        return f"must be at most {_plural(param.max, 'character')} long {got}"
    if keyword == "enum":
        return f"must be one of: {_choices(param)} {got}"
    if keyword == "uniqueItems":
        return "lists a choice more than once"
    return f"is not allowed here {got}"
