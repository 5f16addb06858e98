"""The parameter form built from a report's JSON Schema."""

from __future__ import annotations

from web_harness import web_catalog

from reportflow.catalog import parameters_schema
from reportflow.requestor.web.forms import build_field, build_form


def test_every_parameter_type_gets_its_input() -> None:
    fields = {f.name: f for f in build_form(parameters_schema(web_catalog().get("everything")))}
    assert list(fields) == ["label", "count", "ratio", "flag", "day", "at", "region", "lines"]
    assert (fields["label"].input_type, fields["label"].attrs) == (
        "text",
        {"maxlength": "10", "pattern": "^[a-z]+$"},
    )
    count = fields["count"]
    assert (count.input_type, count.value, count.value_type) == ("number", "3", "integer")
    assert count.attrs == {"step": "1", "inputmode": "numeric", "min": "1", "max": "9"}
    assert fields["ratio"].attrs["step"] == "any"
    assert fields["ratio"].value_type == "number"
    assert (fields["flag"].widget, fields["flag"].checked) == ("checkbox", True)
    assert (fields["day"].input_type, fields["day"].required) == ("date", True)
    assert (fields["at"].input_type, fields["at"].value) == (
        "datetime-local",
        "2026-01-02T03:04:05",
    )
    region = fields["region"]
    assert region.widget == "select"
    assert [(o.value, o.selected) for o in region.options] == [("north", False), ("south", True)]
    lines = fields["lines"]
    assert (lines.widget, lines.value_type) == ("checkgroup", "array")
    assert [o.value for o in lines.options if o.selected] == ["b"]


def test_optional_field_without_default_is_blank_and_not_required() -> None:
    field = build_field("note", {"type": "string", "title": "Note"}, required=False)
    assert (field.value, field.required, field.label, field.help) == ("", False, "Note", "")
    assert field.dom_id == "param-note"
