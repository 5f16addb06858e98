"""Alertmanager v4 payloads: real samples, and groups derived from them for scenarios."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from reportflow.notifier.payload import AlertGroup

SAMPLES = Path(__file__).parent / "samples"
SAMPLE_NAMES = ("probe_failure_v4", "no_fingerprint_v4", "null_annotations_v4")


def sample(name: str = "probe_failure_v4") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text())
    return data


def backlog(
    n: int = 2,
    *,
    status: str = "firing",
    severity: str = "warning",
    extra_labels: dict[str, str] | None = None,
    description: str = "Queue backlog grew for 15m.",
    receiver: str = "reportflow",
) -> dict[str, Any]:
    """A reportflow alert group in the shape of the real v4 sample."""
    data = sample()
    template = data["alerts"][0]
    labels = {"alertname": "BacklogGrowing", "severity": severity, **(extra_labels or {})}
    alerts = []
    for i in range(n):
        alert = copy.deepcopy(template)
        alert["status"] = status
        alert["labels"] = {**labels, "queue": f"q{i}"}
        alert["annotations"] = {
            "summary": f"Backlog growing on q{i}",
            "description": description,
            "runbook_url": "https://runbooks.example.org/backlog",
        }
        # Alertmanager fingerprints hash the label set; so do we (different hash, same idea).
        raw = json.dumps(alert["labels"], sort_keys=True).encode()
        alert["fingerprint"] = hashlib.sha256(raw).hexdigest()[:16]
        if status == "resolved":
            alert["endsAt"] = "2023-02-06T14:08:45.828Z"
        alerts.append(alert)
    data.update(
        receiver=receiver,
        status=status,
        alerts=alerts,
        groupLabels={"alertname": "BacklogGrowing"},
        commonLabels=labels,
        commonAnnotations={"description": description},
        groupKey='{}:{alertname="BacklogGrowing"}',
    )
    return data


def group(data: dict[str, Any] | None = None) -> AlertGroup:
    return AlertGroup.model_validate(data if data is not None else backlog())
