"""The spawner's helper process: runs programs for its parent, one task per request.

Started by :class:`~reportflow.spawn.client.Spawner` as ``python -m
reportflow.spawn.helper FD``, where FD is its end of a ``socketpair``. It reads
requests (:mod:`reportflow.spawn.wire`), runs each with
:func:`~reportflow.spawn.local.run_process` and writes back how it ended. A
cancel request kills that program's process group. When the parent goes away
(end of file on the socket) every program still running is killed and the
helper exits. It imports nothing of reportflow beyond this package, so it stays
small, and the ``vfork`` of each program happens here rather than in the
parent's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import signal
import socket
import sys
from pathlib import Path
from typing import Any, cast

from reportflow.spawn import wire
from reportflow.spawn.local import run_process


class _Helper(asyncio.Protocol):
    def __init__(self) -> None:
        self.frames = wire.Frames()
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        for message in self.frames.feed(data):
            if len(message) == 1:  # cancel
                task = self.tasks.get(message[0])
                if task is not None:
                    task.cancel()
                continue
            call_id = message[0]
            task = asyncio.get_running_loop().create_task(self._run(*message))
            self.tasks[call_id] = task
            task.add_done_callback(functools.partial(self._forget, call_id))

    def _forget(self, call_id: int, _: object) -> None:
        self.tasks.pop(call_id, None)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.closed.done():
            self.closed.set_result(None)

    async def _run(
        self,
        call_id: int,
        argv: list[str],
        env: dict[str, str],
        stdin: bytes,
        cwd: str | None,
        timeout: float,
        output_limit: int,
    ) -> None:
        answer: tuple[str, Any]
        try:
            result = await run_process(
                argv,
                env=env,
                stdin=stdin,
                cwd=Path(cwd) if cwd is not None else None,
                timeout=timeout,
                output_limit=output_limit,
            )
        except asyncio.CancelledError:  # the program's group is dead: say so
            self._answer(call_id, wire.CANCELLED, None)
            raise
        except TimeoutError:  # before OSError, of which it is a subclass
            answer = (wire.TIMEOUT, None)
        except OSError as exc:
            answer = (wire.OS_ERROR, (exc.errno, exc.strerror or str(exc), exc.filename))
        else:
            answer = (wire.OK, (result.code, result.stdout, result.stderr))
        self._answer(call_id, *answer)

    def _answer(self, call_id: int, kind: str, value: Any) -> None:
        if self.transport is not None:
            self.transport.write(wire.encode((call_id, kind, value)))


async def serve(fd: int) -> None:
    """Answer requests on the socket ``fd`` until the parent closes it."""
    sock = socket.socket(fileno=fd)
    loop = asyncio.get_running_loop()
    _, helper = await loop.create_unix_connection(_Helper, sock=sock)
    await helper.closed
    tasks = list(helper.tasks.values())
    for task in tasks:
        task.cancel()  # run_process kills each program's group on cancel
    await asyncio.gather(*tasks, return_exceptions=True)


def main() -> None:
    # Ctrl-C in a terminal reaches the whole foreground group: the parent decides
    # what happens to its programs, and closes the socket when it is done.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()
    runner: Any = asyncio.run
    with contextlib.suppress(ImportError):
        import uvloop

        runner = uvloop.run
    runner(serve(int(sys.argv[1])))


if __name__ == "__main__":
    main()
