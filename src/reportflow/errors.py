"""Every error reportflow raises on purpose.

    ReportflowError
    ├── ConfigError              bad reportflow.toml / environment / connection name
    ├── CatalogError             a report definition or request is wrong
    │   ├── DefinitionError      a definition file is malformed (file, line, field)
    │   ├── UnknownReportError   no report of that name
    │   └── ParameterError       a request's parameters do not fit the schema
    ├── QueueError               the queue refused or failed an operation
    │   └── JobNotFoundError
    ├── ETLError                 a report failed while running
    │   ├── SourceError          extract: SQL error, unreachable source, bad file
    │   ├── TransformError       a transform step failed
    │   ├── RenderError          writing an output format failed
    │   ├── LoadError            writing into a target table failed
    │   └── RowLimitError        the report produced more rows than its limit
    ├── ArtifactError            the artifact store cannot write or read
    ├── StoreError               the requestor's store refused or failed an operation
    │   └── ConflictError        a unique name or key is already taken
    ├── WebhookError             signing, verifying or delivering a webhook
    │   ├── WebhookVerificationError  missing headers, bad signature, stale timestamp
    │   └── WebhookDeliveryError      the endpoint refused or could not be reached
    └── RunnerError              the runner pool was misused

Errors from drivers and libraries are translated at the boundary with
``raise XError(...) from exc`` so callers only ever catch ``ReportflowError``.
The message of every error is one line that names the culprit: the CLI prints
it as is, and the runner records it as the job's failure reason.
"""

from __future__ import annotations


class ReportflowError(Exception):
    """Root of every error reportflow raises on purpose."""


class ConfigError(ReportflowError):
    """Configuration is missing or wrong."""


class CatalogError(ReportflowError):
    """A report definition or a request against the catalog is wrong."""


class DefinitionError(CatalogError):
    """A report definition is malformed; carries where."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = message
        where = ":".join(str(p) for p in (file, line) if p is not None)
        prefix = f"{where}: " if where else ""
        at = f"{field}: " if field else ""
        super().__init__(f"{prefix}{at}{message}")


class UnknownReportError(CatalogError):
    """No report has that name."""


class ParameterError(CatalogError):
    """A request's parameters do not fit the report's schema.

    ``problems`` maps each bad field to what is wrong with it.
    """

    def __init__(self, report: str, problems: dict[str, str]) -> None:
        self.report = report
        self.problems = problems
        detail = "; ".join(f"{k}: {v}" for k, v in problems.items())
        super().__init__(f"report {report!r}: invalid parameters: {detail}")


class QueueError(ReportflowError):
    """The queue refused or failed an operation."""


class JobNotFoundError(QueueError):
    """No job has that id."""


class ETLError(ReportflowError):
    """A report failed while it ran."""


class SourceError(ETLError):
    """Extracting from a source failed (SQL error, unreachable source, bad file)."""


class TransformError(ETLError):
    """A transform step failed."""


class RenderError(ETLError):
    """Writing an output format failed."""


class LoadError(ETLError):
    """Writing the result into a target table failed."""


class RowLimitError(ETLError):
    """The report produced more rows than its ``max_rows`` limit."""


class ArtifactError(ReportflowError):
    """The artifact store cannot write or read."""


class StoreError(ReportflowError):
    """The requestor's store refused or failed an operation."""


class ConflictError(StoreError):
    """A unique name or key (user name, idempotency key) is already taken."""


class WebhookError(ReportflowError):
    """Signing, verifying or delivering a webhook went wrong."""


class WebhookVerificationError(WebhookError):
    """An inbound webhook is unsigned, wrongly signed or outside the time tolerance."""


class WebhookDeliveryError(WebhookError):
    """An outbound webhook could not be delivered (or the message is unknown)."""


class RunnerError(ReportflowError):
    """The runner pool was misused (bad size, started twice, ...)."""
