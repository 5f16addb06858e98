"""End to end with the real binaries: reportflow → Prometheus → Alertmanager → notifier and runner.

A running reportflow (the embedded composition: requestor, runner reporting
through the signed webhook outbox, on SQLite in tmp_path) is scraped every
second by a real Prometheus evaluating the shipped rules on a 60x faster
clock, which sends alerts to a real Alertmanager running the shipped routing
tree. Load makes the backlog alert fire: Alertmanager posts it to the
notifier, and an email reaches a real SMTP server (aiosmtpd) and a Teams card
a capture server, both on loopback. The scale_up signal raises the runner's
concurrency through its scale hook, and its resolution lowers it again.
Finally every query of the shipped Grafana dashboard must be valid and
return data over the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from obs_kit import ROOT, dashboard_queries, free_port, require_binary
from stack_kit import (
    Capture,
    ResizeLog,
    alertmanager_argv,
    alertmanager_file,
    process,
    prometheus_argv,
    prometheus_files,
    query,
    ready,
    serve,
    smtp_server,
)

from reportflow.config import Settings
from reportflow.notifier import create_app as create_notifier_app
from reportflow.notifier import parse_config
from reportflow.queue import Job
from reportflow.queue.metrics import QueueMetrics
from reportflow.requestor.auth import digest, new_token
from reportflow.requestor.server import open_requestor
from reportflow.runner import JobContext, build_runner
from reportflow.runner.autoscale import Autoscaler  # noqa: F401 - before .scale (import cycle)
from reportflow.runner.scale import Scaler, create_scale_app
from reportflow.store import users
from reportflow.webhooks import WebhookSink, generate_secret

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(150)]

JOB_SECONDS = 1.0
ARRIVALS_PER_SECOND = 5
SUBMISSIONS = 60
WAIT = 60.0


class SleepyReports:
    """Each report takes JOB_SECONDS; every 8th attempt fails (a source outage)."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        self.calls += 1
        call = self.calls
        await asyncio.sleep(JOB_SECONDS)
        if call % 8 == 0:
            raise RuntimeError("warehouse connection reset")
        artifact = {
            "key": f"{job.id}/{job.report}.csv",
            "name": f"{job.report}.csv",
            "format": "csv",
            "content_type": "text/csv",
            "size": 2048,
            "rows": 10,
            "sha256": "0" * 64,
            "location": f"/dev/null/{job.id}",
        }
        return {"rows": 10, "artifacts": [artifact]}


def _settings(home: Path) -> Settings:
    return Settings(
        home=home,
        catalog=[ROOT / "reports"],
        webhook_secret=generate_secret(),
        session_secret=secrets.token_urlsafe(16),
        requestor={
            "secure_cookies": False,
            "submissions_per_minute": 10_000,
            "max_in_flight": 10_000,
        },
        runner={"concurrency": 1, "min_concurrency": 1, "max_concurrency": 8, "claim_batch": 4},
    )


def _notifier_config(home: Path, token: str, smtp_port: int, teams_url: str) -> Any:
    return parse_config(
        {
            "auth": {"bearer_token": token},
            "history_url": f"sqlite:///{home / 'notifier.db'}",
            "retry": {"attempts": 2, "backoff_seconds": 0.1},
            "receivers": {
                "ops": [
                    {
                        "type": "email",
                        "name": "ops-mail",
                        "host": "127.0.0.1",
                        "port": smtp_port,
                        "security": "none",
                        "from": "reportflow alerts <alerts@example.org>",
                        "to": ["ops@example.org"],
                    },
                    {"type": "teams", "name": "ops-teams", "url": teams_url},
                ]
            },
            "route": {"receiver": "ops"},
        }
    )


async def _submit_load(base: str, token: str) -> list[int]:
    """SUBMISSIONS trial balances through the API at ARRIVALS_PER_SECOND."""
    statuses = []
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as client:
        for i in range(SUBMISSIONS):
            body = {"report": "trial_balance", "params": {"period_to": f"2026-{1 + i % 12:02d}"}}
            statuses.append((await client.post("/api/v1/reports", json=body)).status_code)
            await asyncio.sleep(1 / ARRIVALS_PER_SECOND)
    return statuses


async def _scraped(prometheus: httpx.AsyncClient) -> None:
    # Prometheus is another process: its first scrape has no event to wait on.
    for _ in range(100):
        if await query(prometheus, 'up{job="reportflow"} == 1'):
            return
        await asyncio.sleep(0.2)
    raise AssertionError("Prometheus never scraped reportflow")


