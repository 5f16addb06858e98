"""Where a run's files are published: on the run's own thread for a blocking store,
on the loop for any other; all or nothing either way."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from etl_helpers import leftovers, run

from reportflow.artifacts import LocalArtifactStore
from reportflow.artifacts.base import Artifact
from reportflow.catalog.model import OutputFormat, ReportDefinition
from reportflow.config import Settings
from reportflow.errors import ArtifactError

FORMATS = [OutputFormat.CSV, OutputFormat.JSON, OutputFormat.PARQUET]


def _rows() -> list[dict[str, Any]]:
    return [{"n": i} for i in range(10)]


DEFINITION = ReportDefinition(name="small", function=_rows, formats=FORMATS)


class _Watched(LocalArtifactStore):
    """A local store that records which thread publishes, and can fail or stall a file."""

    def __init__(self, root: Path, *, fail_at: int | None = None) -> None:
        super().__init__(root)
        self.threads: list[str] = []
        self.fail_at = fail_at
        self.first_done = threading.Event()
        self.release = threading.Event()

    def put_file_blocking(self, key: str, path: Path, **kwargs: Any) -> Artifact:
        self.threads.append(threading.current_thread().name)
        if len(self.threads) == self.fail_at:
            raise ArtifactError(f"artifact {key!r}: disk full")
        if len(self.threads) == 2:
            self.first_done.set()
            self.release.wait(10)
        return super().put_file_blocking(key, path, **kwargs)


async def test_a_local_store_publishes_on_the_runs_thread(tmp_path: Path) -> None:
    store = _Watched(tmp_path / "artifacts")
    store.release.set()
    result = await run(DEFINITION, Settings(), store)
    assert [a.format for a in result.artifacts] == [f.value for f in FORMATS]
    assert store.threads == ["reportflow-etl-job1"] * 3
    kept = [p.relative_to(store.root).as_posix() for p in leftovers(store)]
    assert kept == ["job1/small.csv", "job1/small.jsonl", "job1/small.parquet"]


async def test_a_failed_publication_undoes_the_files_already_published(tmp_path: Path) -> None:
    store = _Watched(tmp_path / "artifacts", fail_at=3)
    store.release.set()
    with pytest.raises(ArtifactError, match="disk full"):
        await run(DEFINITION, Settings(), store)
    assert len(store.threads) == 3
    assert leftovers(store) == []


async def test_a_cancel_during_publication_removes_what_the_thread_still_published(
    tmp_path: Path,
) -> None:
    store = _Watched(tmp_path / "artifacts")
    task = asyncio.create_task(run(DEFINITION, Settings(), store))
    assert await asyncio.to_thread(store.first_done.wait, 10)
    assert leftovers(store)  # one artifact is in place, two files still staged
    task.cancel()
    await asyncio.sleep(0.05)
    store.release.set()  # the thread finishes its publication after the cancel
    with pytest.raises(asyncio.CancelledError):
        await task
    assert leftovers(store) == []


class _LoopOnly(LocalArtifactStore):
    """A store that publishes only through its async methods (as a remote one would)."""

    blocking_publish = False

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.loop_puts = 0

    async def put_file(self, key: str, path: Path, **kwargs: Any) -> Artifact:
        self.loop_puts += 1
        return await super().put_file(key, path, **kwargs)

    def put_file_blocking(self, key: str, path: Path, **kwargs: Any) -> Artifact:
        if threading.current_thread().name.startswith("reportflow-etl-"):
            raise AssertionError("a loop-only store was called from the run's thread")
        return super().put_file_blocking(key, path, **kwargs)


async def test_any_other_store_publishes_from_the_loop(tmp_path: Path) -> None:
    store = _LoopOnly(tmp_path / "artifacts")
    result = await run(DEFINITION, Settings(), store)
    assert store.loop_puts == 3
    assert len(result.artifacts) == 3
