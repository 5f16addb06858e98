"""POST /hooks/alertmanager end to end: auth, bad input, routing, failures, dedupe, history."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from notifier_samples import backlog, sample
from notifier_servers import Capture, closed_url, free_port, serve

from reportflow.config import Settings
from reportflow.notifier import create_app, parse_config

pytestmark = pytest.mark.integration
TOKEN = "am-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}
HOOK = "/hooks/alertmanager"

Factory = Callable[..., FastAPI]


@pytest.fixture
async def make_app(tmp_path: Path) -> AsyncIterator[Factory]:
    apps: list[FastAPI] = []

    def make(receivers: dict[str, Any], route: dict[str, Any], **extra: Any) -> FastAPI:
        config = parse_config(
            {
                "auth": {"bearer_token": TOKEN, "basic": {"username": "am", "password": "pw"}},
                "history_url": f"sqlite:///{tmp_path / 'history.db'}",
                "retry": {"attempts": 3, "backoff_seconds": 0.01},
                "receivers": receivers,
                "route": route,
                **extra,
            }
        )
        app = create_app(Settings(home=tmp_path), config=config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        await app.state.notifier.aclose()


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notifier")


def teams(capture: Capture, name: str = "teams") -> dict[str, Any]:
    return {"type": "teams", "name": name, "url": capture.url(name)}


async def history(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/notifications", params=params, headers=AUTH)
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_auth_is_required(make_app: Factory, capture: Capture) -> None:
    app = make_app({"ops": [teams(capture)]}, {"receiver": "ops"})
    body = json.dumps(backlog()).encode()
    basic = "Basic " + base64.b64encode(b"am:pw").decode()
    async with client_for(app) as client:
        missing = await client.post(HOOK, content=body)
        wrong = await client.post(HOOK, content=body, headers={"authorization": "Bearer nope"})
        history_open = await client.get("/api/v1/notifications")
        ok = await client.post(HOOK, content=body, headers={"authorization": basic})
    assert missing.status_code == wrong.status_code == history_open.status_code == 401
    assert "Bearer" in missing.headers["www-authenticate"]
    assert ok.status_code == 200
    assert len(capture.on("teams")) == 1


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b'{"version": "4", ', 400, "malformed JSON"),
        (json.dumps({**sample(), "version": "3"}).encode(), 422, "version '3'"),
        (json.dumps({**sample(), "alerts": "none"}).encode(), 422, "alerts"),
    ],
)
async def test_bad_input_is_4xx(
    make_app: Factory, capture: Capture, body: bytes, status: int, words: str
) -> None:
    app = make_app({"ops": [teams(capture)]}, {"receiver": "ops"})
    async with client_for(app) as client:
        response = await client.post(HOOK, content=body, headers=AUTH)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert capture.requests == []


async def test_oversized_body_is_413_declared_or_streamed(make_app: Factory) -> None:
    app = make_app({"ops": []}, {"receiver": "ops"}, body_limit_bytes=4096)
    huge = json.dumps(backlog(200)).encode()
    assert len(huge) > 4096

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(huge), 1000):
            yield huge[i : i + 1000]

    async with client_for(app) as client:
        declared = await client.post(HOOK, content=huge, headers=AUTH)
        streamed = await client.post(HOOK, content=chunks(), headers=AUTH)
    assert declared.status_code == streamed.status_code == 413
    assert "exceeds 4096 bytes" in declared.json()["detail"]


async def test_template_error_is_recorded_and_others_still_deliver(
    make_app: Factory, capture: Capture
) -> None:
    broken = {
        "type": "http",
        "name": "tickets",
        "url": capture.url("tickets"),
        "body": "{{ alerts | nosuchfilter }}",
    }
    app = make_app({"ops": [broken, teams(capture)]}, {"receiver": "ops"})
    async with client_for(app) as client:
        response = await client.post(HOOK, json=backlog(), headers=AUTH)
        rows = {r["channel_name"]: r for r in await history(client)}
    # A broken template will not heal on retry: no 5xx, the failure is on record.
    assert response.status_code == 200
    assert len(capture.on("teams")) == 1
    assert capture.on("tickets") == []
    assert rows["teams"]["outcome"] == "sent"
    assert rows["tickets"]["outcome"] == "failed"
    assert rows["tickets"]["error"] == "template 'body': line 1: No filter named 'nosuchfilter'."


async def test_unreachable_channels_are_retried_recorded_and_answered_503(
    make_app: Factory, capture: Capture
) -> None:
    dead_teams = {"type": "teams", "name": "dead-teams", "url": closed_url("teams")}
    dead_mail = {
        "type": "email",
        "name": "dead-mail",
        "host": "127.0.0.1",
        "port": free_port(),
        "security": "none",
        "from": "alerts@example.org",
        "to": ["ops@example.org"],
    }
    app = make_app({"ops": [dead_teams, dead_mail, teams(capture)]}, {"receiver": "ops"})
    async with client_for(app) as client:
        response = await client.post(HOOK, json=backlog(), headers=AUTH)
        failed = await history(client, outcome="failed")
        # Alertmanager retries: the channel that worked is not notified twice.
        capture.default_status = 200
        again = await client.post(HOOK, json=backlog(), headers=AUTH)
        dedup = await history(client, outcome="deduplicated")
    assert response.status_code == 503
    assert response.json()["retry"] is True
    assert {r["channel_name"]: r["attempts"] for r in failed} == {"dead-teams": 3, "dead-mail": 3}
    assert all(r["error"] for r in failed)
    assert again.status_code == 503
    assert [r["channel_name"] for r in dedup] == ["teams"]
    assert len(capture.on("teams")) == 1


async def test_partial_failure_then_retry_sends_only_the_missing_channel(
    make_app: Factory, capture: Capture
) -> None:
    capture.script["flaky"] = [503, 503, 503]
    app = make_app({"ops": [teams(capture), teams(capture, "flaky")]}, {"receiver": "ops"})
    async with client_for(app) as client:
        first = await client.post(HOOK, json=backlog(), headers=AUTH)
        second = await client.post(HOOK, json=backlog(), headers=AUTH)
    assert (first.status_code, second.status_code) == (503, 200)
    assert len(capture.on("teams")) == 1
    assert len(capture.on("flaky")) == 4  # three failed attempts, then the retry's one


async def test_flood_of_identical_alerts_sends_once(make_app: Factory, capture: Capture) -> None:
    app = make_app({"ops": [teams(capture)]}, {"receiver": "ops"})
    body = json.dumps(backlog()).encode()
    async with client_for(app) as client:
        responses = await asyncio.gather(
            *(client.post(HOOK, content=body, headers=AUTH) for _ in range(25))
        )
        sent = await history(client, channel="teams", outcome="sent")
        dedup = await history(client, channel="teams", outcome="deduplicated")
        # Resolution of the same group is news: it goes out.
        resolved = await client.post(HOOK, json=backlog(status="resolved"), headers=AUTH)
    assert [r.status_code for r in responses] == [200] * 25
    assert len(capture.on("teams")) == 2
    assert (len(sent), len(dedup)) == (1, 24)
    assert resolved.status_code == 200


async def test_routing_through_the_receiver(make_app: Factory, capture: Capture) -> None:
    receivers = {
        "pager": [teams(capture, "pager")],
        "chat": [teams(capture, "chat")],
        "audit": [teams(capture, "audit")],
        "scale": [{"type": "scale", "url": capture.url("scale"), "mode": "delta", "value": 2}],
        "default": [teams(capture, "default")],
    }
    route = {
        "receiver": "default",
        "routes": [
            {
                "match": {"alertname=~": "Backlog.*"},
                "status": "firing",
                "receiver": "scale",
                "continue": True,
            },
            {"match": {"severity": "critical", "env!=": "staging"}, "receivers": ["pager", "chat"]},
            {"match": {"team!~": "infra|net"}, "status": "resolved", "receiver": "audit"},
        ],
    }
    app = make_app(receivers, route)
    cases = [
        (backlog(severity="critical", extra_labels={"env": "prod"}), {"scale", "pager", "chat"}),
        # The scale route matched (with continue), so the parent's default is not used.
        (backlog(severity="critical", extra_labels={"env": "staging"}), {"scale"}),
        (backlog(status="resolved"), {"audit"}),
        (backlog(status="resolved", extra_labels={"team": "infra"}), {"default"}),
    ]
    async with client_for(app) as client:
        for payload, expected in cases:
            capture.requests.clear()
            response = await client.post(HOOK, json=payload, headers=AUTH)
            assert response.status_code == 200
            assert {r.path.strip("/") for r in capture.requests} == expected, payload[
                "commonLabels"
            ]


async def test_history_api_filters_and_validates(make_app: Factory, capture: Capture) -> None:
    app = make_app(
        {"ops": [teams(capture), {"type": "slack", "name": "slack", "url": capture.url("s")}]},
        {"receiver": "ops"},
    )
    async with client_for(app) as client:
        for n in (1, 2, 3):
            await client.post(HOOK, json=backlog(n), headers=AUTH)
        everything = await history(client)
        slack = await history(client, channel="slack")
        by_type = await history(client, channel="teams", limit=2)
        bad = await client.get("/api/v1/notifications?outcome=lost", headers=AUTH)
        too_many = await client.get("/api/v1/notifications?limit=5000", headers=AUTH)
    assert len(everything) == 6
    assert {r["channel_type"] for r in slack} == {"slack"}
    assert len(by_type) == 2
    first = everything[0]
    assert first["alertname"] == "BacklogGrowing"
    assert first["group_key"] == '{}:{alertname="BacklogGrowing"}'
    assert first["latency_ms"] > 0
    assert first["at"].endswith("+00:00")
    assert bad.status_code == too_many.status_code == 422


async def test_real_server_with_uvicorn(make_app: Factory, capture: Capture) -> None:
    app = make_app({"ops": [teams(capture)]}, {"receiver": "ops"})
    async with serve(app) as base, httpx.AsyncClient(base_url=base) as client:
        response = await client.post(HOOK, json=sample("no_fingerprint_v4"), headers=AUTH)
        health = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["outcomes"]["sent"] == 1
    assert health.json() == {"status": "ok"}
    card = json.loads(capture.on("teams")[0].body)
    title = card["attachments"][0]["content"]["body"][0]["items"][0]["text"]
    assert title == "[FIRING:1] Test prometheus24"


def test_cli_check(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from reportflow.cli.main import cli

    good = tmp_path / "notifier.yaml"
    good.write_text("receivers: {ops: []}\nroute: {receiver: ops}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("receivers: {ops: []}\nroute: {receiver: nobody}\n")
    runner = CliRunner()
    ok = runner.invoke(cli, ["notifier", "--config", str(good), "--check"])
    assert ok.exit_code == 0, ok.output
    assert "1 receiver(s)" in ok.output
    failed = runner.invoke(cli, ["notifier", "--config", str(bad), "--check"])
    assert failed.exit_code == 2
    assert "unknown receiver 'nobody'" in failed.output
