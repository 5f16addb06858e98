"""Queue benchmarks: reportflow's queue backends against SAQ, Celery, procrastinate and taskiq.

Run ``python -m bench.queue`` (``--help`` for sizes). Each measurement runs in
its own subprocess (fresh event loop, fresh Redis DB / PostgreSQL database),
and the parent prints one markdown table of medians.
"""
