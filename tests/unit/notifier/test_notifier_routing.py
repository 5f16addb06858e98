"""The route tree: matchers, status, Alertmanager receiver, continue, inheritance."""

from __future__ import annotations

from typing import Any

import pytest
from notifier_samples import backlog, group

from reportflow.notifier import NotifierConfigError, parse_config, resolve
from reportflow.notifier.routing import Matcher

RECEIVERS = {name: [] for name in ("default", "pager", "teams", "ops", "audit", "staging")}


def receivers_for(route: dict[str, Any], data: dict[str, Any]) -> list[str]:
    config = parse_config({"receivers": RECEIVERS, "route": route})
    return [d.receiver for d in resolve(config.route, group(data))]


@pytest.mark.parametrize(
    ("key", "value", "labels", "expected"),
    [
        ("severity", "critical", {"severity": "critical"}, True),
        ("severity", "critical", {"severity": "warning"}, False),
        ("alertname=~", "Backlog.*", {"alertname": "BacklogGrowing"}, True),
        ("alertname=~", "Backlog", {"alertname": "BacklogGrowing"}, False),  # anchored
        ("env!=", "staging", {"env": "prod"}, True),
        ("env!=", "staging", {}, True),
        ("env!=", "staging", {"env": "staging"}, False),
        ("team!~", "ops|sre", {"team": "sre"}, False),
        ("team!~", "ops|sre", {"team": "dev"}, True),
        ("code", 500, {"code": "500"}, True),
    ],
)
def test_matcher(key: str, value: Any, labels: dict[str, str], expected: bool) -> None:
    assert Matcher.parse(key, value).matches(labels) is expected


def test_first_matching_child_wins() -> None:
    route = {
        "receiver": "default",
        "routes": [
            {"match": {"severity": "critical"}, "receiver": "pager"},
            {"match": {"alertname=~": "Backlog.*"}, "receiver": "teams"},
            {"match": {"alertname": "BacklogGrowing"}, "receiver": "ops"},
        ],
    }
    assert receivers_for(route, backlog(severity="critical")) == ["pager"]
    assert receivers_for(route, backlog(severity="warning")) == ["teams"]


def test_continue_collects_later_siblings() -> None:
    route = {
        "receiver": "default",
        "routes": [
            {"match": {"alertname=~": ".+"}, "receiver": "audit", "continue": True},
            {"match": {"severity": "critical"}, "receivers": ["pager", "teams"]},
            {"match": {"severity": "warning"}, "receiver": "ops"},
        ],
    }
    assert receivers_for(route, backlog(severity="critical")) == ["audit", "pager", "teams"]
    assert receivers_for(route, backlog(severity="warning")) == ["audit", "ops"]


def test_no_child_matches_falls_back_to_parent() -> None:
    route = {"receiver": "default", "routes": [{"match": {"env": "prod"}, "receiver": "pager"}]}
    assert receivers_for(route, backlog()) == ["default"]


def test_negation_routes_away_from_staging() -> None:
    route = {
        "receiver": "default",
        "routes": [
            {"match": {"env!=": "staging"}, "receiver": "pager"},
            {"match": {"env": "staging"}, "receiver": "staging"},
        ],
    }
    assert receivers_for(route, backlog(extra_labels={"env": "prod"})) == ["pager"]
    assert receivers_for(route, backlog(extra_labels={"env": "staging"})) == ["staging"]


def test_status_and_alertmanager_receiver_conditions() -> None:
    route = {
        "receiver": "default",
        "routes": [
            {"status": "resolved", "receiver": "audit"},
            {"alertmanager_receiver": "reportflow-pager", "receiver": "pager"},
        ],
    }
    assert receivers_for(route, backlog(status="resolved")) == ["audit"]
    assert receivers_for(route, backlog(receiver="reportflow-pager")) == ["pager"]
    assert receivers_for(route, backlog(receiver="other")) == ["default"]


def test_nested_routes_inherit_receivers_and_templates() -> None:
    config = parse_config(
        {
            "receivers": RECEIVERS,
            "templates": {"text": "base text"},
            "route": {
                "receiver": "default",
                "templates": {"title": "root {{ alertname }}"},
                "routes": [
                    {
                        "match": {"alertname": "BacklogGrowing"},
                        "receiver": "ops",
                        "templates": {"summary": "ops summary"},
                        "routes": [{"match": {"severity": "warning"}}],
                    }
                ],
            },
        }
    )
    (dest,) = resolve(config.route, group(backlog()), config.templates)
    assert dest.receiver == "ops"
    assert dest.templates.title == "root {{ alertname }}"
    assert dest.templates.summary == "ops summary"
    assert dest.templates.text == "base text"


def test_a_receiver_chosen_twice_is_used_once() -> None:
    route = {
        "receiver": "default",
        "routes": [
            {"match": {"severity": "warning"}, "receiver": "ops", "continue": True},
            {"match": {"alertname": "BacklogGrowing"}, "receivers": ["ops", "audit"]},
        ],
    }
    assert receivers_for(route, backlog()) == ["ops", "audit"]


@pytest.mark.parametrize(
    ("route", "words"),
    [
        ({"receiver": "nobody"}, "unknown receiver 'nobody'"),
        ({"receiver": "default", "match": {"a=~": "("}}, "bad regex"),
        ({"receiver": "default", "match": {"=~": "x"}}, "no label name"),
        ({"receiver": "default", "status": "burning"}, "route.status"),
        ({"receiver": "default", "colour": "red"}, "route.colour"),
    ],
)
def test_bad_routes_are_config_errors(route: dict[str, Any], words: str) -> None:
    with pytest.raises(NotifierConfigError, match=words.replace("(", r"\(")):
        parse_config({"receivers": RECEIVERS, "route": route})
