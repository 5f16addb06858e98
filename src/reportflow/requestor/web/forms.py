"""A report's parameter form, built from the JSON Schema the API publishes.

The form reads the very schema ``GET /api/v1/catalog/{name}`` returns, so
what the browser checks (``required``, ``min``/``max``, ``pattern``) is what
the server validates; the server still has the last word and its 422
messages land beside the field they name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# JSON Schema ``format`` → the HTML input type that edits it.
_FORMAT_INPUTS = {"date": "date", "date-time": "datetime-local"}


@dataclass(slots=True, frozen=True)
class Option:
    value: str
    label: str
    selected: bool


@dataclass(slots=True, frozen=True)
class FormField:
    """One parameter as the template draws it."""

    name: str
    label: str
    help: str
    required: bool
    widget: str  # input | checkbox | select | checkgroup
    input_type: str = "text"  # for widget == "input"
    value: str = ""
    checked: bool = False
    attrs: dict[str, str] = field(default_factory=dict)
    options: list[Option] = field(default_factory=list)
    value_type: str = "string"  # how form.js turns the text back into JSON

    @property
    def dom_id(self) -> str:
        return f"param-{self.name}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number_attrs(schema: dict[str, Any], integer: bool) -> dict[str, str]:
    attrs = {"step": "1" if integer else "any", "inputmode": "numeric" if integer else "decimal"}
    for key, attr in (("minimum", "min"), ("maximum", "max")):
        if key in schema:
            attrs[attr] = _text(schema[key])
    return attrs


def _string_attrs(schema: dict[str, Any]) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for key, attr in (("minLength", "minlength"), ("maxLength", "maxlength")):
        if key in schema:
            attrs[attr] = _text(schema[key])
    if "pattern" in schema:
        # HTML patterns are anchored already and use the 'v' flag; the schema's
        # anchors are harmless inside it.
        attrs["pattern"] = schema["pattern"]
    for key, attr in (("formatMinimum", "min"), ("formatMaximum", "max")):
        if key in schema:
            attrs[attr] = _local_datetime(_text(schema[key]))
    return attrs


def _local_datetime(value: str) -> str:
    """``datetime-local`` takes ``YYYY-MM-DDTHH:MM[:SS]``: no zone, no fraction."""
    return value.replace(" ", "T").split("+")[0].removesuffix("Z").split(".")[0]


def _choice_options(choices: list[Any], default: Any) -> list[Option]:
    chosen = {_text(v) for v in default} if isinstance(default, list) else {_text(default)}
    return [Option(_text(c), _text(c), _text(c) in chosen) for c in choices]


def build_field(name: str, schema: dict[str, Any], required: bool) -> FormField:
    """The form field for one property of a parameters schema."""
    base: dict[str, Any] = {
        "name": name,
        "label": str(schema.get("title") or name),
        "help": str(schema.get("description") or ""),
        "required": required,
    }
    default = schema.get("default")
    if "enum" in schema:
        options = _choice_options(list(schema["enum"]), default)
        return FormField(**base, widget="select", options=options, value_type="choice")
    kind = schema.get("type")
    if kind == "array":
        choices = list(schema.get("items", {}).get("enum", []))
        options = _choice_options(choices, default or [])
        return FormField(**base, widget="checkgroup", options=options, value_type="array")
    if kind == "boolean":
        return FormField(**base, widget="checkbox", checked=bool(default), value_type="boolean")
    if kind in ("integer", "number"):
        attrs = _number_attrs(schema, kind == "integer")
        return FormField(
            **base,
            widget="input",
            input_type="number",
            value=_text(default),
            attrs=attrs,
            value_type=kind,
        )
    input_type = _FORMAT_INPUTS.get(str(schema.get("format")), "text")
    value = _local_datetime(_text(default)) if input_type == "datetime-local" else _text(default)
    return FormField(
        **base, widget="input", input_type=input_type, value=value, attrs=_string_attrs(schema)
    )


def build_form(schema: dict[str, Any]) -> list[FormField]:
    """Every parameter of a report, in the order the definition declares them."""
    required = set(schema.get("required", []))
    properties: dict[str, dict[str, Any]] = schema.get("properties", {})
    return [build_field(name, prop, name in required) for name, prop in properties.items()]
