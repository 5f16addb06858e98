"""The notification history on PostgreSQL (SQLite is covered by the receiver tests)."""

from __future__ import annotations

import pytest

from reportflow.notifier import NotificationLog, NotificationRecord, Outcome

pytestmark = pytest.mark.integration


def row(
    channel_type: str, name: str, outcome: Outcome, error: str | None = None
) -> NotificationRecord:
    return NotificationRecord(
        receiver="ops",
        channel_type=channel_type,
        channel_name=name,
        alertname="BacklogGrowing",
        status="firing",
        group_key='{}:{alertname="BacklogGrowing"}',
        outcome=outcome,
        attempts=3 if outcome is Outcome.FAILED else 1,
        error=error,
        latency_ms=12.5,
    )


async def test_postgres_history_round_trip(postgres_url: str) -> None:
    log = NotificationLog(postgres_url)
    try:
        await log.record(
            [
                row("email", "ops-mail", Outcome.SENT),
                row("teams", "ops-teams", Outcome.FAILED, "ops.example: HTTP 500"),
                row("teams", "ops-teams", Outcome.DEDUPLICATED),
            ]
        )
        await log.record([row("slack", "ops-slack", Outcome.SENT)])
        everything = await log.query()
        teams = await log.query(channel="teams")
        failed = await log.query(outcome=Outcome.FAILED)
        by_name = await log.query(channel="ops-mail", limit=1)
    finally:
        await log.aclose()
    assert [r.channel_name for r in everything] == [
        "ops-slack",
        "ops-teams",
        "ops-teams",
        "ops-mail",
    ]
    assert {r.outcome for r in teams} == {Outcome.FAILED, Outcome.DEDUPLICATED}
    (bad,) = failed
    assert (bad.attempts, bad.error) == (3, "ops.example: HTTP 500")
    assert bad.at is not None
    assert bad.at.utcoffset() is not None
    assert [r.channel_type for r in by_name] == ["email"]


async def test_unreachable_history_database_is_a_clear_error() -> None:
    from reportflow.notifier import NotifierError

    log = NotificationLog("postgresql://postgres@127.0.0.1:1/nothing")
    with pytest.raises(NotifierError) as info:
        await log.query()
    await log.aclose()
    assert str(info.value).startswith("notification history '127.0.0.1:1/nothing': ")
    assert "\n" not in str(info.value)
