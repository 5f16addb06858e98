"""notifier.yaml: the shipped example validates; mistakes name the file and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reportflow.notifier import NotifierConfigError, load_config, parse_config
from reportflow.notifier.config import CommandChannel, EmailChannel, ScaleChannel

EXAMPLE = Path(__file__).parents[3] / "deploy" / "notifier" / "notifier.yaml"


def test_shipped_example_is_valid(tmp_path: Path) -> None:
    # The example reads secrets from /run/secrets; point those at temporary files.
    text = EXAMPLE.read_text().replace("/run/secrets/", f"{tmp_path}/")
    for name in ("notifier_token", "smtp_password", "tickets_whsec", "scale_token"):
        (tmp_path / name).write_text(f"{name}-value\n")
    path = tmp_path / "notifier.yaml"
    path.write_text(text)
    config = load_config(path)
    assert config.auth.bearer_token == "notifier_token-value"
    (mail,) = config.receivers["ops-email"]
    assert isinstance(mail, EmailChannel)
    assert (mail.sender, mail.password, mail.cc) == (
        "reportflow alerts <alerts@example.org>",
        "smtp_password-value",
        ["reporting-leads@example.org"],
    )
    (scale,) = config.receivers["scale-down"]
    assert isinstance(scale, ScaleChannel)
    assert (scale.mode, scale.value, scale.token) == ("delta", -2, "scale_token-value")
    (cmd,) = config.receivers["on-call-script"]
    assert isinstance(cmd, CommandChannel)
    assert cmd.max_concurrent == 2


BASE: dict[str, Any] = {"receivers": {"r": []}, "route": {"receiver": "r"}}


@pytest.mark.parametrize(
    ("patch", "words"),
    [
        ({"receivers": {"r": [{"type": "pigeon"}]}}, "receivers.r.0"),
        ({"receivers": {"r": [{"type": "email", "host": "h", "from": "a@b"}]}}, "to"),
        ({"receivers": {"r": [{"type": "teams"}]}}, "receivers.r.0.teams.url"),
        ({"receivers": {"r": [{"type": "command", "argv": []}]}}, "argv"),
        (
            {"receivers": {"r": [{"type": "scale", "url": "u", "mode": "target", "value": -1}]}},
            "scale target must be >= 0",
        ),
        (
            {"receivers": {"r": [{"type": "http", "url": "u", "secret": "whsec_!!"}]}},
            "not base64",
        ),
        ({"dedupe_seconds": -1}, "dedupe_seconds"),
        ({"auth": {"basic": {"username": "am"}}}, "password"),
        ({"auth": {"bearer_token_file": "/nonexistent/token"}}, "cannot read secret file"),
        ({"unknown_key": 1}, "unknown_key"),
    ],
)
def test_mistakes_name_the_field(patch: dict[str, Any], words: str) -> None:
    with pytest.raises(NotifierConfigError) as info:
        parse_config({**BASE, **patch}, source="notifier.yaml")
    assert str(info.value).startswith("notifier.yaml: ")
    assert words in str(info.value)


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(NotifierConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("route:\n  receiver: [unclosed\n")
    with pytest.raises(NotifierConfigError, match=r"bad.yaml:\d+: invalid YAML"):
        load_config(bad)


def test_empty_file_is_an_empty_config(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    config = load_config(empty)
    assert config.receivers == {}
    assert not config.auth.enabled
