"""The HTTP face of the generic hooks: ``/hooks/{id}`` and their history.

A call passes, in order: the hook exists (404), the method is allowed (405),
the client address is allowed (403), credentials (401), the body size (413),
the body parses (400), the signature (403), the trigger rule (403 or the
hook's status), a concurrency slot (429); then the action runs and its outcome
is mapped to the answer. Refusals say as little as possible (``forbidden``);
the reason goes to the log and the history.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from reportflow.config import Settings
from reportflow.metrics import HOOK_CALLS, HOOK_DURATION, HOOK_IN_FLIGHT
from reportflow.notifier.app import NO_NUL, NotifierApp, NotifierService, authorized, read_body
from reportflow.notifier.errors import PayloadError, TemplateError
from reportflow.notifier.history import MAX_LIMIT
from reportflow.notifier.hooks.actions import (
    ActionResult,
    NotifySender,
    Renderer,
    run_command,
)
from reportflow.notifier.hooks.config import HookConfig, HooksFile, is_template
from reportflow.notifier.hooks.errors import HookRejection, HooksConfigError
from reportflow.notifier.hooks.front import PREFIX, HooksFrontDoor
from reportflow.notifier.hooks.history import CallOutcome, HookCall, HookCallLog
from reportflow.notifier.hooks.limiter import Busy, Limiter
from reportflow.notifier.hooks.registry import HookRegistry, LiveHook
from reportflow.notifier.hooks.request import (
    HookRequest,
    IPAddress,
    client_address,
    in_networks,
    parse_body,
)
from reportflow.notifier.hooks.signatures import verify

log = logging.getLogger(__name__)
HOOKS_PATH = "/hooks/{hook_id}"
CALLS_PATH = "/api/v1/hooks/calls"
LIST_PATH = "/api/v1/hooks"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_UNKNOWN_LABEL = "_unknown"  # one metric series for every unknown id, not one per id
_FAILED_TEXT = {
    CallOutcome.FAILED: "hook action failed",
    CallOutcome.TIMED_OUT: "hook action timed out",
}


_NO_QUERY: Mapping[str, str] = MappingProxyType({})


def _query(request: Request) -> Mapping[str, str]:
    """The query parameters; most calls have none, and then nothing is parsed."""
    return request.query_params if request.scope["query_string"] else _NO_QUERY


@functools.cache
def _metric(metric: Any, *labels: str) -> Any:
    """``metric.labels(*labels)``, looked up once: the hook ids are the configured ones
    (and one label for unknown ids), the outcomes a fixed set."""
    return metric.labels(*labels)


def _reject(reason: str, status: int, outcome: CallOutcome, public: str) -> HookRejection:
    return HookRejection(reason, status_code=status, outcome=outcome.value, public=public)


class HooksService:
    """The hooks of one notifier: registry, checks, actions, history and metrics."""

    def __init__(self, registry: HookRegistry, notifier: NotifierService, history_url: str) -> None:
        self.registry = registry
        self.notifier = notifier
        self.history = HookCallLog(history_url)
        self.renderer = Renderer()
        self.sender = NotifySender(notifier.config, notifier.channels, notifier.history)
        self._background: set[asyncio.Task[None]] = set()

    @classmethod
    def from_settings(
        cls, settings: Settings, notifier: NotifierService, *, config: HooksFile | None = None
    ) -> HooksService:
        known = set(notifier.config.receivers)

        def check(hooks: HooksFile) -> None:
            missing = sorted(hooks.receivers() - known)
            if missing:
                names = ", ".join(sorted(known)) or "none"
                raise HooksConfigError(
                    f"notify names unknown receiver {missing[0]!r} (notifier.yaml has: {names})"
                )

        if config is not None:
            check(config)
        registry = HookRegistry(settings.hooks_config, check=check, config=config)
        history_url = notifier.config.history_url or settings.resolved_database_url
        return cls(registry, notifier, history_url)

    async def start(self) -> None:
        await self.registry.start()

    async def aclose(self) -> None:
        await self.registry.aclose()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        await self.history.aclose()

    # -- one call --------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        hook_id = request.path_params["hook_id"]
        live = self.registry.hooks.get(hook_id)
        peer = request.client.host if request.client else None
        if live is None:
            self._record(hook_id, request.method, peer, 404, CallOutcome.UNKNOWN, started)
            return JSONResponse({"detail": f"unknown hook {hook_id[:100]!r}"}, status_code=404)
        hook = live.config
        trusted = self.registry.file.trusted_proxies
        addr = None
        ip = peer
        if trusted or hook.allow_ips:  # parsing addresses costs; only when something reads them
            addr = client_address(peer, request.headers.get("x-forwarded-for"), trusted)
            ip = str(addr) if addr is not None else None
        try:
            call = await self._check(request, hook, addr, ip)
            ticket = None if _static(hook) else _admit(live.limiter, hook)
        except HookRejection as exc:
            log.info("hook %s: %s", hook.id, exc, extra={"client_ip": ip})
            outcome = CallOutcome(exc.outcome)
            self._record(hook.id, request.method, ip, exc.status_code, outcome, started, str(exc))
            return JSONResponse(
                {"detail": exc.public}, status_code=exc.status_code, headers=exc.headers
            )
        if ticket is None:
            result = ActionResult(CallOutcome.SUCCEEDED)
        elif hook.command is not None and not hook.command.wait:
            task = asyncio.create_task(self._background_run(live, ticket, call, started))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            self._record(hook.id, call.method, ip, 202, CallOutcome.ACCEPTED, started)
            return JSONResponse({"detail": "accepted"}, status_code=202)
        else:
            try:
                await ticket.acquire(hook.queue_timeout_seconds)
            except Busy:
                self._record(hook.id, call.method, ip, 429, CallOutcome.LIMITED, started)
                return _busy(hook)
            result = await self._act(live, call)
        response = self._answer(hook, call, result)
        self._record(
            hook.id,
            call.method,
            ip,
            response.status_code,
            result.outcome,
            started,
            result.error,
            result.exit_code,
        )
        return response

    async def _check(
        self, request: Request, hook: HookConfig, addr: IPAddress | None, ip: str | None
    ) -> HookRequest:
        if request.method not in hook.methods:
            raise HookRejection(
                f"method {request.method} not allowed",
                status_code=405,
                outcome=CallOutcome.INVALID.value,
                headers={"Allow": ", ".join(hook.methods)},
            )
        headers = request.headers
        if hook.allow_ips and not in_networks(addr, hook.allow_ips):
            raise _reject(f"address {ip} not allowed", 403, CallOutcome.REJECTED, "forbidden")
        if hook.auth is not None and not authorized(hook.auth, headers.get("authorization")):
            exc = _reject("missing or wrong credentials", 401, CallOutcome.REJECTED, "unauthorized")
            exc.headers["WWW-Authenticate"] = f'Bearer, Basic realm="reportflow hook {hook.id}"'
            raise exc
        limit = hook.body_limit_bytes or self.registry.file.body_limit_bytes
        try:
            body = await read_body(request, limit)
        except PayloadError as exc:
            raise _reject(str(exc), 413, CallOutcome.INVALID, str(exc)) from exc
        payload = parse_body(hook, headers.get("content-type", ""), body)
        if hook.signature is not None and not verify(hook.signature, headers, body, time.time()):
            raise _reject("bad signature", 403, CallOutcome.REJECTED, "bad signature")
        call = HookRequest(hook.id, request.method, headers, _query(request), body, payload, ip)
        if hook.rule is not None and not hook.rule.evaluate(call):
            status = hook.response.mismatch_status
            raise _reject("trigger rule not satisfied", status, CallOutcome.REJECTED, "forbidden")
        return call

    async def _act(self, live: LiveHook, call: HookRequest) -> ActionResult:
        hook = live.config
        gauge = _metric(HOOK_IN_FLIGHT, hook.id)
        gauge.inc()
        try:
            if hook.command is not None:
                return await run_command(
                    hook, hook.command, call, self.renderer, self.notifier.spawner.run
                )
            assert hook.notify is not None  # _static() sent action-less hooks elsewhere
            return await self.sender.send(hook, hook.notify, call, self.renderer)
        finally:
            gauge.dec()
            live.limiter.release()

    async def _background_run(
        self, live: LiveHook, ticket: Any, call: HookRequest, started: float
    ) -> None:
        hook = live.config
        ip = call.client_ip
        try:
            await ticket.acquire(hook.queue_timeout_seconds)
        except Busy:
            self._record(hook.id, call.method, ip, 202, CallOutcome.LIMITED, started, "no slot")
            return
        result = await self._act(live, call)
        level = logging.INFO if result.outcome is CallOutcome.SUCCEEDED else logging.WARNING
        log.log(level, "hook %s (background): %s", hook.id, result.error or result.outcome.value)
        self._record(
            hook.id, call.method, ip, 202, result.outcome, started, result.error, result.exit_code
        )

    def _answer(self, hook: HookConfig, call: HookRequest, result: ActionResult) -> Response:
        spec = hook.response
        if result.exit_code is not None and result.exit_code in spec.exit_status:
            status = spec.exit_status[result.exit_code]
        elif result.outcome is CallOutcome.SUCCEEDED:
            status = spec.status
        elif result.outcome is CallOutcome.TIMED_OUT:
            status = spec.timeout_status
        else:
            status = spec.failure_status or (502 if hook.notify is not None else 500)
        if result.outcome is not CallOutcome.SUCCEEDED:
            log.warning("hook %s: %s", hook.id, result.error)
        try:
            body = self._body(hook, call, result)
        except TemplateError as exc:
            log.warning("hook %s: response %s", hook.id, exc)
            result.outcome, result.error = CallOutcome.FAILED, f"response {exc}"
            return JSONResponse({"detail": "hook response failed"}, status_code=500)
        return Response(
            body, status_code=status, headers=spec.headers, media_type=spec.content_type
        )

    def _body(self, hook: HookConfig, call: HookRequest, result: ActionResult) -> str:
        spec = hook.response
        if spec.body is not None:
            if not is_template(spec.body):  # the common static answer: no context to build
                return spec.body
            ctx = {
                **call.context(),
                "exit_code": result.exit_code,
                "output": result.output,
                "stderr": result.stderr,
                "outcome": result.outcome.value,
            }
            return self.renderer.render("response.body", spec.body, ctx)
        if spec.include_output:
            failed = result.outcome is not CallOutcome.SUCCEEDED
            return result.output + (("\n" + result.stderr) if failed and result.stderr else "")
        return _FAILED_TEXT.get(result.outcome, "")

    def _record(
        self,
        hook: str,
        method: str,
        ip: str | None,
        status: int,
        outcome: CallOutcome,
        started: float,
        error: str | None = None,
        exit_code: int | None = None,
    ) -> None:
        elapsed = time.perf_counter() - started
        label = _UNKNOWN_LABEL if outcome is CallOutcome.UNKNOWN else hook
        _metric(HOOK_CALLS, label, outcome.value).inc()
        _metric(HOOK_DURATION, label).observe(elapsed)
        self.history.add(
            HookCall(
                hook=hook[:100],
                method=method,
                client_ip=ip,
                status_code=status,
                outcome=outcome,
                exit_code=exit_code,
                error=error,
                duration_ms=round(elapsed * 1000, 3),
            )
        )

    # -- routes ------------------------------------------------------------------

    def mount(self, app: NotifierApp, require_auth: Any) -> None:
        """Add ``/hooks/{id}`` and the hooks API to the notifier's app.

        The route stays for apps that take the notifier's routes into their own
        (``reportflow up``); the notifier's own app answers hook calls ahead of its
        middleware (:class:`HooksFrontDoor`), except at paths it routes itself.
        """
        app.add_route(HOOKS_PATH, self.handle, methods=METHODS, include_in_schema=False)
        taken = {
            path.removeprefix(PREFIX)
            for path in (getattr(route, "path", "") for route in app.routes)
            if path.startswith(PREFIX) and "{" not in path
        }
        app.hooks_front = HooksFrontDoor(self.handle, methods=METHODS, taken=taken)

        @app.get(CALLS_PATH, dependencies=[Depends(require_auth)])
        async def hook_calls(
            hook: str | None = Query(None, max_length=200, pattern=NO_NUL),
            outcome: CallOutcome | None = None,
            limit: int = Query(100, ge=1, le=MAX_LIMIT),
        ) -> dict[str, Any]:
            rows = await self.history.query(hook=hook, outcome=outcome, limit=limit)
            return {"items": [r.to_json() for r in rows]}

        @app.get(LIST_PATH, dependencies=[Depends(require_auth)])
        async def hook_list() -> dict[str, Any]:
            reg = self.registry
            return {
                "generation": reg.generation,
                "last_error": reg.last_error,
                "hooks": [
                    {
                        "id": h.config.id,
                        "methods": h.config.methods,
                        "running": h.limiter.running,
                        "queued": h.limiter.queued,
                    }
                    for h in reg.hooks.values()
                ],
            }


def _static(hook: HookConfig) -> bool:
    return hook.command is None and hook.notify is None


def _admit(limiter: Limiter, hook: HookConfig) -> Any:
    try:
        return limiter.admit()
    except Busy:
        raise HookRejection(
            f"{limiter.running} running and {limiter.queued} queued (limits "
            f"{hook.max_concurrent}/{hook.max_queued})",
            status_code=429,
            outcome=CallOutcome.LIMITED.value,
            public="too many calls of this hook, retry later",
            headers={"Retry-After": "1"},
        ) from None


def _busy(hook: HookConfig) -> Response:
    return JSONResponse(
        {"detail": "too many calls of this hook, retry later"},
        status_code=429,
        headers={"Retry-After": "1"},
    )
