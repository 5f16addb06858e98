"""The Alertmanager webhook payload (version 4), tolerant of newer fields.

Field names keep Alertmanager's spelling (``groupKey``, ``generatorURL``) as
aliases, so templates read like the payload Alertmanager documents.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reportflow.notifier.errors import PayloadError

SUPPORTED_VERSION = "4"


class AlertStatus(StrEnum):
    """Whether an alert (or a group) is active."""

    FIRING = "firing"  # the condition holds
    RESOLVED = "resolved"  # the condition stopped holding


def _none_to_dict(value: Any) -> Any:
    # Some Alertmanager builds send ``"commonAnnotations": null`` for empty maps.
    return {} if value is None else value


class Alert(BaseModel):
    """One alert of a notification group."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    status: AlertStatus
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime | None = Field(None, alias="startsAt")
    ends_at: datetime | None = Field(None, alias="endsAt")
    generator_url: str = Field("", alias="generatorURL")
    fingerprint: str = ""

    _nulls = field_validator("labels", "annotations", mode="before")(_none_to_dict)

    @property
    def identity(self) -> str:
        """The fingerprint, or a stable hash of the labels when it is missing."""
        if self.fingerprint:
            return self.fingerprint
        raw = json.dumps(self.labels, sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()[:16]


class AlertGroup(BaseModel):
    """What Alertmanager POSTs to a webhook receiver."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    version: str
    group_key: str = Field(alias="groupKey")
    truncated_alerts: int = Field(0, alias="truncatedAlerts")
    status: AlertStatus
    receiver: str
    group_labels: dict[str, str] = Field(default_factory=dict, alias="groupLabels")
    common_labels: dict[str, str] = Field(default_factory=dict, alias="commonLabels")
    common_annotations: dict[str, str] = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field("", alias="externalURL")
    alerts: list[Alert]

    _nulls = field_validator("group_labels", "common_labels", "common_annotations", mode="before")(
        _none_to_dict
    )

    @property
    def alertname(self) -> str:
        return self.common_labels.get("alertname") or self.group_labels.get("alertname", "")

    @property
    def firing(self) -> list[Alert]:
        return [a for a in self.alerts if a.status is AlertStatus.FIRING]

    @property
    def resolved(self) -> list[Alert]:
        return [a for a in self.alerts if a.status is AlertStatus.RESOLVED]

    def dedupe_key(self) -> str:
        """Group key, status and the alerts' fingerprints (with their own status)."""
        parts = sorted(f"{a.identity}:{a.status.value}" for a in self.alerts)
        raw = json.dumps([self.receiver, self.group_key, self.status.value, parts])
        return hashlib.sha256(raw.encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """The payload as Alertmanager spells it (datetimes as RFC 3339 strings)."""
        return self.model_dump(mode="json", by_alias=True)


def parse_payload(body: bytes) -> AlertGroup:
    """Parse and check a webhook body.

    Raises:
        PayloadError: 400 for malformed JSON, 422 for a wrong version or shape.
    """
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PayloadError(f"malformed JSON body: {exc}", status_code=400) from exc
    if not isinstance(data, dict):
        raise PayloadError("payload must be a JSON object", status_code=422)
    version = data.get("version")
    if version != SUPPORTED_VERSION:
        raise PayloadError(
            f"unsupported payload version {version!r} (expected {SUPPORTED_VERSION!r})",
            status_code=422,
        )
    try:
        return AlertGroup.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise PayloadError(
            f"invalid payload: {where}: {first['msg']} ({exc.error_count()} error(s))",
            status_code=422,
        ) from exc
