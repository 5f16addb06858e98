"""Batch webhooks at the requestor: each message applied once, one result each."""

from __future__ import annotations

import json
from typing import Any

from requestor_harness import Harness, runner_event

from reportflow.webhooks.batch import Message, encode_batch

SALES = {"report": "sales", "params": {"region": "north"}}


async def _submit(rf: Harness) -> str:
    async with rf.client("ann") as c:
        return str((await c.post("/api/v1/reports", json=SALES)).json()["id"])


def _batch(*messages: tuple[str, Any]) -> bytes:
    return encode_batch([Message(i, json.dumps(body).encode()) for i, body in messages])


async def _post(rf: Harness, body: bytes, msg_id: str = "msg_batch_1") -> Any:
    raw, headers = rf.hook(body, msg_id=msg_id)
    async with rf.client() as c:
        return await c.post("/hooks/runner", content=raw, headers=headers)


async def _log(rf: Harness) -> list[dict[str, Any]]:
    async with rf.client("ann") as c:
        return list((await c.get("/api/v1/events")).json()["events"])


async def test_a_batch_applies_every_message_in_order_and_answers_each(rf: Harness) -> None:
    one, two = await _submit(rf), await _submit(rf)
    body = _batch(
        (f"msg_{one}_s", runner_event(one, "started")),
        (f"msg_{two}_s", runner_event(two, "started")),
        (f"msg_{one}_1_succeeded", runner_event(one, "succeeded", artifacts=[])),
    )
    r = await _post(rf, body)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [(x["id"], x["status"], x["outcome"]) for x in results] == [
        (f"msg_{one}_s", 200, "applied"),
        (f"msg_{two}_s", 200, "applied"),
        (f"msg_{one}_1_succeeded", 200, "applied"),
    ]
    log = await _log(rf)
    mine = [(e["report_id"], e["type"]) for e in log if e["type"] != "report.queued"]
    assert mine == [(one, "report.started"), (two, "report.started"), (one, "report.succeeded")]
    seqs = [e["seq"] for e in log]
    assert seqs == list(range(1, len(log) + 1))


async def test_a_replayed_batch_has_no_second_effect(rf: Harness) -> None:
    rid = await _submit(rf)
    body = _batch((f"msg_{rid}_1_succeeded", runner_event(rid, "succeeded", artifacts=[])))
    first, again = await _post(rf, body), await _post(rf, body)
    assert first.json()["results"][0]["outcome"] == "applied"
    assert again.json()["results"][0]["outcome"] == "duplicate"
    # The same message alone, later, is a duplicate too: ids are shared with single deliveries.
    raw, headers = rf.hook(runner_event(rid, "succeeded"), msg_id=f"msg_{rid}_1_succeeded")
    async with rf.client() as c:
        alone = await c.post("/hooks/runner", content=raw, headers=headers)
    assert alone.json()["outcome"] == "duplicate"
    types = [e["type"] for e in await _log(rf)]
    assert types == ["report.queued", "report.started", "report.succeeded"]


async def test_a_bad_message_is_rejected_alone(rf: Harness) -> None:
    rid = await _submit(rf)
    wrong = runner_event(rid, "started")
    wrong["data"]["kind"] = "exploded"
    body = _batch(("msg_bad", wrong), ("msg_good", runner_event(rid, "started")))
    r = await _post(rf, body)
    assert r.status_code == 200
    by_id = {x["id"]: x for x in r.json()["results"]}
    assert by_id["msg_bad"]["status"] == 422
    assert "unknown event kind" in str(by_id["msg_bad"]["detail"])
    assert by_id["msg_good"]["outcome"] == "applied"


async def test_malformed_batches_are_refused_whole(rf: Harness) -> None:
    rid = await _submit(rf)
    event = runner_event(rid, "started")
    cases: list[tuple[Any, str]] = [
        ({"type": "webhook.batch", "messages": []}, "a list of 1 to"),
        ({"type": "webhook.batch", "messages": "nope"}, "a list of 1 to"),
        ({"type": "webhook.batch", "messages": [{"id": "x"}]}, "an object with id and message"),
        ({"type": "webhook.batch", "messages": [{"id": "", "message": event}]}, ".id: 1 to"),
        (
            {
                "type": "webhook.batch",
                "messages": [{"id": "a", "message": event}, {"id": "a", "message": event}],
            },
            "appears twice",
        ),
    ]
    for body, says in cases:
        r = await _post(rf, json.dumps(body).encode())
        assert r.status_code == 422, (body, r.text)
        assert says in r.text
    assert [e["type"] for e in await _log(rf)] == ["report.queued"]  # nothing applied


async def test_an_unsigned_batch_is_refused(rf: Harness) -> None:
    rid = await _submit(rf)
    body = _batch(("msg_x", runner_event(rid, "started")))
    raw, headers = rf.hook(body, secret="whsec_" + "QUJD" * 8)
    async with rf.client() as c:
        r = await c.post("/hooks/runner", content=raw, headers=headers)
    assert r.status_code == 401
    assert [e["type"] for e in await _log(rf)] == ["report.queued"]
