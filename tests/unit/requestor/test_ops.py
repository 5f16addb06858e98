"""``/readyz``: ready once the dependencies answer and every part of the process has started."""

from __future__ import annotations

from requestor_harness import Harness


async def test_readyz_waits_for_parts_still_starting(rf: Harness) -> None:
    async with rf.client() as c:
        ready = await c.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"ready": True, "checks": {"store": "ok", "queue": "ok"}}
        rf.app.state.starting = {"runner"}
        starting = await c.get("/readyz")
        assert starting.status_code == 503
        assert starting.json()["checks"]["runner"] == "starting"
        rf.app.state.starting.discard("runner")
        assert (await c.get("/readyz")).status_code == 200
