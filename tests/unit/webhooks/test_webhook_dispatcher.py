"""The dispatcher's state machine on an in-memory SQLite outbox and a scripted loopback endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from scripted_endpoint import Seen, scripted_endpoint

from reportflow.errors import ConfigError, WebhookError
from reportflow.webhooks import (
    MessageState,
    Outbox,
    OutboxDispatcher,
    RetrySchedule,
    WebhookClient,
)

NO_WAIT = RetrySchedule(delays=(0, 0, 0), repeat_every=None, jitter=0)


class Endpoint:
    """Answers with the given statuses in order, then 204; counts requests per id."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.ids: list[str] = []

    def __call__(self, request: Seen) -> int:
        self.ids.append(request.headers["webhook-id"])
        return self.statuses.pop(0) if self.statuses else 204


@pytest.fixture
async def outbox() -> AsyncIterator[Outbox]:
    box = Outbox.from_url("sqlite://")
    await box.create_tables()
    yield box
    await box.close()


async def _run(outbox: Outbox, endpoint: Endpoint, schedule: RetrySchedule = NO_WAIT) -> int:
    async with (
        scripted_endpoint(endpoint) as served,
        WebhookClient(served.url, "k", name="requestor") as client,
    ):
        return await OutboxDispatcher(outbox, client, schedule=schedule).run_once()


@pytest.mark.parametrize(
    ("statuses", "state", "attempts"),
    [
        ((), MessageState.DELIVERED, 1),
        ((500, 503), MessageState.DELIVERED, 3),
        ((500, 500, 500), MessageState.DEAD, 3),
        ((503, 410), MessageState.GONE, 2),
        ((429, 422), MessageState.DEAD, 2),
    ],
)
async def test_outcomes_move_the_message(
    outbox: Outbox, statuses: tuple[int, ...], state: MessageState, attempts: int
) -> None:
    await outbox.add("requestor", "msg_1", {"n": 1})
    endpoint = Endpoint(*statuses)
    assert await _run(outbox, endpoint) == attempts
    message = await outbox.get("msg_1")
    assert (message.state, message.attempts) == (state, attempts)
    assert endpoint.ids == ["msg_1"] * attempts
    expected = [*statuses, 204][:attempts]
    assert [a.status for a in await outbox.attempts("msg_1")] == expected


async def test_a_waiting_retry_is_not_sent_early(outbox: Outbox) -> None:
    await outbox.add("requestor", "msg_1", {})
    endpoint = Endpoint(500)
    later = RetrySchedule(delays=(0, 60), repeat_every=None, jitter=0)
    assert await _run(outbox, endpoint, later) == 1
    message = await outbox.get("msg_1")
    assert message.state is MessageState.PENDING
    assert message.next_attempt_at - message.created_at >= 60
    assert await outbox.list_deliveries(failed_only=True) == [message]


async def test_redeliver_restarts_the_schedule(outbox: Outbox) -> None:
    await outbox.add("requestor", "msg_1", {})
    await _run(outbox, Endpoint(500, 500, 500))
    assert (await outbox.get("msg_1")).state is MessageState.DEAD
    await outbox.redeliver("msg_1")
    # A fresh round gets all three attempts again; numbering continues.
    await _run(outbox, Endpoint(500, 500))
    assert [a.attempt for a in await outbox.attempts("msg_1")] == [1, 2, 3, 4, 5, 6]
    assert (await outbox.get("msg_1")).state is MessageState.DELIVERED


async def test_bad_dispatcher_and_outbox_configuration_is_named(outbox: Outbox) -> None:
    with pytest.raises(WebhookError, match="no webhook client"):
        OutboxDispatcher(outbox, [])
    client = WebhookClient("http://r/h", "k")
    with pytest.raises(WebhookError, match="batch_size 0"):
        OutboxDispatcher(outbox, client, batch_size=0)
    await client.aclose()
    with pytest.raises(ConfigError, match="'mysql' is not supported"):
        Outbox.from_url("mysql://root@localhost/x")
    with pytest.raises(ConfigError, match="not a database URL"):
        Outbox.from_url("::nonsense::")
