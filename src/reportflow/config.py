"""Typed settings: ``reportflow.toml`` plus ``REPORTFLOW_*`` environment variables.

This is the one place that reads the environment. Precedence, highest first:
keyword arguments, ``REPORTFLOW_*`` variables (nested with ``__``, e.g.
``REPORTFLOW_CONNECTIONS__WAREHOUSE``), ``REPORTFLOW_*_FILE`` variables (the
value is read from that file, for secrets), the TOML file named by
``REPORTFLOW_CONFIG`` (default ``./reportflow.toml``), then the defaults below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "REPORTFLOW_"
DEFAULT_CONFIG_FILE = "reportflow.toml"
DEFAULT_HOME = Path(".reportflow")
DEFAULT_LEASE_SECONDS = 30.0
DEFAULT_HEARTBEAT_SECONDS = 10.0
DEFAULT_GRACE_SECONDS = 30.0
DEFAULT_CONCURRENCY = 8


class RunnerSettings(BaseModel):
    """How a runner pool behaves."""

    concurrency: int = Field(DEFAULT_CONCURRENCY, ge=0)
    min_concurrency: int = Field(1, ge=0)
    max_concurrency: int = Field(64, ge=1)
    lease_seconds: float = Field(DEFAULT_LEASE_SECONDS, gt=0)
    heartbeat_seconds: float = Field(DEFAULT_HEARTBEAT_SECONDS, gt=0)
    grace_seconds: float = Field(DEFAULT_GRACE_SECONDS, ge=0)
    claim_batch: int = Field(16, ge=1)
    webhook_batch: int = Field(64, ge=1)
    """Most report events in one webhook request to the requestor; 1: one request each."""
    scale_token: str | None = None
    """Bearer token of the runner's ``POST /hooks/scale``; unset: the hook refuses all."""
    scale_cooldown_seconds: float = Field(300.0, ge=0)
    autoscale_tick_seconds: float = Field(15.0, gt=0)
    autoscale_wait_seconds: float = Field(30.0, ge=0)
    """The queue-wait objective (p95) the autoscaler sizes for."""
    scale_down_window_seconds: float = Field(300.0, ge=0)
    switch_interval_seconds: float = Field(0.001, gt=0, le=1)
    """How long a thread keeps the GIL while another waits for it (Python's
    default is 0.005), set in processes that run reports (``reportflow runner``,
    ``reportflow up``): see ``tune_switch_interval``."""


class RequestorSettings(BaseModel):
    """How the requestor API behaves: cookies, limits, channels."""

    public_url: str | None = None
    """Where runners reach the requestor (``http://host:port``); None: the bound address."""
    secure_cookies: bool = True
    """Send session cookies only over HTTPS; turn off for plain-HTTP localhost."""
    session_ttl_seconds: float = Field(12 * 3600.0, gt=0)
    submissions_per_minute: int = Field(30, ge=0)
    """Submissions a user may make in any 60 s; 0: no limit."""
    max_in_flight: int = Field(20, ge=0)
    """Reports a user may have queued or running at once; 0: no limit."""
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    max_hook_body_bytes: int = Field(1024 * 1024, ge=1024)
    webhook_tolerance_seconds: float = Field(300.0, ge=0)
    ws_ping_seconds: float = Field(20.0, gt=0)
    ws_buffer: int = Field(256, ge=1)
    """Live events a websocket may fall behind by before it is cut (it then replays)."""
    reconcile_interval_seconds: float = Field(10.0, ge=0)
    """How often in-flight reports are checked against their queue job; 0: never."""
    reconcile_grace_seconds: float = Field(60.0, ge=0)
    """How long a job may be over before its report is closed without the runner's event."""


class _FileSecretsSource(PydanticBaseSettingsSource):
    """``REPORTFLOW_X_FILE=/run/secrets/x`` sets ``x`` to the file's contents."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # pragma: no cover - __call__ does the work

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in os.environ.items():
            if not (key.startswith(ENV_PREFIX) and key.endswith("_FILE")):
                continue
            if key == f"{ENV_PREFIX}CONFIG_FILE":
                continue
            name = key[len(ENV_PREFIX) : -len("_FILE")].lower()
            content = Path(value).read_text(encoding="utf-8").strip()
            parts = name.split("__")
            target = out
            for part in parts[:-1]:
                target = target.setdefault(part, {})
            target[parts[-1]] = content
        return out


class Settings(BaseSettings):
    """Everything configurable, with defaults that run the embedded mode."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="ignore",
    )

    home: Path = DEFAULT_HOME
    """Directory for the embedded mode's databases and artifacts."""
    database_url: str | None = None
    """The requestor's store; default ``sqlite:///{home}/reportflow.db``."""
    queue_url: str | None = None
    """The queue; default: the same SQLite database as the store."""
    artifacts_url: str | None = None
    """Where artifacts go; default ``{home}/artifacts``."""
    catalog: list[Path] = Field(default_factory=lambda: [Path("reports")])
    """Directories (or files) holding ``*.yaml`` report definitions."""
    catalog_modules: list[str] = Field(default_factory=list)
    """Python modules to import for their ``@report`` functions (the demo ones always load)."""
    connections: dict[str, str] = Field(default_factory=dict)
    """Named source/target connections: SQLAlchemy URLs, file globs, HTTP JSON URLs."""
    runner: RunnerSettings = Field(default_factory=lambda: RunnerSettings())
    notifier_config: Path | None = None
    """The notifier's ``notifier.yaml`` (receivers, routes, auth); None: nothing routed."""
    hooks_config: Path | None = None
    """The notifier's generic hooks (``hooks.yaml``, ``POST /hooks/{id}``); None: no hooks."""
    requestor: RequestorSettings = Field(default_factory=lambda: RequestorSettings())
    webhook_secret: str | None = None
    """Runner→requestor webhook secret(s), ``whsec_...``, space-separated during rotation."""
    session_secret: str | None = None
    """Key for the requestor's CSRF tokens (any long random string)."""
    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: str = "INFO"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get(f"{ENV_PREFIX}CONFIG", DEFAULT_CONFIG_FILE))
        return (
            init_settings,
            env_settings,
            _FileSecretsSource(settings_cls),
            TomlConfigSettingsSource(settings_cls, toml_file=toml_path),
        )

    # Derived locations for the embedded default.
    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'reportflow.db'}"

    @property
    def resolved_queue_url(self) -> str:
        return self.queue_url or self.resolved_database_url

    @property
    def resolved_artifacts_url(self) -> str:
        return self.artifacts_url or str(self.home / "artifacts")

    def connection_url(self, name: str) -> str:
        """The URL of a named connection; ``warehouse`` defaults to the demo warehouse,
        ``reportflow`` to reportflow's own database (its jobs table feeds report_workload)."""
        from reportflow.errors import ConfigError

        if name in self.connections:
            return self.connections[name]
        if name == "warehouse":
            return f"sqlite:///{self.home / 'warehouse.db'}"
        if name == "reportflow":
            return self.resolved_database_url
        known = ", ".join(sorted({*self.connections, "warehouse", "reportflow"}))
        raise ConfigError(f"unknown connection {name!r} (configured: {known})")


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment and the TOML file."""
    return Settings(**overrides)
