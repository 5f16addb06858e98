"""reportflow.catalog: report definitions, their parameters, and the catalog of them."""

from reportflow.catalog.catalog import Catalog
from reportflow.catalog.model import (
    ChartSpec,
    Limits,
    LoadTarget,
    OutputFormat,
    Parameter,
    ParamType,
    ReportDefinition,
    ReportFunction,
    Source,
    TransformStep,
)
from reportflow.catalog.params import bind_parameters, parameters_schema
from reportflow.catalog.registry import Registry, default_registry, report

__all__ = [
    "Catalog",
    "ChartSpec",
    "Limits",
    "LoadTarget",
    "OutputFormat",
    "ParamType",
    "Parameter",
    "Registry",
    "ReportDefinition",
    "ReportFunction",
    "Source",
    "TransformStep",
    "bind_parameters",
    "default_registry",
    "parameters_schema",
    "report",
]
