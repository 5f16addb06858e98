"""The shipped Prometheus, Alertmanager and Grafana files pass their own tools' checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from obs_kit import (
    ALERTMANAGER_YML,
    DASHBOARD,
    DEPLOY,
    PROMETHEUS_DIR,
    RULES,
    compress,
    compress_rules,
    require_binary,
    run,
)

pytestmark = pytest.mark.integration


def test_promtool_check_config() -> None:
    promtool = require_binary("promtool")
    result = run(promtool, "check", "config", "prometheus.yml", cwd=PROMETHEUS_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(RULES)} rule files found" in result.stdout


def test_promtool_check_rules() -> None:
    promtool = require_binary("promtool")
    result = run(promtool, "check", "rules", *map(str, RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_unit_tests() -> None:
    promtool = require_binary("promtool")
    tests = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
    result = run(promtool, "test", "rules", *map(str, tests))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(tests)


def test_every_alert_has_a_rule_unit_test() -> None:
    alerts = {
        rule["alert"]
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    tested = {
        case["alertname"]
        for path in (PROMETHEUS_DIR / "tests").glob("*.yml")
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    }
    assert alerts - tested == set()
    assert {"BacklogGrowing", "RunnerScaleUp", "RunnerScaleDown", "RunnerDown"} <= alerts


def test_scaling_alerts_carry_action_and_step() -> None:
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                action = rule.get("labels", {}).get("action")
                if action is None:
                    continue
                assert action in {"scale_up", "scale_down"}, rule["alert"]
                assert int(rule["annotations"]["step"]) >= 1, rule["alert"]


def test_amtool_check_config() -> None:
    amtool = require_binary("amtool")
    result = run(amtool, "check-config", str(ALERTMANAGER_YML))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["alertname=RunnerScaleUp", "action=scale_up", "severity=info"], "runner-scale"),
        (["alertname=RunnerScaleDown", "action=scale_down", "severity=info"], "runner-scale"),
        (["alertname=RunnerDown", "severity=critical"], "reportflow-notifier"),
        (["alertname=BacklogGrowing", "severity=warning", "queue=default"], "reportflow-notifier"),
        (["alertname=Something", "severity=info"], "blackhole"),
    ],
)
def test_alertmanager_routes(labels: list[str], receiver: str) -> None:
    amtool = require_binary("amtool")
    result = run(
        amtool,
        "config",
        "routes",
        "test",
        f"--config.file={ALERTMANAGER_YML}",
        f"--verify.receivers={receiver}",
        *labels,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_alertmanager_hooks_use_credentials() -> None:
    config = yaml.safe_load(ALERTMANAGER_YML.read_text())
    hooks = {
        hook["url"].rsplit("/", 1)[-1]: hook
        for receiver in config["receivers"]
        for hook in receiver.get("webhook_configs", [])
    }
    assert set(hooks) == {"alertmanager", "scale"}
    for hook in hooks.values():
        assert hook["send_resolved"] is True
        assert hook["http_config"]["authorization"]["credentials_file"]


def test_grafana_dashboard_and_provisioning_agree() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    datasources = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/datasources/reportflow.yml").read_text()
    )["datasources"]
    prometheus_uid = next(d["uid"] for d in datasources if d["type"] == "prometheus")
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == prometheus_uid, panel["title"]
        assert panel["targets"], panel["title"]
    titles = " ".join(p["title"].lower() for p in dashboard["panels"])
    for topic in (
        "queue depth",
        "wait",
        "duration",
        "fail",
        "concurrency",
        "webhook",
        "websocket",
        "alerts",
    ):
        assert topic in titles
    provider = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/dashboards/reportflow.yml").read_text()
    )["providers"][0]
    assert provider["type"] == "file"


def test_compressed_rules_still_pass_promtool(tmp_path: Path) -> None:
    """The end-to-end test runs the shipped rules on a 60x faster clock; check that
    the rewrite keeps them valid."""
    promtool = require_binary("promtool")
    assert compress("5m", 60) == "5s"
    assert compress("15m", 60) == "15s"
    assert compress("30s", 60) == "1s"
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        compress("soon", 60)
    paths = []
    for path in RULES:
        out = tmp_path / path.name
        out.write_text(yaml.safe_dump(compress_rules(yaml.safe_load(path.read_text()), 60)))
        paths.append(str(out))
    result = run(promtool, "check", "rules", *paths)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[10m]" not in "".join(Path(p).read_text() for p in paths)
