"""``reportflow reports list|show|check``: look into the report catalog."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from reportflow.catalog import Catalog, ReportDefinition, parameters_schema
from reportflow.config import load_settings
from reportflow.errors import DefinitionError

catalog_option = click.option(
    "--catalog",
    "catalog_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Catalog directory or YAML file (repeatable); default: the configured catalog.",
)


def open_catalog(catalog_paths: tuple[Path, ...]) -> Catalog:
    """The configured catalog, or the one at ``--catalog`` paths."""
    settings = load_settings(catalog=list(catalog_paths)) if catalog_paths else load_settings()
    return Catalog.from_settings(settings)


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def _problem_hint(catalog: Catalog) -> None:
    count = len(catalog.check())
    if count:
        click.echo(f"{count} catalog problem(s); see `reportflow reports check`", err=True)


@click.group()
def reports() -> None:
    """Inspect the report catalog."""


@reports.command("list")
@catalog_option
def list_reports(catalog_paths: tuple[Path, ...]) -> None:
    """One line per report: name, title, tags, formats."""
    catalog = open_catalog(catalog_paths)
    rows = [["NAME", "TITLE", "TAGS", "FORMATS"]]
    for definition in catalog.list():
        tags = ",".join(definition.tags)
        formats = ",".join(f.value for f in definition.formats)
        rows.append([definition.name, definition.title, tags, formats])
    click.echo(_table(rows))
    _problem_hint(catalog)


def _describe_parameters(definition: ReportDefinition) -> list[str]:
    lines = ["parameters:"] if definition.parameters else ["parameters: none"]
    schema = parameters_schema(definition)["properties"]
    for param in definition.parameters:
        spec = [param.type.value]
        if param.required and param.default is None:
            spec.append("required")
        keys = ("default", "minimum", "maximum", "minLength", "maxLength", "pattern", "enum")
        prop = schema[param.name]
        spec += [f"{key}={json.dumps(prop[key])}" for key in keys if key in prop]
        if "items" in prop:
            spec.append(f"choices={json.dumps(prop['items']['enum'])}")
        lines.append(f"  {param.name} ({', '.join(spec)})")
        if param.help:
            lines.append(f"      {param.help}")
    return lines


def _describe_source(definition: ReportDefinition) -> list[str]:
    if definition.function is not None:
        function = definition.function
        return [f"source: python {function.__module__}.{function.__qualname__}"]
    source = definition.source
    if source is None:
        return ["source: none"]
    lines = [f"source: connection {source.connection!r}"]
    if source.query_file:
        lines.append(f"  query file: {source.query_file}")
    elif source.query:
        lines += [f"  {line}" for line in source.query.strip().splitlines()]
    return lines


def _describe(definition: ReportDefinition) -> str:
    lines = [f"{definition.name}: {definition.title}".rstrip(": ")]
    if definition.description:
        lines.append(definition.description.strip())
    if definition.path:
        lines.append(f"defined in: {definition.path}")
    if definition.tags:
        lines.append(f"tags: {', '.join(definition.tags)}")
    lines += _describe_parameters(definition)
    lines += _describe_source(definition)
    for index, step in enumerate(definition.transform):
        first = next(iter(step.options.values()), "")
        summary = str(first).strip().splitlines()[0] if str(first).strip() else ""
        lines.append(f"transform[{index}]: {step.kind} {summary}".rstrip())
    lines.append(f"formats: {', '.join(f.value for f in definition.formats)}")
    if definition.chart:
        chart = definition.chart
        group = f" by {chart.group}" if chart.group else ""
        lines.append(f"chart: {chart.x} against {', '.join(chart.y)}{group}")
    if definition.load:
        lines.append(f"load: {definition.load.connection}.{definition.load.table}")
    lines.append(f"timeout: {definition.limits.timeout_seconds:g} s")
    return "\n".join(lines)


@reports.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the parameters' JSON Schema.")
@catalog_option
def show(name: str, as_json: bool, catalog_paths: tuple[Path, ...]) -> None:
    """Describe report NAME: parameters, source, transforms, formats."""
    definition = open_catalog(catalog_paths).get(name)
    if as_json:
        click.echo(json.dumps(parameters_schema(definition), indent=2))
    else:
        click.echo(_describe(definition))


def _located(error: DefinitionError, severity: str = "") -> str:
    where = ":".join(str(p) for p in (error.file, error.line) if p is not None)
    parts = [where, severity, error.field or "", error.reason]
    return ": ".join(p for p in parts if p)


@reports.command("check")
@catalog_option
def check(catalog_paths: tuple[Path, ...]) -> None:
    """Validate every definition; print each problem as file:line: field: message."""
    catalog = open_catalog(catalog_paths)
    for warning in catalog.warnings:
        click.echo(_located(warning, "warning"))
    problems = catalog.check()
    for problem in problems:
        click.echo(_located(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) in the catalog", err=True)
        sys.exit(1)
    click.echo(f"{len(catalog)} reports OK")
