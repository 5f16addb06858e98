"""Parsing Alertmanager v4 payloads: real samples, tolerance, clear errors."""

from __future__ import annotations

import json

import pytest
from notifier_samples import SAMPLE_NAMES, backlog, group, sample

from reportflow.notifier import AlertStatus, PayloadError, parse_payload


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_real_samples_parse(name: str) -> None:
    data = sample(name)
    parsed = parse_payload(json.dumps(data).encode())
    assert parsed.group_key == data["groupKey"]
    assert parsed.status is AlertStatus.FIRING
    assert len(parsed.alerts) == len(data["alerts"])
    assert parsed.alerts[0].labels == data["alerts"][0]["labels"]


def test_null_common_annotations_become_empty() -> None:
    parsed = parse_payload(json.dumps(sample("null_annotations_v4")).encode())
    assert parsed.common_annotations == {}


def test_newer_fields_are_ignored() -> None:
    data = sample()
    data["someFutureField"] = {"x": 1}
    data["alerts"][0]["silenceURL"] = "https://example.org/silence"
    parsed = parse_payload(json.dumps(data).encode())
    assert parsed.alertname == "ProbeFailure"


def test_round_trip_keeps_alertmanager_spelling() -> None:
    out = group(sample()).to_json()
    assert out["groupKey"] == sample()["groupKey"]
    assert out["alerts"][0]["generatorURL"].startswith("http://prometheus.example.org")
    assert out["alerts"][0]["startsAt"].startswith("2023-02-06T13:08:45.828")


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        (b"{not json", 400, "malformed JSON"),
        (b"\xff\xfe", 400, "malformed JSON"),
        (b"[1, 2]", 422, "JSON object"),
        (json.dumps({**sample(), "version": "3"}).encode(), 422, "version '3'"),
        (json.dumps({k: v for k, v in sample().items() if k != "version"}).encode(), 422, "None"),
        (
            json.dumps({k: v for k, v in sample().items() if k != "groupKey"}).encode(),
            422,
            "groupKey",
        ),
        (json.dumps({**sample(), "status": "burning"}).encode(), 422, "status"),
    ],
)
def test_bad_bodies_name_the_culprit(body: bytes, code: int, words: str) -> None:
    with pytest.raises(PayloadError) as info:
        parse_payload(body)
    assert info.value.status_code == code
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_dedupe_key_ignores_alert_order_but_not_status() -> None:
    data = backlog(3)
    key = group(data).dedupe_key()
    data["alerts"].reverse()
    assert group(data).dedupe_key() == key
    assert group(backlog(3, status="resolved")).dedupe_key() != key
    assert group(backlog(2)).dedupe_key() != key


def test_missing_fingerprint_falls_back_to_labels() -> None:
    a = group(sample("no_fingerprint_v4"))
    assert a.alerts[0].fingerprint == ""
    assert len(a.alerts[0].identity) == 16
    other = sample("no_fingerprint_v4")
    other["alerts"][0]["labels"]["instance"] = "elsewhere:9090"
    assert group(other).alerts[0].identity != a.alerts[0].identity
