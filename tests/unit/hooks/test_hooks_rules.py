"""Trigger rules: table-driven evaluation over headers, query and payload; parse errors."""

from __future__ import annotations

from typing import Any

import pytest

from reportflow.notifier.hooks.rules import Source, as_text, find_path, parse_rule

PAYLOAD = {
    "ref": "refs/heads/main",
    "repository": {"name": "reportflow", "owner": {"name": "plant"}},
    "commits": [{"id": "abc"}, {"id": "def"}],
    "size": 3,
    "draft": False,
    "a.b": "dotted key",
}


class Call:
    def __init__(self, payload: Any = PAYLOAD) -> None:
        self.headers = {"x-github-event": "push"}
        self.query = {"dry_run": "1"}
        self.payload = payload

    def lookup(self, source: Source, name: str) -> str | None:
        if source == "header":
            return self.headers.get(name.lower())
        if source == "query":
            return self.query.get(name)
        return as_text(find_path(self.payload, name))


def m(source: str, name: str, **op: Any) -> dict[str, Any]:
    return {"match": {"source": source, "name": name, **op}}


CASES = [
    ("header value", m("header", "X-GitHub-Event", value="push"), True),
    ("header case-insensitive name", m("header", "x-github-event", value="push"), True),
    ("header wrong value", m("header", "X-GitHub-Event", value="ping"), False),
    ("missing header", m("header", "X-Other", value=""), False),
    ("query value", m("query", "dry_run", value="1"), True),
    ("payload dotted path", m("payload", "repository.owner.name", value="plant"), True),
    ("payload list index", m("payload", "commits.1.id", value="def"), True),
    ("payload index out of range", m("payload", "commits.5.id", regex=".*"), False),
    ("payload number as text", m("payload", "size", value=3), True),
    ("payload false as JSON spells it", m("payload", "draft", value="false"), True),
    ("payload key holding a dot", m("payload", "a.b", value="dotted key"), True),
    ("regex is unanchored", m("payload", "ref", regex="heads/ma"), True),
    ("anchored regex", m("payload", "ref", regex="^heads/"), False),
    ("missing value never matches a regex", m("payload", "nope", regex=".*"), False),
    (
        "and: all hold",
        {"and": [m("header", "X-GitHub-Event", value="push"), m("payload", "ref", regex="main$")]},
        True,
    ),
    (
        "and: one fails",
        {"and": [m("header", "X-GitHub-Event", value="push"), m("payload", "ref", value="x")]},
        False,
    ),
    (
        "or: one holds",
        {"or": [m("payload", "ref", value="x"), m("query", "dry_run", value="1")]},
        True,
    ),
    ("or: none holds", {"or": [m("payload", "ref", value="x"), m("query", "y", value="1")]}, False),
    ("not", {"not": m("query", "dry_run", value="1")}, False),
    ("empty and is true", {"and": []}, True),
    ("empty or is false", {"or": []}, False),
    (
        "nested",
        {
            "and": [
                {"not": m("payload", "draft", value="true")},
                {"or": [m("payload", "commits.0.id", value="abc"), m("query", "x", value="1")]},
            ]
        },
        True,
    ),
]


@pytest.mark.parametrize(("rule", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule_evaluation(rule: dict[str, Any], expected: bool) -> None:
    assert parse_rule(rule).evaluate(Call()) is expected


def test_form_fields_are_found_by_name() -> None:
    rule = parse_rule(m("payload", "action", value="deploy"))
    assert rule.evaluate(Call({"action": "deploy", "env": "prod"}))
    assert not rule.evaluate(Call(None))


BAD = [
    ({"xor": []}, "unknown rule 'xor'"),
    ({"and": {}}, "and: expected a list of rules"),
    ({"and": [], "or": []}, "expected a mapping with one key"),
    ("match", "expected a mapping with one key"),
    (m("body", "x", value="1"), "match.source: expected one of header, query, payload"),
    (m("payload", "", value="1"), "match.name: a non-empty string is required"),
    (m("payload", "x"), "match: needs exactly one of value or regex"),
    (m("payload", "x", value="1", regex="1"), "match: needs exactly one of value or regex"),
    (m("payload", "x", regex="("), "match.regex: bad regular expression"),
    (
        {"match": {"source": "payload", "name": "x", "value": 1, "typ": "value"}},
        "unknown key 'typ'",
    ),
    ({"or": [m("payload", "x", value="1"), {"not": m("query", "y", regex="[")}]}, "or.1.not.match"),
]


@pytest.mark.parametrize(("rule", "message"), BAD)
def test_bad_rules_name_the_node(rule: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_rule(rule)
