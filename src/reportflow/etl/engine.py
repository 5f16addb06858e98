"""``run_report``: the one entry point the runner and the CLI call.

The blocking pipeline (:mod:`.pipeline`) runs on a thread of its own for the
whole run — not on the loop's default executor, whose few workers a long
export would hold for minutes. Threads are reused: a new one starts only when
none is idle, so runs never wait for each other, and a short report does not
pay for starting a thread (the noop report's run went from about 2.4 to
0.9 ms of CPU). While it runs a report, a thread is named
``reportflow-etl-<job id>``. The staged files are then published to the
artifact store: by the same thread when the store's publication is blocking
file work (the local store: a rename and a hash), otherwise by the coroutine
once the thread is done. Each trip to a worker thread and back waits for the
loop and for the GIL: at 100 reports/s a ``noop`` report's run took 30–80 ms
against about 5 at 50/s, much of it in such waits (docs/benchmarks.md,
"Fifth round"). Cancellation (the caller's
``asyncio.timeout`` or a job cancel) tells the thread to stop at the next
batch, waits until it has cleaned up, removes anything already published, and
re-raises, so a run leaves either every artifact or none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from reportflow.artifacts.base import Artifact, ArtifactStore
from reportflow.artifacts.keys import artifact_key
from reportflow.catalog.model import OutputFormat, ReportDefinition
from reportflow.config import Settings
from reportflow.etl.contract import ProgressCallback, RunResult, Stage
from reportflow.etl.control import RunControl
from reportflow.etl.pipeline import Outcome, Plan, Staged, run_pipeline

log = logging.getLogger("reportflow.etl")

T = TypeVar("T")


async def run_report(
    definition: ReportDefinition,
    params: Mapping[str, Any],
    *,
    settings: Settings,
    store: ArtifactStore,
    job_id: str,
    formats: Sequence[OutputFormat] | None = None,
    progress: ProgressCallback | None = None,
) -> RunResult:
    """Run a report end to end and publish its artifacts.

    ``params`` are already validated and typed. ``formats`` overrides the
    definition's formats (an empty list renders nothing, e.g. load-only).
    Raises ETLError subclasses (SourceError, TransformError, RenderError,
    LoadError, RowLimitError), ConfigError for an unknown connection and
    ArtifactError when the store fails; asyncio.CancelledError passes through
    after cleanup.
    """
    chosen = [OutputFormat(f) for f in (definition.formats if formats is None else formats)]
    plan = Plan(
        definition=definition,
        params=dict(params),
        settings=settings,
        formats=list(dict.fromkeys(chosen)),
        staging=store.staging_dir(),
        job_id=job_id,
    )
    control = RunControl(asyncio.get_running_loop(), progress)
    finished = False
    try:
        if store.blocking_publish:
            outcome, artifacts = await _in_thread(
                lambda: _run_and_publish(plan, control, store),
                control,
                job_id,
                undo=lambda done: _unpublish(store, done[1]),
            )
        else:
            outcome = await _in_thread(lambda: run_pipeline(plan, control), control, job_id)
            artifacts = await _publish(outcome, store, plan)
        control.percent = 100.0
        await control.finish(Stage.DONE, outcome.rows)
        finished = True
    finally:
        await control.close(drain=finished)
    log.info(
        "report %s (job %s) done: %d rows, %d artifacts",
        definition.name,
        job_id,
        outcome.rows,
        len(artifacts),
    )
    return RunResult(rows=outcome.rows, artifacts=artifacts, loaded_rows=outcome.loaded_rows)


class _Threads:
    """Daemon threads reused across runs; a new one starts only when none is idle.

    ``concurrent.futures.ThreadPoolExecutor`` reuses threads too, but they are
    not daemons: the interpreter would wait at exit for a run blocked in a
    source's read. An idle thread here ends after ``idle_seconds``.
    """

    def __init__(self, idle_seconds: float = 60.0) -> None:
        self._idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[Callable[[], None]]] = []

    def run(self, work: Callable[[], None]) -> None:
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(inbox,), daemon=True).start()
        inbox.put(work)

    def _serve(self, inbox: queue.SimpleQueue[Callable[[], None]]) -> None:
        while True:
            try:
                work = inbox.get(timeout=self._idle_seconds)
            except queue.Empty:
                with self._lock:
                    if inbox in self._idle:  # nobody handed it work meanwhile: end
                        self._idle.remove(inbox)
                        return
                continue  # work arrived just as the wait ended
            work()
            with self._lock:
                self._idle.append(inbox)


_THREADS = _Threads()


async def _in_thread(
    fn: Callable[[], T],
    control: RunControl,
    job_id: str,
    *,
    undo: Callable[[T], Awaitable[None]] | None = None,
) -> T:
    """``fn()`` on a run thread. Cancelled, it stops the run and waits for the
    thread; a result the thread still produced is handed to ``undo``."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    # The thread's outcome, awaited only once the caller is cancelled (``future``
    # is then cancelled with it): awaiting ``future`` itself instead of a shield
    # over it wakes the caller one loop turn sooner.
    ended: asyncio.Future[tuple[T | None, BaseException | None]] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if not future.done():
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)  # type: ignore[arg-type]
        if not ended.done():
            ended.set_result((result, error))

    def work() -> None:
        thread = threading.current_thread()
        thread.name = f"reportflow-etl-{job_id}"
        try:
            result = fn()
        except BaseException as exc:  # handed to the awaiting coroutine
            outcome: tuple[T | None, BaseException | None] = (None, exc)
        else:
            outcome = (result, None)
        finally:
            thread.name = "reportflow-etl idle"
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
            loop.call_soon_threadsafe(settle, *outcome)

    _THREADS.run(work)
    try:
        return await future
    except asyncio.CancelledError:
        control.cancel()
        # Wait for the thread to unwind: it deletes its staging files.
        late, error = await ended
        if future.done() and not future.cancelled():
            future.exception()  # settled just before the cancel: seen here, not logged
        if error is None and undo is not None:
            with contextlib.suppress(Exception):  # best effort: the run is cancelled anyway
                await undo(late)  # type: ignore[arg-type]
        raise


