"""WebhookClient against a real HTTP receiver: signatures and answer classification."""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import Any

import pytest
from webhook_receiver import Receiver, Scripted

from reportflow.webhooks import Outcome, Verifier, WebhookClient, generate_secret

pytestmark = pytest.mark.integration


async def test_signed_delivery_verifies_at_the_receiver(receiver: Receiver, secret: str) -> None:
    async with WebhookClient(receiver.url, secret) as client:
        attempt = await client.send("msg_1", {"type": "report.succeeded", "n": 1})
    assert attempt.outcome is Outcome.DELIVERED
    assert attempt.status == 204
    assert attempt.error is None
    assert attempt.latency > 0
    [got] = receiver.requests
    assert got.verified
    assert got.msg_id == "msg_1"
    assert got.json == {"type": "report.succeeded", "n": 1}
    assert got.headers["content-type"] == "application/json"


async def test_rotation_both_secrets_are_accepted(receiver: Receiver, secret: str) -> None:
    new = generate_secret()
    async with WebhookClient(receiver.url, [secret, new]) as client:
        # The receiver still knows only the old secret...
        assert (await client.send("msg_old", {})).outcome is Outcome.DELIVERED
        # ...and then only the new one.
        receiver.verifier = Verifier([new])
        assert (await client.send("msg_new", {})).outcome is Outcome.DELIVERED
    header = receiver.requests[-1].headers["webhook-signature"]
    assert len(header.split()) == 2
    assert all(r.verified for r in receiver.requests)


async def test_wrong_secret_is_rejected_by_the_receiver(receiver: Receiver) -> None:
    async with WebhookClient(receiver.url, generate_secret()) as client:
        attempt = await client.send("msg_bad", {})
    assert not receiver.requests[0].verified
    assert attempt.outcome is Outcome.FAILED
    assert attempt.status == 401
    assert attempt.error is not None
    assert "HTTP 401" in attempt.error


async def test_410_means_gone(receiver: Receiver, secret: str) -> None:
    receiver.script.append(Scripted(410))
    async with WebhookClient(receiver.url, secret) as client:
        attempt = await client.send("msg_gone", {})
    assert attempt.outcome is Outcome.GONE
    assert attempt.status == 410


async def test_400_is_a_permanent_failure_naming_the_status(
    receiver: Receiver, secret: str
) -> None:
    receiver.script.append(Scripted(400))
    async with WebhookClient(receiver.url, secret) as client:
        attempt = await client.send("msg_400", {})
    assert attempt.outcome is Outcome.FAILED
    assert attempt.error is not None
    assert attempt.error.startswith(f"HTTP 400 from {receiver.url}")


@pytest.mark.parametrize("status", [408, 409, 425, 429, 500, 502, 503])
async def test_transient_statuses_are_retried(receiver: Receiver, secret: str, status: int) -> None:
    receiver.script.append(Scripted(status))
    async with WebhookClient(receiver.url, secret) as client:
        attempt = await client.send("msg_t", {})
    assert attempt.outcome is Outcome.RETRY
    assert attempt.status == status


async def test_retry_after_seconds_and_http_date_are_read(receiver: Receiver, secret: str) -> None:
    later = email.utils.formatdate(time.time() + 120, usegmt=True)
    receiver.script += [
        Scripted(503, {"retry-after": "7"}),
        Scripted(429, {"retry-after": later}),
    ]
    async with WebhookClient(receiver.url, secret) as client:
        first = await client.send("msg_a", {})
        second = await client.send("msg_b", {})
    assert first.retry_after == 7.0
    assert second.retry_after is not None
    assert 115 <= second.retry_after <= 121


async def test_connection_refused_is_retried(down_receiver: Receiver, secret: str) -> None:
    async with WebhookClient(down_receiver.url, secret) as client:
        attempt = await client.send("msg_down", {})
    assert attempt.outcome is Outcome.RETRY
    assert attempt.status is None
    assert attempt.error is not None
    assert "connect failed: " in attempt.error


async def test_timeout_is_retried(receiver: Receiver, secret: str) -> None:
    receiver.script.append(Scripted(204, delay=1.0))
    async with WebhookClient(receiver.url, secret, timeout=0.2) as client:
        attempt = await client.send("msg_slow", {})
    assert attempt.outcome is Outcome.RETRY
    assert attempt.error is not None
    assert attempt.error.startswith("timeout after 0.2 s")
    assert 0.2 <= attempt.latency < 1.0


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


async def test_the_environments_proxy_carries_the_request(
    receiver: Receiver, secret: str, no_proxy_env: pytest.MonkeyPatch
) -> None:
    # The receiver plays the proxy: the webhook's own host is never resolved.
    no_proxy_env.setenv("HTTP_PROXY", f"http://127.0.0.1:{receiver.port}")
    async with WebhookClient("http://requestor.invalid/hooks", secret) as client:
        attempt = await client.send("msg_proxied", {"n": 1})
    assert attempt.outcome is Outcome.DELIVERED
    [got] = receiver.requests
    assert got.verified
    assert got.headers["host"] == "requestor.invalid"


async def test_no_proxy_sends_directly(
    receiver: Receiver, down_receiver: Receiver, secret: str, no_proxy_env: pytest.MonkeyPatch
) -> None:
    no_proxy_env.setenv("HTTP_PROXY", f"http://127.0.0.1:{down_receiver.port}")
    no_proxy_env.setenv("NO_PROXY", "127.0.0.1")
    async with WebhookClient(receiver.url, secret) as client:
        attempt = await client.send("msg_direct", {})
    assert attempt.outcome is Outcome.DELIVERED
    assert len(receiver.requests) == 1


async def test_sends_take_no_trip_to_a_worker_thread(
    receiver: Receiver, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = asyncio.get_running_loop()
    trips = 0
    run_in_executor = loop.run_in_executor

    def counted(*args: Any) -> Any:
        nonlocal trips
        trips += 1
        return run_in_executor(*args)

    monkeypatch.setattr(loop, "run_in_executor", counted)
    async with WebhookClient(receiver.url, secret) as client:
        attempts = [await client.send(f"msg_{i}", {}) for i in range(3)]
    assert [a.outcome for a in attempts] == [Outcome.DELIVERED] * 3
    assert trips == 0, trips
