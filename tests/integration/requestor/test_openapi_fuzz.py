"""Schemathesis over the OpenAPI document: no input the schema allows (or breaks) gets a 5xx.

The requestor runs on a real uvicorn server in a thread with its own event loop,
so schemathesis' synchronous client can call it. Bounded: a few examples per
operation and mode, well under the per-test timeout.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from requestor_harness import harness, live_server
from schemathesis import GenerationMode

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXAMPLES = 3


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(base URL, ann's token) of a requestor served from another thread."""
    ready: dict[str, str] = {}
    up = threading.Event()
    stop: asyncio.Event | None = None
    loop = asyncio.new_event_loop()

    async def main() -> None:
        nonlocal stop
        stop = asyncio.Event()
        async with harness(tmp_path) as h:
            await h.add_user("ann")
            async with live_server(h.app) as address:
                ready["url"], ready["token"] = f"http://{address}", h.tokens["ann"]
                up.set()
                await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert up.wait(30), "the requestor did not start"
    try:
        yield ready["url"], ready["token"]
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()


def test_no_server_errors(served: tuple[str, str]) -> None:
    base_url, token = served
    schema = schemathesis.openapi.from_dict(httpx.get(f"{base_url}/openapi.json").json())
    auth = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/hooks/"):
            continue  # signed by runners; covered by the webhook tests
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: schemathesis.Case) -> None:
                response = case.call(base_url=base_url, headers=auth, timeout=10)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

            try:
                run()
            except Unsatisfiable:
                continue  # nothing to break in an operation without inputs
            checked += 1
    assert checked >= 10
    assert failures == []
