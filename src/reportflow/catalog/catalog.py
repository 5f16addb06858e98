"""The catalog: every report reportflow knows, from YAML files and Python modules.

A catalog loads what it can and remembers the rest as problems: one broken
file does not take the other reports down, ``check()`` lists everything that
is wrong, and asking for a broken report raises the error that broke it.
"""

from __future__ import annotations

import builtins
import difflib
import importlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from reportflow.catalog.loader import load_definition
from reportflow.catalog.model import ReportDefinition
from reportflow.catalog.registry import Registry, default_registry
from reportflow.config import Settings, load_settings
from reportflow.errors import DefinitionError, UnknownReportError

YAML_SUFFIXES = (".yaml", ".yml")
#: Python modules whose ``@report`` functions every default catalog includes.
BUILTIN_MODULES = ("reportflow.demo.reports",)


def _yaml_files(paths: Iterable[Path | str], problems: list[DefinitionError]) -> list[Path]:
    files: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            files.extend(sorted(p for p in entry.iterdir() if p.suffix in YAML_SUFFIXES))
        elif entry.is_file():
            files.append(entry)
        else:
            problems.append(DefinitionError("catalog path not found", file=str(entry)))
    return files


def _where(definition: ReportDefinition) -> str:
    if definition.path is not None:
        return str(definition.path)
    function = definition.function
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', '?')}"


class Catalog:
    """Report definitions by name, plus what was wrong while loading them."""

    def __init__(self) -> None:
        self._reports: dict[str, ReportDefinition] = {}
        self._broken: dict[str, DefinitionError] = {}
        self._problems: list[DefinitionError] = []
        self._warnings: list[DefinitionError] = []

    @classmethod
    def load(
        cls,
        paths: Iterable[Path | str] = (),
        *,
        modules: Iterable[str] = (),
        registry: Registry | None = None,
    ) -> Catalog:
        """YAML definitions under ``paths`` plus every report in ``registry``.

        ``modules`` are imported first so their ``@report`` functions register
        themselves; ``registry`` defaults to the one ``@report`` uses.
        """
        catalog = cls()
        registry = default_registry if registry is None else registry
        for module in modules:
            catalog._import(module)
        for file in _yaml_files(paths, catalog._problems):
            catalog._add_file(file)
        for definition in registry.definitions():
            catalog._add(definition, line=None)
        return catalog

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Catalog:
        """The catalog the settings describe, with the built-in demo reports."""
        settings = settings or load_settings()
        modules = dict.fromkeys([*BUILTIN_MODULES, *settings.catalog_modules])
        return cls.load(settings.catalog, modules=modules)

    def _import(self, module: str) -> None:
        try:
            importlib.import_module(module)
        except DefinitionError as exc:
            self._problems.append(exc)
        except Exception as exc:  # any import failure is a catalog problem, reported
            message = f"cannot import report module {module!r}: {type(exc).__name__}: {exc}"
            self._problems.append(DefinitionError(message, field="catalog_modules"))

    def _add_file(self, file: Path) -> None:
        loaded = load_definition(file)
        self._problems.extend(loaded.errors)
        self._warnings.extend(loaded.warnings)
        if loaded.definition is not None:
            self._add(loaded.definition, line=1)
        elif loaded.name and loaded.errors and loaded.name not in self._reports:
            self._broken.setdefault(loaded.name, loaded.errors[0])

    def _add(self, definition: ReportDefinition, line: int | None) -> None:
        existing = self._reports.get(definition.name)
        if existing is not None:
            message = f"report {definition.name!r} is already defined in {_where(existing)}"
            file = str(definition.path) if definition.path else _where(definition)
            self._problems.append(DefinitionError(message, file=file, line=line, field="name"))
            return
        self._broken.pop(definition.name, None)
        self._reports[definition.name] = definition

    def get(self, name: str) -> ReportDefinition:
        """The report called ``name``.

        Raises :class:`UnknownReportError` (with close matches) when there is
        none, or the :class:`DefinitionError` that made it unusable.
        """
        definition = self._reports.get(name)
        if definition is not None:
            return definition
        if name in self._broken:
            raise self._broken[name]
        close = difflib.get_close_matches(name, [*self._reports, *self._broken], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownReportError(f"unknown report {name!r}{hint}")

    def list(self) -> list[ReportDefinition]:
        """Every usable report, sorted by name."""
        return [self._reports[name] for name in sorted(self._reports)]

    def names(self) -> builtins.list[str]:
        return sorted(self._reports)

    def check(self) -> builtins.list[DefinitionError]:
        """Every problem found while loading (empty when the catalog is sound)."""
        return list(self._problems)

    @property
    def warnings(self) -> builtins.list[DefinitionError]:
        """Findings that do not stop a report from running (an unused parameter, ...)."""
        return list(self._warnings)

    def __contains__(self, name: object) -> bool:
        return name in self._reports

    def __iter__(self) -> Iterator[ReportDefinition]:
        return iter(self.list())

    def __len__(self) -> int:
        return len(self._reports)
