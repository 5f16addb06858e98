"""Python reports registered with ``@report``."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

from reportflow.catalog import Catalog, OutputFormat, Registry, bind_parameters
from reportflow.demo import reports as demo_reports
from reportflow.errors import DefinitionError


def test_decorator_registers_and_returns_the_function() -> None:
    registry = Registry()

    def top(n: int = 3) -> list[dict[str, int]]:
        """Top rows."""
        return [{"i": i} for i in range(n)]

    decorated = registry.report(
        name="top",
        parameters=[{"name": "n", "type": "integer", "default": 3, "min": 1}],
        formats=["json"],
    )(top)
    assert decorated is top
    definition = registry.get("top")
    assert definition is not None
    assert definition.function is top
    assert definition.description == "Top rows."
    assert definition.formats == [OutputFormat.JSON]
    assert bind_parameters(definition, {"n": "5"}) == {"n": 5}


def test_async_functions_are_accepted() -> None:
    registry = Registry()

    @registry.report(name="later", parameters=[{"name": "s", "type": "number", "default": 0}])
    async def later(s: float) -> list[dict[str, float]]:
        await asyncio.sleep(s)
        return [{"s": s}]

    definition = registry.get("later")
    assert definition is not None
    assert inspect.iscoroutinefunction(definition.function)


def test_bad_parameter_spec_points_at_the_function() -> None:
    registry = Registry()
    with pytest.raises(DefinitionError) as caught:

        @registry.report(
            name="bad", parameters=[{"name": "n", "type": "integer", "min": 9, "max": 1}]
        )
        def bad(n: int) -> list[dict[str, Any]]:
            return []

    error = caught.value
    assert error.file == __file__
    assert error.line is not None
    assert "parameters[0].min: min 9 is greater than max 1" in str(error)
    assert registry.get("bad") is None


def test_function_must_accept_every_parameter() -> None:
    registry = Registry()
    with pytest.raises(DefinitionError, match=r"does not accept parameter 'n'"):

        @registry.report(name="f", parameters=[{"name": "n", "type": "integer"}])
        def f() -> list[dict[str, Any]]:
            return []


def test_function_may_not_need_an_undeclared_argument() -> None:
    registry = Registry()
    with pytest.raises(DefinitionError, match=r"function: the function needs argument 'x'"):

        @registry.report(name="g")
        def g(x: int) -> list[dict[str, Any]]:
            return []


def test_kwargs_accept_any_parameter() -> None:
    registry = Registry()

    @registry.report(name="h", parameters=[{"name": "a"}, {"name": "b"}])
    def h(**params: Any) -> list[dict[str, Any]]:
        return [params]

    assert registry.get("h") is not None


def test_unknown_format_in_decorator() -> None:
    registry = Registry()
    with pytest.raises(DefinitionError, match=r"formats\[0\]"):

        @registry.report(name="p", formats=["pdf"])
        def p() -> list[dict[str, Any]]:
            return []


def test_two_functions_with_one_name_are_refused() -> None:
    registry = Registry()

    @registry.report(name="twice")
    def first() -> list[dict[str, Any]]:
        return []

    with pytest.raises(DefinitionError, match=r"'twice' is already registered by .*first"):

        @registry.report(name="twice")
        def second() -> list[dict[str, Any]]:
            return []


def test_python_and_yaml_reports_with_one_name_clash(tmp_path: Any) -> None:
    registry = Registry()

    @registry.report(name="clash")
    def clash() -> list[dict[str, Any]]:
        return []

    (tmp_path / "clash.yaml").write_text("source: {connection: w, query: SELECT 1}\n")
    catalog = Catalog.load([tmp_path], registry=registry)
    [problem] = catalog.check()
    assert problem.field == "name"
    assert "already defined in" in str(problem)


async def test_demo_python_reports() -> None:
    catalog = Catalog.load(modules=["reportflow.demo.reports"])
    assert demo_reports.noop() == [{"ok": True}]
    sleep = catalog.get("sleep")
    params = bind_parameters(sleep, {"seconds": "0"})
    assert params == {"seconds": 0.0}
    assert sleep.function is not None
    assert await sleep.function(**params) == [{"slept_seconds": 0.0}]
    assert bind_parameters(sleep, {}) == {"seconds": 1.0}
    with pytest.raises(Exception, match=r"seconds: must be at most 3600 \(got 3601\)$"):
        bind_parameters(sleep, {"seconds": 3601})


async def test_ten_thousand_sleeps_run_concurrently() -> None:
    sleep = Catalog.load(modules=["reportflow.demo.reports"]).get("sleep")
    assert sleep.function is not None
    loop = asyncio.get_running_loop()
    started = loop.time()
    results = await asyncio.gather(*(sleep.function(seconds=0.2) for _ in range(10_000)))
    elapsed = loop.time() - started
    assert len(results) == 10_000
    # Run one after another they would take 2000 s; concurrently about 0.2 s.
    assert elapsed < 5, elapsed
