"""Statements that run again and again, sent straight to ``sqlite3``.

The store, the queue and the outbox build their statements once, as module
constants, and execute them with new parameters for every report. Each call
through SQLAlchemy's ``Connection.execute`` still builds the statement's cache
key, looks the compiled form up, makes an execution context, processes the
parameters and wraps the cursor in a ``CursorResult``: in the pipeline
benchmark that bookkeeping was about a third of the server's loop time, many
times the work SQLite itself does (docs/benchmarks.md, "Pipeline and
fan-out"). No library offers a cheaper way to run a Core statement, so this
module keeps SQLAlchemy's compiler and types and does the rest by hand:

- A statement object seen a second time (the constants; a statement built
  per call is never seen twice and keeps SQLAlchemy's path) is compiled once
  per set of parameter names into a :class:`Plan`: its SQL, the order of its
  positional parameters, their bind processors, and its result columns with
  their result processors.
- A call binds the parameters, runs the SQL on the connection's
  ``sqlite3`` cursor, reads every row at once (no statement stays open) and
  returns an ``IteratorResult`` whose rows behave as SQLAlchemy's do (by
  position, by name, ``_mapping``), with ``rowcount`` for DML. A list
  parameter (``IN``) is expanded per call by SQLAlchemy's compiled form; a
  list of parameter sets with the same names runs as one ``executemany``.

Whatever the plan cannot express exactly (Python-side column defaults,
literal-execute parameters, parameter sets with different names, a
parameter left out, execution options, statements other than SELECT/INSERT/UPDATE/
DELETE) goes through SQLAlchemy as before, and so does a call with a value
that will not bind (nothing has run yet; SQLAlchemy raises its own error).
An error from the driver is wrapped as SQLAlchemy wraps it
(``IntegrityError``, ``OperationalError``...), so callers see no difference.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect, IteratorResult
from sqlalchemy.engine.result import SimpleResultMetaData
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

#: Statements seen once: a second sighting earns a plan. Bounded, since a
#: statement built per call is seen once and only held here until the reset.
_SEEN_LIMIT = 512
_PLANS_LIMIT = 1024
_MISSING = object()

Processor = Callable[[Any], Any] | None


class DirectResult(IteratorResult[Any]):
    """The rows of one direct call (all read), and the driver's ``rowcount``."""

    rowcount: int


