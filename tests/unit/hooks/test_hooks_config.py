"""hooks.yaml validation: one-line errors naming the file, the hook and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reportflow.notifier.hooks import HooksConfigError, load_hooks, parse_hooks


def test_defaults_and_the_adnanh_list_form() -> None:
    config = parse_hooks([{"id": "a"}, {"id": "b.c-d_e", "methods": ["GET"]}])
    first = config.hooks[0]
    assert [h.id for h in config.hooks] == ["a", "b.c-d_e"]
    assert first.methods == ["POST"]
    assert (first.max_concurrent, first.max_queued, first.timeout_seconds) == (4, 0, 30.0)
    assert first.response.status == 200
    assert first.response.timeout_status == 504
    assert config.reload_interval_seconds == 2.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"hooks": [{"id": "alertmanager"}]}, "hooks[alertmanager].id: 'alertmanager' is reserved"),
        ({"hooks": [{"id": "../x"}]}, "hooks[../x].id: '../x': letters, digits"),
        ({"hooks": [{"id": "a"}, {"id": "a"}]}, "duplicate hook id 'a'"),
        (
            {"hooks": [{"id": "a", "respons": {}}]},
            "hooks[a].respons: Extra inputs are not permitted",
        ),
        ({"hooks": [{"id": "a", "methods": ["FETCH"]}]}, "hooks[a].methods.0"),
        ({"hooks": [{"id": "a", "allow_ips": ["10.0.0.0/33"]}]}, "'10.0.0.0/33' is not an IP"),
        ({"trusted_proxies": ["proxy"]}, "trusted_proxies: 'proxy' is not an IP"),
        (
            {"hooks": [{"id": "a", "command": {"argv": ["x"]}, "notify": {"receivers": ["r"]}}]},
            "hooks[a]: a hook has one action: command or notify, not both",
        ),
        ({"hooks": [{"id": "a", "command": {"argv": []}}]}, "hooks[a].command.argv"),
        ({"hooks": [{"id": "a", "response": {"status": 700}}]}, "hooks[a].response.status"),
        ({"hooks": [{"id": "a", "rule": {"nand": []}}]}, "hooks[a].rule: unknown rule 'nand'"),
        ({"hooks": [{"id": "a", "timeout_seconds": 0}]}, "hooks[a].timeout_seconds"),
    ],
)
def test_errors_name_the_hook_and_field(data: Any, message: str) -> None:
    with pytest.raises(HooksConfigError) as caught:
        parse_hooks(data, source="hooks.yaml")
    text = str(caught.value)
    assert text.startswith("hooks.yaml: ")
    assert message in text
    assert "\n" not in text


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(HooksConfigError, match=r"cannot read '.*missing\.yaml'"):
        load_hooks(tmp_path / "missing.yaml")
    bad = tmp_path / "hooks.yaml"
    bad.write_text("hooks:\n  - id: a\n   bad: [\n")
    with pytest.raises(HooksConfigError, match=r"hooks.yaml:\d+: invalid YAML"):
        load_hooks(bad)
