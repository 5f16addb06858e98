"""Notify actions use the notifier's channels, history and metrics; history on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hooks_helpers import capture_server, running_notifier

from reportflow.metrics import exposition
from reportflow.notifier.hooks import CallOutcome, HookCall, HookCallLog

pytestmark = pytest.mark.integration

HOOKS = """
hooks:
  - id: deploy-done
    notify:
      receivers: [ops]
      title: "deployed {{ payload.service }}"
      summary: "version {{ payload.version }}"
      text: "by {{ headers['x-actor'] }}"
    response: {body: "{{ output }}"}
  - id: to-nowhere
    notify: {receivers: [dead]}
"""


async def test_notify_sends_through_a_notifier_channel(tmp_path: Path) -> None:
    async with capture_server() as cap:
        notifier_yaml = {
            "receivers": {
                "ops": [{"type": "http", "name": "ops-http", "url": cap.base + "/in"}],
                "dead": [{"type": "http", "name": "dead-http", "url": "http://127.0.0.1:9/x"}],
            },
            "retry": {"attempts": 1},
        }
        async with running_notifier(tmp_path, HOOKS, notifier_yaml) as n:
            response = await n.post(
                "deploy-done",
                json={"service": "erp-sync", "version": "1.4"},
                headers={"X-Actor": "ci"},
            )
            assert response.status_code == 200, response.text
            assert response.text == "sent to 1 channel(s)"
            sent = json.loads(cap.bodies[0])
            assert sent["commonLabels"] == {"alertname": "deploy-done", "hook": "deploy-done"}
            assert sent["commonAnnotations"]["title"] == "deployed erp-sync"
            assert sent["commonAnnotations"]["summary"] == "version 1.4"
            assert sent["commonAnnotations"]["description"] == "by ci"

            failed = await n.post("to-nowhere")
            assert failed.status_code == 502
            calls = await n.calls(hook="to-nowhere")
            assert calls[0]["outcome"] == "failed"
            assert calls[0]["error"].startswith("dead-http: 127.0.0.1")

            rows = (await n.client.get(f"{n.base}/api/v1/notifications")).json()["items"]
            assert {(r["channel_name"], r["outcome"]) for r in rows} == {
                ("ops-http", "sent"),
                ("dead-http", "failed"),
            }
    metrics = exposition().decode()
    assert 'reportflow_hook_calls_total{hook="deploy-done",outcome="succeeded"}' in metrics
    assert 'reportflow_hook_duration_seconds_count{hook="deploy-done"}' in metrics


async def test_unknown_receiver_is_a_config_error(tmp_path: Path) -> None:
    from reportflow.notifier.hooks import HooksConfigError

    with pytest.raises(HooksConfigError, match="notify names unknown receiver 'dead'"):
        async with running_notifier(tmp_path, HOOKS, {"receivers": {"ops": []}}):
            pass


async def test_history_on_postgresql(postgres_url: str) -> None:
    log = HookCallLog(postgres_url, flush_seconds=0.05)
    try:
        for status, outcome in ((200, CallOutcome.SUCCEEDED), (429, CallOutcome.LIMITED)):
            log.add(HookCall("h", "POST", "10.0.0.1", status, outcome, None, None, 1.5))
        rows = await log.query(hook="h")
        assert [(r.status_code, r.outcome) for r in rows] == [
            (429, CallOutcome.LIMITED),
            (200, CallOutcome.SUCCEEDED),
        ]
        assert rows[0].at is not None
        assert rows[0].at.tzinfo is not None
        assert [r.status_code for r in await log.query(outcome=CallOutcome.SUCCEEDED)] == [200]
    finally:
        await log.aclose()
