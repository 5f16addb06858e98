"""POST /hooks/scale through the ASGI app: auth, bodies, alerts, bounds, metrics."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from reportflow.metrics import REGISTRY
from reportflow.queue import connect
from reportflow.runner import NoopExecutor, Runner
from reportflow.runner.scale import Scaler, create_scale_app, parse_request

TOKEN = "s3cret-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def scaler(clock: Clock) -> AsyncIterator[Scaler]:
    async with connect("memory://") as queue:
        runner = Runner(queue, NoopExecutor(), concurrency=4, worker_id="hook-test")
        yield Scaler(runner, minimum=1, maximum=10, cooldown_seconds=300, clock=clock)


@pytest.fixture
async def client(scaler: Scaler) -> AsyncIterator[httpx.AsyncClient]:
    app = create_scale_app(scaler, token=TOKEN, body_limit=4096)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://runner") as c:
        yield c


def alerts(*items: tuple[str, str, str, dict[str, str]]) -> dict[str, Any]:
    """An Alertmanager v4 payload; items are (fingerprint, status, action, annotations)."""
    return {
        "version": "4",
        "groupKey": '{}:{alertname="RunnerBacklog"}',
        "status": "firing" if any(s == "firing" for _, s, _, _ in items) else "resolved",
        "receiver": "runner-scale",
        "groupLabels": {"alertname": "RunnerBacklog"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager",
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": "RunnerBacklog", "action": action},
                "annotations": ann,
                "startsAt": "2026-11-28T10:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": fp,
            }
            for fp, status, action, ann in items
        ],
    }


def scale_actions(reason: str, direction: str) -> float:
    value = REGISTRY.get_sample_value(
        "reportflow_scale_actions_total", {"reason": reason, "direction": direction}
    )
    return value or 0.0


async def test_target_and_delta(client: httpx.AsyncClient, scaler: Scaler) -> None:
    before = scale_actions("manual", "up")
    r = await client.post("/hooks/scale", json={"target": 7}, headers=AUTH)
    assert r.status_code == 200
    assert r.json() == {
        "previous": 4, "target": 7, "baseline": 7, "changed": True, "clamped": False, "alerts": []
    }  # fmt: skip
    assert scaler.runner.concurrency == 7
    assert scale_actions("manual", "up") == before + 1
    gauge = REGISTRY.get_sample_value(
        "reportflow_runner_concurrency_target", {"worker": "hook-test"}
    )
    assert gauge == 7
    r = await client.post("/hooks/scale", json={"delta": -2}, headers=AUTH)
    assert r.json()["target"] == 5
    assert scaler.runner.concurrency == 5


async def test_bounds_clamp(client: httpx.AsyncClient, scaler: Scaler) -> None:
    r = await client.post("/hooks/scale", json={"target": 500}, headers=AUTH)
    assert r.status_code == 200
    assert r.json()["target"] == 10
    assert r.json()["clamped"] is True
    r = await client.post("/hooks/scale", json={"delta": -50}, headers=AUTH)
    assert (r.json()["target"], r.json()["clamped"]) == (1, True)
    assert scaler.runner.concurrency == 1


async def test_alert_firing_repeat_and_resolved(
    client: httpx.AsyncClient, scaler: Scaler, clock: Clock
) -> None:
    firing = alerts(("fp1", "firing", "scale_up", {"step": "3"}))
    r = await client.post("/hooks/scale", json=firing, headers=AUTH)
    assert r.status_code == 200
    assert r.json()["alerts"] == [{"fingerprint": "fp1", "outcome": "applied"}]
    assert scaler.runner.concurrency == 7
    clock.now += 60  # Alertmanager re-sends the group: within the cooldown, nothing happens
    r = await client.post("/hooks/scale", json=firing, headers=AUTH)
    assert r.json()["alerts"][0]["outcome"] == "cooldown"
    assert scaler.runner.concurrency == 7
    clock.now += 300  # still firing after the cooldown: one more step
    await client.post("/hooks/scale", json=firing, headers=AUTH)
    assert scaler.runner.concurrency == 10
    resolved = alerts(("fp1", "resolved", "scale_up", {"step": "3"}))
    before = scale_actions("alert_resolved", "down")
    r = await client.post("/hooks/scale", json=resolved, headers=AUTH)
    assert r.json()["alerts"][0]["outcome"] == "resolved"
    assert scaler.runner.concurrency == 4
    assert scale_actions("alert_resolved", "down") == before + 1


async def test_alert_scale_down_and_target(client: httpx.AsyncClient, scaler: Scaler) -> None:
    body = alerts(
        ("idle", "firing", "scale_down", {"step": "2"}),
        ("other", "firing", "page", {}),
    )
    r = await client.post("/hooks/scale", json=body, headers=AUTH)
    assert [a["outcome"] for a in r.json()["alerts"]] == ["applied", "ignored"]
    assert scaler.runner.concurrency == 2
    pin = alerts(("pin", "firing", "scale_up", {"target": "9"}))
    await client.post("/hooks/scale", json=pin, headers=AUTH)
    assert scaler.runner.concurrency == 7  # pinned at 9, the scale_down step still holds


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong"}, {"authorization": f"Basic {TOKEN}"}],
)
async def test_auth_is_required(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    r = await client.post("/hooks/scale", json={"target": 5}, headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = await client.get("/hooks/scale", headers=headers)
    assert r.status_code == 401


async def test_no_token_configured_refuses_everything(scaler: Scaler) -> None:
    app = create_scale_app(scaler, token=None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://runner") as c:
        r = await c.post("/hooks/scale", json={"target": 5}, headers={"authorization": "Bearer "})
    assert r.status_code == 401
    assert scaler.runner.concurrency == 4


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    r = await client.post("/hooks/scale", content=b"{target: 5", headers=AUTH)
    assert r.status_code == 400
    assert "malformed JSON" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "culprit"),
    [
        ([5], "JSON object"),
        ({"target": -1}, "target"),
        ({"target": "5"}, "target"),
        ({"target": True}, "target"),
        ({"target": 2.5}, "target"),
        ({"delta": None}, "delta"),
        ({"target": 1, "delta": 1}, "exactly one"),
        ({}, "exactly one"),
        ({"replicas": 3}, "replicas"),
        ({"delta": 10**9}, "delta"),
        ({"version": "3", "alerts": []}, "version"),
        (alerts(("a", "firing", "scale_up", {"step": "lots"})), "alerts[0].annotations.step"),
        (alerts(("a", "firing", "scale_up", {"target": "-3"})), "alerts[0].annotations.target"),
    ],
)
async def test_bad_values_are_422(
    client: httpx.AsyncClient, scaler: Scaler, body: Any, culprit: str
) -> None:
    r = await client.post("/hooks/scale", content=json.dumps(body), headers=AUTH)
    assert r.status_code == 422, r.text
    assert culprit in r.json()["detail"]
    assert scaler.runner.concurrency == 4


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    big = json.dumps({"target": 5, "pad": "x" * 5000})
    r = await client.post("/hooks/scale", content=big, headers=AUTH)
    assert r.status_code == 413


async def test_oversized_stream_without_length_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 1000

    r = await client.post("/hooks/scale", content=chunks(), headers=AUTH)
    assert r.status_code == 413


async def test_state_health_and_metrics(client: httpx.AsyncClient) -> None:
    await client.post("/hooks/scale", json=alerts(("x", "firing", "scale_up", {})), headers=AUTH)
    state = (await client.get("/hooks/scale", headers=AUTH)).json()
    assert state["target"] == 5
    assert state["alerts"] == {"x": {"delta": 1, "target": None}}
    assert (await client.get("/healthz")).json()["status"] == "ok"
    metrics = (await client.get("/metrics")).text
    assert "reportflow_scale_actions_total" in metrics


def test_parse_request_plain() -> None:
    assert parse_request(b'{"delta": -3}').delta == -3
    assert parse_request(b'{"target": 0}').target == 0
