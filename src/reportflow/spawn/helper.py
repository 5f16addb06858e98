"""The spawner's helper process: runs programs for its parent and answers how each ended.

Started by :class:`~reportflow.spawn.client.Spawner` as ``python -m
reportflow.spawn.helper FD``, where FD is its end of a ``socketpair``. It reads
requests (:mod:`reportflow.spawn.wire`), starts each program as
:func:`~reportflow.spawn.local.run_process` would (a
:class:`~reportflow.spawn.local.Child`, started by ``posix_spawn``: this
process holds no inheritable descriptor) and writes back how it ended. At a
run's timeout, or on a cancel request, its process group is killed. When the
parent goes away (end of file on the socket) every program still running is
killed and the helper exits. It imports nothing of reportflow beyond this
package and ``reportflow.heap``, so it stays small, and the ``vfork`` of
each program happens here rather than in the parent's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
import socket
import sys
from pathlib import Path
from typing import Any, cast

from reportflow.heap import tune_gc
from reportflow.spawn import wire
from reportflow.spawn.local import Child


class _Helper(asyncio.Protocol):
    """Starts a program per request and answers when it has ended, all by loop callbacks:
    a run costs no task, only its kill (at the timeout, or on a cancel) does."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.frames = wire.Frames()
        self.runs: dict[int, tuple[Child, asyncio.TimerHandle]] = {}
        self.kills: set[asyncio.Task[None]] = set()
        self.transport: asyncio.Transport | None = None
        self.closed = self.loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        for message in self.frames.feed(data):
            if len(message) == 1:
                self._stop(message[0], wire.CANCELLED)
            else:
                self._start(*message)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.closed.done():
            self.closed.set_result(None)

    def _start(
        self,
        call_id: int,
        argv: list[str],
        env: dict[str, str],
        stdin: bytes,
        cwd: str | None,
        timeout: float,
        output_limit: int,
    ) -> None:
        child = Child(self.loop, output_limit, posix_spawn=True)  # nothing here is inheritable
        try:
            child.start(argv, env, stdin, Path(cwd) if cwd is not None else None)
        except OSError as exc:
            error = (exc.errno, exc.strerror or str(exc), exc.filename)
            self._answer(call_id, wire.OS_ERROR, error)
            return
        timer = self.loop.call_later(timeout, self._stop, call_id, wire.TIMEOUT)
        self.runs[call_id] = (child, timer)
        child.done.add_done_callback(functools.partial(self._ended, call_id))

    def _ended(self, call_id: int, _: object) -> None:
        run = self.runs.pop(call_id, None)
        if run is None:
            return  # stopped meanwhile: the kill answers
        child, timer = run
        timer.cancel()
        child.close()
        assert child.code is not None  # ``done`` waits for the exit
        self._answer(call_id, wire.OK, (child.code, child.out.text(), child.err.text()))

    def _stop(self, call_id: int, kind: str) -> None:
        """Kill a run's process group (``kind``: why), then answer ``kind``."""
        run = self.runs.pop(call_id, None)
        if run is None:
            if kind == wire.CANCELLED:
                self._answer(call_id, kind, None)  # it had ended: confirm, so nobody waits
            return
        child, timer = run
        timer.cancel()
        task = self.loop.create_task(self._kill(call_id, child, kind))
        self.kills.add(task)
        task.add_done_callback(self.kills.discard)

    async def _kill(self, call_id: int, child: Child, kind: str) -> None:
        try:
            await child.kill()
        finally:
            child.close()
        self._answer(call_id, kind, None)

    def _answer(self, call_id: int, kind: str, value: Any) -> None:
        if self.transport is not None:
            self.transport.write(wire.encode((call_id, kind, value)))

    async def drain(self) -> None:
        """Kill every program still running (the parent is gone) and wait for the kills."""
        for call_id in list(self.runs):
            self._stop(call_id, wire.CANCELLED)
        await asyncio.gather(*self.kills, return_exceptions=True)


async def serve(fd: int) -> None:
    """Answer requests on the socket ``fd`` until the parent closes it."""
    sock = socket.socket(fileno=fd)
    sock.set_inheritable(False)  # it came inheritable: programs must not get it
    loop = asyncio.get_running_loop()
    _, helper = await loop.create_unix_connection(_Helper, sock=sock)
    await helper.closed
    await helper.drain()


def main() -> None:
    # Ctrl-C in a terminal reaches the whole foreground group: the parent decides
    # what happens to its programs, and closes the socket when it is done.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tune_gc()  # a run allocates a few dozen objects: collect young ones rarely
    runner: Any = asyncio.run
    with contextlib.suppress(ImportError):
        import uvloop

        runner = uvloop.run
    runner(serve(int(sys.argv[1])))


if __name__ == "__main__":
    main()
