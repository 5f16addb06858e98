"""Argument checks shared by every backend, so bad input fails the same way everywhere.

Each check raises :class:`~reportflow.errors.QueueError` with one line naming
the argument and the value that is wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from reportflow.errors import QueueError

# Postgres INTEGER bounds: priorities and attempts are stored there.
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
MAX_NAME_LENGTH = 200


def name(argument: str, value: object) -> str:
    """A non-empty, reasonably short string (report, queue, worker, key, id)."""
    if not isinstance(value, str) or not value.strip():
        raise QueueError(f"{argument} must be a non-empty string, got {value!r}")
    if len(value) > MAX_NAME_LENGTH:
        raise QueueError(f"{argument} is longer than {MAX_NAME_LENGTH} characters: {value[:40]!r}…")
    return value


def optional_name(argument: str, value: object) -> str | None:
    return None if value is None else name(argument, value)


def integer(argument: str, value: object, *, minimum: int = INT32_MIN) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise QueueError(f"{argument} must be an integer, got {value!r}")
    if not minimum <= value <= INT32_MAX:
        raise QueueError(f"{argument} must be between {minimum} and {INT32_MAX}, got {value}")
    return value


def seconds(argument: str, value: object, *, allow_zero: bool) -> float:
    """A finite, non-negative (or positive) number of seconds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QueueError(f"{argument} must be a number of seconds, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise QueueError(f"{argument} must be finite and {bound}, got {value!r}")
    return number


def json_object(argument: str, value: Mapping[str, Any] | None) -> dict[str, Any]:
    """A JSON-serialisable mapping, returned as a fresh dict (the stored copy)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise QueueError(f"{argument} must be a mapping, got {type(value).__name__}")
    try:
        copied: dict[str, Any] = json.loads(json.dumps(dict(value)))
    except (TypeError, ValueError) as exc:
        raise QueueError(f"{argument} is not JSON-serialisable: {exc}") from exc
    return copied


def queues(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, tuple | list) or not value:
        raise QueueError(f"queues must be a non-empty tuple of queue names, got {value!r}")
    return tuple(name("queue", q) for q in value)


def job_ids(value: object) -> list[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise QueueError(f"job_ids must be a list of job ids, got {value!r}")
    return [name("job_id", j) for j in value]
