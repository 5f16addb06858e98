"""The report lifecycle rules and the in-process broadcast, without HTTP."""

from __future__ import annotations

import pytest

from reportflow.requestor import MemoryBroadcast
from reportflow.requestor.broadcast import OVERFLOW
from reportflow.store import Report, ReportStatus, transition
from reportflow.store.lifecycle import UnknownEventKind


def _report(status: ReportStatus = ReportStatus.QUEUED, attempt: int = 0, phase: int = 0) -> Report:
    return Report(
        id="r1",
        user_id=1,
        report="sales",
        params={},
        formats=["csv"],
        status=status,
        attempt=attempt,
        phase=phase,
        progress=None,
        artifacts=[],
        error=None,
        request_hash="h",
        idempotency_key=None,
        retry_of=None,
        created_at=0.0,
        updated_at=0.0,
        started_at=None,
        finished_at=None,
    )


@pytest.mark.parametrize(
    ("status", "attempt", "phase", "kind", "event_attempt", "expected"),
    [
        (ReportStatus.QUEUED, 0, 0, "started", 1, ReportStatus.RUNNING),
        (ReportStatus.RUNNING, 1, 1, "started", 1, None),
        (ReportStatus.RUNNING, 1, 2, "progress", 1, ReportStatus.RUNNING),
        (ReportStatus.RUNNING, 1, 1, "succeeded", 1, ReportStatus.SUCCEEDED),
        (ReportStatus.QUEUED, 1, 3, "progress", 1, None),
        (ReportStatus.QUEUED, 1, 3, "started", 2, ReportStatus.RUNNING),
        (ReportStatus.RUNNING, 2, 1, "failed", 1, None),
        (ReportStatus.SUCCEEDED, 1, 3, "failed", 2, None),
        (ReportStatus.QUEUED, 0, 0, "succeeded", 1, ReportStatus.SUCCEEDED),
        (ReportStatus.RUNNING, 1, 1, "cancelled", 1, ReportStatus.CANCELLED),
    ],
)
def test_transition_table(
    status: ReportStatus,
    attempt: int,
    phase: int,
    kind: str,
    event_attempt: int,
    expected: ReportStatus | None,
) -> None:
    change = transition(_report(status, attempt, phase), kind, event_attempt, 1.0, {})
    assert (change.status if change else None) == expected


def test_failed_with_retry_goes_back_to_queued_and_keeps_the_reason() -> None:
    change = transition(
        _report(ReportStatus.RUNNING, 1, 1), "failed", 1, 1.0, {"error": "boom", "will_retry": True}
    )
    assert change is not None
    assert change.status is ReportStatus.QUEUED
    assert change.values["error"] == "boom"
    assert "inflight_key" not in change.values


@pytest.mark.parametrize(
    ("status", "attempt", "phase", "event_attempt", "opens"),
    [
        (ReportStatus.QUEUED, 0, 0, 1, True),  # progress overtook the first started
        (ReportStatus.RUNNING, 1, 1, 1, False),  # started already applied
        (ReportStatus.RUNNING, 1, 2, 1, False),  # a later progress
        (ReportStatus.QUEUED, 1, 3, 2, True),  # a retry's progress came first
    ],
)
def test_the_first_progress_of_an_attempt_opens_it(
    status: ReportStatus, attempt: int, phase: int, event_attempt: int, opens: bool
) -> None:
    change = transition(_report(status, attempt, phase), "progress", event_attempt, 5.0, {})
    assert change is not None
    assert change.opens_attempt is opens
    assert ("started_at" in change.values) is opens
    if opens:
        assert change.values["started_at"] == 5.0


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(UnknownEventKind, match="exploded"):
        transition(_report(), "exploded", 1, 1.0, {})


async def test_slow_subscriber_is_cut_off_others_are_not() -> None:
    broadcast = MemoryBroadcast()
    async with (
        broadcast.subscribe("c", maxsize=2) as slow,
        broadcast.subscribe("c", maxsize=10) as fast,
    ):
        for seq in range(1, 4):
            await broadcast.publish("c", {"seq": seq})
        assert [await slow.get() for _ in range(3)] == [{"seq": 1}, {"seq": 2}, OVERFLOW]
        assert slow.overflowed
        assert not fast.overflowed
        assert [(await fast.get())["seq"] for _ in range(3)] == [1, 2, 3]
    assert broadcast.subscriber_count("c") == 0