def _run_and_publish(
    plan: Plan, control: RunControl, store: ArtifactStore
) -> tuple[Outcome, list[Artifact]]:
    """The pipeline, then its files published, all on the run's thread."""
    outcome = run_pipeline(plan, control)
    published: list[Artifact] = []
    pending = list(outcome.staged)
    try:
        while pending:
            published.append(store.put_file_blocking(**_put_args(plan, pending[0])))
            pending.pop(0)
    except BaseException:
        for artifact in published:
            with contextlib.suppress(Exception):
                store.delete_blocking(artifact.key)
        for staged in pending:
            staged.path.unlink(missing_ok=True)
        raise
    return outcome, published


async def _unpublish(store: ArtifactStore, artifacts: list[Artifact]) -> None:
    for artifact in artifacts:
        with contextlib.suppress(Exception):
            await store.delete(artifact.key)


async def _publish(outcome: Outcome, store: ArtifactStore, plan: Plan) -> list[Artifact]:
    published: list[Artifact] = []
    pending = list(outcome.staged)
    try:
        while pending:
            staged = pending[0]
            task = asyncio.ensure_future(_put(store, plan, staged))
            try:
                artifact = await asyncio.shield(task)
            except asyncio.CancelledError:
                # The move runs in a thread and finishes anyway: wait, then undo it.
                with contextlib.suppress(Exception):
                    published.append(await task)
                raise
            published.append(artifact)
            pending.pop(0)
    except BaseException:
        await _unpublish(store, published)
        for staged in pending:
            staged.path.unlink(missing_ok=True)
        raise
    return published


async def _put(store: ArtifactStore, plan: Plan, staged: Staged) -> Artifact:
    return await store.put_file(**_put_args(plan, staged))


def _put_args(plan: Plan, staged: Staged) -> dict[str, Any]:
    filename = f"{plan.definition.name}.{staged.extension}"
    return {
        "key": artifact_key(plan.job_id, filename),
        "path": staged.path,
        "name": filename,
        "format": staged.format.value,
        "content_type": staged.content_type,
        "rows": staged.rows,
    }
