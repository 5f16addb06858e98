"""What a hook does once a call is let in: nothing (a static answer), a command, or a
notification through the notifier's receivers — and how the outcome becomes an answer.

Commands go through the notifier's :class:`~reportflow.spawn.Spawner` (no shell, own session,
process group killed at the timeout, output capped). Notifications go through
the notifier's :class:`Dispatcher`, so they get its retries, its history rows
and its metrics: the call becomes a one-alert group named after the hook, whose
title, summary and text are the hook's templates rendered over the request.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reportflow.notifier.config import NotifierConfig
from reportflow.notifier.dedupe import DedupeCache
from reportflow.notifier.dispatcher import Dispatcher
from reportflow.notifier.errors import TemplateError
from reportflow.notifier.history import Outcome
from reportflow.notifier.hooks.config import (
    CommandAction,
    HookConfig,
    NotifyAction,
    is_template,
)
from reportflow.notifier.hooks.history import CallOutcome
from reportflow.notifier.hooks.request import HookRequest
from reportflow.notifier.payload import Alert, AlertGroup, AlertStatus
from reportflow.notifier.routing import Route
from reportflow.notifier.templates import TemplateRenderer, Templates
from reportflow.spawn import ProcessRunner

_FORWARD = Templates(
    title="{{ commonAnnotations.title }}",
    summary="{{ commonAnnotations.summary }}",
    text="{{ commonAnnotations.description }}",
    html=(
        "{% if commonAnnotations.html %}{{ commonAnnotations.html|safe }}"
        "{% else %}<pre>{{ commonAnnotations.description }}</pre>{% endif %}"
    ),
)


@dataclass(slots=True)
class ActionResult:
    """How an action ended, before it is turned into an HTTP answer."""

    outcome: CallOutcome
    exit_code: int | None = None
    output: str = ""
    stderr: str = ""
    error: str | None = None


class Renderer:
    """The notifier's sandboxed renderer, skipped for text that holds no template."""

    def __init__(self) -> None:
        self._renderer = TemplateRenderer()

    def render(self, name: str, source: str, ctx: dict[str, Any], *, html: bool = False) -> str:
        if not is_template(source):
            return source
        return self._renderer.render(name, source, ctx, html=html)


async def run_command(
    hook: HookConfig,
    action: CommandAction,
    call: HookRequest,
    renderer: Renderer,
    run_process: ProcessRunner,
) -> ActionResult:
    """Render argv, env and stdin from the request and run the program with ``run_process``."""
    env = {"PATH": os.defpath, "HOOK_ID": hook.id, "HOOK_METHOD": call.method}
    if action.templated:
        ctx = call.context()
        try:
            argv = [renderer.render(f"argv[{i}]", a, ctx) for i, a in enumerate(action.argv)]
            env.update({k: renderer.render(f"env.{k}", v, ctx) for k, v in action.env.items()})
            stdin = (
                call.body if action.stdin is None else renderer.render("stdin", action.stdin, ctx)
            )
        except TemplateError as exc:
            return ActionResult(CallOutcome.FAILED, error=str(exc))
        env = {k: v.replace("\x00", "") for k, v in env.items()}  # a payload's NUL
    else:  # nothing to render: no context to build
        argv = list(action.argv)
        env.update(action.env)
        stdin = call.body if action.stdin is None else action.stdin
    try:
        result = await run_process(
            argv,
            env=env,
            stdin=stdin if isinstance(stdin, bytes) else stdin.encode(),
            cwd=action.cwd,
            timeout=hook.timeout_seconds,
            output_limit=action.output_limit,
        )
    except TimeoutError:  # before OSError, of which it is a subclass
        return ActionResult(
            CallOutcome.TIMED_OUT,
            error=f"command {argv[0]!r}: killed after {hook.timeout_seconds:g}s timeout",
        )
    except OSError as exc:
        return ActionResult(
            CallOutcome.FAILED, error=f"command {argv[0]!r}: cannot start: {exc.strerror or exc}"
        )
    outcome = CallOutcome.SUCCEEDED if result.code == 0 else CallOutcome.FAILED
    error = None if result.code == 0 else f"command {argv[0]!r} exited {result.code}"
    if error and result.stderr:
        error += f": {result.stderr}"
    return ActionResult(outcome, result.code, result.stdout, result.stderr, error)


class NotifySender:
    """Sends hook calls to notifier receivers through a dispatcher of their own."""

    def __init__(self, base: NotifierConfig, channels: Any, history: Any) -> None:
        self.base = base
        self.channels = channels
        self.history = history
        self._dispatchers: dict[tuple[str, ...], Dispatcher] = {}

    def _dispatcher(self, receivers: list[str]) -> Dispatcher:
        key = tuple(receivers)
        if key not in self._dispatchers:
            config = NotifierConfig(
                receivers=self.base.receivers,
                retry=self.base.retry,
                templates=_FORWARD,
                route=Route(receivers=list(receivers)),
            )
            # Every call is its own group (see the fingerprint): dedupe would never fire.
            self._dispatchers[key] = Dispatcher(config, self.channels, self.history, DedupeCache(0))
        return self._dispatchers[key]

    async def send(
        self, hook: HookConfig, action: NotifyAction, call: HookRequest, renderer: Renderer
    ) -> ActionResult:
        ctx = call.context()
        try:
            texts = {
                "title": " ".join(renderer.render("title", action.title, ctx).split()),
                "summary": renderer.render("summary", action.summary, ctx),
                "description": renderer.render("text", action.text, ctx),
            }
            if action.html is not None:
                texts["html"] = renderer.render("html", action.html, ctx, html=True)
        except TemplateError as exc:
            return ActionResult(CallOutcome.FAILED, error=str(exc))
        group = _group(hook.id, texts)
        try:
            async with asyncio.timeout(hook.timeout_seconds):
                result = await self._dispatcher(action.receivers).dispatch(group)
        except TimeoutError:
            return ActionResult(
                CallOutcome.TIMED_OUT, error=f"notification not sent in {hook.timeout_seconds:g}s"
            )
        failed = [
            f"{r.channel_name}: {r.error}" for r in result.records if r.outcome is Outcome.FAILED
        ]
        if failed:
            return ActionResult(CallOutcome.FAILED, error="; ".join(failed))
        return ActionResult(
            CallOutcome.SUCCEEDED, output=f"sent to {len(result.records)} channel(s)"
        )


def _group(hook_id: str, texts: dict[str, str]) -> AlertGroup:
    labels = {"alertname": hook_id, "hook": hook_id}
    annotations = {"summary": texts["summary"], "description": texts["description"]}
    alert = Alert(
        status=AlertStatus.FIRING,
        labels=labels,
        annotations=annotations,
        startsAt=datetime.now(UTC),
        fingerprint=uuid.uuid4().hex[:16],
    )
    return AlertGroup.model_validate(
        {
            "version": "4",
            "groupKey": f"hook:{hook_id}",
            "status": AlertStatus.FIRING,
            "receiver": f"hook:{hook_id}",
            "groupLabels": {"alertname": hook_id},
            "commonLabels": labels,
            "commonAnnotations": {**annotations, **texts},
            "alerts": [alert],
        }
    )
