"""``reportflow scale``: ask a runner's scale hook for a new concurrency."""

from __future__ import annotations

import json

import click

from reportflow.config import load_settings
from reportflow.errors import RunnerError

DEFAULT_URL = "http://127.0.0.1:8001/hooks/scale"


@click.command()
@click.option("--target", type=click.IntRange(min=0), help="Set the concurrency to N.")
@click.option("--delta", type=int, help="Change the concurrency by ±N.")
@click.option("--url", default=DEFAULT_URL, show_default=True, help="The runner's scale hook.")
@click.option("--token", help="Bearer token; default: runner.scale_token from settings.")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.1))
def scale(
    target: int | None, delta: int | None, url: str, token: str | None, timeout: float
) -> None:
    """Resize a running runner's pool (exactly one of --target or --delta)."""
    if (target is None) == (delta is None):
        raise click.UsageError("give exactly one of --target or --delta")
    token = token or load_settings().runner.scale_token
    if not token:
        raise click.UsageError("no token: pass --token or set REPORTFLOW_RUNNER__SCALE_TOKEN")
    import httpx  # here, not at the top: every other command starts without it

    body = {"target": target} if target is not None else {"delta": delta}
    try:
        response = httpx.post(
            url, json=body, headers={"authorization": f"Bearer {token}"}, timeout=timeout
        )
    except httpx.HTTPError as exc:
        raise RunnerError(f"scale hook {url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        try:
            detail = response.json().get("detail", response.text)
        except (json.JSONDecodeError, AttributeError):
            detail = response.text
        raise RunnerError(f"scale hook {url}: HTTP {response.status_code}: {detail}")
    answer = response.json()
    note = " (clamped to the runner's bounds)" if answer.get("clamped") else ""
    click.echo(f"concurrency {answer['previous']} -> {answer['target']}{note}")
