"""The ETL's reused daemon threads (``reportflow.etl.engine._Threads``)."""

from __future__ import annotations

import threading
import time

from reportflow.etl.engine import _Threads


def _run_and_wait(threads: _Threads) -> threading.Thread:
    seen: list[threading.Thread] = []
    done = threading.Event()

    def job() -> None:
        seen.append(threading.current_thread())
        done.set()

    threads.run(job)
    assert done.wait(5)
    return seen[0]


def test_a_finished_thread_takes_the_next_run() -> None:
    threads = _Threads()
    first = _run_and_wait(threads)
    deadline = time.monotonic() + 5
    while not threads._idle and time.monotonic() < deadline:  # back in the idle list
        time.sleep(0.005)
    assert _run_and_wait(threads) is first
    assert first.daemon  # never holds up the interpreter's exit


def test_runs_at_once_get_threads_of_their_own() -> None:
    threads = _Threads()
    release = threading.Event()
    started = [threading.Event(), threading.Event()]
    used: list[threading.Thread] = []

    def blocking(i: int) -> None:
        used.append(threading.current_thread())
        started[i].set()
        release.wait(5)

    threads.run(lambda: blocking(0))
    threads.run(lambda: blocking(1))  # the first is busy: a second thread
    assert all(e.wait(5) for e in started)
    release.set()
    assert used[0] is not used[1]


def test_an_idle_thread_ends() -> None:
    threads = _Threads(idle_seconds=0.05)
    thread = _run_and_wait(threads)
    thread.join(5)
    assert not thread.is_alive()
    assert _run_and_wait(threads) is not thread  # a new one for the next run
