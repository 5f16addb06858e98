"""Errors of the alert receiver, under reportflow's root.

ReportflowError
├── ConfigError
│   └── NotifierConfigError   notifier.yaml is wrong (file, field)
└── NotifierError
    ├── PayloadError          a webhook body is unusable; carries the HTTP status
    ├── TemplateError         a template failed to compile or render
    └── DeliveryError         a channel could not deliver; says whether a retry may help
"""

from __future__ import annotations

from reportflow.errors import ConfigError, ReportflowError


class NotifierConfigError(ConfigError):
    """``notifier.yaml`` is malformed or names something that does not exist."""


class NotifierError(ReportflowError):
    """Something the alert receiver does went wrong."""


class PayloadError(NotifierError):
    """The webhook body cannot be used; ``status_code`` is the HTTP answer."""

    def __init__(self, message: str, *, status_code: int) -> None:
        self.status_code = status_code
        super().__init__(message)


class TemplateError(NotifierError):
    """A template did not compile or failed while rendering."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"template {name!r}: {reason}")


class DeliveryError(NotifierError):
    """A channel could not deliver.

    ``retryable`` is True when the same send may succeed later (connection
    refused, timeout, 5xx, 429): only those make the receiver ask Alertmanager
    to retry.
    """

    def __init__(self, message: str, *, retryable: bool) -> None:
        self.retryable = retryable
        super().__init__(message)
