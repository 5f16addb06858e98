"""Webhook deliveries, dead messages and notifications counted where they happen."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from metrics_kit import Delta
from scripted_endpoint import scripted_endpoint

from reportflow.config import Settings
from reportflow.notifier import Dispatcher, NotificationLog, create_app, parse_config
from reportflow.notifier.channels import build_channel
from reportflow.notifier.dedupe import DedupeCache
from reportflow.notifier.payload import parse_payload
from reportflow.webhooks import Outbox, OutboxDispatcher, RetrySchedule, WebhookClient

NO_WAIT = RetrySchedule(delays=(0, 0), repeat_every=None, jitter=0)


@pytest.fixture
async def outbox() -> AsyncIterator[Outbox]:
    box = Outbox.from_url("sqlite://")
    await box.create_tables()
    yield box
    await box.close()


async def _deliver(outbox: Outbox, *statuses: int) -> None:
    answers = list(statuses)

    async with (
        scripted_endpoint(lambda _: answers.pop(0) if answers else 204) as endpoint,
        WebhookClient(endpoint.url, "k", name="requestor") as client,
    ):
        dispatcher = OutboxDispatcher(outbox, client, schedule=NO_WAIT)
        await outbox.add("requestor", f"msg_{uuid.uuid4().hex[:8]}", {"type": "report.succeeded"})
        await dispatcher.run_once()


async def test_deliveries_by_outcome_and_latency(outbox: Outbox) -> None:
    delivered = Delta("reportflow_webhook_deliveries_total", outcome="delivered")
    retried = Delta("reportflow_webhook_deliveries_total", outcome="retry")
    latency = Delta("reportflow_webhook_delivery_seconds_count")
    await _deliver(outbox, 503, 204)
    assert (delivered.change, retried.change, latency.change) == (1, 1, 2)


@pytest.mark.parametrize(("statuses", "state"), [((400,), "dead"), ((410,), "gone")])
async def test_messages_given_up_on_are_counted(
    outbox: Outbox, statuses: tuple[int, ...], state: str
) -> None:
    dead = Delta("reportflow_webhook_messages_dead_total", state=state)
    await _deliver(outbox, *statuses)
    assert dead.change == 1


async def test_retries_exhausted_count_as_dead(outbox: Outbox) -> None:
    dead = Delta("reportflow_webhook_messages_dead_total", state="dead")
    await _deliver(outbox, 503, 503, 503)
    assert dead.change == 1


def _payload(alertname: str) -> bytes:
    alert = {
        "status": "firing",
        "labels": {"alertname": alertname, "severity": "warning"},
        "annotations": {"summary": "backlog"},
        "startsAt": "2026-11-28T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://127.0.0.1:9090/graph",
        "fingerprint": uuid.uuid4().hex[:16],
    }
    body = {
        "version": "4",
        "groupKey": f"{{}}:{{alertname={alertname!r}}}",
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "reportflow",
        "groupLabels": {"alertname": alertname},
        "commonLabels": alert["labels"],
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://127.0.0.1:9093",
        "alerts": [alert],
    }
    return json.dumps(body).encode()


async def test_notifications_by_channel_type_and_outcome(tmp_path: Path) -> None:
    config = parse_config(
        {
            "retry": {"attempts": 1, "backoff_seconds": 0},
            "receivers": {
                "chat": [
                    {"type": "slack", "name": "ok", "url": "http://chat/ok"},
                    {"type": "slack", "name": "broken", "url": "http://chat/broken"},
                ]
            },
            "route": {"receiver": "chat"},
        }
    )

    def chat(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200 if request.url.path == "/ok" else 400, text="no")

    sent = Delta("reportflow_notifications_total", channel="slack", outcome="sent")
    failed = Delta("reportflow_notifications_total", channel="slack", outcome="failed")
    deduped = Delta("reportflow_notifications_total", channel="slack", outcome="deduplicated")
    history = NotificationLog(f"sqlite:///{tmp_path / 'history.db'}")
    async with httpx.AsyncClient(transport=httpx.MockTransport(chat)) as client:
        channels: dict[str, list[Any]] = {
            "chat": [build_channel(c.name or "x", c, client) for c in config.receivers["chat"]]
        }
        dispatcher = Dispatcher(config, channels, history, DedupeCache(60))
        group = parse_payload(_payload("BacklogGrowing"))
        await dispatcher.dispatch(group)
        await dispatcher.dispatch(group)  # a repeat: the sent channel is skipped
    await history.aclose()
    # The failed one is not retryable (4xx), so the repeat skips it too.
    assert (sent.change, failed.change, deduped.change) == (1, 1, 2)


async def test_notifier_serves_metrics(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    app = create_app(settings, config=parse_config({"history_url": f"sqlite:///{tmp_path}/h.db"}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notifier") as client:
        answer = await client.get("/metrics")
    await app.state.notifier.aclose()
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert "# TYPE reportflow_notifications_total counter" in answer.text
