"""Trigger rules: ``and`` / ``or`` / ``not`` trees of ``match`` conditions on the request.

A condition reads one value of the request — a header, a query parameter, or a
field of the payload (a dotted path into JSON, ``commits.0.id``, or a form field
name) — and compares it with a string (``value``) or searches it with a regular
expression (``regex``, unanchored like adnanh/webhook's; write ``^…$`` to anchor).
A value that is missing never matches, whatever the operator.

    rule:
      and:
        - match: {source: header, name: X-GitHub-Event, value: push}
        - or:
            - match: {source: payload, name: ref, value: refs/heads/main}
            - match: {source: payload, name: ref, regex: "^refs/tags/v"}
        - not: {match: {source: query, name: dry_run, value: "1"}}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias

Source: TypeAlias = Literal["header", "query", "payload"]
SOURCES: tuple[Source, ...] = ("header", "query", "payload")
_MATCH_KEYS = {"source", "name", "value", "regex"}


class RuleInput(Protocol):
    """What a rule reads from: one request value by source and name (None when missing)."""

    def lookup(self, source: Source, name: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Match:
    """One condition: the value at ``source``/``name`` equals ``value`` or matches ``pattern``."""

    source: Source
    name: str
    value: str | None = None
    pattern: re.Pattern[str] | None = None

    def evaluate(self, request: RuleInput) -> bool:
        actual = request.lookup(self.source, self.name)
        if actual is None:
            return False
        if self.pattern is not None:
            return self.pattern.search(actual) is not None
        return actual == self.value


@dataclass(frozen=True, slots=True)
class All:
    """True when every sub-rule is (``and``); an empty list is true."""

    rules: tuple[Rule, ...]

    def evaluate(self, request: RuleInput) -> bool:
        return all(rule.evaluate(request) for rule in self.rules)


@dataclass(frozen=True, slots=True)
class Any_:
    """True when one sub-rule is (``or``); an empty list is false."""

    rules: tuple[Rule, ...]

    def evaluate(self, request: RuleInput) -> bool:
        return any(rule.evaluate(request) for rule in self.rules)


@dataclass(frozen=True, slots=True)
class Not:
    """True when the sub-rule is false."""

    rule: Rule

    def evaluate(self, request: RuleInput) -> bool:
        return not self.rule.evaluate(request)


Rule: TypeAlias = Match | All | Any_ | Not


def parse_rule(data: Any, where: str = "") -> Rule:
    """Build a rule tree from YAML; a ``ValueError`` names the node that is wrong."""
    if isinstance(data, Match | All | Any_ | Not):
        return data
    if not isinstance(data, dict) or len(data) != 1:
        raise ValueError(_at(where, "expected a mapping with one key: and, or, not or match"))
    ((key, value),) = data.items()
    here = f"{where}.{key}" if where else str(key)
    if key in ("and", "or"):
        if not isinstance(value, list):
            raise ValueError(f"{here}: expected a list of rules")
        rules = tuple(parse_rule(item, f"{here}.{i}") for i, item in enumerate(value))
        return All(rules) if key == "and" else Any_(rules)
    if key == "not":
        return Not(parse_rule(value, here))
    if key == "match":
        return _parse_match(value, here)
    raise ValueError(_at(where, f"unknown rule {key!r} (expected and, or, not or match)"))


def _at(where: str, message: str) -> str:
    return f"{where}: {message}" if where else message


def _parse_match(data: Any, where: str) -> Match:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping with source, name and value or regex")
    unknown = set(data) - _MATCH_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    source = data.get("source")
    if source not in SOURCES:
        raise ValueError(f"{where}.source: expected one of {', '.join(SOURCES)}, got {source!r}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}.name: a non-empty string is required")
    if ("value" in data) == ("regex" in data):
        raise ValueError(f"{where}: needs exactly one of value or regex")
    if "value" in data:
        return Match(source, name, value=as_text(data["value"]))
    try:
        pattern = re.compile(str(data["regex"]))
    except re.error as exc:
        raise ValueError(f"{where}.regex: bad regular expression: {exc}") from exc
    return Match(source, name, pattern=pattern)


def as_text(value: Any) -> str | None:
    """A request value as rules and templates compare it: JSON scalars as JSON spells them."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def find_path(data: Any, path: str) -> Any:
    """``a.b.0.c`` into nested dicts and lists; None when any step is missing.

    A key that itself holds dots (``{"a.b": 1}``) is found too: the whole rest
    of the path is tried as a key before it is split.
    """
    if isinstance(data, Mapping):
        if path in data:
            return data[path]
        head, dot, rest = path.partition(".")
        while dot:
            if head in data:
                found = find_path(data[head], rest)
                if found is not None:
                    return found
            nxt, dot, rest = rest.partition(".")
            head = f"{head}.{nxt}"
        return None
    if isinstance(data, list):
        head, _, rest = path.partition(".")
        if not head.isdigit() or int(head) >= len(data):
            return None
        return data[int(head)] if not rest else find_path(data[int(head)], rest)
    return None
