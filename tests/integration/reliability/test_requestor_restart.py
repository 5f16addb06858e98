"""The requestor is stopped while the runner finishes reports, then restarted:
every result arrives through the runner's outbox, and each owner is told once.

Real pieces throughout: uvicorn on a loopback port (the same one after the
restart), the requestor's SQLite store and queue, a runner pool on its own
queue connection with a WebhookSink whose outbox is a separate SQLite file,
websocket clients, and the REST API.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_stack import Requestor, SlowExecutor, read_channel, requestor_settings

from reportflow.queue import TERMINAL_STATES, JobState, connect
from reportflow.runner import Runner
from reportflow.webhooks import MessageState, RetrySchedule, WebhookClient, WebhookSink

pytestmark = pytest.mark.integration

USERS = ("ann", "bob")
PER_USER = 6
FINAL = {"report.succeeded", "report.failed", "report.cancelled"}
QUICK_RETRIES = RetrySchedule(delays=(0, 0.1, 0.2), repeat_every=0.25, jitter=0)


async def _wait_until(check: Any, timeout: float = 30.0) -> None:
    """Poll a condition that has no event to wait on (another process's database)."""
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_results_finished_while_the_requestor_was_down_arrive_once(
    tmp_path: Path,
) -> None:
    requestor = Requestor(requestor_settings(tmp_path))
    secrets = (requestor.settings.webhook_secret or "").split()
    runner_queue = connect(requestor.settings.resolved_queue_url)
    executor = SlowExecutor()
    ids: dict[str, list[str]] = {u: [] for u in USERS}

    # 1. Requestor up; the runner starts; reports are submitted and start running.
    async with requestor.up():
        for user in USERS:
            await requestor.add_user(user)
        sink = await WebhookSink.connect(
            requestor.hook_url,
            secrets,
            f"sqlite:///{tmp_path / 'runner-outbox.db'}",
            schedule=QUICK_RETRIES,
            name="runner-1",
        )
        await runner_queue.connect()
        runner = Runner(runner_queue, executor, concurrency=3, sink=sink, worker_id="runner-1")
        ann_ws = await requestor.channel("ann", since=0)
        async with httpx.AsyncClient(base_url=requestor.base_url) as api:
            for n in range(PER_USER):
                for user in USERS:
                    r = await api.post(
                        "/api/v1/reports",
                        json={"report": "slow", "params": {"n": n}},
                        headers=requestor.headers(user),
                    )
                    assert r.status_code == 202, r.text
                    ids[user].append(r.json()["id"])
        await runner.start()
        # Stop the requestor as soon as ann's channel shows a report running.
        seen, closed = await read_channel(
            ann_ws, until=lambda got: any(e["status"] == "running" for e in got)
        )
        assert not closed
    # The stop cut ann's channel mid-run (after what was already on its way).
    tail, closed = await read_channel(ann_ws)
    assert closed
    await ann_ws.close()
    seen += tail
    assert [e["seq"] for e in seen] == list(range(1, len(seen) + 1))

    # 2. Requestor down: the runner finishes everything; finals pile up in the outbox.
    everything = [rid for user in USERS for rid in ids[user]]

    async def all_done() -> bool:
        jobs = [await runner_queue.get(rid) for rid in everything]
        return all(j is not None and j.state in TERMINAL_STATES for j in jobs)

    await _wait_until(all_done)
    jobs = [await runner_queue.get(rid) for rid in everything]
    assert {j.state for j in jobs if j is not None} == {JobState.SUCCEEDED}
    outbox = sink.outbox
    piled_up = await outbox.pending_count()
    assert piled_up > 0, "every final was delivered before the stop: nothing was tested"

    # 3. Requestor restarted on the same port: the outbox delivers, and every
    #    owner gets exactly one final event per report.
    async with requestor.up():

        async def delivered() -> bool:
            return await outbox.pending_count() == 0

        await _wait_until(delivered)
        async with httpx.AsyncClient(base_url=requestor.base_url) as api:
            logs = {}
            for user in USERS:
                r = await api.get(
                    "/api/v1/events", params={"limit": 500}, headers=requestor.headers(user)
                )
                logs[user] = r.json()["events"]
                listed = await api.get(
                    "/api/v1/reports", params={"limit": 50}, headers=requestor.headers(user)
                )
                statuses = {rep["id"]: rep["status"] for rep in listed.json()["reports"]}
                assert statuses == dict.fromkeys(ids[user], "succeeded")
        for user in USERS:
            log = logs[user]
            assert [e["seq"] for e in log] == list(range(1, len(log) + 1))  # gap-free
            finals = [e["report_id"] for e in log if e["type"] in FINAL]
            assert sorted(finals) == sorted(ids[user])  # one each, no duplicates
            queued = [e["report_id"] for e in log if e["type"] == "report.queued"]
            assert sorted(queued) == sorted(ids[user])
            for rid in ids[user]:
                types = [e["type"] for e in log if e["report_id"] == rid]
                assert types[0] == "report.queued"
                assert types[-1] == "report.succeeded"  # nothing after the final

        # 4. A fresh client replays everything in order; ann's cut channel resumes
        #    from the last seq she saw and reaches the final state.
        for user in USERS:
            async with requestor.channel(user, since=0) as ws:
                replay, closed = await read_channel(ws, count=len(logs[user]))
            assert not closed
            assert replay == logs[user]
        last_seen = seen[-1]["seq"]
        async with requestor.channel("ann", since=last_seen) as ws:
            rest, _ = await read_channel(ws, count=len(logs["ann"]) - last_seen)
        assert seen + rest == logs["ann"]

        # 5. Duplicate deliveries (a dispatcher that sent but died before
        #    recording) have no effect: same ids, same log.
        finals_sent = [
            d for d in await outbox.list_deliveries(limit=100) if d.state is MessageState.DELIVERED
        ]
        assert len(finals_sent) == len(everything)
        async with WebhookClient(requestor.hook_url, secrets) as client:
            for d in finals_sent[:4]:
                attempt = await client.send(d.id, d.payload)
                assert attempt.status == 200
        async with httpx.AsyncClient(base_url=requestor.base_url) as api:
            again = await api.get(
                "/api/v1/events", params={"limit": 500}, headers=requestor.headers("ann")
            )
        assert again.json()["events"] == logs["ann"]

    await runner.drain()
    await sink.close()
    await runner_queue.close()
    assert sorted(executor.runs) == sorted(everything)  # no report ran twice
