"""Repeated statements on SQLite go straight to sqlite3 (reportflow.store.direct) and
behave exactly as they do through SQLAlchemy."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, bindparam, select, text
from sqlalchemy import insert as sa_insert
from sqlalchemy import update as sa_update
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError, StatementError

from reportflow.store import Store
from reportflow.store.direct import DirectResult, Planner, make_plan

metadata = MetaData()
things = Table(
    "direct_things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), nullable=False),
    Column("doc", JSON),
    Column("hits", Integer, nullable=False, default=0),
)
INSERT = sa_insert(things)
SELECT = select(things.c.id, things.c.name, things.c.doc).order_by(things.c.id)
BUMP = (
    sa_update(things)
    .where(things.c.name == bindparam("who"))
    .values(hits=things.c.hits + 1)
    .returning(things.c.id, things.c.hits)
)
NAMED = (
    select(things.c.id)
    .where(things.c.name.in_(bindparam("names", expanding=True)))
    .order_by(things.c.id)
)
DDL = (
    "CREATE TABLE direct_things (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL,"
    " doc JSON, hits INTEGER NOT NULL)"
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(f"sqlite:///{tmp_path / 's.db'}")
    async with store.transaction() as db:
        await db.execute(text(DDL))
    try:
        yield store
    finally:
        await store.close()


def _row(i: int, doc: object) -> dict[str, object]:
    return {"id": i, "name": f"n{i}", "doc": doc, "hits": 0}


async def test_a_repeated_statement_runs_direct_and_reads_as_through_sqlalchemy(
    store: Store,
) -> None:
    async with store.transaction() as db:
        first = await db.execute(INSERT, _row(1, {"a": [1, 2]}))  # first sighting: SQLAlchemy
        assert not isinstance(first, DirectResult)
        second = await db.execute(INSERT, _row(2, None))
        assert isinstance(second, DirectResult)
        await db.execute(INSERT, _row(3, "text"))
    async with store.read() as db:
        via_sqlalchemy = (await db.execute(SELECT)).all()
        direct = await db.execute(SELECT)
        assert isinstance(direct, DirectResult)
        rows = direct.all()
    assert rows == via_sqlalchemy
    assert [r.doc for r in rows] == [{"a": [1, 2]}, None, "text"]
    assert rows[0]._mapping["name"] == "n1"
    assert rows[1][0] == 2


async def test_json_none_is_stored_as_sqlalchemy_stores_it(store: Store, tmp_path: Path) -> None:
    async with store.transaction() as db:
        for i in (1, 2):  # the first through SQLAlchemy, the second direct
            await db.execute(INSERT, _row(i, None))
    raw = sqlite3.connect(tmp_path / "s.db")
    try:
        stored = raw.execute("SELECT doc, typeof(doc) FROM direct_things ORDER BY id").fetchall()
    finally:
        raw.close()
    assert stored[0] == stored[1]


async def test_update_returning_and_rowcount(store: Store) -> None:
    async with store.transaction() as db:
        for i in (1, 2, 3):
            await db.execute(INSERT, _row(i, None))
        await db.execute(BUMP, {"who": "n2"})
        result = await db.execute(BUMP, {"who": "n2"})
        assert isinstance(result, DirectResult)
        assert [tuple(r) for r in result.all()] == [(2, 2)]
        assert result.rowcount == 1
        missed = await db.execute(BUMP, {"who": "nobody"})
        assert missed.all() == []
        assert missed.rowcount == 0


async def test_a_constraint_error_on_the_direct_path_is_sqlalchemys_and_undoes_the_transaction(
    store: Store,
) -> None:
    async def insert_twice() -> None:
        async with store.transaction() as db:
            await db.execute(INSERT, _row(1, None))
            await db.execute(INSERT, _row(2, None))
            await db.execute(INSERT, _row(2, None))  # direct, and refused by SQLite

    with pytest.raises(IntegrityError):
        await insert_twice()
    async with store.read() as db:
        assert (await db.execute(SELECT)).all() == []
    async with store.transaction() as db:  # nothing was left half-done
        await db.execute(INSERT, _row(2, None))
        await db.execute(INSERT, _row(3, None))


async def test_a_value_the_driver_cannot_take_gets_sqlalchemys_error(store: Store) -> None:
    async with store.transaction() as db:
        await db.execute(INSERT, _row(1, None))
        with pytest.raises(StatementError):
            await db.execute(INSERT, _row(2, {"not json": object()}))


async def test_a_list_parameter_is_expanded_per_call(store: Store) -> None:
    async with store.transaction() as db:
        await db.execute(INSERT, [_row(i, None) for i in range(1, 6)])
        for names, ids in ((["n1"], [1]), (["n2", "n4", "zz"], [2, 4]), (["n5", "n3"], [3, 5])):
            result = await db.execute(NAMED, {"names": names})
            assert list(result.scalars()) == ids
        assert isinstance(result, DirectResult)


async def test_parameter_sets_run_as_one_executemany(store: Store) -> None:
    async with store.transaction() as db:
        await db.execute(INSERT, [_row(1, None), _row(2, None)])  # SQLAlchemy's
        result = await db.execute(INSERT, [_row(3, {"x": 1}), _row(4, None), _row(5, None)])
        assert isinstance(result, DirectResult)
        assert result.rowcount == 3
        docs = (await db.execute(SELECT)).all()
    assert [(r.id, r.doc) for r in docs] == [
        (1, None),
        (2, None),
        (3, {"x": 1}),
        (4, None),
        (5, None),
    ]


async def test_an_executemany_refused_midway_raises_sqlalchemys_error_once(store: Store) -> None:
    async def insert_clashing() -> None:
        async with store.transaction() as db:
            await db.execute(INSERT, [_row(1, None)])
            await db.execute(INSERT, [_row(2, None), _row(1, None)])  # direct; the 2nd clashes

    with pytest.raises(IntegrityError, match="UNIQUE"):
        await insert_clashing()
    async with store.read() as db:
        assert (await db.execute(SELECT)).all() == []


def _plan(statement: object, *keys: str) -> object:
    return make_plan(statement, tuple(sorted(keys)), sqlite.dialect())


def test_what_is_left_to_sqlalchemy() -> None:
    columns = ("id", "name", "doc")
    assert _plan(INSERT, *columns) is None  # "hits" has a Python-side default
    assert _plan(INSERT, *columns, "hits") is not None
    assert (
        _plan(select(things).where(things.c.id == bindparam("i", 1, literal_execute=True))) is None
    )
    assert _plan(BUMP) is None  # "who" is required and missing
    assert _plan(SELECT.execution_options(stream_results=True)) is None
    assert _plan(text("SELECT 1")) is None


def test_a_statement_gets_a_plan_at_its_second_sighting_only() -> None:
    planner = Planner(sqlite.dialect())
    params = {"who": "n1"}
    assert planner.plan(BUMP, params) is None
    plan = planner.plan(BUMP, params)
    assert plan is not None
    assert planner.plan(BUMP, params) is plan
    built_per_call = [select(things.c.id).where(things.c.id == i) for i in range(3)]
    assert all(planner.plan(s, {}) is None for s in built_per_call)
