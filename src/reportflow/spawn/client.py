"""Run programs through a helper process, so that starting them costs this event loop little.

Starting a program from a large Python process holds its event loop in
``vfork`` until the child has called ``exec`` — on a busy machine that wait
grows — and its pipes and exit cost a callback each. :class:`Spawner` hands
each run to a small helper process (:mod:`reportflow.spawn.helper`) over a
``socketpair`` and waits for one answer; the helper, on the other core, does
the spawning and the reading. :meth:`Spawner.run` has the signature and the
exceptions of :func:`~reportflow.spawn.local.run_process`.

The helper starts with the first run. If it dies, the runs it had answer
:class:`SpawnerLost` (an :class:`OSError`: whether the program ran is not
known) and the next run starts a new helper. :meth:`aclose` closes the socket;
the helper then kills whatever is still running and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

from reportflow.spawn import wire
from reportflow.spawn.local import ProcessResult

#: How long past a run's own timeout the parent waits for the helper's answer.
ANSWER_GRACE_SECONDS = 5.0
_WATCH_SECONDS = 1.0
_EXIT_WAIT_SECONDS = 5.0


def _helper_env() -> dict[str, str]:
    """This environment, with the directory reportflow was imported from first on
    ``PYTHONPATH``: the helper must import the same code, installed or not."""
    home = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": home + (os.pathsep + path if path else "")}


class SpawnerLost(OSError):
    """The helper process went away before it answered."""


class _Link(asyncio.Protocol):
    """The parent's end of the socket: answers go to the futures waiting for them.

    One timer, armed while anything is pending, fails calls the helper has not
    answered by their deadline (a run's own timeout is the helper's to keep:
    this is for a helper that hangs), instead of a timeout per call.
    """

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.frames = wire.Frames()
        self.pending: dict[int, tuple[asyncio.Future[tuple[str, Any]], float]] = {}
        self.transport: asyncio.Transport | None = None
        self._watch: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        for call_id, kind, value in self.frames.feed(data):
            waiting = self.pending.pop(call_id, None)
            if waiting is not None and not waiting[0].done():
                waiting[0].set_result((kind, value))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        pending, self.pending = self.pending, {}
        for future, _ in pending.values():
            if not future.done():
                future.set_exception(SpawnerLost("the process helper exited before answering"))

    def call(self, message: tuple[Any, ...], within: float) -> asyncio.Future[tuple[str, Any]]:
        """Send ``message`` (its first item is the call id); the future gets the answer."""
        if self.transport is None:
            raise SpawnerLost("the process helper is gone")
        future: asyncio.Future[tuple[str, Any]] = self.loop.create_future()
        self.pending[message[0]] = (future, self.loop.time() + within)
        self.transport.write(wire.encode(message))
        if self._watch is None:
            self._watch = self.loop.call_later(_WATCH_SECONDS, self._overdue)
        return future

    def _overdue(self) -> None:
        self._watch = None
        now = self.loop.time()
        late = [call_id for call_id, (_, deadline) in self.pending.items() if deadline <= now]
        for call_id in late:
            future, _ = self.pending.pop(call_id)
            if not future.done():
                future.set_exception(TimeoutError("the process helper did not answer in time"))
            if self.transport is not None:
                self.transport.write(wire.encode((call_id,)))  # and kill the program
        if self.pending:
            self._watch = self.loop.call_later(_WATCH_SECONDS, self._overdue)


class Spawner:
    """Runs programs in a helper process; one per event loop, shared by its callers."""

    def __init__(self) -> None:
        self._ids = itertools.count()
        self._link: _Link | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._starting = asyncio.Lock()

    @property
    def helper_pid(self) -> int | None:
        """The helper's process id, while one runs."""
        return self._process.pid if self._process is not None else None

    async def _connected(self) -> _Link:
        link = self._link
        if link is not None and link.transport is not None:
            return link
        async with self._starting:
            if self._link is None or self._link.transport is None:
                await self._reap()
                self._link = await self._start()
            return self._link

    async def _start(self) -> _Link:
        ours = self._launch()
        _, link = await asyncio.get_running_loop().create_unix_connection(_Link, sock=ours)
        return link

    def _launch(self) -> socket.socket:
        """Start the helper; return this side's end of its socket."""
        ours, theirs = socket.socketpair()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "reportflow.spawn.helper", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env=_helper_env(),
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return ours

    async def run(
        self,
        argv: list[str],
        *,
        env: dict[str, str],
        stdin: bytes,
        cwd: Path | None,
        timeout: float,
        output_limit: int,
    ) -> ProcessResult:
        """Run ``argv`` in the helper, as :func:`~reportflow.spawn.local.run_process` would.

        Raises:
            OSError: the program could not be started (:class:`SpawnerLost` when
                the helper died first).
            TimeoutError: it ran past ``timeout``; its group was killed.
        """
        link = await self._connected()
        call_id = next(self._ids)
        request = (call_id, argv, env, stdin, str(cwd) if cwd else None, timeout, output_limit)
        answer = link.call(request, timeout + ANSWER_GRACE_SECONDS)
        try:
            kind, value = await answer
        except asyncio.CancelledError:
            await self._cancel(link, call_id)
            raise
        if kind == wire.OK:
            return ProcessResult(*value)
        if kind == wire.TIMEOUT:
            raise TimeoutError(f"killed after {timeout:g}s")
        errno, strerror, filename = value
        raise OSError(errno, strerror, filename) if filename else OSError(errno, strerror)

    @staticmethod
    async def _cancel(link: _Link, call_id: int) -> None:
        """Have the helper kill the program; wait (a bounded time) until it has."""
        if link.transport is None:
            return  # the helper is gone, and its programs with it
        with contextlib.suppress(OSError, TimeoutError):
            await link.call((call_id,), ANSWER_GRACE_SECONDS)

    async def aclose(self) -> None:
        """Stop the helper: it kills whatever still runs, then exits."""
        link, self._link = self._link, None
        if link is not None and link.transport is not None:
            link.transport.close()
        await self._reap()

    async def _reap(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        # The helper exits once it sees the socket closed and has killed its programs.
        try:
            await asyncio.to_thread(process.wait, _EXIT_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await asyncio.to_thread(process.wait)
