"""Running programs, in this process (run_process, seeing the exit through a pidfd or by
polling) and through the Spawner's helper process: stdin of any size, output caps, exit
codes, the timeout, and nothing left behind (no file descriptor, no zombie) whether the
program succeeds, fails, hangs or cannot start."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from notifier_helpers import alive

from reportflow.spawn import ProcessResult, ProcessRunner, Spawner, local, run_process

pytestmark = pytest.mark.integration

PY = sys.executable
ENV = {"PATH": os.defpath}


_runner: ProcessRunner = run_process


async def run(argv: list[str], stdin: bytes = b"", **kw: float) -> ProcessResult:
    opts: dict[str, float] = {"timeout": 10.0, "output_limit": 65536, **kw}
    return await _runner(
        argv,
        env=ENV,
        stdin=stdin,
        cwd=None,
        timeout=opts["timeout"],
        output_limit=int(opts["output_limit"]),
    )


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.fixture
def no_leaks() -> Iterator[None]:
    """The test leaves no file descriptor open and no child unreaped."""
    before = _open_fds()
    yield
    assert _open_fds() == before
    with pytest.raises(ChildProcessError):  # every child was reaped: none left to wait for
        os.waitpid(-1, os.WNOHANG)


@pytest.fixture(params=["pidfd", "polling", "spawner"], autouse=True)
async def runner(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, no_leaks: None
) -> AsyncIterator[str]:
    """Every test runs three ways: in this process, seeing the exit through a pidfd
    (Linux) or by polling (elsewhere), and through a Spawner's helper process (closed,
    and so reaped, before ``no_leaks`` looks)."""
    if request.param == "spawner":
        spawner = Spawner()
        monkeypatch.setattr(sys.modules[__name__], "_runner", spawner.run)
        yield "spawner"
        await spawner.aclose()
        return
    if request.param == "polling":
        monkeypatch.setattr(local, "_HAS_PIDFD", False)
    yield str(request.param)


async def test_stdin_larger_than_a_pipe_is_fed_whole() -> None:
    data = bytes(range(256)) * 8192  # 2 MiB: far more than a pipe holds
    script = (
        "import hashlib, sys; d = sys.stdin.buffer.read(); "
        "print(len(d), hashlib.sha256(d).hexdigest())"
    )
    result = await run([PY, "-c", script], data)
    assert result == ProcessResult(0, f"{len(data)} {hashlib.sha256(data).hexdigest()}", "")


async def test_program_that_ignores_a_large_stdin_still_succeeds() -> None:
    result = await run(["/bin/echo", "ignored"], b"x" * (4 << 20))
    assert result == ProcessResult(0, "ignored", "")


async def test_exit_code_stdout_and_stderr_apart() -> None:
    script = "import sys; print('out'); print('err', file=sys.stderr); sys.exit(7)"
    assert await run([PY, "-c", script]) == ProcessResult(7, "out", "err")


async def test_a_signal_is_a_negative_code() -> None:
    result = await run([PY, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"])
    assert result.code == -15


async def test_output_over_the_limit_is_cut_and_counted() -> None:
    result = await run([PY, "-c", "print('a' * 300000, end='')"], output_limit=1000)
    assert result.stdout == "a" * 1000 + " …[299000 bytes cut]"


async def test_empty_stdin_is_end_of_file_at_once() -> None:
    assert await run(["/bin/cat"]) == ProcessResult(0, "", "")


async def test_cannot_start_raises_and_leaves_nothing_open(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        await run(["/nonexistent/program"], b"data")
    with pytest.raises(FileNotFoundError):
        await _runner(
            ["/bin/true"],
            env=ENV,
            stdin=b"",
            cwd=tmp_path / "missing",
            timeout=5,
            output_limit=10,
        )


async def test_program_found_on_the_childs_path(tmp_path: Path) -> None:
    tool = tmp_path / "only-here"
    tool.write_text("#!/bin/sh\necho found\n")
    tool.chmod(0o755)
    result = await _runner(
        ["only-here"],
        env={"PATH": str(tmp_path)},
        stdin=b"",
        cwd=None,
        timeout=5,
        output_limit=100,
    )
    assert result.stdout == "found"


async def test_output_held_open_by_a_grandchild_ends_at_the_timeout(tmp_path: Path) -> None:
    # The program exits at once, but a grandchild in its group keeps stdout open:
    # the wait for the output is bounded by the timeout and the group is killed.
    pid_file = tmp_path / "grandchild"
    script = f"sleep 30 & echo $! > {pid_file}; echo started"
    started = asyncio.get_running_loop().time()
    with pytest.raises(TimeoutError):
        await run(["/bin/sh", "-c", script], timeout=0.5)
    assert asyncio.get_running_loop().time() - started < 5
    grandchild = int(pid_file.read_text())
    for _ in range(100):  # the kill is immediate; reaping by init may take a moment
        if not alive(grandchild):
            break
        await asyncio.sleep(0.02)
    assert not alive(grandchild)


async def test_cancelled_caller_kills_the_program(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    task = asyncio.create_task(
        run(["/bin/sh", "-c", f"echo $$ > {pid_file}; exec sleep 30"], timeout=60)
    )
    for _ in range(200):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not alive(int(pid_file.read_text()))  # killed (and reaped: see no_leaks)


async def test_many_overlapping_runs_keep_their_own_output() -> None:
    results = await asyncio.gather(
        *(
            run([PY, "-c", f"import sys; sys.stdout.write(sys.stdin.read() * {i})"], b"ab")
            for i in range(12)
        )
    )
    assert [r.stdout for r in results] == ["ab" * i for i in range(12)]


async def test_the_program_gets_only_its_three_standard_descriptors(tmp_path: Path) -> None:
    leaked = os.open(tmp_path, os.O_RDONLY)  # inheritable here: still not the program's
    os.set_inheritable(leaked, True)
    try:
        result = await run([PY, "-c", "import os; print(sorted(os.listdir('/proc/self/fd')))"])
    finally:
        os.close(leaked)
    # 3 is the descriptor listdir itself opens to read /proc/self/fd.
    assert result.stdout == "['0', '1', '2', '3']"


async def test_a_program_given_no_input_reads_end_of_file_and_one_given_input_reads_it() -> None:
    script = "import sys; print(repr(sys.stdin.buffer.read()))"
    assert (await run([PY, "-c", script])).stdout == "b''"
    assert (await run([PY, "-c", script], b"in\x00put")).stdout == "b'in\\x00put'"


async def test_a_nul_in_argv_cannot_start() -> None:
    with pytest.raises(OSError, match="null"):
        await run(["/bin/echo", "a\x00b"])
    assert (await run(["/bin/echo", "after"])).stdout == "after"


async def test_the_program_starts_with_pipe_interrupt_and_file_size_signals_at_default() -> None:
    # Python ignores SIGPIPE and SIGXFSZ, the spawner's helper SIGINT; a program that
    # inherited them ignored would, say, print "Broken pipe" errors instead of ending.
    result = await run(["/bin/grep", "^SigIgn:", "/proc/self/status"])
    ignored = int(result.stdout.split()[1], 16)
    for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
        assert not ignored & (1 << (sig - 1)), f"{sig.name} ignored: {result.stdout}"
