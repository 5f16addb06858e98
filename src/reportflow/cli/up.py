"""``reportflow up``: the whole system in one process on one port, zero configuration.

On the first start it builds the demo warehouse, creates the ``admin``
account (password in ``{home}/admin-password``) and generates the secrets
nobody configured into ``{home}/secrets/``; every start prints where they are.
"""

from __future__ import annotations

import asyncio

import click
from pydantic import ValidationError

from reportflow.cli.catalog_path import apply_catalog
from reportflow.config import Settings, load_settings
from reportflow.errors import ConfigError
from reportflow.logs import setup_logging

_LABEL = 17  # the width of the labels in what up prints


def _line(label: str, text: str) -> None:
    click.echo(f"{label + ':' if label else '':<{_LABEL}}{text}")


def _build_demo_warehouse(settings: Settings) -> None:
    warehouse = settings.home / "warehouse.db"
    if "warehouse" in settings.connections or warehouse.exists():
        return
    from reportflow.demo import DEFAULT_ROWS, DEFAULT_SEED, build_warehouse

    click.echo(f"first run: building the demo warehouse in {warehouse} ...")
    build_warehouse(f"sqlite:///{warehouse}", DEFAULT_ROWS, DEFAULT_SEED)


def _print_admin(settings: Settings, url: str) -> None:
    from reportflow.cli.firstrun import AdminState, ensure_admin

    admin = ensure_admin(settings)
    if admin.state is AdminState.CREATED or admin.managed:
        _line("admin", f"log in as admin with the password in {admin.password_file}")
        if admin.password is not None:
            _line("", f"(first run: account created, password {admin.password}; shown only once)")
    else:
        _line("admin", "the account exists; its password was not set by reportflow up")
    _line("login", f"{url}/login")


def _notifier_has_auth(settings: Settings) -> bool:
    """Whether notifier.yaml brings its own auth; loading it stops a broken file early."""
    from reportflow.notifier import load_config

    path = settings.notifier_config
    return path is not None and load_config(path).auth.enabled


def _print_hooks(settings: Settings, url: str, *, own_auth: bool, scale_configured: bool) -> None:
    from reportflow.requestor.embedded import NOTIFIER_TOKEN, SCALE_TOKEN, secret_file

    path = settings.notifier_config
    token = f"Bearer token in {secret_file(settings, NOTIFIER_TOKEN)}"
    _line(
        "alertmanager",
        f"POST {url}/hooks/alertmanager  ({'auth of ' + str(path) if own_auth else token})",
    )
    token = f"Bearer token in {secret_file(settings, SCALE_TOKEN)}"
    _line(
        "scale hook",
        f"POST {url}/hooks/scale  ({'runner.scale_token' if scale_configured else token})",
    )
    _line("generic hooks", f"{url}/hooks/{{id}}  from {settings.hooks_config or 'no hooks_config'}")
    _line("metrics", f"{url}/metrics")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
def up(host: str, port: int) -> None:
    """Run the whole system in one process on one port (web app, runner, notifier)."""
    from reportflow.requestor.embedded import embedded_settings, serve_embedded

    try:
        settings = load_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise ConfigError(f"bad setting {where}: {first['msg']}") from exc
    note = apply_catalog(settings)
    own_auth = _notifier_has_auth(settings)  # before anything is built or generated
    scale_configured = bool(settings.runner.scale_token)
    settings.home.mkdir(parents=True, exist_ok=True)
    settings = embedded_settings(settings)  # generates the secrets nobody configured
    _build_demo_warehouse(settings)
    url = f"http://{host}:{port}"
    _line("web app", url)
    _print_admin(settings, url)
    _print_hooks(settings, url, own_auth=own_auth, scale_configured=scale_configured)
    _line("secrets", f"{settings.home / 'secrets'}/ (generated, 0600; settings override them)")
    _line("store and queue", settings.resolved_queue_url)
    _line("artifacts", settings.resolved_artifacts_url)
    _line("catalog", ", ".join(map(str, settings.catalog)) or "built-in reports only")
    _line("runner", f"{settings.runner.concurrency} slots")
    if note:
        click.echo(note, err=True)
    click.echo("Ctrl-C drains the runner and stops")
    setup_logging(settings.log_level, settings.log_format)
    asyncio.run(serve_embedded(settings, host, port))
