"""Templates: a sandboxed Jinja2 environment, its helpers and the defaults.

Templates run in Jinja2's immutable sandbox because they come from a config
file that on-call people edit, and a notification must never be able to reach
into the process. Missing values render empty (``ChainableUndefined``) so an
alert without a ``runbook_url`` annotation is not an error; a syntax error or a
failing expression is, and it is reported for the one channel that used it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict

from reportflow.notifier.errors import TemplateError
from reportflow.notifier.payload import AlertGroup

DEFAULT_TITLE = (
    "[{{ status|upper }}{% if status == 'firing' %}:{{ firing|length }}{% endif %}] "
    "{{ (groupLabels|dictsort|map('last')|join(' ')) or alertname }}"
    "{% if commonLabels.severity and 'severity' not in groupLabels %}"
    " (severity={{ commonLabels.severity }}){% endif %}"
)
DEFAULT_SUMMARY = (
    "{{ commonAnnotations.summary or commonAnnotations.description"
    " or (alerts[0].annotations.summary if alerts else '') }}"
)
DEFAULT_TEXT = """{{ title }}
{% if summary %}{{ summary }}
{% endif %}
{% for a in alerts %}- [{{ a.status|upper }}] {{ a.annotations.summary or a.labels.alertname }}
{% if a.annotations.description %}  {{ a.annotations.description }}
{% endif %}  labels: {{ a.labels|label_list }}
{% if a.status == 'firing' %}  firing for {{ a.startsAt|since }}
{% else %}  lasted {{ a.startsAt|since(a.endsAt) }}
{% endif %}{% if a.annotations.runbook_url %}  runbook: {{ a.annotations.runbook_url }}
{% endif %}{% if a.generatorURL %}  source: {{ a.generatorURL }}
{% endif %}{% endfor %}{% if truncatedAlerts %}({{ truncatedAlerts }} more alerts not shown)
{% endif %}{% if externalURL %}
Alertmanager: {{ externalURL }}
{% endif %}"""
DEFAULT_HTML = """<h2 style="color:{{ status|severity_colour(severity) }}">{{ title }}</h2>
{% if summary %}<p>{{ summary }}</p>{% endif %}
<table cellpadding="4" style="border-collapse:collapse">
{% for a in alerts %}<tr style="border-top:1px solid #ddd">
<td style="color:{{ a.status|severity_colour(a.labels.severity) }}"><b>{{ a.status|upper }}</b></td>
<td><b>{{ a.annotations.summary or a.labels.alertname }}</b>
{% if a.annotations.description %}<br>{{ a.annotations.description }}{% endif %}
<br><small>{{ a.labels|label_list }}</small>
<br><small>{% if a.status == 'firing' %}firing for {{ a.startsAt|since }}
{%- else %}lasted {{ a.startsAt|since(a.endsAt) }}{% endif %}</small>
{% if a.annotations.runbook_url %}<br>{{ a.annotations.runbook_url|link('Runbook') }}{% endif %}
{% if a.generatorURL %} {{ a.generatorURL|link('Source') }}{% endif %}</td></tr>
{% endfor %}</table>
{% if externalURL %}<p>{{ externalURL|link('Alertmanager') }}</p>{% endif %}"""


class Templates(BaseModel):
    """Template overrides; unset fields fall back to the route's, then the defaults."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    summary: str | None = None
    text: str | None = None
    html: str | None = None

    def resolved(self) -> dict[str, str]:
        return {
            "title": self.title or DEFAULT_TITLE,
            "summary": self.summary or DEFAULT_SUMMARY,
            "text": self.text or DEFAULT_TEXT,
            "html": self.html or DEFAULT_HTML,
        }


# -- helpers (filters) ---------------------------------------------------------

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_COLOURS = {
    "critical": "#D63232",
    "error": "#D63232",
    "warning": "#E8A317",
    "info": "#3B82F6",
}
_RESOLVED_COLOUR = "#2EB67D"
_DEFAULT_COLOUR = "#808080"
_TEAMS_STYLES = {"critical": "attention", "error": "attention", "warning": "warning"}


