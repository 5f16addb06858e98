"""A real HTTP endpoint on loopback whose answers a test scripts.

``answer`` gets each request (method, path, headers, body) and returns a
status, or a status and headers; every request is kept in ``requests``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict


@dataclass(frozen=True, slots=True)
class Seen:
    method: str
    path: str
    headers: Mapping[str, str]  # case-insensitive
    body: bytes


Answer = int | tuple[int, dict[str, str]]


@dataclass(slots=True)
class Endpoint:
    url: str
    requests: list[Seen]


@asynccontextmanager
async def scripted_endpoint(
    answer: Callable[[Seen], Answer], path: str = "/hooks"
) -> AsyncIterator[Endpoint]:
    seen: list[Seen] = []

    async def handle(request: web.Request) -> web.Response:
        request_seen = Seen(
            request.method, request.path, CIMultiDict(request.headers), await request.read()
        )
        seen.append(request_seen)
        result = answer(request_seen)
        status, headers = result if isinstance(result, tuple) else (result, {})
        return web.Response(status=status, headers=headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield Endpoint(str(server.make_url(path)), seen)
    finally:
        await server.close()
