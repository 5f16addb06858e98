"""Helpers for the observability tests: the shipped files, binaries, loopback ports."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
PROMETHEUS_DIR = DEPLOY / "prometheus"
RULES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
ALERTMANAGER_YML = DEPLOY / "alertmanager" / "alertmanager.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "reportflow.json"
#: Debian names Alertmanager's binary prometheus-alertmanager.
BINARIES = {
    "promtool": ("promtool",),
    "amtool": ("amtool",),
    "prometheus": ("prometheus",),
    "alertmanager": ("prometheus-alertmanager", "alertmanager"),
}


def require_binary(name: str) -> str:
    """The binary's path; skip when missing, unless in CI, where that is a failure."""
    for candidate in BINARIES.get(name, (name,)):
        found = shutil.which(candidate)
        if found:
            return found
    message = (
        f"{name} is not installed (Debian: apt-get install prometheus prometheus-alertmanager)"
    )
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it")
    pytest.skip(message)


def run(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=30, check=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def dashboard_queries(rate_interval: str = "1m") -> list[tuple[str, str]]:
    """(panel title, PromQL) for every target of the shipped dashboard, with
    Grafana's ``$__rate_interval`` replaced as Grafana would."""
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    out = []
    for panel in data["panels"]:
        for target in panel["targets"]:
            out.append((panel["title"], target["expr"].replace("$__rate_interval", rate_interval)))
    return out


_DURATION = re.compile(r"^(\d+)([smhd])$")
_RANGE = re.compile(r"\[(\d+)([smhd])\]")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def compress(duration: str, factor: int) -> str:
    """``5m`` with factor 60 → ``5s``: the shipped rules on a test's time scale."""
    match = _DURATION.match(duration)
    if match is None:
        raise ValueError(f"not a Prometheus duration: {duration!r}")
    seconds = int(match.group(1)) * _UNIT[match.group(2)]
    return f"{max(1, seconds // factor)}s"


def compress_rules(groups: dict[str, Any], factor: int) -> dict[str, Any]:
    """The rule groups with every ``for:`` and every range selector divided by ``factor``."""
    for group in groups["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = compress(rule["for"], factor)
            rule["expr"] = _RANGE.sub(
                lambda m: f"[{compress(m.group(1) + m.group(2), factor)}]", rule["expr"]
            )
    return groups