def humanize_duration(value: float | timedelta | None) -> str:
    """``3725`` → ``1h 2m 5s``; the two largest units, ``0s`` for nothing."""
    if value is None:
        return ""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    sign = "-" if seconds < 0 else ""
    left = int(abs(seconds))
    parts = []
    for unit, size in _UNITS:
        if left >= size:
            parts.append(f"{left // size}{unit}")
            left %= size
    return sign + (" ".join(parts[:2]) or "0s")


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            return _as_datetime(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def since(start: Any, end: Any = None) -> str:
    """Duration from ``start`` to ``end`` (default now); empty for Go's zero time."""
    begin = _as_datetime(start)
    if begin is None or begin.year <= 1:
        return ""
    finish = _as_datetime(end)
    if finish is None or finish.year <= 1:
        finish = datetime.now(UTC)
    return humanize_duration(finish - begin)


def label_list(labels: Any, sep: str = ", ", exclude: tuple[str, ...] | list[str] = ()) -> str:
    """``{"a": "1", "b": "2"}`` → ``a=1, b=2`` (sorted, some labels left out)."""
    if not isinstance(labels, dict):
        return ""
    return sep.join(f"{k}={v}" for k, v in sorted(labels.items()) if k not in exclude)


def severity_colour(status: Any, severity: Any = None) -> str:
    """A hex colour: green when resolved, else by severity."""
    if str(status) == "resolved":
        return _RESOLVED_COLOUR
    return _COLOURS.get(str(severity or "").lower(), _DEFAULT_COLOUR)


def teams_style(status: Any, severity: Any = None) -> str:
    """The Adaptive Card container style for a status and severity."""
    if str(status) == "resolved":
        return "good"
    return _TEAMS_STYLES.get(str(severity or "").lower(), "accent")


def link(url: Any, text: Any = None, style: str = "html") -> str | Markup:
    """A link in ``html``, ``markdown`` or ``slack`` syntax; empty when no URL."""
    if not url:
        return ""
    label = str(text or url)
    if style == "markdown":
        return f"[{label}]({url})"
    if style == "slack":
        return f"<{url}|{label}>"
    return Markup('<a href="{}">{}</a>').format(str(url), label)


def silence_url(group: AlertGroup) -> str:
    """Alertmanager's "new silence" page pre-filled with the group's common labels."""
    if not group.external_url:
        return ""
    matchers = ",".join(f'{k}="{v}"' for k, v in sorted(group.common_labels.items()))
    base = group.external_url.rstrip("/")
    return f"{base}/#/silences/new?filter={quote('{' + matchers + '}')}"


FILTERS = {
    "humanize_duration": humanize_duration,
    "since": since,
    "label_list": label_list,
    "severity_colour": severity_colour,
    "teams_style": teams_style,
    "link": link,
}


# -- rendering -----------------------------------------------------------------


def build_context(group: AlertGroup) -> dict[str, Any]:
    """What a template sees: the payload in Alertmanager's spelling plus shortcuts."""
    ctx = group.model_dump(by_alias=True)
    ctx["firing"] = [a for a in ctx["alerts"] if a["status"] == "firing"]
    ctx["resolved"] = [a for a in ctx["alerts"] if a["status"] == "resolved"]
    ctx["alertname"] = group.alertname
    ctx["severity"] = group.common_labels.get("severity", "")
    ctx["silenceURL"] = silence_url(group)
    return ctx


class TemplateRenderer:
    """Compiles (once) and renders templates in the sandbox."""

    def __init__(self) -> None:
        self._plain = self._env(autoescape=False)
        self._html = self._env(autoescape=True)
        self._cache: dict[tuple[bool, str], Template] = {}

    @staticmethod
    def _env(*, autoescape: bool) -> ImmutableSandboxedEnvironment:
        env = ImmutableSandboxedEnvironment(
            autoescape=autoescape, undefined=ChainableUndefined, keep_trailing_newline=False
        )
        env.filters.update(FILTERS)
        return env

    def render(self, name: str, source: str, context: dict[str, Any], *, html: bool = False) -> str:
        """Render ``source``; raises :class:`TemplateError` naming ``name``."""
        key = (html, source)
        try:
            template = self._cache.get(key)
            if template is None:
                env = self._html if html else self._plain
                template = self._cache[key] = env.from_string(source)
            return template.render(context)
        except TemplateSyntaxError as exc:
            raise TemplateError(name, f"line {exc.lineno}: {exc.message}") from exc
        except Exception as exc:  # any failure inside a user template is that template's fault
            raise TemplateError(name, f"{type(exc).__name__}: {exc}") from exc
