"""ReportExecutor with the real catalog and ETL (demo reports, local artifacts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runner_kit import MakeRunner, RecordingSink

from reportflow.artifacts import open_store
from reportflow.catalog import Catalog
from reportflow.config import Settings
from reportflow.errors import ParameterError
from reportflow.queue import JobState
from reportflow.queue.memory import MemoryQueue
from reportflow.runner import EventKind, ReportExecutor
from reportflow.runner.executors import requested_formats


@pytest.fixture
def report_executor(tmp_path: Path) -> ReportExecutor:
    settings = Settings(home=tmp_path, catalog=[])
    return ReportExecutor(
        Catalog.from_settings(settings), settings, open_store(tmp_path / "artifacts")
    )


async def test_runs_a_catalog_report_into_artifacts(
    queue: MemoryQueue,
    make_runner: MakeRunner,
    sink: RecordingSink,
    report_executor: ReportExecutor,
    tmp_path: Path,
) -> None:
    job = await queue.enqueue("sleep", {"seconds": "0.05"}, meta={"formats": ["json"]})
    await make_runner(executor=report_executor).start()
    await sink.wait_final(1)
    kinds = sink.kinds(job.id)
    assert kinds[0] is EventKind.STARTED
    assert kinds[-1] is EventKind.SUCCEEDED
    assert EventKind.PROGRESS in kinds
    stored = await queue.get(job.id)
    assert stored is not None
    assert stored.state is JobState.SUCCEEDED
    assert stored.result is not None
    assert stored.result["rows"] == 1
    [artifact] = stored.result["artifacts"]
    assert artifact["format"] == "json"
    content = b"".join([chunk async for chunk in report_executor.store.open(artifact["key"])])
    assert json.loads(content) == {"slept_seconds": 0.05}
    assert sink.events[-1].data["artifacts"] == [artifact]


@pytest.mark.parametrize(
    ("report", "params", "meta", "error"),
    [
        ("nope", {}, {}, "unknown report 'nope'; did you mean noop?"),
        (
            "sleep",
            {"seconds": "soon"},
            {},
            "report 'sleep': invalid parameters: seconds: ",
        ),
        ("noop", {}, {"formats": ["pdf"]}, "report 'noop': invalid parameters: formats: unknown"),
        (
            "noop",
            {},
            {"formats": ["xlsx"]},
            "report 'noop': invalid parameters: formats: report does not offer 'xlsx'",
        ),
    ],
)
async def test_bad_requests_fail_at_once_with_the_culprit(
    queue: MemoryQueue,
    make_runner: MakeRunner,
    sink: RecordingSink,
    report_executor: ReportExecutor,
    report: str,
    params: dict[str, str],
    meta: dict[str, object],
    error: str,
) -> None:
    job = await queue.enqueue(report, params, meta=meta, max_attempts=3)
    await make_runner(executor=report_executor).start()
    await sink.wait_final(1)
    event = sink.events[-1]
    assert event.kind is EventKind.FAILED
    assert event.data["error"].startswith(error)
    assert event.data["will_retry"] is False
    stored = await queue.get(job.id)
    assert stored is not None
    assert stored.state is JobState.FAILED
    assert stored.attempts == 1


async def test_the_report_time_limit_applies(
    queue: MemoryQueue,
    make_runner: MakeRunner,
    sink: RecordingSink,
    report_executor: ReportExecutor,
) -> None:
    definition = report_executor.catalog.get("sleep")
    limited = definition.model_copy(
        update={"limits": definition.limits.model_copy(update={"timeout_seconds": 0.2})}
    )
    report_executor.catalog._reports["sleep"] = limited
    await queue.enqueue("sleep", {"seconds": 30})
    await make_runner(executor=report_executor).start()
    await sink.wait_final(1)
    assert sink.events[-1].data["error"] == "report 'sleep' timed out after 0.2s"


def test_requested_formats_accepts_offered_names(report_executor: ReportExecutor) -> None:
    noop = report_executor.catalog.get("noop")
    assert requested_formats(noop, None) is None
    assert [f.value for f in requested_formats(noop, ["json", "csv"]) or []] == ["json", "csv"]
    with pytest.raises(ParameterError, match="formats: expected a list, got 'csv'"):
        requested_formats(noop, "csv")


async def test_warm_up_loads_the_etl_before_the_first_report(
    report_executor: ReportExecutor,
) -> None:
    from reportflow.etl import run_report
    from reportflow.runner.executors import warm_up

    assert report_executor._run_report is None
    await warm_up(report_executor)
    assert report_executor._run_report is run_report
    await warm_up(object())  # an executor without a warm-up is left alone
