"""Process set-up helpers of the runner service."""

from __future__ import annotations

import base64
import gc
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from reportflow.config import Settings
from reportflow.errors import ConfigError
from reportflow.heap import GC_THRESHOLD, tune_gc
from reportflow.queue import connect
from reportflow.runner import FanoutSink, LogSink, NoopExecutor
from reportflow.runner.service import (
    build_runner,
    event_sink,
    load_factory,
    tune_switch_interval,
)
from reportflow.webhooks import WebhookSink


@pytest.mark.usefixtures("restore_gc")
def test_tune_gc_freezes_start_up_objects_and_raises_the_threshold() -> None:
    tune_gc()
    assert gc.get_threshold() == GC_THRESHOLD
    assert gc.get_freeze_count() > 0


def test_build_runner_follows_the_settings() -> None:
    settings = Settings(
        runner={"concurrency": 3, "lease_seconds": 9, "heartbeat_seconds": 2, "grace_seconds": 4}
    )
    runner = build_runner(settings, connect("memory://"), NoopExecutor())
    assert (runner.concurrency, runner.lease_seconds) == (3, 9)
    assert (runner.heartbeat_seconds, runner.grace_seconds) == (2, 4)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_colon", "must look like 'package.module:factory'"),
        ("no_such_module_xyz:make", "cannot import 'no_such_module_xyz'"),
        ("json:nope", "json has no callable 'nope'"),
    ],
)
def test_load_factory_names_the_bad_spec(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"^--executor '{spec}'.*{message}"):
        load_factory(spec, "--executor")


async def test_events_go_to_the_log_unless_a_requestor_is_configured(tmp_path: Path) -> None:
    plain = await event_sink(Settings(home=tmp_path))
    assert isinstance(plain, LogSink)
    settings = Settings(
        home=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'runner.db'}",
        webhook_secret="whsec_" + base64.b64encode(b"k" * 32).decode(),
        requestor={"public_url": "http://127.0.0.1:9/"},
    )
    sink = await event_sink(settings)
    try:
        assert isinstance(sink, FanoutSink)
        [log_sink, webhook] = sink.sinks
        assert isinstance(log_sink, LogSink)
        assert isinstance(webhook, WebhookSink)
        assert webhook.client.url == "http://127.0.0.1:9/hooks/runner"
    finally:
        await sink.close()


def test_switch_interval_is_a_runner_setting() -> None:
    assert Settings().runner.switch_interval_seconds == 0.001
    tune_switch_interval(Settings(runner={"switch_interval_seconds": 0.004}).runner)
    assert sys.getswitchinterval() == pytest.approx(0.004)
    for bad in (0, -1, 2):
        with pytest.raises(ValidationError, match="switch_interval_seconds"):
            Settings(runner={"switch_interval_seconds": bad})
