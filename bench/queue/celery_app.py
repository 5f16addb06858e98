"""The Celery app the benchmark's worker subprocess loads (broker: a dedicated Redis DB).

Each no-op task records itself in Redis in one pipelined round trip, so the
parent can see when all are done and how long each waited.
"""

from __future__ import annotations

import time

import redis
from bench.queue.common import REDIS_DB, REDIS_HOST, REDIS_PORT, redis_url
from celery import Celery

app = Celery("rf_bench", broker=redis_url("celery"))
app.conf.update(
    task_ignore_result=True,
    worker_prefetch_multiplier=64,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
_redis = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB["celery"])


@app.task(name="noop")
def noop(t0: float | None = None, i: int = 0) -> None:
    now = time.time()
    pipe = _redis.pipeline(transaction=False)
    pipe.set("rf:first", now, nx=True)
    if t0 is not None:
        pipe.rpush("rf:latency", now - t0)
    pipe.incr("rf:done")
    pipe.execute()
