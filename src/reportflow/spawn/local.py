"""Run a program in this process: no shell, own session, stdin fed, output capped, timeout.

The notifier's command channel and command hooks run here, in the
:class:`~reportflow.spawn.client.Spawner`'s helper process. The child is
started with :class:`subprocess.Popen` (vfork and ``close_range`` on Linux,
``close_fds``, the ``PATH`` of the child's environment) on plain pipes, and the
event loop watches raw file descriptors instead of asyncio's subprocess
transports: stdin is written into its pipe before the child starts (only what
does not fit is written later, when the pipe drains), stdout and stderr are
read by one callback each, and the exit is seen through a pidfd (Linux 5.3+)
rather than asyncio's child watcher, which starts a thread per child on
Python 3.11. Without ``os.pidfd_open`` the exit is polled. Everything — the
run and the reading of its output — happens within the timeout; at the
timeout, or when the caller is cancelled, the whole process group is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 65536
_DRAIN_AFTER_KILL_SECONDS = 2.0
_POLL_FIRST, _POLL_MAX = 0.001, 0.02  # exit polling where there is no pidfd
_HAS_PIDFD = hasattr(os, "pidfd_open")


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """How a program run by :func:`run_process` ended."""

    code: int
    """Exit status; minus the signal number when a signal ended it."""
    stdout: str
    """Captured standard output (up to the limit, with a note of what was cut)."""
    stderr: str


async def run_process(
    argv: list[str],
    *,
    env: dict[str, str],
    stdin: bytes,
    cwd: Path | None,
    timeout: float,
    output_limit: int,
) -> ProcessResult:
    """Run ``argv`` without a shell in its own session; kill its process group at ``timeout``.

    Raises:
        OSError: the program could not be started.
        TimeoutError: it (or its output) ran past ``timeout``; its group was killed.
    """
    child = _Child(asyncio.get_running_loop(), output_limit)
    child.start(argv, env, stdin, cwd)
    try:
        async with asyncio.timeout(timeout):
            await asyncio.shield(child.done)  # a timeout must not cancel ``done``
    except (TimeoutError, asyncio.CancelledError):
        await child.kill()
        raise
    finally:
        child.close()
    assert child.code is not None  # ``done`` waits for the exit
    return ProcessResult(child.code, child.out.text(), child.err.text())


class _Capture:
    """The first ``limit`` bytes of a stream, and how many bytes there were in all."""

    __slots__ = ("kept", "limit", "total")

    def __init__(self, limit: int) -> None:
        self.kept = bytearray()
        self.limit = limit
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.limit - len(self.kept)
        if room > 0:
            self.kept += chunk[:room]

    def text(self) -> str:
        text = self.kept.decode("utf-8", "replace").strip()
        cut = self.total - len(self.kept)
        return text + (f" …[{cut} bytes cut]" if cut else "")


class _Child:
    """One running program: its pipes and its exit, watched by event-loop callbacks."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self.loop = loop
        self.out = _Capture(limit)
        self.err = _Capture(limit)
        self.code: int | None = None
        self.exited: asyncio.Future[None] = loop.create_future()
        self.done: asyncio.Future[None] = loop.create_future()
        self._pending = 3  # stdout EOF, stderr EOF, exit
        self._readers: dict[int, _Capture] = {}
        self._stdin: int | None = None
        self._unsent = memoryview(b"")
        self._popen: subprocess.Popen[bytes] | None = None

    def start(self, argv: list[str], env: dict[str, str], stdin: bytes, cwd: Path | None) -> None:
        """Start the program (raises OSError when it cannot start)."""
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        self._stdin = in_w
        self._readers = {out_r: self.out, err_r: self.err}
        try:
            os.set_blocking(in_w, False)
            self._unsent = memoryview(stdin)
            self._write()  # what fits in the pipe goes in before the child runs
            self._popen = subprocess.Popen(
                argv,
                stdin=in_r,
                stdout=out_w,
                stderr=err_w,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
        except BaseException:
            self.close()
            raise
        finally:
            for fd in (in_r, out_w, err_w):
                os.close(fd)
        for fd in self._readers:
            os.set_blocking(fd, False)
            self.loop.add_reader(fd, self._read, fd)
        if self._stdin is not None:
            self.loop.add_writer(self._stdin, self._write)
        self._watch_exit()

    # -- stdin -------------------------------------------------------------------

    def _write(self) -> None:
        fd = self._stdin
        assert fd is not None
        try:
            while self._unsent:
                self._unsent = self._unsent[os.write(fd, self._unsent) :]
        except BlockingIOError:
            return  # the pipe is full: the loop calls again when it drains
        except (BrokenPipeError, ConnectionResetError):
            pass  # the program closed stdin (or ended): that is its right
        self._close_stdin()

    def _close_stdin(self) -> None:
        fd, self._stdin = self._stdin, None
        if fd is not None:
            self.loop.remove_writer(fd)
            os.close(fd)

    # -- stdout and stderr --------------------------------------------------------

    def _read(self, fd: int) -> None:
        try:
            chunk = os.read(fd, _CHUNK)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if chunk:
            self._readers[fd].add(chunk)
            return
        self._close_reader(fd)
        self._one_less()

    def _close_reader(self, fd: int) -> None:
        del self._readers[fd]
        self.loop.remove_reader(fd)
        os.close(fd)

    # -- the exit ----------------------------------------------------------------

    def _watch_exit(self) -> None:
        assert self._popen is not None
        if _HAS_PIDFD:
            try:
                pidfd = os.pidfd_open(self._popen.pid)
            except OSError:  # a kernel without pidfds (before 5.3): poll instead
                pass
            else:
                self.loop.add_reader(pidfd, self._pidfd_ready, pidfd)
                return
        self.loop.call_soon(self._poll, _POLL_FIRST)

    def _pidfd_ready(self, pidfd: int) -> None:
        self.loop.remove_reader(pidfd)
        os.close(pidfd)
        self._reap()

    def _poll(self, delay: float) -> None:
        assert self._popen is not None
        if self._popen.poll() is None:
            self.loop.call_later(delay, self._poll, min(delay * 2, _POLL_MAX))
        else:
            self._reap()

    def _reap(self) -> None:
        assert self._popen is not None
        self.code = self._popen.wait()  # it has ended: this does not block
        if not self.exited.done():
            self.exited.set_result(None)
        self._one_less()

    def _one_less(self) -> None:
        self._pending -= 1
        if self._pending == 0 and not self.done.done():
            self.done.set_result(None)

    # -- the end -----------------------------------------------------------------

    async def kill(self) -> None:
        """Kill the process group, reap the program, read what is left for a moment."""
        assert self._popen is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._popen.pid, signal.SIGKILL)
        await asyncio.shield(self.exited)
        # A grandchild that left the group may hold the pipes open: stop reading then.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_DRAIN_AFTER_KILL_SECONDS):
                await asyncio.shield(self.done)

    def close(self) -> None:
        """Close the pipes still open; the exit watcher closes itself once it reaps."""
        self._close_stdin()
        for fd in list(self._readers):
            self._close_reader(fd)
