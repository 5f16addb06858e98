"""Bound SQL text: ``:name`` parameters, never string interpolation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import BindParameter, TextClause, bindparam, text


def bound_text(query: str, params: Mapping[str, Any]) -> TextClause:
    """``text(query)`` with every referenced parameter bound.

    List and tuple values become expanding parameters, so ``IN :names`` works
    with a multi-choice parameter. Parameters the query does not mention are
    left out (a report may declare parameters only its transforms use).
    """
    stmt = text(query)
    used = {name: params[name] for name in stmt._bindparams if name in params}
    expanding: list[BindParameter[Any]] = [
        bindparam(name, expanding=True) for name, v in used.items() if isinstance(v, list | tuple)
    ]
    if expanding:
        stmt = stmt.bindparams(*expanding)
    return stmt.bindparams(**used)
