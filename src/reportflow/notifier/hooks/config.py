"""``hooks.yaml``: the generic hooks served at ``/hooks/{id}``.

Validated up front like ``notifier.yaml``: a typo fails at start-up (or, on a
reload, is logged while the previous hooks stay live) with the file, the hook
and the field that is wrong. Secrets may be inline or ``*_file`` paths.
"""

from __future__ import annotations

import re
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from reportflow.notifier.config import DEFAULT_BODY_LIMIT, AuthConfig
from reportflow.notifier.hooks.errors import HooksConfigError
from reportflow.notifier.hooks.rules import Rule, parse_rule

RESERVED_IDS = frozenset({"alertmanager"})
"""Paths under /hooks/ the notifier itself serves."""
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MAX_CONCURRENT = 4
DEFAULT_RELOAD_SECONDS = 2.0
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_PRESETS: dict[str, dict[str, Any]] = {
    "github": {"style": "hmac", "header": "X-Hub-Signature-256", "prefix": "sha256="},
    "github-sha1": {
        "style": "hmac",
        "header": "X-Hub-Signature",
        "prefix": "sha1=",
        "algorithm": "sha1",
    },
    "gitlab": {"style": "token", "header": "X-Gitlab-Token"},
    "stripe": {"style": "stripe", "header": "Stripe-Signature"},
}
Status = Annotated[int, Field(ge=100, le=599)]
Network = IPv4Network | IPv6Network
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


def _default_methods() -> list[Method]:
    return ["POST"]


def is_template(source: str) -> bool:
    """Whether ``source`` holds Jinja2 syntax (text without it is used as it is)."""
    return "{{" in source or "{%" in source


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _read_secret(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"cannot read secret file {str(file)!r}: {exc.strerror}") from exc


def _networks(value: Any) -> Any:
    # ``10.0.0.1`` alone means that one address; strict=False accepts host bits set.
    if isinstance(value, list):
        out = []
        for item in value:
            text = str(item)
            try:
                out.append(_parse_network(text))
            except ValueError as exc:
                raise ValueError(f"{text!r} is not an IP address or CIDR range") from exc
        return out
    return value


def _parse_network(text: str) -> Network:
    from ipaddress import ip_network

    return ip_network(text, strict=False)


Networks = Annotated[list[Network], BeforeValidator(_networks)]


class SignatureConfig(_Strict):
    """How callers sign: ``preset`` fills the usual header, prefix and style."""

    preset: Literal["github", "github-sha1", "gitlab", "stripe"] | None = None
    style: Literal["hmac", "stripe", "token"] = "hmac"
    header: str = "X-Signature"
    prefix: str = ""
    """Text before the signature, ``sha256=`` for GitHub; signatures without it are ignored."""
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    scheme: str = "v1"
    """Stripe style: the key of the signatures in the header (``v1=``)."""
    tolerance_seconds: float = Field(300.0, ge=1)
    """Stripe style: how far the signed timestamp may be from now."""
    secrets: list[str] = Field(default_factory=list)
    secret_files: list[Path] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("preset") in _PRESETS:
            return {**_PRESETS[data["preset"]], **data}
        return data

    @model_validator(mode="after")
    def _load(self) -> SignatureConfig:
        self.secrets = [*self.secrets, *(_read_secret(f) for f in self.secret_files)]
        if not self.secrets or not all(self.secrets):
            raise ValueError("needs at least one non-empty secret (secrets or secret_files)")
        return self


class CommandAction(_Strict):
    """Run a program without a shell; argv items, env values and stdin are templates."""

    argv: list[str] = Field(min_length=1)
    env: dict[str, str] = Field(default_factory=dict)
    stdin: str | None = None
    """A template for standard input; unset: the raw request body; ``""``: nothing."""
    cwd: Path | None = None
    output_limit: int = Field(65536, ge=0)
    wait: bool = True
    """False: answer 202 at once and run in the background (still within the cap)."""

    @cached_property
    def templated(self) -> bool:
        """Whether argv, an env value or stdin holds template syntax (else nothing is
        rendered per call)."""
        return any(map(is_template, (*self.argv, *self.env.values(), self.stdin or "")))


class NotifyAction(_Strict):
    """Send through the notifier's receivers, with these templates over the request."""

    receivers: list[str] = Field(min_length=1)
    title: str = "hook {{ hook }}"
    summary: str = ""
    text: str = "{{ body }}"
    html: str | None = None


