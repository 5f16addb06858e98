"""Teams Adaptive Cards (structure, 28 KB split and trim) and Slack Block Kit messages."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from notifier_samples import backlog, group

from reportflow.notifier.channels import Notification, SlackChannel, TeamsChannel
from reportflow.notifier.channels.teams import CARD_CONTENT_TYPE, encode
from reportflow.notifier.config import SlackChannel as SlackConfig
from reportflow.notifier.config import TeamsChannel as TeamsConfig
from reportflow.notifier.templates import TemplateRenderer, Templates, build_context


def note(data: dict[str, Any]) -> Notification:
    g = group(data)
    return Notification(g, "ops", Templates().resolved(), TemplateRenderer(), build_context(g))


@pytest.fixture
def teams() -> TeamsChannel:
    cfg = TeamsConfig.model_validate({"type": "teams", "url": "http://127.0.0.1:9/teams"})
    return TeamsChannel("teams-0", cfg, httpx.AsyncClient())


def card_of(message: dict[str, Any]) -> dict[str, Any]:
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    content: dict[str, Any] = attachment["content"]
    return content


def texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if isinstance(node.get("text"), str) else []
        return own + [t for v in node.values() for t in texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in texts(v)]
    return []


def test_teams_card_structure(teams: TeamsChannel) -> None:
    (message,) = teams.messages(note(backlog(2, severity="critical")))
    assert message["type"] == "message"
    card = card_of(message)
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.4"
    header = card["body"][0]
    assert header["style"] == "attention"
    assert header["items"][0]["text"] == "[FIRING:2] BacklogGrowing (severity=critical)"
    facts = card["body"][1]
    assert facts["type"] == "FactSet"
    assert {"title": "severity", "value": "critical"} in facts["facts"]
    assert "Backlog growing on q1" in " ".join(texts(card))
    actions = {a["title"]: a["url"] for a in card["actions"]}
    assert actions["Runbook"] == "https://runbooks.example.org/backlog"
    assert actions["Source"].startswith("http://prometheus.example.org:9090/graph")
    assert "silences/new" in actions["Silence"]
    assert all(a["type"] == "Action.OpenUrl" for a in card["actions"])


def test_resolved_card_is_green_without_silence(teams: TeamsChannel) -> None:
    (message,) = teams.messages(note(backlog(1, status="resolved")))
    card = card_of(message)
    assert card["body"][0]["style"] == "good"
    assert "Silence" not in {a["title"] for a in card["actions"]}


def test_teams_splits_big_groups_under_the_limit(teams: TeamsChannel) -> None:
    data = backlog(120, description="x" * 400)
    assert len(encode(teams.card(note(data), note(data).group.alerts))) > 28_000
    messages = teams.messages(note(data))
    assert len(messages) > 1
    seen = []
    for i, message in enumerate(messages, 1):
        assert len(encode(message)) <= 28_000
        card = card_of(message)
        assert card["body"][0]["items"][0]["text"].endswith(f"(part {i}/{len(messages)})")
        seen += [t for t in texts(card) if t.startswith("FIRING: Backlog growing on")]
    assert seen == [f"FIRING: Backlog growing on q{i}" for i in range(120)]


def test_teams_trims_a_single_huge_alert(teams: TeamsChannel) -> None:
    data = backlog(1, description="y" * 60_000)
    (message,) = teams.messages(note(data))
    assert len(encode(message)) <= 28_000
    description = next(t for t in texts(card_of(message)) if t.startswith("yyy"))
    assert description.endswith("…")
    assert len(description) < 60_000


def test_slack_blocks_with_fallback() -> None:
    cfg = SlackConfig.model_validate({"type": "slack", "url": "http://127.0.0.1:9/slack"})
    message = SlackChannel("slack-0", cfg, httpx.AsyncClient()).message(note(backlog(25)))
    assert message["text"].startswith("[FIRING:25] BacklogGrowing")
    blocks = message["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "[FIRING:25] BacklogGrowing (severity=warning)"},
    }
    sections = [b for b in blocks if b["type"] == "section"]
    assert "*FIRING* Backlog growing on q0" in sections[1]["text"]["text"]
    assert any(b["type"] == "context" and "+5 more" in json.dumps(b) for b in blocks)
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert {e["text"]["text"] for e in actions["elements"]} == {"Runbook", "Source", "Silence"}
