"""The runner's scale hook: ``POST /hooks/scale`` changes the pool's concurrency.

Bodies it accepts (``Authorization: Bearer <runner.scale_token>``):

* ``{"target": N}`` — set the target (a new baseline; clears alert effects);
* ``{"delta": ±N}`` — change the current target by N (same);
* an Alertmanager webhook payload, version 4: every alert labelled
  ``action="scale_up"`` or ``"scale_down"`` adds or removes
  ``annotations.step`` slots (default 1) or sets ``annotations.target``;
  a resolved alert takes its effect back; a repeat of the same alert
  (fingerprint) within ``cooldown_seconds`` does nothing. See
  :mod:`reportflow.runner.autoscale.state` for the exact rules.

Targets outside [min_concurrency, max_concurrency] are clamped (the answer
says ``"clamped": true``). Answers: 200 with the new state, 401 for missing
or wrong credentials, 413 for a body over the limit, 400 for malformed JSON,
422 for a body that is JSON but not one of the above (the detail names the
field). Every change is logged with its reason and counted in
``reportflow_scale_actions_total``; ``reportflow_runner_concurrency_target``
follows the target.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reportflow.metrics import REGISTRY, RUNNER_CONCURRENCY_TARGET, SCALE_ACTIONS
from reportflow.runner.autoscale.controller import Controller
from reportflow.runner.autoscale.state import DEFAULT_COOLDOWN, AlertOutcome, ScaleState
from reportflow.runner.pool import Runner

log = logging.getLogger("reportflow.runner")

HOOK_PATH = "/hooks/scale"
DEFAULT_BODY_LIMIT = 64 * 1024
_MAX_STEP = 100_000


class ScaleRequestError(Exception):
    """A scale request that cannot be applied; ``status_code`` is the HTTP answer."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True, slots=True)
class AlertChange:
    """One scale alert of an Alertmanager notification."""

    fingerprint: str
    action: str
    firing: bool
    step: int = 1
    target: int | None = None


@dataclass(frozen=True, slots=True)
class ScaleRequest:
    """A parsed body: exactly one of ``target``, ``delta``, ``alerts``."""

    target: int | None = None
    delta: int | None = None
    alerts: tuple[AlertChange, ...] | None = None
    receiver: str = ""