class ResponseConfig(_Strict):
    """What the caller gets back when the checks pass."""

    status: Status = 200
    body: str | None = None
    """A template; it sees the request plus ``exit_code``, ``output`` and ``stderr``."""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = Field(default_factory=dict)
    include_output: bool = False
    """Without ``body``: answer with the command's stdout (and stderr when it failed)."""
    exit_status: dict[int, Status] = Field(default_factory=dict)
    """Exit code → HTTP status; unmapped: ``status`` for 0, ``failure_status`` otherwise."""
    failure_status: Status | None = None
    """Default 500 for a command, 502 for a notification that did not go out."""
    timeout_status: Status = 504
    mismatch_status: Status = 403
    """When the trigger rule does not hold."""


class HookConfig(_Strict):
    """One hook, served at ``/hooks/<id>``."""

    id: str
    methods: list[Method] = Field(default_factory=_default_methods, min_length=1)
    payload: Literal["auto", "json", "form", "text"] = "auto"
    """How to read the body; ``auto`` goes by Content-Type (JSON, form, else text)."""
    json_fields: list[str] = Field(default_factory=list)
    """Form fields holding JSON (GitHub's form-encoded ``payload``), decoded for rules."""
    body_limit_bytes: int | None = Field(None, ge=1)
    allow_ips: Networks = Field(default_factory=list)
    """Client addresses or CIDR ranges allowed to call; empty: anyone."""
    auth: AuthConfig | None = None
    signature: SignatureConfig | None = None
    rule: Annotated[Rule, BeforeValidator(parse_rule)] | None = None
    command: CommandAction | None = None
    notify: NotifyAction | None = None
    response: ResponseConfig = Field(default_factory=ResponseConfig)
    timeout_seconds: float = Field(DEFAULT_TIMEOUT_SECONDS, gt=0, le=3600)
    max_concurrent: int = Field(DEFAULT_MAX_CONCURRENT, ge=1, le=1024)
    max_queued: int = Field(0, ge=0, le=100_000)
    """Calls that may wait for a slot; beyond them the answer is 429."""
    queue_timeout_seconds: float = Field(10.0, gt=0, le=3600)
    """How long a queued call waits for a slot before it gets 429."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError(f"{value!r}: letters, digits, '_', '.', '-', at most 100")
        if value in RESERVED_IDS:
            raise ValueError(f"{value!r} is reserved (the notifier serves /hooks/{value})")
        return value

    @model_validator(mode="after")
    def _one_action(self) -> HookConfig:
        if self.command is not None and self.notify is not None:
            raise ValueError("a hook has one action: command or notify, not both")
        return self


class HooksFile(_Strict):
    """The whole ``hooks.yaml``."""

    body_limit_bytes: int = Field(DEFAULT_BODY_LIMIT, ge=1)
    trusted_proxies: Networks = Field(default_factory=list)
    """Peers whose X-Forwarded-For is believed; nobody else's is."""
    reload_interval_seconds: float = Field(DEFAULT_RELOAD_SECONDS, ge=0)
    """How often the file's mtime is checked; 0: reload on SIGHUP only."""
    hooks: list[HookConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> HooksFile:
        seen: set[str] = set()
        for hook in self.hooks:
            if hook.id in seen:
                raise ValueError(f"duplicate hook id {hook.id!r}")
            seen.add(hook.id)
        return self

    def receivers(self) -> set[str]:
        """Every notifier receiver a hook sends to."""
        return {r for h in self.hooks if h.notify is not None for r in h.notify.receivers}


def _where(data: Any, loc: tuple[int | str, ...]) -> str:
    # ``hooks.3.rule`` reads better as ``hooks[deploy].rule``.
    parts = [str(p) for p in loc]
    if len(loc) >= 2 and loc[0] == "hooks" and isinstance(loc[1], int):
        try:
            parts[1] = f"[{data['hooks'][loc[1]]['id']}]"
        except (KeyError, IndexError, TypeError):
            parts[1] = f"[{loc[1]}]"
        return "hooks" + parts[1] + "".join(f".{p}" for p in parts[2:])
    return ".".join(parts)


def parse_hooks(data: Any, *, source: str = "hooks.yaml") -> HooksFile:
    """Validate a parsed YAML document; errors name the file, the hook and the field."""
    if isinstance(data, list):  # adnanh/webhook's files are a bare list of hooks
        data = {"hooks": data}
    try:
        return HooksFile.model_validate(data or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _where(data, first["loc"])
        msg = first["msg"].removeprefix("Value error, ")
        raise HooksConfigError(f"{source}: {where + ': ' if where else ''}{msg}") from exc


def load_hooks(path: Path) -> HooksFile:
    """Read and validate ``hooks.yaml``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HooksConfigError(f"cannot read {str(path)!r}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise HooksConfigError(f"{path}{line}: invalid YAML") from exc
    return parse_hooks(data, source=str(path))
