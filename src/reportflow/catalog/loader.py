"""Reading one ``reports/*.yaml`` file into a checked :class:`ReportDefinition`.

The loader never stops at the first mistake: it collects every problem it can
find in a file as a :class:`DefinitionError` carrying the file, the line and
the field path, so ``reportflow reports check`` can list them all at once.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from reportflow.catalog.checks import Issue, Severity, check_definition
from reportflow.catalog.locations import Located, format_path, load_located, yaml_error_line
from reportflow.catalog.model import (
    ChartSpec,
    Limits,
    LoadTarget,
    OutputFormat,
    Parameter,
    ParamType,
    ReportDefinition,
    Source,
)
from reportflow.errors import DefinitionError

#: Fields a YAML file may not set: they only exist for Python reports and the loader.
_INTERNAL_KEYS = frozenset({"function", "path"})
_SECTIONS: dict[str, type[BaseModel]] = {
    "parameters": Parameter,
    "source": Source,
    "limits": Limits,
    "chart": ChartSpec,
    "load": LoadTarget,
}
_MAX_SHOWN = 60


@dataclass(slots=True)
class Loaded:
    """What came out of one file: the definition if usable, and what is wrong."""

    path: Path
    name: str | None
    """The name the file claims, even when the definition is unusable."""
    definition: ReportDefinition | None = None
    errors: list[DefinitionError] = field(default_factory=list)
    warnings: list[DefinitionError] = field(default_factory=list)


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    parents = [part for part in loc[:-1] if isinstance(part, str)]
    if not parents:
        return sorted(set(ReportDefinition.model_fields) - _INTERNAL_KEYS)
    model = _SECTIONS.get(parents[0]) if len(parents) == 1 else None
    return sorted(model.model_fields) if model else []


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _unknown_key_message(loc: tuple[Any, ...]) -> str:
    allowed = _allowed_keys(loc)
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key (allowed: {', '.join(allowed)}){hint}"


def _pydantic_message(error: Any) -> str:
    loc: tuple[Any, ...] = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_key_message(loc)
    if kind == "missing":
        return "required field is missing"
    if kind == "enum":
        enum = OutputFormat if loc and loc[0] == "formats" else ParamType
        what = "output format" if enum is OutputFormat else "parameter type"
        allowed = ", ".join(member.value for member in enum)
        return f"unknown {what} {_shown(error['input'])} (expected one of: {allowed})"
    if kind == "string_pattern_mismatch" and loc == ("name",):
        rule = "a-z, 0-9 and _, starting with a letter"
        return f"{_shown(error['input'])} is not a valid report name ({rule})"
    message = str(error["msg"])
    return f"{message[0].lower()}{message[1:]} (got {_shown(error['input'])})"


class _FileContext:
    """Turns issues of one file into located errors and warnings."""

    def __init__(self, loaded: Loaded, located: Located) -> None:
        self.loaded = loaded
        self.located = located
        self.sql_file: Path | None = None

    def add(self, issue: Issue) -> None:
        file, line = str(self.loaded.path), self.located.line(issue.path)
        if issue.text_offset is not None:
            if issue.path == ("source", "query_file") and self.sql_file is not None:
                file, line = str(self.sql_file), issue.text_offset + 1
            else:
                line = self.located.text_line(issue.path, issue.text_offset)
        error = DefinitionError(issue.message, file=file, line=line, field=format_path(issue.path))
        target = self.loaded.errors if issue.severity is Severity.ERROR else self.loaded.warnings
        target.append(error)


def _read_query_file(definition: ReportDefinition, path: Path, ctx: _FileContext) -> bool:
    source = definition.source
    if source is None or source.query_file is None:
        return True
    at = ("source", "query_file")
    if source.query is not None:
        ctx.add(Issue(at, "give either query or query_file, not both"))
        return False
    sql_path = path.parent / source.query_file
    try:
        source.query = sql_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        ctx.add(Issue(at, f"query file not found: {sql_path}"))
        return False
    except (OSError, UnicodeDecodeError) as exc:
        ctx.add(Issue(at, f"cannot read query file {sql_path}: {exc}"))
        return False
    ctx.sql_file = sql_path
    return True


def _parse(path: Path, loaded: Loaded) -> Located | None:
    try:
        located = load_located(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        loaded.errors.append(DefinitionError(f"cannot read: {exc}", file=str(path)))
        return None
    except yaml.YAMLError as exc:
        reason = str(getattr(exc, "problem", None) or exc).strip()
        line = yaml_error_line(exc)
        loaded.errors.append(
            DefinitionError(f"malformed YAML: {reason}", file=str(path), line=line)
        )
        return None
    if not isinstance(located.data, dict):
        message = "a report definition must be a mapping of fields"
        loaded.errors.append(DefinitionError(message, file=str(path), line=located.line(())))
        return None
    return located


def load_definition(path: Path) -> Loaded:
    """Read, validate and check one definition file; never raises for bad content."""
    loaded = Loaded(path=path, name=path.stem)
    located = _parse(path, loaded)
    if located is None:
        return loaded
    ctx = _FileContext(loaded, located)
    data: dict[str, Any] = dict(located.data)
    for key_path, line in located.duplicates:
        field = format_path(key_path)
        repeated = DefinitionError(
            "key is given more than once", file=str(path), line=line, field=field
        )
        loaded.errors.append(repeated)
    for key in sorted(_INTERNAL_KEYS & set(data)):
        ctx.add(Issue((key,), _unknown_key_message((key,))))
        del data[key]
    data.setdefault("name", path.stem)
    if isinstance(data["name"], str):
        loaded.name = data["name"]
    try:
        definition = ReportDefinition.model_validate({**data, "path": path})
    except ValidationError as exc:
        for error in exc.errors():
            ctx.add(Issue(tuple(error["loc"]), _pydantic_message(error)))
        return loaded
    if not _read_query_file(definition, path, ctx):
        return loaded
    definition, issues = check_definition(definition)
    for issue in issues:
        ctx.add(issue)
    if not loaded.errors:
        loaded.definition = definition
    return loaded
