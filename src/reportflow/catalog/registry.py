"""Reports written in Python, registered with the ``@report`` decorator.

A Python report is a function (sync or async) called with the bound
parameters as keyword arguments; it returns or yields rows as dicts, Arrow
record batches or an Arrow table. Registering checks the definition right away
and raises :class:`DefinitionError` pointing at the function, so a broken
report fails at import time, not when somebody asks for it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from reportflow.catalog.checks import Issue, Severity, check_definition
from reportflow.catalog.locations import format_path
from reportflow.catalog.model import (
    ChartSpec,
    Limits,
    OutputFormat,
    Parameter,
    ReportDefinition,
    ReportFunction,
)
from reportflow.errors import DefinitionError

F = TypeVar("F", bound=ReportFunction)


def _where(function: ReportFunction) -> tuple[str | None, int | None]:
    try:
        file = inspect.getsourcefile(function)
        line = inspect.getsourcelines(function)[1]
    except (OSError, TypeError):
        return None, None
    return file, line


def _signature_issues(definition: ReportDefinition) -> list[Issue]:
    """The function must accept every declared parameter and need no other."""
    assert definition.function is not None
    signature = inspect.signature(definition.function)
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    issues: list[Issue] = []
    for index, param in enumerate(definition.parameters):
        if param.name not in signature.parameters and not accepts_any:
            message = f"the function does not accept parameter {param.name!r}"
            issues.append(Issue(("parameters", index, "name"), message))
    declared = {p.name for p in definition.parameters}
    for arg in signature.parameters.values():
        needed = arg.default is arg.empty and arg.kind not in (arg.VAR_POSITIONAL, arg.VAR_KEYWORD)
        if needed and arg.name not in declared:
            message = f"the function needs argument {arg.name!r}, which is not a parameter"
            issues.append(Issue(("function",), message))
    return issues


class Registry:
    """Python report definitions by name."""

    def __init__(self) -> None:
        self._definitions: dict[str, ReportDefinition] = {}

    def add(self, definition: ReportDefinition) -> ReportDefinition:
        """Check and register a definition that has a ``function``; returns it normalized."""
        if definition.function is None:
            raise DefinitionError("a Python report needs a function", field="function")
        file, line = _where(definition.function)
        checked, issues = check_definition(definition)
        issues += _signature_issues(checked)
        errors = [i for i in issues if i.severity is Severity.ERROR]
        if errors:
            detail = "; ".join(f"{format_path(i.path)}: {i.message}" for i in errors)
            raise DefinitionError(f"report {definition.name!r}: {detail}", file=file, line=line)
        existing = self._definitions.get(checked.name)
        if existing is not None and not _same_function(existing, checked):
            raise DefinitionError(
                f"report {checked.name!r} is already registered by {_qualname(existing)}",
                file=file,
                line=line,
                field="name",
            )
        self._definitions[checked.name] = checked
        return checked

    def report(
        self,
        *,
        name: str,
        title: str = "",
        description: str = "",
        parameters: Iterable[Parameter | Mapping[str, Any]] = (),
        formats: Iterable[OutputFormat | str] = (OutputFormat.CSV,),
        tags: Iterable[str] = (),
        chart: ChartSpec | Mapping[str, Any] | None = None,
        limits: Limits | Mapping[str, Any] | None = None,
        roles: Iterable[str] = (),
    ) -> Callable[[F], F]:
        """Decorator: register the function as report ``name``; the function is unchanged."""

        def register(function: F) -> F:
            fields: dict[str, Any] = {
                "name": name,
                "title": title,
                "description": description or inspect.getdoc(function) or "",
                "parameters": list(parameters),
                "formats": list(formats),
                "tags": list(tags),
                "chart": chart,
                "roles": list(roles),
                "function": function,
            }
            if limits is not None:
                fields["limits"] = limits
            try:
                definition = ReportDefinition.model_validate(fields)
            except ValidationError as exc:
                file, line = _where(function)
                first = exc.errors()[0]
                where = format_path(tuple(first["loc"]))
                message = f"report {name!r}: {first['msg']} (got {first['input']!r})"
                raise DefinitionError(message, file=file, line=line, field=where) from exc
            self.add(definition)
            return function

        return register

    def get(self, name: str) -> ReportDefinition | None:
        return self._definitions.get(name)

    def remove(self, name: str) -> None:
        self._definitions.pop(name, None)

    def definitions(self) -> list[ReportDefinition]:
        return list(self._definitions.values())


def _qualname(definition: ReportDefinition) -> str:
    function = definition.function
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', '?')}"


def _same_function(a: ReportDefinition, b: ReportDefinition) -> bool:
    # Re-importing a module (reload, tests) registers the same function again.
    return _qualname(a) == _qualname(b)


#: The registry ``@report`` writes to and the default catalog reads.
default_registry = Registry()
report = default_registry.report