async def test_backlog_alert_reaches_people_and_scales_the_runner(tmp_path: Path) -> None:
    require_binary("prometheus")
    require_binary("alertmanager")
    started = time.monotonic()
    settings = _settings(tmp_path)
    assert settings.webhook_secret is not None
    am_token, scale_token = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    async with contextlib.AsyncExitStack() as stack:
        smtp_port, mailbox = stack.enter_context(smtp_server())
        app = await stack.enter_async_context(open_requestor(settings))
        queue = app.state.services.queue
        # Scrapes come every second here, so refresh the depth faster than the default 5 s.
        await stack.enter_async_context(QueueMetrics(queue, interval=0.5))
        rf_port = await stack.enter_async_context(serve(app))
        sink = await WebhookSink.connect(
            f"http://127.0.0.1:{rf_port}/hooks/runner",
            settings.webhook_secret.split(),
            settings.resolved_database_url,
            name="embedded-runner",
        )
        stack.push_async_callback(sink.close)
        resizes = ResizeLog()
        runner = build_runner(settings, queue, SleepyReports(), sink=sink, hooks=[resizes])
        stack.push_async_callback(runner.drain, 0)
        scale_port = await stack.enter_async_context(
            serve(create_scale_app(Scaler(runner, minimum=1, maximum=8), token=scale_token))
        )
        teams = Capture()
        teams_port = await stack.enter_async_context(serve(teams))
        notifier = create_notifier_app(
            settings,
            config=_notifier_config(
                tmp_path, am_token, smtp_port, f"http://127.0.0.1:{teams_port}/workflow"
            ),
        )
        stack.push_async_callback(notifier.state.notifier.aclose)
        notifier_port = await stack.enter_async_context(serve(notifier))

        am_port, prom_port = free_port(), free_port()
        am_config = alertmanager_file(
            tmp_path,
            urls={
                "alertmanager": f"http://127.0.0.1:{notifier_port}/hooks/alertmanager",
                "scale": f"http://127.0.0.1:{scale_port}/hooks/scale",
            },
            tokens={"alertmanager": am_token, "scale": scale_token},
        )
        am_log, prom_log = tmp_path / "alertmanager.log", tmp_path / "prometheus.log"
        am = stack.enter_context(
            process(alertmanager_argv(am_config, tmp_path / "am-data", am_port), am_log)
        )
        prom_config = prometheus_files(tmp_path, f"127.0.0.1:{rf_port}", f"127.0.0.1:{am_port}")
        prom = stack.enter_context(
            process(prometheus_argv(prom_config, tmp_path / "prom-data", prom_port), prom_log)
        )
        await ready(f"http://127.0.0.1:{am_port}/-/ready", am, am_log)
        await ready(f"http://127.0.0.1:{prom_port}/-/ready", prom, prom_log)

        token = new_token()
        async with app.state.services.store.transaction() as db:
            user = await users.create_user(db, "ops")
            await users.create_token(db, user.id, digest(token))

        prometheus = await stack.enter_async_context(
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{prom_port}", timeout=5)
        )
        await _scraped(prometheus)
        await runner.start()
        load = asyncio.create_task(_submit_load(f"http://127.0.0.1:{rf_port}", token))

        # 1. The scale_up signal adds the alert's step (2) to the runner's one slot.
        await resizes.signal.until(
            lambda: any(new > old for old, new, _ in resizes.changes), WAIT, "a scale-up"
        )
        old, new, reason = resizes.changes[0]
        assert (old, new) == (1, 3)
        assert reason.startswith("alert:"), reason

        # 2. The backlog alert reaches people: an email and a Teams card.
        def mailed() -> bool:
            return any("BacklogGrowing" in subject for subject, _ in mailbox.messages)

        await mailbox.signal.until(mailed, WAIT, "the BacklogGrowing email")
        subject, text = next(m for m in mailbox.messages if "BacklogGrowing" in m[0])
        assert subject.startswith("[FIRING"), subject
        assert "reports waiting and the backlog keeps growing" in text

        def carded() -> bool:
            return any("BacklogGrowing" in json.dumps(body) for body in teams.bodies)

        await teams.signal.until(carded, WAIT, "the BacklogGrowing Teams card")
        card = json.dumps(next(b for b in teams.bodies if "BacklogGrowing" in json.dumps(b)))
        assert "AdaptiveCard" in card

        # 3. Once the backlog drains below the threshold the alert resolves and
        # the runner gives the two slots back.
        await resizes.signal.until(
            lambda: len(resizes.changes) >= 2, WAIT, "the scale-down on resolution"
        )
        old, new, reason = resizes.changes[1]
        assert (old, new) == (3, 1)
        assert reason.startswith("alert_resolved:"), reason
        statuses = await load
        assert set(statuses) == {202}, statuses

        # 4. Every query of the shipped dashboard is valid and returns data for the run.
        end = time.time()
        missing = []
        for title, expr in dashboard_queries("1m"):
            answer = await prometheus.get(
                "/api/v1/query_range",
                params={"query": expr, "start": end - 120, "end": end, "step": "1"},
            )
            data = answer.json()
            assert data["status"] == "success", f"{title}: {expr}: {data.get('error')}"
            if not data["data"]["result"]:
                missing.append(f"{title}: {expr}")
        assert missing == []
    assert time.monotonic() - started < 120