@dataclass(frozen=True, slots=True)
class Plan:
    """One statement compiled for one set of parameter names."""

    sql: str
    names: tuple[str, ...]
    """Per positional parameter: the caller's key, or "" where the statement holds the value."""
    values: tuple[Any, ...]
    """Per positional parameter: the statement's own value (used when ``names`` has "")."""
    processors: tuple[Processor, ...]
    columns: SimpleResultMetaData | None
    """The result's keys; None for a statement that returns no rows."""
    row_processors: tuple[Processor, ...]
    expanding: SQLCompiler | None = None
    """Set when a parameter is a list (``IN``): the SQL is then made per call."""

    def bind(self, parameters: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The SQL and its positional values for one call."""
        if self.expanding is not None:
            return self._bind_expanded(self.expanding, parameters)
        out = []
        for name, value, process in zip(self.names, self.values, self.processors, strict=True):
            if name:
                value = parameters[name]
            out.append(value if process is None else process(value))
        return self.sql, out

    @staticmethod
    def _bind_expanded(
        compiled: SQLCompiler, parameters: Mapping[str, Any]
    ) -> tuple[str, list[Any]]:
        state = compiled.construct_expanded_state(dict(parameters), escape_names=False)
        assert state.positiontup is not None  # a positional dialect
        processors = {**compiled._bind_processors, **state.processors}
        out = []
        for name, value in zip(state.positiontup, state.positional_parameters, strict=True):
            process = processors.get(name)
            out.append(value if process is None else process(value))  # type: ignore[operator]
        return state.statement, out

    def result(self, cursor: sqlite3.Cursor) -> DirectResult:
        rows: list[Any] = cursor.fetchall() if cursor.description is not None else []
        if self.row_processors and rows:
            procs = self.row_processors
            rows = [
                tuple(v if p is None else p(v) for p, v in zip(procs, row, strict=True))
                for row in rows
            ]
        result = DirectResult(self.columns or _NO_COLUMNS, iter(rows))
        result.rowcount = cursor.rowcount
        return result


_NO_COLUMNS = SimpleResultMetaData([])


def make_plan(statement: Any, keys: tuple[str, ...], dialect: Dialect) -> Plan | None:
    """A plan for ``statement`` called with parameters named ``keys``; None: use SQLAlchemy."""
    if not isinstance(statement, Select | UpdateBase) or statement.get_execution_options():
        return None
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    assert isinstance(compiled, SQLCompiler)
    if (
        not compiled.positional
        or compiled.positiontup is None
        or compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.literal_execute_params
        or compiled.escaped_bind_names
        or any(not bind.expanding for bind in compiled.post_compile_params)
    ):
        return None
    names: list[str] = []
    values: list[Any] = []
    processors: list[Processor] = []
    bind_processors = compiled._bind_processors
    for position in compiled.positiontup:
        bind = compiled.binds[position]
        process = bind_processors.get(position)
        if bind.callable is not None or (process is not None and not callable(process)):
            return None  # a value made per call, or a tuple's processors
        if bind.key in keys:
            names.append(bind.key)
        elif position in keys:
            names.append(position)
        elif bind.required:
            return None  # SQLAlchemy says which value is missing
        else:
            names.append("")
        values.append(bind.value)
        processors.append(process)
    return Plan(
        sql=compiled.string,
        names=tuple(names),
        values=tuple(values),
        processors=tuple(processors),
        columns=_result_columns(compiled),
        row_processors=_row_processors(compiled, dialect),
        expanding=compiled if compiled.post_compile_params else None,
    )


def _result_columns(compiled: SQLCompiler) -> SimpleResultMetaData | None:
    if not compiled._result_columns:
        return None
    return SimpleResultMetaData([column.keyname for column in compiled._result_columns])


def _row_processors(compiled: SQLCompiler, dialect: Dialect) -> tuple[Processor, ...]:
    procs = tuple(
        column.type._cached_result_processor(dialect, None) for column in compiled._result_columns
    )
    return procs if any(p is not None for p in procs) else ()


class Planner:
    """The plans of one database's statements (one per SQLite file's dialect)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._plans: dict[tuple[int, tuple[str, ...]], tuple[Any, Plan | None]] = {}
        self._seen: dict[int, Any] = {}

    def plan(self, statement: Any, parameters: Mapping[str, Any]) -> Plan | None:
        ident = id(statement)
        keys = tuple(sorted(parameters))
        key = (ident, keys)
        found = self._plans.get(key)
        if found is not None and found[0] is statement:
            return found[1]
        if self._seen.get(ident) is not statement:
            if len(self._seen) >= _SEEN_LIMIT:
                self._seen.clear()
            self._seen[ident] = statement  # held, so its id is not reused meanwhile
            return None
        plan = make_plan(statement, keys, self.dialect)
        if len(self._plans) >= _PLANS_LIMIT:
            self._plans.clear()
        self._plans[key] = (statement, plan)
        return plan


def run(plan: Plan, cursor: sqlite3.Cursor, parameters: Mapping[str, Any]) -> DirectResult | None:
    """``plan`` with ``parameters`` on ``cursor``; None when a value would not bind."""
    try:
        sql, values = plan.bind(parameters)
    except Exception:  # nothing ran: SQLAlchemy binds it again and raises its own error
        return None
    try:
        cursor.execute(sql, values)
    except sqlite3.Error as exc:
        raise _wrapped(exc, sql, values) from exc
    return plan.result(cursor)


def run_many(
    plan: Plan, cursor: sqlite3.Cursor, parameters: Sequence[Mapping[str, Any]]
) -> DirectResult | None:
    """``plan`` once per parameter set (an executemany); None as for :func:`run`, and
    for sets with different names or a statement that returns rows."""
    keys = parameters[0].keys()
    if plan.columns is not None or plan.expanding is not None:
        return None
    try:
        rows = [plan.bind(p)[1] for p in parameters if p.keys() == keys]
    except Exception:  # as in run()
        return None
    if len(rows) != len(parameters):
        return None
    try:
        cursor.executemany(plan.sql, rows)
    except sqlite3.Error as exc:
        raise _wrapped(exc, plan.sql, rows) from exc
    return plan.result(cursor)


def _wrapped(exc: sqlite3.Error, sql: str, values: Any) -> BaseException:
    """The driver's error as SQLAlchemy raises it (``IntegrityError``, ``OperationalError``...)."""
    return DBAPIError.instance(sql, values, exc, sqlite3.Error)
