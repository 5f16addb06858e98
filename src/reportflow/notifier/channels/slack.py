"""Slack incoming webhooks: Block Kit blocks, with the plain text as the fallback."""

from __future__ import annotations

import json
from typing import Any

from reportflow.notifier.channels.base import Channel, Notification, post
from reportflow.notifier.channels.links import action_links
from reportflow.notifier.config import SlackChannel as SlackConfig
from reportflow.notifier.payload import Alert
from reportflow.notifier.templates import label_list, since

# Slack's documented limits: header text 150 chars, section text 3000, 50 blocks.
HEADER_MAX = 150
SECTION_MAX = 3000
FALLBACK_MAX = 3000
MAX_ALERT_BLOCKS = 20


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _alert_section(alert: Alert) -> dict[str, Any]:
    firing = alert.status.value == "firing"
    icon = ":red_circle:" if firing else ":large_green_circle:"
    headline = alert.annotations.get("summary") or alert.labels.get("alertname", "alert")
    lines = [f"{icon} *{alert.status.value.upper()}* {headline}"]
    if description := alert.annotations.get("description"):
        lines.append(description)
    lines.append(f"`{label_list(alert.labels)}`")
    duration = since(alert.starts_at) if firing else since(alert.starts_at, alert.ends_at)
    if duration:
        lines.append(f"_{'firing for' if firing else 'lasted'} {duration}_")
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": _cut("\n".join(lines), SECTION_MAX)},
    }


class SlackChannel(Channel[SlackConfig]):
    """Posts one Block Kit message per group."""

    type = "slack"

    def message(self, note: Notification) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": _cut(note.text("title"), HEADER_MAX)},
            }
        ]
        if summary := note.text("summary"):
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": _cut(summary, SECTION_MAX)}}
            )
        alerts = note.group.alerts
        blocks.extend(_alert_section(a) for a in alerts[:MAX_ALERT_BLOCKS])
        hidden = len(alerts) - MAX_ALERT_BLOCKS + note.group.truncated_alerts
        if hidden > 0:
            blocks.append(
                {"type": "context", "elements": [{"type": "mrkdwn", "text": f"+{hidden} more"}]}
            )
        buttons = [
            {"type": "button", "text": {"type": "plain_text", "text": title}, "url": url}
            for title, url in action_links(note.group)
        ]
        if buttons:
            blocks.append({"type": "actions", "elements": buttons})
        return {"text": _cut(note.text("text"), FALLBACK_MAX), "blocks": blocks}

    async def send(self, note: Notification) -> str | None:
        body = json.dumps(self.message(note), ensure_ascii=False).encode()
        await post(
            self.client,
            self.config.url,
            content=body,
            headers={"content-type": "application/json"},
            timeout=self.config.timeout_seconds,
        )
        return None
