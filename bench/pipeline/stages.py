"""Where each report's time goes inside the server: ``python -m bench.pipeline --stages``.

With ``--stages FILE`` the server (``bench.pipeline.server``) wraps eight of
its own coroutine functions before it starts, and records for every report
the wall-clock start and end of each: the submit endpoint's work, the
attempt (from the claim on), the executor, the final event into the outbox,
the signed POST, the requestor's apply, and the publish of
``report.succeeded`` to the websocket. It writes them to FILE as JSON when
it stops; :func:`table` turns them into percentiles of the spans between
stages, and of the slowest 2 % of reports, so the tail can be taken apart.

The probes name functions of reportflow by attribute: one that was renamed
fails at start (``AttributeError``) instead of measuring nothing. Each costs
a few microseconds per call.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

Record = tuple[str, str, float, float]
"""(stage, report id, start, end), wall clock."""

Times = dict[str, tuple[float, float]]
"""One report's (start, end) by stage."""

_RECORDS: list[Record] = []

#: (label, from (stage, "start" | "end"), to (stage, "start" | "end")).
SPANS: list[tuple[str, tuple[str, str], tuple[str, str]]] = [
    ("submit (the endpoint's work)", ("submit", "start"), ("submit", "end")),
    ("submitted → the attempt starts (claim)", ("submit", "end"), ("attempt", "start")),
    ("the executor (the run on its thread)", ("execute", "start"), ("execute", "end")),
    ("executor done → final event stored", ("execute", "end"), ("outbox", "end")),
    ("final event stored → its POST starts", ("outbox", "end"), ("post", "start")),
    ("POST sent → the requestor's apply starts", ("post", "start"), ("apply", "start")),
    ("apply: the transaction", ("apply", "start"), ("publish", "start")),
    ("the publish to the websocket", ("publish", "start"), ("publish", "end")),
    ("submit done → published", ("submit", "end"), ("publish", "end")),
]


def _probe(owner: Any, name: str, stage: str, keys: Callable[[Any, Any], Iterable[str]]) -> None:
    original = getattr(owner, name)

    async def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.time()
        result = await original(*args, **kwargs)
        end = time.time()
        _RECORDS.extend((stage, key, start, end) for key in keys(args, result))
        return result

    setattr(owner, name, timed)


def _posted(args: Any, _: Any) -> list[str]:
    return [json.loads(message.body)["data"]["job_id"] for message in args[1]]


def _succeeded(args: Any, _: Any) -> list[str]:
    entry = args[1]
    return [entry.report_id] if entry.type == "report.succeeded" else []


def install() -> None:
    """Wrap the server's functions; call before the server is built."""
    from reportflow.requestor import channels, receiver, submissions
    from reportflow.runner.attempt import Attempt
    from reportflow.runner.executors import ReportExecutor
    from reportflow.webhooks.delivery import WebhookClient
    from reportflow.webhooks.sink import WebhookSink

    _probe(submissions, "submit", "submit", lambda a, r: [r[0].id])
    _probe(Attempt, "run", "attempt", lambda a, r: [a[0].job.id])
    _probe(ReportExecutor, "__call__", "execute", lambda a, r: [a[1].id])
    _probe(WebhookSink, "emit", "outbox", lambda a, r: [a[1].job_id] if a[1].final else [])
    _probe(WebhookClient, "_send_batch", "post", _posted)
    _probe(receiver, "apply", "apply", lambda a, r: [a[2].job_id])
    _probe(receiver, "apply_many", "apply", lambda a, r: [e.job_id for _, e in a[1]])
    _probe(channels, "publish_entry", "publish", _succeeded)
    receiver.publish_entry = channels.publish_entry  # type: ignore[attr-defined]  # imported by name


def dump(path: Path) -> None:
    path.write_text(json.dumps(_RECORDS))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000.0


def table(path: Path) -> str:
    """Percentiles of each span over the reports that passed every stage, in ms."""
    reports: dict[str, Times] = {}
    for stage, key, start, end in json.loads(path.read_text()):
        reports.setdefault(key, {}).setdefault(stage, (start, end))
    stages = {s for _, (a, _x), (b, _y) in SPANS for s in (a, b)}
    whole = [r for r in reports.values() if stages <= r.keys()]
    if not whole:
        return "no report passed every stage"

    def span(
        report: dict[str, tuple[float, float]], a: tuple[str, str], b: tuple[str, str]
    ) -> float:
        at = report[a[0]][0 if a[1] == "start" else 1]
        to = report[b[0]][0 if b[1] == "start" else 1]
        return to - at

    total = SPANS[-1]
    slowest = sorted(whole, key=lambda r: span(r, total[1], total[2]))[-max(1, len(whole) // 50) :]
    lines = [
        f"{len(whole)} of {len(reports)} reports passed every stage; ms",
        "",
        "| stage | p50 | p90 | p99 | mean of the slowest 2 % |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, a, b in SPANS:
        values = [span(r, a, b) for r in whole]
        tail = sum(span(r, a, b) for r in slowest) / len(slowest) * 1000.0
        lines.append(
            f"| {label} | {_pct(values, 0.5):.2f} | {_pct(values, 0.9):.2f} "
            f"| {_pct(values, 0.99):.2f} | {tail:.2f} |"
        )
    return "\n".join(lines)
