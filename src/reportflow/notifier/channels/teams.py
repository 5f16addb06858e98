"""Microsoft Teams through a Workflows webhook: an Adaptive Card per message.

Teams refuses messages over about 28 KB. A group that does not fit is split
into several cards (alerts packed in order, each card titled "part i/n"); an
alert that alone does not fit has its longest texts trimmed.
"""

from __future__ import annotations

import json
from typing import Any

from reportflow.notifier.channels.base import Channel, Notification, post
from reportflow.notifier.channels.links import action_links
from reportflow.notifier.config import TeamsChannel as TeamsConfig
from reportflow.notifier.errors import DeliveryError
from reportflow.notifier.payload import Alert
from reportflow.notifier.templates import since, teams_style

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
TEAMS_ACCEPTED = frozenset({200, 202})
_PART_PLACEHOLDER = " (part 999/999)"
_TRIM_STEPS = (2000, 1000, 500, 250, 120, 60)
_MAX_FACTS_AFTER_TRIM = 12


def encode(message: dict[str, Any]) -> bytes:
    """The exact bytes sent, so the size check measures what Teams receives."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()


def _facts(labels: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "FactSet",
        "facts": [{"title": k, "value": v} for k, v in sorted(labels.items())],
    }


def _alert_block(alert: Alert, common: dict[str, str]) -> dict[str, Any]:
    firing = alert.status.value == "firing"
    headline = alert.annotations.get("summary") or alert.labels.get("alertname", "alert")
    items: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": f"{alert.status.value.upper()}: {headline}",
            "weight": "Bolder",
            "color": "Attention" if firing else "Good",
            "wrap": True,
        }
    ]
    if description := alert.annotations.get("description"):
        items.append({"type": "TextBlock", "text": description, "wrap": True, "isSubtle": True})
    own = {k: v for k, v in alert.labels.items() if common.get(k) != v}
    if own:
        items.append(_facts(own))
    started = since(alert.starts_at) if firing else since(alert.starts_at, alert.ends_at)
    if started:
        when = f"firing for {started}" if firing else f"lasted {started}"
        items.append({"type": "TextBlock", "text": when, "size": "Small", "isSubtle": True})
    return {"type": "Container", "separator": True, "items": items}


class TeamsChannel(Channel[TeamsConfig]):
    """Posts Adaptive Cards to a Teams Workflows URL; 200 and 202 mean accepted."""

    type = "teams"

    def card(self, note: Notification, alerts: list[Alert], part: str = "") -> dict[str, Any]:
        group = note.group
        severity = group.common_labels.get("severity")
        header: list[dict[str, Any]] = [
            {
                "type": "TextBlock",
                "text": note.text("title") + part,
                "weight": "Bolder",
                "size": "Large",
                "wrap": True,
            }
        ]
        if summary := note.text("summary"):
            header.append({"type": "TextBlock", "text": summary, "wrap": True})
        body: list[dict[str, Any]] = [
            {
                "type": "Container",
                "style": teams_style(group.status.value, severity),
                "bleed": True,
                "items": header,
            }
        ]
        if group.common_labels:
            body.append(_facts(group.common_labels))
        body.extend(_alert_block(a, group.common_labels) for a in alerts)
        actions = [
            {"type": "Action.OpenUrl", "title": title, "url": url}
            for title, url in action_links(group)
        ]
        content: dict[str, Any] = {
            "$schema": CARD_SCHEMA,
            "type": "AdaptiveCard",
            "version": self.config.card_version,
            "msteams": {"width": "Full"},
            "body": body,
        }
        if actions:
            content["actions"] = actions
        return {
            "type": "message",
            "attachments": [
                {"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": content}
            ],
        }

    def messages(self, note: Notification) -> list[dict[str, Any]]:
        """One message when it fits, else cards of packed alerts, each within the limit."""
        limit = self.config.max_bytes
        alerts = note.group.alerts
        whole = self.card(note, alerts)
        if len(encode(whole)) <= limit:
            return [whole]
        # Pack by adding up sizes: an alert block adds its own bytes plus one comma, so
        # the card is not re-encoded per alert (that was quadratic for big groups).
        room = limit - len(encode(self.card(note, [], _PART_PLACEHOLDER)))
        common = note.group.common_labels
        parts: list[list[Alert]] = []
        current: list[Alert] = []
        used = 0
        for alert in alerts:
            size = len(encode(_alert_block(alert, common))) + 1
            if current and used + size > room:
                parts.append(current)
                current, used = [], 0
            current.append(alert)
            used += size
        parts.append(current)
        total = len(parts)
        out = []
        for i, chunk in enumerate(parts, 1):
            suffix = f" (part {i}/{total})" if total > 1 else ""
            out.append(_fit(self.card(note, chunk, suffix), limit))
        return out

    async def send(self, note: Notification) -> str | None:
        messages = self.messages(note)
        for message in messages:
            await post(
                self.client,
                self.config.url,
                content=encode(message),
                headers={"content-type": "application/json"},
                timeout=self.config.timeout_seconds,
                accept=TEAMS_ACCEPTED,
            )
        return f"{len(messages)} message(s)" if len(messages) > 1 else None


def _trim_texts(node: Any, limit: int) -> None:
    if isinstance(node, dict):
        for key in ("text", "value"):
            value = node.get(key)
            if isinstance(value, str) and len(value) > limit:
                node[key] = value[: limit - 1] + "…"
        if node.get("type") == "FactSet" and len(node["facts"]) > _MAX_FACTS_AFTER_TRIM:
            dropped = len(node["facts"]) - _MAX_FACTS_AFTER_TRIM
            node["facts"] = node["facts"][:_MAX_FACTS_AFTER_TRIM]
            node["facts"].append({"title": "…", "value": f"{dropped} more"})
        for child in node.values():
            _trim_texts(child, limit)
    elif isinstance(node, list):
        for child in node:
            _trim_texts(child, limit)


def _fit(message: dict[str, Any], limit: int) -> dict[str, Any]:
    """Shorten the longest texts (then long fact lists) until the message fits."""
    for step in _TRIM_STEPS:
        if len(encode(message)) <= limit:
            return message
        _trim_texts(message, step)
    if len(encode(message)) <= limit:
        return message
    raise DeliveryError(
        f"teams card is {len(encode(message))} bytes even trimmed (limit {limit})",
        retryable=False,
    )
