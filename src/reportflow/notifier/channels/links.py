"""The buttons a chat message offers: Grafana panel, runbook, source graph, silence."""

from __future__ import annotations

from reportflow.notifier.payload import AlertGroup, AlertStatus
from reportflow.notifier.templates import silence_url

GRAFANA_KEYS = ("grafana_url", "panel_url", "dashboard_url", "grafana")
RUNBOOK_KEYS = ("runbook_url", "runbook")


def _absolute(url: str) -> bool:
    # Chat services reject relative URLs (a generatorURL behind a path-only prefix).
    return url.startswith(("http://", "https://"))


def _annotation(group: AlertGroup, keys: tuple[str, ...]) -> str:
    sources = [group.common_annotations, *(a.annotations for a in group.alerts)]
    for found in sources:
        for key in keys:
            value = found.get(key, "")
            if _absolute(value):
                return value
    return ""


def action_links(group: AlertGroup) -> list[tuple[str, str]]:
    """``(title, url)`` pairs, the most useful first, only absolute URLs."""
    out = [
        ("Grafana", _annotation(group, GRAFANA_KEYS)),
        ("Runbook", _annotation(group, RUNBOOK_KEYS)),
        ("Source", next((a.generator_url for a in group.alerts if a.generator_url), "")),
    ]
    if group.status is AlertStatus.FIRING:
        out.append(("Silence", silence_url(group)))
    return [(title, url) for title, url in out if _absolute(url)]
