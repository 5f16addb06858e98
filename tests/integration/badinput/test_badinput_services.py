"""The runner's scale hook and the notifier (Alertmanager hook, history, generic
hooks) under bad input: what the services' own tests leave out.

The services' suites already refuse malformed, oversized and unauthenticated
calls (see docs/bad-input.md); here: a refused call changes no state and
writes no history, a replay has no second effect, text the database cannot
hold never breaks a history, and operations endpoints refuse wrong methods
with a 405 rather than a 5xx.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from reportflow.config import Settings
from reportflow.notifier import create_app, parse_config
from reportflow.queue import connect
from reportflow.runner import NoopExecutor, Runner
from reportflow.runner.scale import Scaler, create_scale_app

pytestmark = pytest.mark.integration

TOKEN = "audit-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}
LIMIT = 4096

# --- the runner's /hooks/scale ------------------------------------------------


@pytest.fixture
async def scaler() -> AsyncIterator[Scaler]:
    async with connect("memory://") as queue:
        runner = Runner(queue, NoopExecutor(), concurrency=4, worker_id="badinput")
        yield Scaler(runner, minimum=1, maximum=10, cooldown_seconds=300)


@pytest.fixture
async def scale_client(scaler: Scaler) -> AsyncIterator[httpx.AsyncClient]:
    app = create_scale_app(scaler, token=TOKEN, body_limit=LIMIT)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://runner") as client:
        yield client


def _firing(fingerprint: str, step: str = "2") -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": "{}:{}",
        "status": "firing",
        "receiver": "runner-scale",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "Backlog", "action": "scale_up"},
                "annotations": {"step": step},
                "fingerprint": fingerprint,
            }
        ],
    }


SCALE_REFUSALS = [
    ("no token", {}, b'{"target": 9}', 401, "bearer token"),
    ("wrong token", {"authorization": "Bearer nope"}, b'{"target": 9}', 401, "bearer token"),
    ("not JSON", AUTH, b'{"target": ', 400, "malformed JSON"),
    ("a list", AUTH, b"[9]", 422, "JSON object"),
    ("target as text", AUTH, b'{"target": "9"}', 422, "target"),
    ("target and delta", AUTH, b'{"target": 9, "delta": 1}', 422, "exactly one"),
    ("unknown field", AUTH, b'{"size": 9}', 422, "size"),
    ("negative target", AUTH, b'{"target": -1}', 422, "target"),
    ("huge delta", AUTH, b'{"delta": 10000000000}', 422, "delta"),
    ("alert step not a number", AUTH, json.dumps(_firing("fp1", "x")).encode(), 422, "step"),
    ("body over the limit", AUTH, b'{"target": ' + b" " * LIMIT + b"9}", 413, "exceeds"),
]


@pytest.mark.parametrize(
    ("headers", "body", "status", "says"),
    [c[1:] for c in SCALE_REFUSALS],
    ids=[c[0] for c in SCALE_REFUSALS],
)
async def test_a_refused_scale_request_changes_nothing(
    scale_client: httpx.AsyncClient,
    scaler: Scaler,
    headers: dict[str, str],
    body: bytes,
    status: int,
    says: str,
) -> None:
    before = scaler.snapshot()
    answer = await scale_client.post("/hooks/scale", content=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["detail"]
    assert scaler.snapshot() == before
    assert scaler.runner.concurrency == 4


async def test_a_replayed_target_or_alert_has_one_effect(
    scale_client: httpx.AsyncClient, scaler: Scaler
) -> None:
    for _ in range(2):
        answer = await scale_client.post("/hooks/scale", json={"target": 6}, headers=AUTH)
        assert answer.status_code == 200
    assert (answer.json()["changed"], scaler.runner.concurrency) == (False, 6)
    outcomes = []
    for _ in range(3):  # Alertmanager re-sends a firing group at every repeat_interval
        answer = await scale_client.post("/hooks/scale", json=_firing("fp-replay"), headers=AUTH)
        outcomes.append(answer.json()["alerts"][0]["outcome"])
    assert scaler.runner.concurrency == 8  # one step of 2, not three
    assert outcomes[1:] == [outcomes[1]] * 2
    assert outcomes[1] != outcomes[0]


# --- the notifier ---------------------------------------------------------------

HOOKS = """
hooks:
  - id: open
    response: {body: "ok"}
