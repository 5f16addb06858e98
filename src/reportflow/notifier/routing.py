"""The route tree: which receivers get a notification, and with which templates.

It works like Alertmanager's own tree. A notification enters at the root; a
route matches when all its conditions hold on the group's common labels, its
status and the Alertmanager receiver it came from. Children are tried in order:
the first matching child wins unless it sets ``continue: true``, in which case
later siblings are tried as well. When no child matches, the route itself is
used. Receivers and templates are inherited from the parent when not set.

Label conditions are written as a mapping, the operator glued to the label:

    match:
      severity: critical        # equals
      alertname=~: "Backlog.*"  # regex, anchored at both ends
      env!=: staging            # not equal (a missing label counts as "")
      team!~: "ops|sre"         # regex does not match
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reportflow.notifier.payload import AlertGroup
from reportflow.notifier.templates import Templates

_OPERATORS = ("=~", "!~", "!=", "=")


@dataclass(frozen=True, slots=True)
class Matcher:
    """One label condition."""

    label: str
    op: Literal["=", "!=", "=~", "!~"]
    value: str
    pattern: re.Pattern[str] | None = None

    @classmethod
    def parse(cls, key: str, value: Any) -> Matcher:
        """``("severity", "critical")`` or ``("alertname=~", "Backlog.*")``."""
        text = str(value)
        for op in _OPERATORS:
            if key.endswith(op):
                label = key[: -len(op)].strip()
                break
        else:
            op, label = "=", key.strip()
        if not label:
            raise ValueError(f"match key {key!r} has no label name")
        pattern = None
        if op in ("=~", "!~"):
            try:
                pattern = re.compile(text)
            except re.error as exc:
                raise ValueError(f"match {key!r}: bad regex {text!r}: {exc}") from exc
        return cls(label, op, text, pattern)  # type: ignore[arg-type]

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.pattern is not None:
            hit = self.pattern.fullmatch(actual) is not None
            return hit if self.op == "=~" else not hit
        return (actual == self.value) if self.op == "=" else (actual != self.value)


class Route(BaseModel):
    """One node of the route tree."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)

    receivers: list[str] = Field(default_factory=list)
    match: dict[str, Any] = Field(default_factory=dict)
    status: Literal["firing", "resolved"] | None = None
    alertmanager_receiver: str | None = None
    """Only notifications Alertmanager sent for this receiver name."""
    continue_: bool = Field(False, alias="continue")
    templates: Templates = Field(default_factory=Templates)
    routes: list[Route] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _single_receiver(cls, data: Any) -> Any:
        # ``receiver: x`` reads better for the common case of one receiver.
        if isinstance(data, dict) and "receiver" in data:
            data = dict(data)
            one = data.pop("receiver")
            data["receivers"] = [one, *data.get("receivers", [])]
        return data

    @field_validator("match")
    @classmethod
    def _check_matchers(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, pattern in value.items():
            Matcher.parse(key, pattern)
        return value

    def matchers(self) -> list[Matcher]:
        return [Matcher.parse(k, v) for k, v in self.match.items()]

    def matches(self, group: AlertGroup) -> bool:
        if self.status is not None and group.status.value != self.status:
            return False
        if self.alertmanager_receiver not in (None, group.receiver):
            return False
        return all(m.matches(group.common_labels) for m in self.matchers())

    def all_receivers(self) -> set[str]:
        names = set(self.receivers)
        for child in self.routes:
            names |= child.all_receivers()
        return names


@dataclass(frozen=True, slots=True)
class Destination:
    """A receiver chosen for a notification, with the templates of the route that chose it."""

    receiver: str
    templates: Templates


def _merge(parent: Templates, child: Templates) -> Templates:
    return parent.model_copy(update=child.model_dump(exclude_none=True))


def _walk(
    route: Route, group: AlertGroup, receivers: list[str], templates: Templates
) -> list[Destination]:
    receivers = route.receivers or receivers
    templates = _merge(templates, route.templates)
    found: list[Destination] = []
    for child in route.routes:
        if not child.matches(group):
            continue
        found.extend(_walk(child, group, receivers, templates))
        if not child.continue_:
            break
    if found:
        return found
    return [Destination(name, templates) for name in receivers]


def resolve(root: Route, group: AlertGroup, base: Templates | None = None) -> list[Destination]:
    """Receivers for ``group``, each once (the first route that chose it wins).

    The root matches everything, as in Alertmanager; its conditions are ignored.
    """
    seen: set[str] = set()
    out: list[Destination] = []
    for dest in _walk(root, group, [], base or Templates()):
        if dest.receiver not in seen:
            seen.add(dest.receiver)
            out.append(dest)
    return out
