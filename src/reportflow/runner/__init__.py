"""reportflow.runner: the resizable pool that claims jobs and runs reports."""

from reportflow.runner.context import Executor, JobContext
from reportflow.runner.events import (
    EventKind,
    EventSink,
    FanoutSink,
    LogSink,
    MemorySink,
    ReportEvent,
)
from reportflow.runner.executors import NoopExecutor, ReportExecutor, SleepExecutor
from reportflow.runner.hooks import Outcome, RunnerHooks
from reportflow.runner.pool import Runner
from reportflow.runner.service import build_runner, serve

__all__ = [
    "EventKind",
    "EventSink",
    "Executor",
    "FanoutSink",
    "JobContext",
    "LogSink",
    "MemorySink",
    "NoopExecutor",
    "Outcome",
    "ReportEvent",
    "ReportExecutor",
    "Runner",
    "RunnerHooks",
    "SleepExecutor",
    "build_runner",
    "serve",
]