"""


@pytest.fixture(params=["sqlite", "postgres"])
async def notifier(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[FastAPI]:
    """The notifier app with one generic hook, its histories on each database."""
    if request.param == "postgres":
        history = request.getfixturevalue("postgres_url")
    else:
        history = f"sqlite:///{tmp_path / 'history.db'}"
    hooks_file = tmp_path / "hooks.yaml"
    hooks_file.write_text(textwrap.dedent(HOOKS))
    config = parse_config(
        {
            "auth": {"bearer_token": TOKEN},
            "history_url": history,
            "receivers": {"ops": [{"type": "http", "name": "sink", "url": "http://127.0.0.1:9/"}]},
            "route": {"receiver": "ops"},
            "retry": {"attempts": 1, "backoff_seconds": 0.01},
        }
    )
    app = create_app(Settings(home=tmp_path, hooks_config=hooks_file), config=config)
    async with app.router.lifespan_context(app):
        yield app


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notifier")


async def _history(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    answer = await client.get("/api/v1/notifications", headers=AUTH)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def _calls(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    answer = await client.get("/api/v1/hooks/calls", headers=AUTH)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


AM_REFUSALS = [
    ("no credentials", {}, b"{}", 401),
    ("not JSON", AUTH, b'{"version": ', 400),
    ("version 3", AUTH, json.dumps({**_firing("a"), "version": "3"}).encode(), 422),
    (
        "no alerts",
        AUTH,
        json.dumps({k: v for k, v in _firing("a").items() if k != "alerts"}).encode(),
        422,
    ),
    ("status unknown", AUTH, json.dumps({**_firing("a"), "status": "burning"}).encode(), 422),
    ("oversized", AUTH, b'{"v": "' + b"x" * (2 << 20) + b'"}', 413),
]


@pytest.mark.parametrize(
    ("headers", "body", "status"), [c[1:] for c in AM_REFUSALS], ids=[c[0] for c in AM_REFUSALS]
)
async def test_a_refused_alert_notifies_no_one_and_records_nothing(
    notifier: FastAPI, headers: dict[str, str], body: bytes, status: int
) -> None:
    async with _client(notifier) as client:
        answer = await client.post("/hooks/alertmanager", content=body, headers=headers)
        assert answer.status_code == status, answer.text
        assert answer.json()["detail"]
        assert await _history(client) == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/notifications?channel=a%00b",
        "/api/v1/notifications?outcome=lost",
        "/api/v1/notifications?limit=0",
        "/api/v1/hooks/calls?hook=a%00b",
        "/api/v1/hooks/calls?outcome=lost",
        "/api/v1/hooks/calls?limit=-1",
    ],
)
async def test_history_filters_refuse_bad_values(notifier: FastAPI, path: str) -> None:
    async with _client(notifier) as client:
        answer = await client.get(path, headers=AUTH)
    assert 400 <= answer.status_code < 500, answer.text
    name = path.split("?")[1].split("=")[0]
    assert name in answer.text


async def test_an_alert_with_nul_in_its_labels_is_answered_and_recorded(
    notifier: FastAPI,
) -> None:
    payload = _firing("fp-nul")
    payload["alerts"][0]["labels"]["instance"] = "host\x00evil"
    async with _client(notifier) as client:
        answer = await client.post("/hooks/alertmanager", json=payload, headers=AUTH)
        assert answer.status_code < 500 or answer.json().get("retry") is True, answer.text
        assert len(await _history(client)) == 1


async def test_a_hook_id_holding_nul_does_not_poison_the_call_history(notifier: FastAPI) -> None:
    async with _client(notifier) as client:
        odd = await client.post("/hooks/a%00b")
        assert odd.status_code == 404
        assert (await client.post("/hooks/open")).status_code == 200
        calls = await _calls(client)
    assert [c["hook"] for c in calls][:1] == ["open"]
    assert len(calls) == 2


@pytest.mark.parametrize("path", ["/healthz", "/metrics", "/api/v1/notifications"])
async def test_operations_endpoints_refuse_other_methods_with_405(
    notifier: FastAPI, path: str
) -> None:
    async with _client(notifier) as client:
        answer = await client.post(path, headers=AUTH, content=b"x")
    assert answer.status_code == 405


async def test_runner_operations_endpoints_refuse_other_methods_with_405(
    scale_client: httpx.AsyncClient,
) -> None:
    for path in ("/healthz", "/metrics"):
        assert (await scale_client.post(path, content=b"x")).status_code == 405
    assert (await scale_client.put("/hooks/scale", headers=AUTH)).status_code == 405
