"""Errors of the generic hooks, under the notifier's branch of reportflow's tree.

ReportflowError
├── ConfigError
│   └── NotifierConfigError
│       └── HooksConfigError   hooks.yaml is wrong (file, hook, field)
└── NotifierError
    └── HookRejection          a call is refused before its action runs; carries the answer
"""

from __future__ import annotations

from reportflow.notifier.errors import NotifierConfigError, NotifierError


class HooksConfigError(NotifierConfigError):
    """``hooks.yaml`` is malformed or names something that does not exist."""


class HookRejection(NotifierError):
    """A hook call is refused: ``status_code`` and ``public`` are what the caller sees.

    ``reason`` (the message) says why, for the log and the history only: a caller
    that fails a trigger rule or a signature learns nothing about which check failed.
    """

    def __init__(
        self,
        reason: str,
        *,
        status_code: int,
        outcome: str,
        public: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.outcome = outcome
        self.public = public or reason
        self.headers = headers or {}
        super().__init__(reason)
