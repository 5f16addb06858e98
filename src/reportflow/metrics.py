"""Every Prometheus metric reportflow exports, in one place.

Names follow Prometheus conventions: the ``reportflow_`` prefix, base units
(seconds, bytes), ``_total`` for counters. Components import the objects from
here and never define their own, so ``/metrics`` is the same shape whichever
services share a process.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response

REGISTRY = CollectorRegistry(auto_describe=True)
"""reportflow's own registry (not the global default), so tests and several
apps in one process never clash on duplicate registration."""

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)

# --- requests and reports ---------------------------------------------------
REPORTS_SUBMITTED = Counter(
    "reportflow_reports_submitted_total", "Report requests accepted.", ["report"], registry=REGISTRY
)
REPORTS_COMPLETED = Counter(
    "reportflow_reports_completed_total",
    "Report attempts finished, by outcome.",
    ["report", "outcome"],
    registry=REGISTRY,
)
REPORT_DURATION = Histogram(
    "reportflow_report_duration_seconds",
    "Time a report attempt ran.",
    ["report"],
    buckets=_DURATION_BUCKETS,
    registry=REGISTRY,
)

# --- queue --------------------------------------------------------------------
QUEUE_DEPTH = Gauge(
    "reportflow_queue_depth", "Jobs per queue and state.", ["queue", "state"], registry=REGISTRY
)
QUEUE_OLDEST_WAIT = Gauge(
    "reportflow_queue_oldest_wait_seconds",
    "Age of the oldest claimable job.",
    ["queue"],
    registry=REGISTRY,
)
QUEUE_STATS_ERRORS = Counter(
    "reportflow_queue_stats_errors_total",
    "Queue stats refreshes that failed (the depth gauges then keep their last values).",
    ["queue"],
    registry=REGISTRY,
)
QUEUE_WAIT = Histogram(
    "reportflow_queue_wait_seconds",
    "Time from enqueue to start.",
    ["report"],
    buckets=_DURATION_BUCKETS,
    registry=REGISTRY,
)

# --- runner -------------------------------------------------------------------
RUNNER_SLOTS_BUSY = Gauge(
    "reportflow_runner_slots_busy", "Slots running a report.", ["worker"], registry=REGISTRY
)
RUNNER_SLOTS_TOTAL = Gauge(
    "reportflow_runner_slots", "Slots the pool has.", ["worker"], registry=REGISTRY
)
RUNNER_CONCURRENCY_TARGET = Gauge(
    "reportflow_runner_concurrency_target",
    "Concurrency the pool is sized to.",
    ["worker"],
    registry=REGISTRY,
)
SCALE_ACTIONS = Counter(
    "reportflow_scale_actions_total",
    "Runner concurrency changes, by reason and direction.",
    ["reason", "direction"],
    registry=REGISTRY,
)

# --- artifacts ------------------------------------------------------------------
ARTIFACT_BYTES = Counter(
    "reportflow_artifact_bytes_total", "Bytes of artifacts written.", ["format"], registry=REGISTRY
)

# --- webhooks -------------------------------------------------------------------
WEBHOOK_DELIVERIES = Counter(
    "reportflow_webhook_deliveries_total",
    "Webhook delivery attempts, by outcome.",
    ["outcome"],
    registry=REGISTRY,
)
WEBHOOK_DELIVERY_LATENCY = Histogram(
    "reportflow_webhook_delivery_seconds",
    "Latency of one webhook delivery attempt.",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
WEBHOOK_MESSAGES_DEAD = Counter(
    "reportflow_webhook_messages_dead_total",
    "Outbox messages given up on: rejected for good, retries exhausted (dead) or 410 (gone).",
    ["state"],
    registry=REGISTRY,
)
OUTBOX_BACKLOG = Gauge(
    "reportflow_webhook_outbox_pending", "Outbox messages not yet delivered.", registry=REGISTRY
)

# --- channels -------------------------------------------------------------------
WEBSOCKET_CONNECTIONS = Gauge(
    "reportflow_websocket_connections", "Open websocket connections.", registry=REGISTRY
)
EVENTS_PUBLISHED = Counter(
    "reportflow_events_published_total",
    "User channel events published, by kind.",
    ["kind"],
    registry=REGISTRY,
)

# --- requestor ------------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "reportflow_http_requests_total",
    "HTTP requests served by the requestor, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "reportflow_http_request_duration_seconds",
    "Time to serve one HTTP request, by route template.",
    ["route"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
WEBHOOKS_RECEIVED = Counter(
    "reportflow_webhooks_received_total",
    "Runner webhooks received, by outcome (applied, stale, duplicate, unknown, rejected).",
    ["outcome"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "reportflow_rate_limited_total",
    "Requests refused with 429, by limit.",
    ["limit"],
    registry=REGISTRY,
)

# --- notifier -------------------------------------------------------------------
NOTIFICATIONS = Counter(
    "reportflow_notifications_total",
    "Notifications sent, by channel type and outcome.",
    ["channel", "outcome"],
    registry=REGISTRY,
)

HOOK_CALLS = Counter(
    "reportflow_hook_calls_total",
    "Generic hook calls (POST /hooks/{id}), by hook and outcome.",
    ["hook", "outcome"],
    registry=REGISTRY,
)
HOOK_DURATION = Histogram(
    "reportflow_hook_duration_seconds",
    "Time to answer one generic hook call (checks and action), by hook.",
    ["hook"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
HOOK_IN_FLIGHT = Gauge(
    "reportflow_hook_in_flight",
    "Generic hook actions running now, by hook.",
    ["hook"],
    registry=REGISTRY,
)

# --- exposition -------------------------------------------------------------------
METRICS_PATH = "/metrics"


def exposition() -> bytes:
    """Every reportflow metric in this process, in the Prometheus text format."""
    return generate_latest(REGISTRY)


async def metrics_endpoint(_request: Request) -> Response:
    """A Starlette/FastAPI endpoint serving :func:`exposition`; mount it at ``/metrics``
    on any reportflow service (``app.add_route(METRICS_PATH, metrics_endpoint)``)."""
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