@dataclass(slots=True)
class ScaleResult:
    previous: int
    target: int
    baseline: int
    clamped: bool = False
    alerts: list[dict[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.previous != self.target

    def to_json(self) -> dict[str, Any]:
        return {
            "previous": self.previous,
            "target": self.target,
            "baseline": self.baseline,
            "changed": self.changed,
            "clamped": self.clamped,
            "alerts": self.alerts,
        }


def _whole(value: Any, where: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScaleRequestError(f"{where}: must be a whole number, got {value!r}", 422)
    if minimum is not None and value < minimum:
        raise ScaleRequestError(f"{where}: must be >= {minimum}, got {value}", 422)
    if abs(value) > _MAX_STEP:
        raise ScaleRequestError(f"{where}: {value} is out of range", 422)
    return value


def _annotation(raw: str | None, where: str) -> int | None:
    if raw is None:
        return None
    try:
        return _whole(int(raw.strip()), where, minimum=0)
    except ValueError as exc:
        raise ScaleRequestError(f"{where}: must be a whole number, got {raw!r}", 422) from exc


def _alerts(body: bytes) -> ScaleRequest:
    from reportflow.notifier.errors import PayloadError
    from reportflow.notifier.payload import AlertStatus, parse_payload

    try:
        group = parse_payload(body)
    except PayloadError as exc:
        raise ScaleRequestError(str(exc), exc.status_code) from exc
    changes = []
    for i, alert in enumerate(group.alerts):
        labels = {**group.common_labels, **alert.labels}
        where = f"alerts[{i}].annotations"
        step = _annotation(alert.annotations.get("step"), f"{where}.step")
        target = _annotation(alert.annotations.get("target"), f"{where}.target")
        changes.append(
            AlertChange(
                fingerprint=alert.identity,
                action=labels.get("action", ""),
                firing=alert.status is AlertStatus.FIRING,
                step=1 if step is None else step,
                target=target,
            )
        )
    return ScaleRequest(alerts=tuple(changes), receiver=group.receiver)


def parse_request(body: bytes) -> ScaleRequest:
    """Parse a scale hook body. Raises ScaleRequestError (400 or 422) naming the culprit."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ScaleRequestError(f"malformed JSON body: {exc}", 400) from exc
    if not isinstance(data, dict):
        raise ScaleRequestError("body must be a JSON object", 422)
    if "alerts" in data or "version" in data:
        return _alerts(body)
    unknown = sorted(set(data) - {"target", "delta"})
    if unknown:
        raise ScaleRequestError(f"{unknown[0]}: unknown field (expected target or delta)", 422)
    if len(data) != 1:
        raise ScaleRequestError("body needs exactly one of target or delta", 422)
    if "target" in data:
        return ScaleRequest(target=_whole(data["target"], "target", minimum=0))
    return ScaleRequest(delta=_whole(data["delta"], "delta"))


class Scaler:
    """Applies scale requests and autoscaler decisions to one runner, one at a time."""

    def __init__(
        self,
        runner: Runner,
        *,
        minimum: int,
        maximum: int,
        cooldown_seconds: float = DEFAULT_COOLDOWN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runner = runner
        self.clock = clock
        self.state = ScaleState(
            runner.concurrency, minimum=minimum, maximum=maximum, cooldown_seconds=cooldown_seconds
        )
        self.controller: Controller | None = None
        """Set by the autoscaler, so manual changes are held for its window."""
        self._lock = asyncio.Lock()
        RUNNER_CONCURRENCY_TARGET.labels(runner.worker_id).set(runner.concurrency)

    async def apply(self, request: ScaleRequest) -> ScaleResult:
        """Apply a parsed hook request."""
        async with self._lock:
            previous = self.runner.concurrency
            now = self.clock()
            if request.target is not None:
                self.state.set_target(request.target)
                clamped = self.state.baseline != request.target
                return await self._resize(previous, "manual", f"target {request.target}", clamped)
            if request.delta is not None:
                wanted = self.state.target + request.delta
                self.state.change(request.delta)
                clamped = self.state.baseline != wanted
                return await self._resize(previous, "manual", f"delta {request.delta:+d}", clamped)
            outcomes = []
            for alert in request.alerts or ():
                outcome = self.state.alert(
                    alert.fingerprint,
                    alert.action,
                    firing=alert.firing,
                    now=now,
                    step=alert.step,
                    target=alert.target,
                )
                outcomes.append({"fingerprint": alert.fingerprint, "outcome": outcome.value})
            applied = [o for o in outcomes if o["outcome"] != AlertOutcome.IGNORED.value]
            label = (
                "alert_resolved"
                if applied and all(o["outcome"] == "resolved" for o in applied)
                else "alert"
            )
            detail = ", ".join(f"{o['fingerprint']} {o['outcome']}" for o in applied) or "none"
            result = await self._resize(previous, label, f"alerts ({detail})", False)
            result.alerts = outcomes
            return result

    async def autoscale(self, target: int, reason: str) -> ScaleResult:
        """The autoscaler's new baseline (alert effects stay on top)."""
        async with self._lock:
            previous = self.runner.concurrency
            self.state.set_baseline(target)
            return await self._resize(previous, "autoscale", reason, False, hold=False)

    async def _resize(
        self, previous: int, label: str, detail: str, clamped: bool, *, hold: bool = True
    ) -> ScaleResult:
        target = self.state.target
        if hold and self.controller is not None:
            self.controller.hold(self.clock(), self.state.baseline)
        if target != previous:
            reason = f"{label}: {detail}"
            await self.runner.resize(target, reason)
            direction = "up" if target > previous else "down"
            SCALE_ACTIONS.labels(label, direction).inc()
            RUNNER_CONCURRENCY_TARGET.labels(self.runner.worker_id).set(target)
            log.info(
                "scale %s %d -> %d (%s)",
                direction,
                previous,
                target,
                reason,
                extra={"old": previous, "new": target, "reason": reason},
            )
        return ScaleResult(previous, target, self.state.baseline, clamped)

    def snapshot(self) -> dict[str, Any]:
        return {
            "target": self.state.target,
            "baseline": self.state.baseline,
            "busy": self.runner.busy,
            "min": self.state.minimum,
            "max": self.state.maximum,
            "alerts": {
                fp: {"delta": e.delta, "target": e.target} for fp, e in self.state.effects.items()
            },
        }


def _authorized(header: str | None, token: str | None) -> bool:
    if not token:
        return False
    scheme, _, value = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode()
    )


async def _read(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ScaleRequestError(f"body of {declared} bytes exceeds {limit} bytes", 413)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise ScaleRequestError(f"body exceeds {limit} bytes", 413)
    return bytes(body)


def scale_routes(
    scaler: Scaler, *, token: str | None, body_limit: int = DEFAULT_BODY_LIMIT
) -> list[Route]:
    """``POST /hooks/scale`` (and ``GET`` for the state), to serve alone or inside
    another app (``reportflow up`` puts them in front of the web app's routes).

    Without a token every hook request is refused (401): an open scale hook
    would let anyone size the pool.
    """
    if not token:
        log.warning("runner: no runner.scale_token configured; %s refuses every request", HOOK_PATH)

    def refuse() -> JSONResponse:
        return JSONResponse(
            {"detail": "missing or wrong bearer token"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="reportflow runner"'},
        )

    async def hook(request: Request) -> Response:
        if not _authorized(request.headers.get("authorization"), token):
            return refuse()
        try:
            parsed = parse_request(await _read(request, body_limit))
        except ScaleRequestError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=exc.status_code)
        result = await scaler.apply(parsed)
        return JSONResponse(result.to_json())

    async def state(request: Request) -> Response:
        if not _authorized(request.headers.get("authorization"), token):
            return refuse()
        return JSONResponse(scaler.snapshot())

    return [Route(HOOK_PATH, hook, methods=["POST"]), Route(HOOK_PATH, state, methods=["GET"])]


def create_scale_app(
    scaler: Scaler, *, token: str | None, body_limit: int = DEFAULT_BODY_LIMIT
) -> Starlette:
    """The runner's own HTTP face (``reportflow runner --http-port``): the scale
    hook, ``/healthz`` and ``/metrics``."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "stopping": scaler.runner.stopping})

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            *scale_routes(scaler, token=token, body_limit=body_limit),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ]
    )
