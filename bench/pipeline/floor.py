"""The pipeline benchmark's floor: the same server stack and load with no work behind it.

``python -m bench.pipeline --server floor`` runs the pipeline benchmark's load
generator against this ASGI app instead of reportflow, served the same way
(uvicorn on uvloop with httptools, websockets-sansio without deflate, in its
own process): ``POST /api/v1/reports`` reads and parses the JSON body, answers
202 with an id, and the user's websocket gets that report's
``report.succeeded`` at once. No store, queue, runner or webhook: what this
reaches on a machine bounds what the whole pipeline can reach there with this
load generator, and the server CPU it reports is the part of a report's cost
that the HTTP and websocket stack alone takes.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from starlette.types import Receive, Scope, Send

_JSON = [(b"content-type", b"application/json")]


class Floor:
    """The app: one shared sequence of events, every websocket gets all of them."""

    def __init__(self) -> None:
        self.seq = 0
        self.listeners: set[asyncio.Queue[str]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._channel(receive, send)
        elif scope["type"] == "http":
            if scope["method"] == "POST" and scope["path"] == "/api/v1/reports":
                await self._submit(receive, send)
            elif scope["path"] in ("/readyz", "/healthz"):
                await _answer(send, 200, {"status": "ok"})
            else:
                await _answer(send, 404, {"detail": "not found"})

    async def _submit(self, receive: Receive, send: Send) -> None:
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        request = json.loads(body)
        report_id = uuid.uuid4().hex
        await _answer(send, 202, {"id": report_id, "report": request["report"], "status": "queued"})
        self.seq += 1
        event = json.dumps({"type": "report.succeeded", "report_id": report_id, "seq": self.seq})
        for listener in self.listeners:
            listener.put_nowait(event)

    async def _channel(self, receive: Receive, send: Send) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        inbox: asyncio.Queue[str] = asyncio.Queue()
        self.listeners.add(inbox)
        ready = json.dumps({"type": "ready", "seq": self.seq})
        await send({"type": "websocket.send", "text": ready})
        pump = asyncio.create_task(_pump(inbox, send))
        try:
            while (await receive())["type"] != "websocket.disconnect":
                pass
        finally:
            self.listeners.discard(inbox)
            pump.cancel()


async def _pump(inbox: asyncio.Queue[str], send: Send) -> None:
    while True:
        await send({"type": "websocket.send", "text": await inbox.get()})


async def _answer(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    headers = [*_JSON, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def serve(port: int) -> None:
    import uvicorn

    config = uvicorn.Config(
        Floor(),
        host="127.0.0.1",
        port=port,
        log_config=None,
        lifespan="off",
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        proxy_headers=True,
        server_header=False,
    )
    await uvicorn.Server(config).serve()
