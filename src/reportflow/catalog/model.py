"""What a report definition is: the shared vocabulary of catalog, ETL and runner.

A definition comes from a ``reports/*.yaml`` file or from a Python function
registered with ``@report``; either way it ends up as a :class:`ReportDefinition`.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ParamType(StrEnum):
    """The types a report parameter can have."""

    STRING = "string"  # free text, optional pattern / length bounds
    INTEGER = "integer"  # whole number, optional min/max
    NUMBER = "number"  # float, optional min/max
    BOOLEAN = "boolean"  # true / false
    DATE = "date"  # ISO date, optional min/max
    DATETIME = "datetime"  # ISO date-time, optional min/max
    CHOICE = "choice"  # one of ``choices``
    MULTI_CHOICE = "multi_choice"  # a list of distinct values from ``choices``


class OutputFormat(StrEnum):
    """Formats a report can render to."""

    CSV = "csv"
    XLSX = "xlsx"
    PARQUET = "parquet"
    JSON = "json"  # JSON lines, one object per row
    HTML = "html"  # a table, with a chart for time series


class Parameter(BaseModel):
    """One typed, validated input of a report."""

    model_config = ConfigDict(extra="forbid")

    name: str
    type: ParamType = ParamType.STRING
    label: str | None = None
    help: str | None = None
    required: bool = False
    default: Any = None
    min: Any = None
    max: Any = None
    pattern: str | None = None
    choices: list[Any] | None = None


class Source(BaseModel):
    """Where the rows come from: a named connection and a query or path.

    For SQL connections ``query`` is SQL with ``:name`` bound parameters; for
    file connections it is an optional glob relative to the connection; for
    HTTP connections it is a path appended to the base URL (query parameters
    come from ``params``), and ``records`` is a dotted path to the row list.

    ``query_file`` names a file holding the query, relative to the YAML file;
    the catalog reads it into ``query`` when it loads the definition, so the
    ETL only ever looks at ``query``.
    """

    model_config = ConfigDict(extra="forbid")

    connection: str
    query: str | None = None
    query_file: str | None = None
    records: str | None = None


class TransformStep(BaseModel):
    """One step after extraction.

    ``kind`` chooses the step: ``sql`` (DuckDB SQL over the table ``input``,
    with ``:name`` report parameters bound), ``rename`` (``columns`` maps old to
    new names), ``format`` (``columns`` maps a column to a format spec such as
    ``{:.2f}`` or ``%Y-%m``), ``smooth`` and ``forecast`` (time series).
    Options beyond ``kind`` are kept as given and checked by the step itself.
    """

    model_config = ConfigDict(extra="allow")

    kind: str

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class LoadTarget(BaseModel):
    """Write the result into ``table`` of a named connection."""

    model_config = ConfigDict(extra="forbid")

    connection: str
    table: str
    mode: Literal["append", "replace"] = "append"


class Limits(BaseModel):
    """Bounds a run must stay within."""

    model_config = ConfigDict(extra="forbid")

    timeout_seconds: float = Field(600.0, gt=0)
    max_rows: int | None = Field(None, gt=0)


class ChartSpec(BaseModel):
    """A line chart in the HTML output: ``x`` against one or more ``y`` columns."""

    model_config = ConfigDict(extra="forbid")

    x: str
    y: list[str]
    group: str | None = None
    title: str | None = None


#: A Python-defined report: called with the bound parameters, returns or
#: yields rows (dicts), Arrow record batches or an Arrow table.
ReportFunction = Callable[..., Any]


class ReportDefinition(BaseModel):
    """A report: what it asks for, where it reads, what it does, what it writes."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = ""
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    parameters: list[Parameter] = Field(default_factory=list)
    source: Source | None = None
    function: ReportFunction | None = Field(default=None, exclude=True)
    transform: list[TransformStep] = Field(default_factory=list)
    formats: list[OutputFormat] = Field(default_factory=lambda: [OutputFormat.CSV])
    chart: ChartSpec | None = None
    limits: Limits = Field(default_factory=lambda: Limits())
    load: LoadTarget | None = None
    roles: list[str] = Field(default_factory=list)
    """Roles allowed to request it; empty means every authenticated user."""
    path: Path | None = Field(default=None, exclude=True)
    """The file it was read from, for error messages."""

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)
