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
from reportflow.runner.hooks import Outcome, RunnerHooks
from reportflow.runner.pool import Runner

__all__ = [
    "EventKind",
    "EventSink",
    "Executor",
    "FanoutSink",
    "JobContext",
    "LogSink",
    "MemorySink",
    "Outcome",
    "ReportEvent",
    "Runner",
    "RunnerHooks",
]
