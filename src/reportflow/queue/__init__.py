"""reportflow.queue: the durable job queue and its backends.

``connect(url)`` picks a backend by URL scheme (``memory://``, ``sqlite://``,
``postgresql://``); every backend implements :class:`Queue`.
"""

from reportflow.queue.backends import connect
from reportflow.queue.base import (
    DEFAULT_LEASE_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    TERMINAL_STATES,
    Job,
    JobState,
    Queue,
    QueueStats,
    new_job_id,
    retry_delay,
)

__all__ = [
    "DEFAULT_LEASE_SECONDS",
    "DEFAULT_MAX_ATTEMPTS",
    "TERMINAL_STATES",
    "Job",
    "JobState",
    "Queue",
    "QueueStats",
    "connect",
    "new_job_id",
    "retry_delay",
]
