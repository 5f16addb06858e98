"""Parameters: the JSON Schema the web form uses, and binding raw values to it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from reportflow.catalog import Parameter, ReportDefinition, Source, bind_parameters
from reportflow.catalog import parameters_schema as schema_of
from reportflow.catalog.checks import check_definition
from reportflow.errors import ParameterError

PARAMS: list[dict[str, Any]] = [
    {"name": "period", "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "required": True},
    {"name": "days", "type": "integer", "min": 0, "max": 3650, "default": 30},
    {"name": "ratio", "type": "number", "min": 0.5, "max": 2, "label": "Ratio", "help": "x"},
    {"name": "draft", "type": "boolean", "default": False},
    {"name": "as_of", "type": "date", "min": "2024-01-01", "max": "2026-12-31"},
    {"name": "at", "type": "datetime"},
    {"name": "region", "type": "choice", "choices": ["north", "south"]},
    {"name": "level", "type": "choice", "choices": [1, 2, 3]},
    {"name": "lines", "type": "multi_choice", "choices": ["A", "B", "C"], "default": ["A"]},
    {"name": "code", "type": "string", "min": 2, "max": 4},
]


@pytest.fixture
def definition() -> ReportDefinition:
    raw = ReportDefinition(
        name="sample",
        title="Sample",
        parameters=[Parameter.model_validate(p) for p in PARAMS],
        source=Source(connection="w", query="SELECT 1"),
    )
    checked, issues = check_definition(raw)
    assert [i for i in issues if i.severity == "error"] == []
    return checked


def validator(definition: ReportDefinition) -> Draft202012Validator:
    schema = schema_of(definition)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def test_schema_shape(definition: ReportDefinition) -> None:
    schema = schema_of(definition)
    props = schema["properties"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["period"]
    assert schema["additionalProperties"] is False
    assert props["period"] == {
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}$",
        "title": "Period",
    }
    assert props["days"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 3650,
        "title": "Days",
        "default": 30,
    }
    assert props["ratio"]["title"] == "Ratio"
    assert props["ratio"]["description"] == "x"
    assert props["as_of"]["format"] == "date"
    assert props["as_of"]["formatMinimum"] == "2024-01-01"
    assert props["at"] == {"type": "string", "format": "date-time", "title": "At"}
    assert props["region"]["enum"] == ["north", "south"]
    assert props["lines"] == {
        "type": "array",
        "items": {"enum": ["A", "B", "C"]},
        "uniqueItems": True,
        "title": "Lines",
        "default": ["A"],
    }
    assert props["code"]["minLength"] == 2
    assert props["code"]["maxLength"] == 4


GOOD_EXAMPLES = [
    {"period": "2024-01"},
    {"period": "2024-01", "days": 0, "as_of": "2024-03-01", "lines": ["B", "C"], "level": 2},
    {"period": "2024-01", "at": "2024-03-01T10:00:00Z", "draft": True, "ratio": 1.5},
]
BAD_EXAMPLES = [
    {},
    {"period": "24-1"},
    {"period": "2024-01", "days": 4000},
    {"period": "2024-01", "days": "3"},
    {"period": "2024-01", "as_of": "March"},
    {"period": "2024-01", "lines": ["A", "A"]},
    {"period": "2024-01", "lines": ["Z"]},
    {"period": "2024-01", "region": "east"},
    {"period": "2024-01", "extra": 1},
]


@pytest.mark.parametrize("example", GOOD_EXAMPLES)
def test_schema_accepts_good_examples_and_bind_agrees(
    definition: ReportDefinition, example: dict[str, Any]
) -> None:
    assert list(validator(definition).iter_errors(example)) == []
    bind_parameters(definition, example)


@pytest.mark.parametrize("example", BAD_EXAMPLES)
def test_schema_rejects_bad_examples(definition: ReportDefinition, example: dict[str, Any]) -> None:
    assert list(validator(definition).iter_errors(example)) != []


def test_bind_coerces_strings_from_a_form(definition: ReportDefinition) -> None:
    bound = bind_parameters(
        definition,
        {
            "period": "2024-01",
            "days": " 42 ",
            "ratio": "1.25",
            "draft": "true",
            "as_of": "2024-01-31",
            "at": "2024-01-31T08:30:00",
            "region": "south",
            "level": "2",
            "lines": "A, C",
            "code": "ab",
        },
    )
    assert bound == {
        "period": "2024-01",
        "days": 42,
        "ratio": 1.25,
        "draft": True,
        "as_of": date(2024, 1, 31),
        "at": datetime(2024, 1, 31, 8, 30),
        "region": "south",
        "level": 2,
        "lines": ["A", "C"],
        "code": "ab",
    }
    assert type(bound["days"]) is int


def test_bind_applies_defaults_and_fills_every_name(definition: ReportDefinition) -> None:
    bound = bind_parameters(definition, {"period": "2024-01", "region": ""})
    assert bound == {
        "period": "2024-01",
        "days": 30,
        "ratio": None,
        "draft": False,
        "as_of": None,
        "at": None,
        "region": None,
        "level": None,
        "lines": ["A"],
        "code": None,
    }


def test_bind_accepts_typed_json_values(definition: ReportDefinition) -> None:
    bound = bind_parameters(
        definition,
        {"period": "2024-01", "days": 7, "draft": False, "lines": ["C"], "ratio": 2},
    )
    assert (bound["days"], bound["draft"], bound["lines"], bound["ratio"]) == (7, False, ["C"], 2.0)


BAD_BINDS = [
    pytest.param({}, {"period": "required"}, id="missing-required"),
    pytest.param(
        {"period": "2024-01", "nope": 1},
        {
            "nope": "unknown parameter (expected: as_of, at, code, days, draft, level, lines, "
            "period, ratio, region)"
        },
        id="unknown",
    ),
    pytest.param(
        {"period": "2024-01", "days": "many"},
        {"days": "must be a whole number (got 'many')"},
        id="not-an-integer",
    ),
    pytest.param(
        {"period": "2024-01", "days": True},
        {"days": "must be a whole number (got True)"},
        id="bool-is-not-an-integer",
    ),
    pytest.param(
        {"period": "2024-01", "days": "4000"},
        {"days": "must be at most 3650 (got 4000)"},
        id="above-max",
    ),
    pytest.param(
        {"period": "2024-01", "days": -1},
        {"days": "must be at least 0 (got -1)"},
        id="below-min",
    ),
    pytest.param(
        {"period": "2024-01", "ratio": "nan"},
        {"ratio": "must be a number (got 'nan')"},
        id="nan",
    ),
    pytest.param(
        {"period": "2024-01", "draft": "maybe"},
        {"draft": "must be true or false (got 'maybe')"},
        id="not-a-boolean",
    ),
    pytest.param(
        {"period": "2024-01", "as_of": "2024-13-01"},
        {"as_of": "must be a date like 2026-11-28 (got '2024-13-01')"},
        id="bad-date",
    ),
    pytest.param(
        {"period": "2024-01", "as_of": "2023-12-31"},
        {"as_of": "must be on or after 2024-01-01 (got 2023-12-31)"},
        id="date-below-min",
    ),
    pytest.param(
        {"period": "2024-01", "as_of": "2027-01-01"},
        {"as_of": "must be on or before 2026-12-31 (got 2027-01-01)"},
        id="date-above-max",
    ),
    pytest.param(
        {"period": "2024-01", "as_of": datetime(2024, 5, 1, 12)},
        {"as_of": "must be a date without a time, like 2026-11-28 (got '2024-05-01T12:00:00')"},
        id="datetime-for-date",
    ),
    pytest.param(
        {"period": "2024-01", "at": "noon"},
        {"at": "must be a date and time like 2026-11-28T09:30:00 (got 'noon')"},
        id="bad-datetime",
    ),
    pytest.param(
        {"period": "2024-01", "region": "east"},
        {"region": "must be one of: north, south (got 'east')"},
        id="not-a-choice",
    ),
    pytest.param(
        {"period": "2024-01", "lines": "A,A"},
        {"lines": "lists 'A' more than once"},
        id="repeated-multi-choice",
    ),
    pytest.param(
        {"period": "2024-01", "lines": 5},
        {"lines": "must be a list of choices from: A, B, C (got 5)"},
        id="multi-choice-not-a-list",
    ),
    pytest.param(
        {"period": "Jan"},
        {"period": "must match the format ^[0-9]{4}-[0-9]{2}$ (got 'Jan')"},
        id="pattern",
    ),
    pytest.param(
        {"period": "2024-01", "code": "abcde"},
        {"code": "must be at most 4 characters long (got 'abcde')"},
        id="too-long",
    ),
]


@pytest.mark.parametrize(("raw", "problems"), BAD_BINDS)
def test_bind_rejects_bad_input(
    definition: ReportDefinition, raw: dict[str, Any], problems: dict[str, str]
) -> None:
    with pytest.raises(ParameterError) as caught:
        bind_parameters(definition, raw)
    assert caught.value.problems == problems
    assert caught.value.report == "sample"
    assert str(caught.value).startswith("report 'sample': invalid parameters: ")


def test_bind_reports_every_bad_field_at_once(definition: ReportDefinition) -> None:
    with pytest.raises(ParameterError) as caught:
        bind_parameters(definition, {"days": "x", "draft": "?", "zzz": 1})
    assert sorted(caught.value.problems) == ["days", "draft", "period", "zzz"]
    assert "\n" not in str(caught.value)


def test_a_pattern_failure_reads_as_the_parameters_help() -> None:
    period = Parameter.model_validate(
        {
            "name": "period_from",
            "type": "string",
            "help": "First accounting period, as YYYY-MM.",
            "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$",
        }
    )
    definition = ReportDefinition(
        name="tb", parameters=[period], source=Source(connection="w", query="SELECT 1")
    )
    with pytest.raises(ParameterError) as caught:
        bind_parameters(definition, {"period_from": "2025-13"})
    assert caught.value.problems == {
        "period_from": "'2025-13' does not fit: First accounting period, as YYYY-MM."
    }


@pytest.mark.parametrize(
    ("raw", "problems"),
    [
        ({"code": "a"}, {"code": "must be at least 2 characters long (got 'a')"}),
        ({"ratio": "0.25"}, {"ratio": "must be at least 0.5 (got 0.25)"}),
        ({"ratio": 3}, {"ratio": "must be at most 2 (got 3)"}),
        ({"level": 7}, {"level": "must be one of: 1, 2, 3 (got 7)"}),
        ({"lines": "A,Z"}, {"lines": "must only hold choices from: A, B, C (got 'Z')"}),
        ({"code": ["x"]}, {"code": "must be text (got ['x'])"}),
    ],
)
def test_more_problems_read_as_sentences(
    definition: ReportDefinition, raw: dict[str, Any], problems: dict[str, str]
) -> None:
    with pytest.raises(ParameterError) as caught:
        bind_parameters(definition, {"period": "2024-01", **raw})
    assert caught.value.problems == problems
