"""Templates: defaults that read well, helpers, the sandbox, clear errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from notifier_samples import backlog, group, sample

from reportflow.notifier import TemplateError
from reportflow.notifier.channels import Notification
from reportflow.notifier.templates import (
    TemplateRenderer,
    Templates,
    build_context,
    humanize_duration,
    label_list,
    link,
    severity_colour,
    silence_url,
    since,
    teams_style,
)


def note(data: dict[str, object] | None = None, **templates: str) -> Notification:
    g = group(data)
    resolved = Templates.model_validate(templates).resolved()
    return Notification(g, "ops", resolved, TemplateRenderer(), build_context(g))


def test_default_title_for_firing_and_resolved() -> None:
    assert note(backlog(2)).text("title") == "[FIRING:2] BacklogGrowing (severity=warning)"
    assert note(backlog(1, status="resolved")).text("title") == (
        "[RESOLVED] BacklogGrowing (severity=warning)"
    )
    # The real sample groups by alertname only; severity is common, so it shows.
    assert note(sample()).text("title") == "[FIRING:1] ProbeFailure (severity=critical)"


def test_default_text_lists_every_alert() -> None:
    text = note(backlog(3)).text("text")
    assert text.startswith("[FIRING:3] BacklogGrowing")
    for i in range(3):
        assert f"Backlog growing on q{i}" in text
        assert f"queue=q{i}" in text
    assert "runbook: https://runbooks.example.org/backlog" in text
    assert "firing for" in text


def test_default_html_escapes_values() -> None:
    data = backlog(1, description="<script>alert(1)</script>")
    html = note(data).text("html")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert '<a href="https://runbooks.example.org/backlog">Runbook</a>' in html


def test_overrides_see_title_and_helpers() -> None:
    n = note(backlog(2), text="{{ title }} | {{ commonLabels|label_list(exclude=['alertname']) }}")
    assert n.text("text") == "[FIRING:2] BacklogGrowing (severity=warning) | severity=warning"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0s"),
        (59, "59s"),
        (3725, "1h 2m"),
        (timedelta(days=2, hours=3, minutes=4), "2d 3h"),
        (-90, "-1m 30s"),
        (None, ""),
    ],
)
def test_humanize_duration(value: float | timedelta | None, expected: str) -> None:
    assert humanize_duration(value) == expected


def test_since_handles_go_zero_time_and_ranges() -> None:
    assert since("0001-01-01T00:00:00Z") == ""
    assert since("2023-02-06T13:08:45Z", "2023-02-06T14:10:45Z") == "1h 2m"
    assert since("not a date") == ""


def test_small_helpers() -> None:
    assert label_list({"b": "2", "a": "1"}) == "a=1, b=2"
    assert label_list("nope") == ""
    assert severity_colour("firing", "critical") == "#D63232"
    assert severity_colour("resolved", "critical") == "#2EB67D"
    assert severity_colour("firing", "unheard-of") == "#808080"
    assert teams_style("firing", "warning") == "warning"
    assert teams_style("resolved", "critical") == "good"
    assert link("https://x.org", "X", "slack") == "<https://x.org|X>"
    assert link("https://x.org", "X", "markdown") == "[X](https://x.org)"
    assert link("", "X") == ""


def test_silence_url_prefills_common_labels() -> None:
    url = silence_url(group(backlog()))
    assert url.startswith("http://prometheus.example.org:9093/#/silences/new?filter=%7B")
    assert "alertname%3D%22BacklogGrowing%22" in url


def test_sandbox_refuses_python_internals() -> None:
    with pytest.raises(TemplateError, match="SecurityError"):
        note(text="{{ ''.__class__.__mro__[1].__subclasses__() }}").text("text")


def test_syntax_error_names_template_and_line() -> None:
    with pytest.raises(TemplateError) as info:
        note(summary="ok\n{% if %}").text("summary")
    assert str(info.value).startswith("template 'summary': line 2:")


def test_unknown_filter_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="No filter named 'shout'"):
        note(title="{{ alertname|shout }}").text("title")


def test_missing_values_render_empty() -> None:
    assert note(title="[{{ commonAnnotations.nothing.deeper }}]").text("title") == "[]"


def test_lazy_rendering_keeps_other_texts_usable() -> None:
    n = note(html="{% for %}")
    assert n.text("title").startswith("[FIRING:2]")
    with pytest.raises(TemplateError, match="'html'"):
        n.text("html")
