"""Run a program in this process: no shell, own session, stdin fed, output capped, timeout.

:class:`Child` is also what the :class:`~reportflow.spawn.client.Spawner`'s
helper process runs the notifier's commands with. The child is started with
:class:`subprocess.Popen` (vfork and ``close_range`` on Linux, ``close_fds``,
the ``PATH`` of the child's environment) or, in the helper, which holds no
inheritable descriptor, with :func:`os.posix_spawn` (the same, for about two
thirds of the CPU), on plain pipes, and the event loop watches raw file
descriptors instead of asyncio's subprocess transports: a program given no
input reads ``/dev/null``; otherwise stdin is written into its pipe before the
child starts (only what does not fit is written later, when the pipe drains);
stdout and stderr are read by one callback each, and the exit is seen through
a pidfd (Linux 5.3+) rather than asyncio's child watcher, which starts a thread
per child on Python 3.11. Without ``os.pidfd_open`` the exit is polled.
Everything — the run and the reading of its output — happens within the
timeout; at the timeout, or when the caller is cancelled, the whole process
group is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 65536
_DRAIN_AFTER_KILL_SECONDS = 2.0
_POLL_FIRST, _POLL_MAX = 0.001, 0.02  # exit polling where there is no pidfd
_HAS_PIDFD = hasattr(os, "pidfd_open")
#: Signals Python (and the spawner's helper) ignore, which a program would otherwise
#: inherit ignored; ``Popen`` restores the first two itself (``restore_signals``).
_DEFAULT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGPIPE", "SIGXFSZ", "SIGINT") if hasattr(signal, name)
)
#: Standard input of every program given no input, opened once (close-on-exec).
_DEVNULL = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)


def _executable(name: str, env: dict[str, str]) -> str:
    """``name`` found on the ``PATH`` of ``env``, as ``Popen`` finds it."""
    if os.sep in name:
        return name
    found = shutil.which(name, path=os.pathsep.join(os.get_exec_path(env)))
    if found is None:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name)
    return found


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
    child = Child(asyncio.get_running_loop(), output_limit)
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


class Child:
    """One running program: its pipes and its exit, watched by event-loop callbacks.

    ``done`` resolves once it has exited and both of its outputs have ended. With
    ``posix_spawn`` the program starts through :func:`os.posix_spawn` (when there
    is no ``cwd``), about two thirds of ``Popen``'s CPU, but the descriptors this
    process left inheritable are not closed: only for a process that holds none,
    such as the spawner's helper."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, limit: int, *, posix_spawn: bool = False
    ) -> None:
        self.loop = loop
        self.out = _Capture(limit)
        self.err = _Capture(limit)
        self.code: int | None = None
        self.pid = 0
        self.exited: asyncio.Future[None] = loop.create_future()
        self.done: asyncio.Future[None] = loop.create_future()
        self._posix_spawn = posix_spawn
        self._pending = 3  # stdout EOF, stderr EOF, exit
        self._readers: dict[int, _Capture] = {}
        self._stdin: int | None = None
        self._unsent = memoryview(b"")
        self._popen: subprocess.Popen[bytes] | None = None

    def start(self, argv: list[str], env: dict[str, str], stdin: bytes, cwd: Path | None) -> None:
        """Start the program (raises OSError when it cannot start)."""
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        in_r = _DEVNULL  # nothing to feed: end of file at once, and no pipe to make
        if stdin:
            in_r, self._stdin = os.pipe()
        self._readers = {out_r: self.out, err_r: self.err}
        try:
            if self._stdin is not None:
                os.set_blocking(self._stdin, False)
                self._unsent = memoryview(stdin)
                self._write()  # what fits in the pipe goes in before the child runs
            self.pid = self._spawn(argv, env, cwd, (in_r, out_w, err_w))
        except ValueError as exc:  # a NUL in argv or env: it cannot be passed to exec
            self.close()
            raise OSError(errno.EINVAL, str(exc)) from exc
        except BaseException:
            self.close()
            raise
        finally:
            for fd in (in_r, out_w, err_w):
                if fd != _DEVNULL:
                    os.close(fd)
        for fd in self._readers:
            os.set_blocking(fd, False)
            self.loop.add_reader(fd, self._read, fd)
        if self._stdin is not None:
            self.loop.add_writer(self._stdin, self._write)
        self._watch_exit()

    def _spawn(
        self, argv: list[str], env: dict[str, str], cwd: Path | None, fds: tuple[int, int, int]
    ) -> int:
        if self._posix_spawn and cwd is None:
            return os.posix_spawn(
                _executable(argv[0], env),
                argv,
                env,
                file_actions=[(os.POSIX_SPAWN_DUP2, fd, i) for i, fd in enumerate(fds)],
                setsid=True,
                setsigdef=_DEFAULT_SIGNALS,
            )
        self._popen = subprocess.Popen(
            argv,
            stdin=fds[0],
            stdout=fds[1],
            stderr=fds[2],
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        return self._popen.pid

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
        if _HAS_PIDFD:
            try:
                pidfd = os.pidfd_open(self.pid)
            except OSError:  # a kernel without pidfds (before 5.3): poll instead
                pass
            else:
                self.loop.add_reader(pidfd, self._pidfd_ready, pidfd)
                return
        self.loop.call_soon(self._poll, _POLL_FIRST)

    def _pidfd_ready(self, pidfd: int) -> None:
        self.loop.remove_reader(pidfd)
        os.close(pidfd)
        self._reap(os.waitpid(self.pid, 0))  # it has ended: this does not block

    def _poll(self, delay: float) -> None:
        waited = os.waitpid(self.pid, os.WNOHANG)
        if waited[0] == 0:
            self.loop.call_later(delay, self._poll, min(delay * 2, _POLL_MAX))
        else:
            self._reap(waited)

    def _reap(self, waited: tuple[int, int]) -> None:
        self.code = os.waitstatus_to_exitcode(waited[1])
        if self._popen is not None:
            self._popen.returncode = self.code  # reaped here: Popen must not wait again
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
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
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
