"""The queue contract, run against every backend (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from reportflow.errors import JobNotFoundError, QueueError
from reportflow.queue import JobState, Queue

SHORT_LEASE = 0.05


async def expire_leases() -> None:
    # Leases are wall-clock deadlines; there is nothing to wait on but time.
    await asyncio.sleep(SHORT_LEASE * 3)


async def test_enqueue_claim_ack(queue: Queue) -> None:
    job = await queue.enqueue("sales", {"month": "2026-11"}, meta={"owner": "ann"})
    assert job.state is JobState.QUEUED
    assert job.attempts == 0
    [claimed] = await queue.claim("w1", limit=5, lease_seconds=30)
    assert claimed.id == job.id
    assert claimed.state is JobState.RUNNING
    assert claimed.attempts == 1
    assert claimed.worker == "w1"
    assert claimed.params == {"month": "2026-11"}
    assert claimed.meta == {"owner": "ann"}
    assert claimed.lease_until is not None
    assert claimed.lease_until > time.time() + 20
    assert await queue.claim("w2") == []
    assert await queue.ack("w1", job.id, {"rows": 12}) is True
    done = await queue.get(job.id)
    assert done is not None
    assert done.state is JobState.SUCCEEDED
    assert done.result == {"rows": 12}
    assert done.finished_at is not None
    assert done.finished_at >= claimed.started_at
    assert await queue.ack("w1", job.id) is False  # recorded once


async def test_concurrent_acks_keep_each_result(queue: Queue, other_queue: Queue) -> None:
    # Concurrent acks share one group commit on the SQL backends: each job
    # must still get its own result, jobs acked without one get none, and an
    # ack for a job another worker holds changes nothing.
    for i in range(40):
        await queue.enqueue("sales", {"i": i})
    mine = await queue.claim("w1", limit=30, lease_seconds=30)
    theirs = await other_queue.claim("w2", limit=10, lease_seconds=30)
    with_result = mine[:20]
    answers = await asyncio.gather(
        *(queue.ack("w1", job.id, {"i": job.params["i"]}) for job in with_result),
        *(queue.ack("w1", job.id) for job in mine[20:]),
        *(queue.ack("w1", job.id, {"stolen": True}) for job in theirs),
    )
    assert answers == [True] * 30 + [False] * 10
    for job in with_result:
        done = await queue.get(job.id)
        assert done is not None
        assert done.state is JobState.SUCCEEDED
        assert done.result == {"i": job.params["i"]}
    for job in mine[20:]:
        done = await queue.get(job.id)
        assert done is not None
        assert done.state is JobState.SUCCEEDED
        assert done.result is None
    for job in theirs:
        held = await queue.get(job.id)
        assert held is not None
        assert held.state is JobState.RUNNING
        assert held.result is None


async def test_get_unknown_is_none(queue: Queue) -> None:
    assert await queue.get("no-such-job") is None


async def test_priority_then_fifo(queue: Queue) -> None:
    names = []
    for name, priority in [("a", 0), ("b", 5), ("c", 0), ("d", 5), ("e", -1)]:
        await queue.enqueue(name, priority=priority)
        names.append(name)
    first = await queue.claim("w", limit=1)
    rest = await queue.claim("w", limit=10)
    assert [j.report for j in first + rest] == ["b", "d", "a", "c", "e"]


async def test_queues_are_separate(queue: Queue) -> None:
    await queue.enqueue("a", queue="fast")
    await queue.enqueue("b", queue="slow", priority=3)
    assert await queue.claim("w", queues=("other",)) == []
    both = await queue.claim("w", limit=5, queues=("fast", "slow"))
    assert [j.report for j in both] == ["b", "a"]


async def test_delay_is_not_claimable_before_due(queue: Queue) -> None:
    later = await queue.enqueue("later", delay=1.0)
    assert later.scheduled_at == pytest.approx(later.enqueued_at + 1.0)
    now = await queue.enqueue("now")
    assert [j.id for j in await queue.claim("w", limit=5)] == [now.id]
    await asyncio.sleep(max(0.0, later.scheduled_at - time.time()) + 0.01)
    assert [j.id for j in await queue.claim("w", limit=5)] == [later.id]


async def test_concurrent_claimers_never_share_a_job(queue: Queue, other_queue: Queue) -> None:
    ids = {(await queue.enqueue("r", {"n": n})).id for n in range(500)}
    seen: list[str] = []

    async def claimer(q: Queue, name: str) -> None:
        for _ in range(500):  # bounded
            jobs = await q.claim(name, limit=7)
            if not jobs:
                return
            seen.extend(j.id for j in jobs)
            for j in jobs:
                assert await q.ack(name, j.id)

    await asyncio.gather(*(claimer(queue if n % 2 else other_queue, f"w{n}") for n in range(8)))
    assert len(seen) == len(set(seen)) == 500
    assert set(seen) == ids
    stats = await queue.stats()
    assert stats.depth[JobState.SUCCEEDED] == 500


async def test_expired_lease_is_claimed_again(queue: Queue) -> None:
    job = await queue.enqueue("slow")
    await queue.claim("w1", lease_seconds=SHORT_LEASE)
    await expire_leases()
    [again] = await queue.claim("w2", lease_seconds=30)
    assert again.id == job.id
    assert again.attempts == 2
    assert again.worker == "w2"
    # w1 lost it: nothing it does counts any more.
    assert await queue.heartbeat("w1", [job.id]) == {}
    assert await queue.ack("w1", job.id) is False
    assert await queue.fail("w1", job.id, "boom") is None
    assert await queue.release("w1", job.id) is False
    assert await queue.ack_cancelled("w1", job.id) is False
    assert await queue.ack("w2", job.id) is True


async def test_expired_lease_on_last_attempt_is_dead(queue: Queue) -> None:
    job = await queue.enqueue("slow", max_attempts=1)
    await queue.claim("w1", lease_seconds=SHORT_LEASE)
    await expire_leases()
    assert await queue.claim("w2") == []
    dead = await queue.get(job.id)
    assert dead is not None
    assert dead.state is JobState.DEAD
    assert dead.error is not None
    assert "lease expired" in dead.error
    assert await queue.ack("w1", job.id) is False


async def test_heartbeat_extends_lease_and_reports_cancel(queue: Queue) -> None:
    job = await queue.enqueue("long")
    await queue.claim("w1", lease_seconds=0.2)
    assert await queue.heartbeat("w1", [job.id, "unknown"], lease_seconds=30) == {job.id: False}
    await asyncio.sleep(0.25)
    assert await queue.claim("w2") == []  # the renewed lease still holds
    cancelled = await queue.cancel(job.id)
    assert cancelled.state is JobState.RUNNING
    assert cancelled.cancel_requested is True
    assert await queue.heartbeat("w1", [job.id]) == {job.id: True}
    assert await queue.heartbeat("w2", [job.id]) == {}
    assert await queue.ack_cancelled("w1", job.id) is True
    final = await queue.get(job.id)
    assert final is not None
    assert final.state is JobState.CANCELLED
    assert final.finished_at is not None


async def test_retry_honours_retry_in(queue: Queue) -> None:
    job = await queue.enqueue("flaky", max_attempts=3)
    await queue.claim("w")
    assert await queue.fail("w", job.id, "db down", retry_in=0) is JobState.QUEUED
    [second] = await queue.claim("w")
    assert second.attempts == 2
    assert second.error == "db down"
    before = time.time()
    assert await queue.fail("w", job.id, "db down again", retry_in=60) is JobState.QUEUED
    queued = await queue.get(job.id)
    assert queued is not None
    assert queued.worker is None
    assert queued.scheduled_at >= before + 60
    assert await queue.claim("w") == []  # scheduled in the future


async def test_retry_default_backoff(queue: Queue) -> None:
    job = await queue.enqueue("flaky")
    await queue.claim("w")
    before = time.time()
    await queue.fail("w", job.id, "oops")
    queued = await queue.get(job.id)
    assert queued is not None
    # retry_delay(1): full jitter in [0.5, 1.0] seconds
    assert before + 0.5 - 0.01 <= queued.scheduled_at <= time.time() + 1.0


async def test_dead_letter_after_max_attempts(queue: Queue) -> None:
    job = await queue.enqueue("broken", max_attempts=2)
    await queue.claim("w")
    assert await queue.fail("w", job.id, "first", retry_in=0) is JobState.QUEUED
    await queue.claim("w")
    assert await queue.fail("w", job.id, "second", retry_in=0) is JobState.DEAD
    dead = await queue.get(job.id)
    assert dead is not None
    assert (dead.state, dead.attempts, dead.error) == (JobState.DEAD, 2, "second")
    assert dead.finished_at is not None
    assert await queue.claim("w") == []


async def test_fail_without_retry_is_failed(queue: Queue) -> None:
    job = await queue.enqueue("bad-params", max_attempts=5)
    await queue.claim("w")
    assert await queue.fail("w", job.id, "no such plant", retry=False) is JobState.FAILED
    failed = await queue.get(job.id)
    assert failed is not None
    assert failed.state is JobState.FAILED


async def test_cancel_queued_and_terminal(queue: Queue) -> None:
    job = await queue.enqueue("r")
    cancelled = await queue.cancel(job.id)
    assert cancelled.state is JobState.CANCELLED
    assert cancelled.finished_at is not None
    assert await queue.claim("w") == []
    done = await queue.enqueue("r2")
    await queue.claim("w")
    await queue.ack("w", done.id)
    unchanged = await queue.cancel(done.id)
    assert unchanged.state is JobState.SUCCEEDED
    assert unchanged.cancel_requested is False
    with pytest.raises(JobNotFoundError, match="nope"):
        await queue.cancel("nope")


async def test_release_does_not_count_the_attempt(queue: Queue) -> None:
    first = await queue.enqueue("a")
    second = await queue.enqueue("b")
    [claimed] = await queue.claim("w1")
    assert claimed.id == first.id
    assert await queue.release("w2", first.id) is False
    assert await queue.release("w1", first.id) is True
    released = await queue.get(first.id)
    assert released is not None
    assert (released.state, released.attempts, released.worker) == (JobState.QUEUED, 0, None)
    again = await queue.claim("w2", limit=2)
    assert [j.id for j in again] == [first.id, second.id]  # back in its old place
    assert again[0].attempts == 1


async def test_idempotency_key(queue: Queue) -> None:
    one = await queue.enqueue("r", {"x": 1}, idempotency_key="req-1")
    same = await queue.enqueue("r", {"x": 2}, idempotency_key="req-1")
    assert same.id == one.id
    assert same.params == {"x": 1}
    elsewhere = await queue.enqueue("r", idempotency_key="req-1", queue="other")
    assert elsewhere.id != one.id
    await queue.claim("w")
    assert (await queue.enqueue("r", idempotency_key="req-1")).id == one.id  # running
    await queue.ack("w", one.id)
    fresh = await queue.enqueue("r", idempotency_key="req-1")
    assert fresh.id != one.id
    assert fresh.state is JobState.QUEUED


async def test_concurrent_duplicate_enqueues_make_one_job(queue: Queue, other_queue: Queue) -> None:
    jobs = await asyncio.gather(
        *((queue if n % 2 else other_queue).enqueue("r", idempotency_key="dup") for n in range(20))
    )
    assert len({j.id for j in jobs}) == 1
    assert (await queue.stats()).depth[JobState.QUEUED] == 1


async def test_duplicate_job_id_is_refused(queue: Queue) -> None:
    await queue.enqueue("r", job_id="fixed-id")
    with pytest.raises(QueueError, match="fixed-id"):
        await queue.enqueue("r", job_id="fixed-id")


async def test_stats(queue: Queue) -> None:
    empty = await queue.stats()
    assert set(empty.depth) == set(JobState)
    assert sum(empty.depth.values()) == 0
    assert empty.oldest_wait_seconds == 0.0
    await queue.enqueue("a")
    await queue.enqueue("b")
    await queue.enqueue("c", delay=60)
    await queue.enqueue("d", queue="elsewhere")
    running = await queue.claim("w")
    await asyncio.sleep(0.05)
    stats = await queue.stats()
    assert stats.depth[JobState.QUEUED] == 2
    assert stats.depth[JobState.RUNNING] == 1
    assert running[0].report == "a"
    assert 0.04 <= stats.oldest_wait_seconds < 5  # "b"; the delayed "c" is not waiting yet


async def test_wait_returns_promptly_on_enqueue(queue: Queue, other_queue: Queue) -> None:
    await queue.wait(0)  # forget earlier wake-ups
    waiter = asyncio.create_task(queue.wait(10))
    await asyncio.sleep(0.05)  # let the waiter block (and a LISTEN settle)
    assert not waiter.done()
    started = time.perf_counter()
    await other_queue.enqueue("r")
    await asyncio.wait_for(waiter, 2)
    # Pushed: well under the 10 s timeout and under SQLite's 0.5 s poll.
    assert time.perf_counter() - started < 0.4


async def test_wake_up_is_not_lost_between_claim_and_wait(queue: Queue) -> None:
    await queue.wait(0)
    await queue.enqueue("r")
    await asyncio.sleep(0.05)  # the notification arrives while nobody waits
    started = time.perf_counter()
    await queue.wait(10)
    assert time.perf_counter() - started < 0.4


async def test_wait_times_out(queue: Queue) -> None:
    await queue.wait(0)
    started = time.perf_counter()
    await queue.wait(0.1)
    assert 0.09 <= time.perf_counter() - started < 2


@pytest.mark.parametrize(
    ("call", "culprit"),
    [
        (lambda q: q.claim("w", limit=-1), "limit"),
        (lambda q: q.claim("w", limit=0), "limit"),
        (lambda q: q.claim("w", lease_seconds=-5), "lease_seconds"),
        (lambda q: q.claim("w", lease_seconds=float("nan")), "lease_seconds"),
        (lambda q: q.claim("", limit=1), "worker"),
        (lambda q: q.claim("w", queues=()), "queues"),
        (lambda q: q.claim("w", queues="default"), "queues"),
        (lambda q: q.enqueue(""), "report"),
        (lambda q: q.enqueue("r", {"when": object()}), "params"),
        (lambda q: q.enqueue("r", max_attempts=0), "max_attempts"),
        (lambda q: q.enqueue("r", delay=-1), "delay"),
        (lambda q: q.enqueue("r", priority=True), "priority"),
        (lambda q: q.enqueue("r", priority=2**40), "priority"),
        (lambda q: q.enqueue("r", queue=""), "queue"),
        (lambda q: q.enqueue("r", idempotency_key=""), "idempotency_key"),
        (lambda q: q.heartbeat("w", ["a"], lease_seconds=0), "lease_seconds"),
        (lambda q: q.heartbeat("w", "job-id"), "job_ids"),
        (lambda q: q.fail("w", "a", "e", retry_in=-1), "retry_in"),
        (lambda q: q.ack("w", "a", result=[1]), "result"),
        (lambda q: q.wait(-1), "timeout"),
        (lambda q: q.get(""), "job_id"),
    ],
)
async def test_bad_input_names_the_culprit(queue: Queue, call: object, culprit: str) -> None:
    with pytest.raises(QueueError, match=culprit) as info:
        await call(queue)
    assert "\n" not in str(info.value)


async def test_cancelled_claim_leaves_the_queue_usable(queue: Queue) -> None:
    for n in range(20):
        await queue.enqueue("r", {"n": n})
    # Cancel claims at every point of their run; whatever they got goes back.
    for _ in range(10):
        task = asyncio.create_task(queue.claim("w1", limit=3))
        await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    seen: set[str] = set()
    for _ in range(50):  # bounded: released jobs come back at once
        jobs = await queue.claim("w2", limit=20)
        seen.update(j.id for j in jobs)
        if len(seen) == 20:
            break
        await queue.wait(0.05)
    stats = await queue.stats()
    # Every job is either claimed by w2 or still held by w1 (a claim that
    # completed before its cancel), never lost.
    assert stats.depth[JobState.QUEUED] == 0
    assert stats.depth[JobState.RUNNING] == 20
