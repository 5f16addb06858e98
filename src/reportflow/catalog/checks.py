"""Checks a well-typed definition still has to pass, and parameter normalization.

Pydantic checks shapes and types; these check meaning: bounds that contradict,
defaults that fail their own constraints, SQL placeholders that name nothing,
a report with nowhere to read from. Each finding is an :class:`Issue` with the
field path, so the loader can point at the line in the YAML file and the
decorator at the Python function.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reportflow.catalog.locations import Path
from reportflow.catalog.model import OutputFormat, Parameter, ParamType, ReportDefinition
from reportflow.catalog.params import check_value
from reportflow.catalog.values import coerce, to_json

PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# The same rule SQLAlchemy's text() uses to find ``:name`` binds, so what we
# flag is exactly what would fail at run time.
SQL_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")
# DuckDB named parameters in transform SQL (``$1`` positional ones are not names).
DUCKDB_BIND = re.compile(r"\$([A-Za-z_]\w*)")

_BOUNDED = {ParamType.INTEGER, ParamType.NUMBER, ParamType.DATE, ParamType.DATETIME}
_CHOICES = {ParamType.CHOICE, ParamType.MULTI_CHOICE}


class Severity(StrEnum):
    ERROR = "error"  # the report cannot be used
    WARNING = "warning"  # suspicious but harmless


@dataclass(slots=True)
class Issue:
    """One finding about a definition, at a field path."""

    path: Path
    message: str
    severity: Severity = Severity.ERROR
    text_offset: int | None = None
    """For findings inside a text value (SQL): the 0-based line within it."""


def _bound(param: Parameter, which: str, value: Any, issues: list[Issue], at: Path) -> Any:
    if value is None:
        return None
    if param.type is ParamType.STRING:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            issues.append(
                Issue((*at, which), f"length bound must be a whole number ≥ 0, got {value!r}")
            )
            return None
        return value
    if param.type not in _BOUNDED:
        issues.append(Issue((*at, which), f"a {param.type} parameter has no {which}"))
        return None
    try:
        return coerce(param, value)
    except ValueError as exc:
        issues.append(Issue((*at, which), str(exc)))
        return None


def _check_choices(param: Parameter, issues: list[Issue], at: Path) -> None:
    if param.type in _CHOICES:
        if not param.choices:
            issues.append(Issue((*at, "choices"), f"a {param.type} parameter needs choices"))
            return
        seen: list[Any] = []
        for index, choice in enumerate(param.choices):
            if choice in seen:
                issues.append(Issue((*at, "choices", index), f"{choice!r} is listed twice"))
            seen.append(choice)
    elif param.choices is not None:
        issues.append(Issue((*at, "choices"), f"a {param.type} parameter has no choices"))


def _check_pattern(param: Parameter, issues: list[Issue], at: Path) -> bool:
    if param.pattern is None:
        return True
    if param.type is not ParamType.STRING:
        issues.append(Issue((*at, "pattern"), f"a {param.type} parameter has no pattern"))
        return False
    try:
        re.compile(param.pattern)
    except re.error as exc:
        issues.append(Issue((*at, "pattern"), f"bad regular expression {param.pattern!r}: {exc}"))
        return False
    return True


def normalize_parameter(param: Parameter, at: Path, issues: list[Issue]) -> Parameter:
    """Check one parameter spec and return it with typed min/max/default."""
    if not PARAM_NAME.match(param.name):
        issues.append(
            Issue((*at, "name"), f"{param.name!r} is not a valid name (letters, digits, _)")
        )
    before = len(issues)
    low = _bound(param, "min", param.min, issues, at)
    high = _bound(param, "max", param.max, issues, at)
    if low is not None and high is not None and low > high:
        issues.append(
            Issue((*at, "min"), f"min {to_json(low)} is greater than max {to_json(high)}")
        )
    _check_choices(param, issues, at)
    pattern_ok = _check_pattern(param, issues, at)
    spec = param.model_copy(update={"min": low, "max": high})
    default = param.default
    if default is not None and len(issues) == before and pattern_ok:
        try:
            default = check_value(spec, default)
        except ValueError as exc:
            issues.append(Issue((*at, "default"), f"default fails its own constraints: {exc}"))
    if param.required and param.default is not None:
        issues.append(
            Issue((*at, "required"), "required has no effect with a default", Severity.WARNING)
        )
    return spec.model_copy(update={"default": default})


def normalize_parameters(definition: ReportDefinition, issues: list[Issue]) -> ReportDefinition:
    """Every parameter checked and typed; duplicate names flagged."""
    seen: set[str] = set()
    params: list[Parameter] = []
    for index, param in enumerate(definition.parameters):
        at: Path = ("parameters", index)
        if param.name in seen:
            issues.append(Issue((*at, "name"), f"parameter {param.name!r} is declared twice"))
        seen.add(param.name)
        params.append(normalize_parameter(param, at, issues))
    return definition.model_copy(update={"parameters": params})


def _placeholders(text: str, pattern: re.Pattern[str]) -> list[tuple[str, int]]:
    """Each placeholder name with the 0-based line it is on."""
    found: list[tuple[str, int]] = []
    for number, line in enumerate(text.splitlines()):
        code = line.split("--", 1)[0] if pattern is DUCKDB_BIND else line
        found.extend((m.group(1), number) for m in pattern.finditer(code))
    return found


def _check_sql(
    text: str, pattern: re.Pattern[str], at: Path, declared: set[str], issues: list[Issue]
) -> set[str]:
    sigil = "$" if pattern is DUCKDB_BIND else ":"
    used: set[str] = set()
    for name, number in _placeholders(text, pattern):
        used.add(name)
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            message = f"placeholder {sigil}{name} is not a declared parameter (declared: {known})"
            issues.append(Issue(at, message, text_offset=number))
    return used


def check_sources(definition: ReportDefinition, issues: list[Issue]) -> set[str]:
    """Where the report reads from, and the parameters its SQL uses."""
    declared = {p.name for p in definition.parameters}
    used: set[str] = set()
    source = definition.source
    if source is None and definition.function is None:
        issues.append(Issue(("source",), "a report needs a source (or a Python function)"))
    if source is not None and definition.function is not None:
        issues.append(Issue(("source",), "a Python report cannot also have a source"))
    if source is not None and source.query is not None:
        at: Path = ("source", "query_file" if source.query_file else "query")
        used |= _check_sql(source.query, SQL_BIND, at, declared, issues)
    for index, step in enumerate(definition.transform):
        if step.kind != "sql":
            continue
        key = "query" if "query" in step.options and "sql" not in step.options else "sql"
        sql = step.options.get(key)
        if not isinstance(sql, str) or not sql.strip():
            issues.append(Issue(("transform", index, key), "a sql step needs the sql text"))
            continue
        used |= _check_sql(sql, DUCKDB_BIND, ("transform", index, key), declared, issues)
    return used


def check_definition(definition: ReportDefinition) -> tuple[ReportDefinition, list[Issue]]:
    """Every semantic check; returns the normalized definition and what was found."""
    issues: list[Issue] = []
    definition = normalize_parameters(definition, issues)
    used = check_sources(definition, issues)
    if definition.function is None:
        for index, param in enumerate(definition.parameters):
            if param.name not in used:
                message = f"parameter {param.name!r} is not used by the query or any sql step"
                issues.append(Issue(("parameters", index, "name"), message, Severity.WARNING))
    if not definition.formats and definition.load is None:
        issues.append(Issue(("formats",), "a report needs at least one format (or a load target)"))
    if len(set(definition.formats)) != len(definition.formats):
        issues.append(Issue(("formats",), "a format is listed more than once"))
    if definition.chart is not None and OutputFormat.HTML not in definition.formats:
        message = "a chart is only drawn in html output, and html is not in formats"
        issues.append(Issue(("chart",), message, Severity.WARNING))
    return definition, issues
