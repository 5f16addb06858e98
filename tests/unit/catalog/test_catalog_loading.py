"""Loading YAML definitions: inline and file SQL, names, the merged Python registry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reportflow.catalog import Catalog, OutputFormat, ParamType, Registry
from reportflow.errors import DefinitionError, UnknownReportError

WriteFile = Callable[[str, str], Path]
REPO_REPORTS = Path(__file__).resolve().parents[3] / "reports"


def test_inline_query_loads(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write(
        "sales.yaml",
        """
        name: sales
        title: Sales
        tags: [finance]
        parameters:
          - {name: region, type: choice, choices: [north, south], default: north}
        source:
          connection: warehouse
          query: SELECT * FROM sales WHERE region = :region
        formats: [csv, parquet]
        """,
    )
    catalog = load()
    definition = catalog.get("sales")
    assert definition.title == "Sales"
    assert definition.parameters[0].type is ParamType.CHOICE
    assert definition.source is not None
    assert definition.source.query == "SELECT * FROM sales WHERE region = :region"
    assert definition.formats == [OutputFormat.CSV, OutputFormat.PARQUET]
    assert catalog.check() == []
    assert catalog.warnings == []


def test_query_file_is_read_relative_to_the_yaml(
    write: WriteFile, load: Callable[[], Catalog], tmp_path: Path
) -> None:
    (tmp_path / "sql").mkdir()
    write("sql/tb.sql", "SELECT 1 AS x WHERE :n > 0\n")
    write(
        "tb.yaml",
        """
        parameters: [{name: n, type: integer, default: 1}]
        source: {connection: warehouse, query_file: sql/tb.sql}
        """,
    )
    definition = load().get("tb")  # the name defaults to the file stem
    assert definition.source is not None
    assert definition.source.query == "SELECT 1 AS x WHERE :n > 0\n"
    assert definition.source.query_file == "sql/tb.sql"
    assert definition.path == tmp_path / "tb.yaml"


def test_list_is_sorted_and_includes_python_reports(write: WriteFile, tmp_path: Path) -> None:
    write("b.yaml", "source: {connection: w, query: SELECT 1}\n")
    write("a.yml", "source: {connection: w, query: SELECT 2}\n")
    registry = Registry()

    @registry.report(name="c_py")
    def c_py() -> list[dict[str, int]]:
        return [{"x": 1}]

    catalog = Catalog.load([tmp_path], registry=registry)
    assert [d.name for d in catalog.list()] == ["a", "b", "c_py"]
    assert catalog.get("c_py").function is c_py
    assert "a" in catalog
    assert len(catalog) == 3


def test_unknown_report_suggests_close_names(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write("trial_balance.yaml", "source: {connection: w, query: SELECT 1}\n")
    with pytest.raises(UnknownReportError, match=r"unknown report 'trial_balanse'.*trial_balance"):
        load().get("trial_balanse")
    with pytest.raises(UnknownReportError, match=r"^unknown report 'zzz'$"):
        load().get("zzz")


def test_broken_report_raises_its_own_error_on_get(
    write: WriteFile, load: Callable[[], Catalog]
) -> None:
    write("good.yaml", "source: {connection: w, query: SELECT 1}\n")
    write("bad.yaml", "source: {connection: w, query: SELECT :nope}\n")
    catalog = load()
    assert catalog.names() == ["good"]
    with pytest.raises(DefinitionError, match=r"bad\.yaml:1: source\.query: placeholder :nope"):
        catalog.get("bad")


def test_missing_catalog_path_is_a_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    catalog = Catalog.load([missing], registry=Registry())
    [problem] = catalog.check()
    assert problem.file == str(missing)
    assert "catalog path not found" in str(problem)


def test_module_that_fails_to_import_is_a_problem() -> None:
    catalog = Catalog.load(modules=["reportflow_no_such_module"], registry=Registry())
    [problem] = catalog.check()
    assert problem.field == "catalog_modules"
    assert "reportflow_no_such_module" in str(problem)


def test_shipped_demo_catalog_is_clean() -> None:
    catalog = Catalog.load([REPO_REPORTS], modules=["reportflow.demo.reports"])
    assert [str(p) for p in catalog.check()] == []
    assert [str(w) for w in catalog.warnings] == []
    names = set(catalog.names())
    assert {"trial_balance", "gage_calibration_due", "machine_mtbf", "noop", "sleep"} <= names
    mtbf = catalog.get("machine_mtbf")
    assert mtbf.chart is not None
    assert (mtbf.chart.x, mtbf.chart.y, mtbf.chart.group) == (
        "month",
        ["mtbf_hours", "mtbf_ma"],
        "machine",
    )
    assert catalog.get("trial_balance").formats == [OutputFormat.CSV, OutputFormat.XLSX]
