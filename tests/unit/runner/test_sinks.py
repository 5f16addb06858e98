"""LogSink: one structured line per event, nothing built when the level is off."""

from __future__ import annotations

import logging

import pytest

from reportflow.runner import EventKind, LogSink, ReportEvent


def _event(kind: EventKind) -> ReportEvent:
    return ReportEvent(
        kind=kind,
        job_id="j1",
        report="sales",
        attempt=1,
        data={"rows": 3, "when": object()},
        meta={"owner": "ann"},
    )


async def test_log_sink_writes_a_json_safe_event(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="reportflow.test-sink")
    sink = LogSink(logging.getLogger("reportflow.test-sink"))
    await sink.emit(_event(EventKind.SUCCEEDED))
    [record] = caplog.records
    assert record.getMessage() == "report j1 succeeded"
    payload = record.__dict__["event"]
    assert payload["kind"] == "succeeded"
    assert payload["meta"] == {"owner": "ann"}
    assert payload["data"]["rows"] == 3
    assert isinstance(payload["data"]["when"], str)  # not JSON: sent as its str()


async def test_log_sink_skips_levels_that_are_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="reportflow.test-sink")
    sink = LogSink(logging.getLogger("reportflow.test-sink"))
    await sink.emit(_event(EventKind.PROGRESS))  # DEBUG: off at INFO
    await sink.emit(_event(EventKind.STARTED))
    assert [r.getMessage() for r in caplog.records] == ["report j1 started"]
