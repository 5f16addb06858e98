"""Report parameters as JSON Schema, and binding raw request values to them.

The web form, the API and the CLI all go through :func:`bind_parameters`, and
the constraint checks are done by ``jsonschema`` against the very schema
:func:`parameters_schema` publishes, so what the browser validates and what
the server accepts cannot drift apart. Bounds on dates are the one exception:
JSON Schema has no standard keyword for them, so they are checked here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator

from reportflow.catalog.messages import constraint_problem, type_problem
from reportflow.catalog.model import Parameter, ParamType, ReportDefinition
from reportflow.catalog.values import coerce, is_blank, to_json
from reportflow.errors import ParameterError

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_SCALAR_TYPES: dict[ParamType, dict[str, Any]] = {
    ParamType.STRING: {"type": "string"},
    ParamType.INTEGER: {"type": "integer"},
    ParamType.NUMBER: {"type": "number"},
    ParamType.BOOLEAN: {"type": "boolean"},
    ParamType.DATE: {"type": "string", "format": "date"},
    ParamType.DATETIME: {"type": "string", "format": "date-time"},
}
_ORDERED = (ParamType.DATE, ParamType.DATETIME)
_MAX_VALIDATORS = 4096
_VALIDATORS: dict[str, Draft202012Validator] = {}


def _bounds(param: Parameter) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if param.type is ParamType.STRING:
        if param.min is not None:
            out["minLength"] = param.min
        if param.max is not None:
            out["maxLength"] = param.max
        if param.pattern is not None:
            out["pattern"] = param.pattern
    elif param.type in (ParamType.INTEGER, ParamType.NUMBER):
        if param.min is not None:
            out["minimum"] = param.min
        if param.max is not None:
            out["maximum"] = param.max
    elif param.type in _ORDERED:
        # Not validated by jsonschema; kept for form builders (ajv-formats knows them).
        if param.min is not None:
            out["formatMinimum"] = to_json(param.min)
        if param.max is not None:
            out["formatMaximum"] = to_json(param.max)
    return out


def property_schema(param: Parameter) -> dict[str, Any]:
    """The JSON Schema of one parameter."""
    if param.type is ParamType.CHOICE:
        schema: dict[str, Any] = {"enum": list(param.choices or [])}
    elif param.type is ParamType.MULTI_CHOICE:
        schema = {
            "type": "array",
            "items": {"enum": list(param.choices or [])},
            "uniqueItems": True,
        }
    else:
        schema = dict(_SCALAR_TYPES[param.type])
    schema.update(_bounds(param))
    schema["title"] = param.label or param.name.replace("_", " ").capitalize()
    if param.help:
        schema["description"] = param.help
    if param.default is not None:
        schema["default"] = to_json(param.default)
    return schema


def is_required(param: Parameter) -> bool:
    """A caller must give it: marked required and no default to fall back on."""
    return param.required and param.default is None


def parameters_schema(definition: ReportDefinition) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a report's parameters object."""
    return {
        "$schema": SCHEMA_DIALECT,
        "title": definition.title or definition.name,
        "description": definition.description,
        "type": "object",
        "properties": {p.name: property_schema(p) for p in definition.parameters},
        "required": [p.name for p in definition.parameters if is_required(p)],
        "additionalProperties": False,
    }


def _ordered_bounds_problem(param: Parameter, value: Any) -> str | None:
    low = coerce(param, param.min) if param.min is not None else None
    high = coerce(param, param.max) if param.max is not None else None
    if low is not None and value < low:
        return f"must be on or after {to_json(low)} (got {to_json(value)})"
    if high is not None and value > high:
        return f"must be on or before {to_json(high)} (got {to_json(value)})"
    return None


def _validator(param: Parameter) -> Draft202012Validator:
    # Building a validator costs more than using it; requests for one report
    # repeat the same few parameter specs, so keep them (bounded).
    key = param.model_dump_json()
    validator = _VALIDATORS.get(key)
    if validator is None:
        if len(_VALIDATORS) >= _MAX_VALIDATORS:
            _VALIDATORS.clear()
        validator = _VALIDATORS[key] = Draft202012Validator(property_schema(param))
    return validator


def check_value(param: Parameter, value: Any) -> Any:
    """Coerce ``value`` and check every constraint of ``param``.

    Raises ``ValueError`` with a reason a person can act on ("must be at most
    3650 (got 4000)"), never raw JSON Schema text; the caller adds the name.
    """
    try:
        typed = coerce(param, value)
    except ValueError as exc:
        raise ValueError(type_problem(param, value)) from exc
    validator = _validator(param)
    error = next(iter(validator.iter_errors(to_json(typed))), None)
    if error is not None:
        raise ValueError(constraint_problem(param, error.validator, typed))
    if param.type in _ORDERED:
        problem = _ordered_bounds_problem(param, typed)
        if problem:
            raise ValueError(problem)
    return typed


def bind_parameters(definition: ReportDefinition, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validate and type a request's parameters; every declared name is in the result.

    Blank values (absent, None, empty string) take the default, or None for an
    optional parameter, so SQL can always bind every placeholder. Raises
    :class:`ParameterError` naming every bad field at once: unknown names,
    missing required ones, values of the wrong type or out of bounds.
    """
    problems: dict[str, str] = {}
    declared = {p.name for p in definition.parameters}
    for name in raw:
        if name not in declared:
            expected = ", ".join(sorted(declared)) or "none"
            problems[name] = f"unknown parameter (expected: {expected})"
    bound: dict[str, Any] = {}
    for param in definition.parameters:
        value = raw.get(param.name)
        if is_blank(value):
            if is_required(param):
                problems[param.name] = "required"
            bound[param.name] = param.default
            continue
        try:
            bound[param.name] = check_value(param, value)
        except ValueError as exc:
            problems[param.name] = str(exc)
    if problems:
        raise ParameterError(definition.name, problems)
    return bound
