"""Callbacks that run once the caller's transaction has committed.

A queue job written on the store's connection (one transaction with the
report row) becomes claimable only when that transaction commits; waking the
runner before then finds nothing, and the job waits for the next poll. The
store's transactions collect such callbacks and run them after the commit
(never after a rollback).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_KEY = "reportflow_after_commit"


def after_commit(conn: Any, callback: Callable[[], None]) -> bool:
    """Run ``callback`` when ``conn``'s transaction commits; False (nothing
    registered) when the transaction was not opened by :func:`collect`."""
    hooks: list[Callable[[], None]] | None = conn.info.get(_KEY)
    if hooks is None:
        return False
    hooks.append(callback)
    return True


def collect(conn: Any) -> list[Callable[[], None]]:
    """Start collecting callbacks for ``conn``'s new transaction; run the returned
    list after it commits (it is emptied again at the next transaction)."""
    hooks: list[Callable[[], None]] = conn.info.setdefault(_KEY, [])
    hooks.clear()
    return hooks
