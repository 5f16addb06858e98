"""SharedMessage: one event, encoded once for every subscriber, as send_json would."""

from __future__ import annotations

import json

from reportflow.requestor.broadcast import MemoryBroadcast, SharedMessage, encode


def test_encodes_like_send_json_and_only_once() -> None:
    message = SharedMessage({"seq": 3, "type": "report.succeeded", "data": {"name": "é"}})
    text = encode(message)
    assert json.loads(text) == dict(message)
    assert "é" in text
    assert ", " not in text
    assert encode(message) is text  # cached, not encoded again
    assert encode({"seq": 3}) == '{"seq":3}'


async def test_every_subscriber_gets_the_same_shared_message() -> None:
    broadcast = MemoryBroadcast()
    message = SharedMessage({"seq": 1})
    async with broadcast.subscribe("c", maxsize=4) as a, broadcast.subscribe("c", maxsize=4) as b:
        await broadcast.publish("c", message)
        got_a, got_b = await a.get(), await b.get()
    assert got_a is message
    assert got_b is message
    assert encode(got_a) is encode(got_b)
