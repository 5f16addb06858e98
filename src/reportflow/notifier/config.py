"""``notifier.yaml``: auth, dedupe, history, receivers (named lists of channels) and routes.

The models validate the whole file up front so a typo fails at start-up with
the field that is wrong, not at 3 a.m. when the first alert arrives. Secrets
may be given inline or as ``*_file`` paths (read here, once).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reportflow.errors import WebhookError
from reportflow.notifier.errors import NotifierConfigError
from reportflow.notifier.routing import Route
from reportflow.notifier.templates import Templates
from reportflow.webhooks.signing import decode_secret

DEFAULT_BODY_LIMIT = 1024 * 1024
DEFAULT_DEDUPE_SECONDS = 300.0
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 0.5
DEFAULT_TIMEOUT_SECONDS = 10.0
TEAMS_MAX_BYTES = 28_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _secret(inline: str | None, file: Path | None) -> str | None:
    if file is not None:
        try:
            return file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"cannot read secret file {str(file)!r}: {exc.strerror}") from exc
    return inline


class BasicAuth(_Strict):
    username: str
    password: str | None = None
    password_file: Path | None = None

    @model_validator(mode="after")
    def _load(self) -> BasicAuth:
        self.password = _secret(self.password, self.password_file)
        if not self.password:
            raise ValueError("basic auth needs password or password_file")
        return self


class AuthConfig(_Strict):
    """How Alertmanager authenticates (its ``http_config``: authorization or basic_auth)."""

    bearer_token: str | None = None
    bearer_token_file: Path | None = None
    basic: BasicAuth | None = None

    @model_validator(mode="after")
    def _load(self) -> AuthConfig:
        self.bearer_token = _secret(self.bearer_token, self.bearer_token_file)
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.bearer_token) or self.basic is not None


class RetryConfig(_Strict):
    """In-request retries; Alertmanager retries the whole request after a 5xx."""

    attempts: int = Field(DEFAULT_ATTEMPTS, ge=1, le=10)
    backoff_seconds: float = Field(DEFAULT_BACKOFF_SECONDS, ge=0, le=30)
    max_backoff_seconds: float = Field(5.0, ge=0, le=60)


class _Channel(_Strict):
    name: str | None = None
    """Shown in the history; default ``<receiver>/<type>-<index>``."""
    templates: Templates = Field(default_factory=Templates)
    timeout_seconds: float = Field(DEFAULT_TIMEOUT_SECONDS, gt=0, le=300)


class EmailChannel(_Channel):
    type: Literal["email"]
    host: str
    port: int = Field(25, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "starttls"
    ca_file: Path | None = None
    """CA bundle to verify the server (for a private CA); default: system CAs."""
    username: str | None = None
    password: str | None = None
    password_file: Path | None = None
    sender: str = Field(alias="from")
    to: list[str] = Field(min_length=1)
    cc: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _load(self) -> EmailChannel:
        self.password = _secret(self.password, self.password_file)
        return self


class TeamsChannel(_Channel):
    type: Literal["teams"]
    url: str
    max_bytes: int = Field(TEAMS_MAX_BYTES, ge=2000)
    card_version: Literal["1.4", "1.5"] = "1.4"


class SlackChannel(_Channel):
    type: Literal["slack"]
    url: str


class HttpChannel(_Channel):
    type: Literal["http"]
    url: str
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    """Body template; default the payload as JSON."""
    content_type: str = "application/json"
    secret: str | None = None
    """A Standard Webhooks ``whsec_...`` secret: sign the body when set."""
    secret_file: Path | None = None

    @model_validator(mode="after")
    def _load(self) -> HttpChannel:
        self.secret = _secret(self.secret, self.secret_file)
        if self.secret:
            try:
                decode_secret(self.secret)
            except WebhookError as exc:
                raise ValueError(str(exc)) from exc
        return self


class CommandChannel(_Channel):
    type: Literal["command"]
    argv: list[str] = Field(min_length=1)
    """Program and arguments, each a template; run without a shell."""
    env: dict[str, str] = Field(default_factory=dict)
    cwd: Path | None = None
    max_concurrent: int = Field(1, ge=1, le=64)
    output_limit: int = Field(4096, ge=0)


class ScaleChannel(_Channel):
    type: Literal["scale"]
    url: str
    token: str | None = None
    token_file: Path | None = None
    mode: Literal["target", "delta", "payload"] = "delta"
    value: int = 1

    @model_validator(mode="after")
    def _load(self) -> ScaleChannel:
        self.token = _secret(self.token, self.token_file)
        if self.mode == "target" and self.value < 0:
            raise ValueError("scale target must be >= 0")
        return self


ChannelConfig = Annotated[
    EmailChannel | TeamsChannel | SlackChannel | HttpChannel | CommandChannel | ScaleChannel,
    Field(discriminator="type"),
]


class NotifierConfig(_Strict):
    """The whole ``notifier.yaml``."""

    auth: AuthConfig = Field(default_factory=AuthConfig)
    body_limit_bytes: int = Field(DEFAULT_BODY_LIMIT, ge=1024)
    dedupe_seconds: float = Field(DEFAULT_DEDUPE_SECONDS, ge=0)
    history_url: str | None = None
    """SQLAlchemy URL of the history table; default the reportflow database."""
    retry: RetryConfig = Field(default_factory=RetryConfig)
    templates: Templates = Field(default_factory=Templates)
    receivers: dict[str, list[ChannelConfig]] = Field(default_factory=dict)
    route: Route = Field(default_factory=Route)

    @model_validator(mode="after")
    def _known_receivers(self) -> NotifierConfig:
        for name in self.route.all_receivers():
            if name not in self.receivers:
                known = ", ".join(sorted(self.receivers)) or "none"
                raise ValueError(f"route names unknown receiver {name!r} (known: {known})")
        return self


def parse_config(data: Any, *, source: str = "notifier.yaml") -> NotifierConfig:
    """Validate a parsed YAML document; errors name the file and the field."""
    try:
        return NotifierConfig.model_validate(data or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        prefix = f"{where}: " if where else ""
        raise NotifierConfigError(f"{source}: {prefix}{first['msg']}") from exc


def load_config(path: Path) -> NotifierConfig:
    """Read and validate ``notifier.yaml``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise NotifierConfigError(f"cannot read {str(path)!r}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise NotifierConfigError(f"{path}{line}: invalid YAML") from exc
    return parse_config(data, source=str(path))
