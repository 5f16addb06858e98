"""Every definition mistake is reported with its file, line and field path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reportflow.catalog import Catalog
from reportflow.errors import DefinitionError

WriteFile = Callable[[str, str], Path]
Found = tuple[str, int | None, str | None, str]


def found(errors: list[DefinitionError]) -> list[Found]:
    return [(Path(e.file or "").name, e.line, e.field, e.reason) for e in errors]


def only(catalog: Catalog) -> Found:
    problems = found(catalog.check())
    assert len(problems) == 1, problems
    return problems[0]


def test_malformed_yaml_names_the_line(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write("r.yaml", "name: r\nsource:\n  connection: w\n  query: [unclosed\n")
    file, line, field, reason = only(load())
    assert (file, field) == ("r.yaml", None)
    assert line is not None
    assert line >= 4
    assert reason.startswith("malformed YAML")


def test_a_document_that_is_not_a_mapping(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write("r.yaml", "- just\n- a list\n")
    assert only(load()) == ("r.yaml", 1, None, "a report definition must be a mapping of fields")


def test_empty_file(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write("r.yaml", "# nothing here\n")
    assert only(load())[3] == "a report definition must be a mapping of fields"


def test_unknown_top_level_key_suggests_the_right_one(
    write: WriteFile, load: Callable[[], Catalog]
) -> None:
    write("r.yaml", "name: r\nsource: {connection: w, query: SELECT 1}\nformat: [csv]\n")
    file, line, field, reason = only(load())
    assert (file, line, field) == ("r.yaml", 3, "format")
    assert reason.startswith("unknown key (allowed: chart, description, formats,")
    assert reason.endswith("did you mean 'formats'?")


def test_unknown_key_in_a_parameter(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write(
        "r.yaml",
        """
        source: {connection: w, query: "SELECT :n"}
        parameters:
          - name: n
            type: integer
            maximum: 4
        """,
    )
    file, line, field, reason = only(load())
    assert (file, line, field) == ("r.yaml", 5, "parameters[0].maximum")
    assert "did you mean 'max'?" in reason


def test_python_only_keys_are_unknown_in_yaml(
    write: WriteFile, load: Callable[[], Catalog]
) -> None:
    write("r.yaml", "source: {connection: w, query: SELECT 1}\nfunction: os.system\n")
    assert only(load())[1:3] == (2, "function")


def test_wrong_types(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write(
        "r.yaml",
        """
        source: {connection: w, query: SELECT 1}
        tags: finance
        limits:
          timeout_seconds: soon
        """,
    )
    problems = found(load().check())
    assert [(p[1], p[2]) for p in problems] == [(2, "tags"), (4, "limits.timeout_seconds")]
    assert "got 'soon'" in problems[1][3]


def test_unknown_output_format(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write("r.yaml", "source: {connection: w, query: SELECT 1}\nformats:\n  - csv\n  - pdf\n")
    _file, line, field, reason = only(load())
    assert (line, field) == (4, "formats[1]")
    assert reason == "unknown output format 'pdf' (expected one of: csv, xlsx, parquet, json, html)"


def test_unknown_parameter_type(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write(
        "r.yaml",
        "source: {connection: w, query: 'SELECT :n'}\nparameters:\n  - {name: n, type: int}\n",
    )
    _file, line, field, reason = only(load())
    assert (line, field) == (3, "parameters[0].type")
    assert reason.startswith("unknown parameter type 'int' (expected one of: string, integer")


def test_bad_report_name(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write("r.yaml", "name: Trial-Balance\nsource: {connection: w, query: SELECT 1}\n")
    _file, line, field, reason = only(load())
    assert (line, field) == (1, "name")
    assert "not a valid report name" in reason


PARAM_CASES = [
    pytest.param(
        "{name: n, type: integer, min: 10, max: 1}",
        "parameters[0].min",
        "min 10 is greater than max 1",
        id="min-above-max",
    ),
    pytest.param(
        "{name: n, type: date, min: 2024-02-01, max: 2024-01-01}",
        "parameters[0].min",
        "min 2024-02-01 is greater than max 2024-01-01",
        id="date-min-above-max",
    ),
    pytest.param(
        "{name: n, type: choice, choices: [a, b], default: c}",
        "parameters[0].default",
        "default fails its own constraints: must be one of: a, b (got 'c')",
        id="default-outside-choices",
    ),
    pytest.param(
        "{name: n, type: string, pattern: '([a-z'}",
        "parameters[0].pattern",
        "bad regular expression '([a-z': unterminated character set at position 1",
        id="bad-regex",
    ),
    pytest.param(
        "{name: n, type: integer, max: 3650, default: 5000}",
        "parameters[0].default",
        "default fails its own constraints: must be at most 3650 (got 5000)",
        id="default-above-max",
    ),
    pytest.param(
        "{name: n, type: string, pattern: '^[0-9]{4}$', default: abc}",
        "parameters[0].default",
        "default fails its own constraints: must match the format ^[0-9]{4}$ (got 'abc')",
        id="default-fails-pattern",
    ),
    pytest.param(
        "{name: n, type: integer, default: lots}",
        "parameters[0].default",
        "default fails its own constraints: must be a whole number (got 'lots')",
        id="default-wrong-type",
    ),
    pytest.param(
        "{name: n, type: date, min: someday}",
        "parameters[0].min",
        "expected a date (YYYY-MM-DD), got 'someday'",
        id="min-wrong-type",
    ),
    pytest.param(
        "{name: n, type: choice}",
        "parameters[0].choices",
        "a choice parameter needs choices",
        id="choice-without-choices",
    ),
    pytest.param(
        "{name: n, type: multi_choice, choices: [a, a]}",
        "parameters[0].choices[1]",
        "'a' is listed twice",
        id="repeated-choice",
    ),
    pytest.param(
        "{name: n, type: integer, pattern: '^1'}",
        "parameters[0].pattern",
        "a integer parameter has no pattern",
        id="pattern-on-integer",
    ),
    pytest.param(
        "{name: n, type: boolean, min: 1}",
        "parameters[0].min",
        "a boolean parameter has no min",
        id="min-on-boolean",
    ),
    pytest.param(
        "{name: n, type: string, min: -1}",
        "parameters[0].min",
        "length bound must be a whole number ≥ 0, got -1",
        id="negative-length",
    ),
    pytest.param(
        "{name: 'n-1', type: string}",
        "parameters[0].name",
        "'n-1' is not a valid name (letters, digits, _)",
        id="bad-param-name",
    ),
]


@pytest.mark.parametrize(("spec", "field", "reason"), PARAM_CASES)
def test_bad_parameter_specs(
    write: WriteFile, load: Callable[[], Catalog], spec: str, field: str, reason: str
) -> None:
    write(
        "r.yaml",
        f"""
        source: {{connection: w, query: "SELECT :n"}}
        parameters:
          - {spec}
        """,
    )
    problems = [p for p in found(load().check()) if p[2] == field]
    assert problems == [("r.yaml", 3, field, reason)]


def test_duplicate_parameter_names(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write(
        "r.yaml",
        """
        source: {connection: w, query: "SELECT :n"}
        parameters:
          - {name: n}
          - {name: n}
        """,
    )
    assert only(load()) == ("r.yaml", 4, "parameters[1].name", "parameter 'n' is declared twice")


def test_duplicate_yaml_keys(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write("r.yaml", "title: A\nsource: {connection: w, query: SELECT 1}\ntitle: B\n")
    assert only(load()) == ("r.yaml", 3, "title", "key is given more than once")


def test_duplicate_report_names_across_files(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write("a.yaml", "name: same\nsource: {connection: w, query: SELECT 1}\n")
    write("b.yaml", "title: B\nname: same\nsource: {connection: w, query: SELECT 2}\n")
    catalog = load()
    file, _line, field, reason = only(catalog)
    assert (file, field) == ("b.yaml", "name")
    assert reason.startswith("report 'same' is already defined in ")
    assert reason.endswith("a.yaml")
    assert catalog.get("same").title == ""  # the first one stays


def test_missing_source(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write("r.yaml", "title: No source\n")
    assert only(load()) == (
        "r.yaml",
        1,
        "source",
        "a report needs a source (or a Python function)",
    )


def test_missing_connection(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write("r.yaml", "source:\n  query: SELECT 1\n")
    assert only(load())[1:] == (1, "source.connection", "required field is missing")


def test_undeclared_placeholder_in_a_block_query(
    write: WriteFile, load: Callable[[], Catalog]
) -> None:
    write(
        "r.yaml",
        """
        parameters:
          - {name: period, type: string}
        source:
          connection: w
          query: |
            SELECT *
            FROM gl
            WHERE period = :period
              AND account = :acount
        """,
    )
    assert only(load()) == (
        "r.yaml",
        9,
        "source.query",
        "placeholder :acount is not a declared parameter (declared: period)",
    )


def test_undeclared_placeholder_in_a_query_file_points_into_the_sql(
    write: WriteFile, load: Callable[[], Catalog]
) -> None:
    write("q.sql", "SELECT *\nFROM t\nWHERE a = :a\n  AND b = :b\n")
    write("r.yaml", "parameters: [{name: a}]\nsource: {connection: w, query_file: q.sql}\n")
    assert only(load()) == (
        "q.sql",
        4,
        "source.query_file",
        "placeholder :b is not a declared parameter (declared: a)",
    )


def test_casts_and_time_literals_are_not_placeholders(
    write: WriteFile, load: Callable[[], Catalog]
) -> None:
    write(
        "r.yaml",
        "source: {connection: w, query: \"SELECT x::date, '10\\\\:30' FROM t\"}\n",
    )
    assert load().check() == []


def test_undeclared_placeholder_in_a_transform(
    write: WriteFile, load: Callable[[], Catalog]
) -> None:
    write(
        "r.yaml",
        """
        source: {connection: w, query: SELECT 1}
        transform:
          - kind: sql
            sql: |
              SELECT *
              FROM input WHERE x > $limit
        """,
    )
    assert only(load()) == (
        "r.yaml",
        6,
        "transform[0].sql",
        "placeholder $limit is not a declared parameter (declared: none)",
    )


def test_sql_step_without_sql(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write("r.yaml", "source: {connection: w, query: SELECT 1}\ntransform:\n  - kind: sql\n")
    assert only(load())[1:] == (3, "transform[0].sql", "a sql step needs the sql text")


def test_missing_query_file(write: WriteFile, load: Callable[[], Catalog], tmp_path: Path) -> None:
    write("r.yaml", "source:\n  connection: w\n  query_file: gone.sql\n")
    assert only(load()) == (
        "r.yaml",
        3,
        "source.query_file",
        f"query file not found: {tmp_path / 'gone.sql'}",
    )


def test_query_and_query_file_together(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write("q.sql", "SELECT 1\n")
    write("r.yaml", "source: {connection: w, query: SELECT 2, query_file: q.sql}\n")
    assert only(load())[2:] == ("source.query_file", "give either query or query_file, not both")


def test_unused_parameter_is_only_a_warning(write: WriteFile, load: Callable[[], Catalog]) -> None:
    write(
        "r.yaml",
        "parameters:\n  - {name: spare, type: integer}\nsource: {connection: w, query: SELECT 1}\n",
    )
    catalog = load()
    assert catalog.check() == []
    assert catalog.names() == ["r"]
    assert found(catalog.warnings) == [
        (
            "r.yaml",
            2,
            "parameters[0].name",
            "parameter 'spare' is not used by the query or any sql step",
        )
    ]


def test_check_lists_every_problem_of_every_file(
    write: WriteFile, load: Callable[[], Catalog]
) -> None:
    write("a.yaml", "source: {connection: w, query: 'SELECT :x'}\nformats: [pdf]\nbogus: 1\n")
    write("b.yaml", "parameters:\n  - {name: n, type: integer, min: 5, max: 1}\n")
    write("c.yaml", "source: {connection: w, query: SELECT 1}\n")
    catalog = load()
    problems = found(catalog.check())
    assert {(p[0], p[2]) for p in problems} == {
        ("a.yaml", "formats[0]"),
        ("a.yaml", "bogus"),
        ("b.yaml", "parameters[0].min"),
        ("b.yaml", "source"),
    }
    assert catalog.names() == ["c"]
    # a.yaml failed its shape check, so its SQL was never reached; fix the shape
    # and the placeholder shows up too.
    write("a.yaml", "source: {connection: w, query: 'SELECT :x'}\n")
    assert found(load().check())[0][0:3] == ("a.yaml", 1, "source.query")


def test_str_of_a_definition_error_is_file_line_field_message(
    write: WriteFile, load: Callable[[], Catalog]
) -> None:
    path = write("r.yaml", "source: {connection: w, query: SELECT 1}\nformats: [pdf]\n")
    [problem] = load().check()
    assert str(problem).startswith(f"{path}:2: formats[0]: unknown output format 'pdf'")
