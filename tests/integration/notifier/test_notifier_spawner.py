"""The Spawner's helper process: programs start there, a dead helper is replaced, and
nothing outlives the helper's parent."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

import pytest
from notifier_helpers import alive

from reportflow.spawn import Spawner, SpawnerLost, client

pytestmark = pytest.mark.integration

ENV = {"PATH": os.defpath}


async def _run(spawner: Spawner, argv: list[str], timeout: float = 10) -> str:
    result = await spawner.run(
        argv, env=ENV, stdin=b"", cwd=None, timeout=timeout, output_limit=1000
    )
    return result.stdout


def _written(path: Path) -> str | None:
    text = path.read_text().strip() if path.exists() else ""
    return text or None


async def _wait_for(path: Path) -> str:
    for _ in range(1000):
        text = _written(path)
        if text is not None:
            return text
        await asyncio.sleep(0.01)
    raise AssertionError(f"{path} never written")


async def _sleeper(spawner: Spawner, tmp_path: Path) -> tuple[asyncio.Task[str], int]:
    """A run of ``sleep 30`` through ``spawner``, once it has started: its task and pid."""
    pid_file = tmp_path / "pid"
    running = asyncio.create_task(
        _run(spawner, ["/bin/sh", "-c", f"echo $$ > {pid_file}; exec sleep 30"])
    )
    return running, int(await _wait_for(pid_file))


async def _gone(pid: int) -> bool:
    for _ in range(300):
        if not alive(pid):
            return True
        await asyncio.sleep(0.01)
    return False


async def test_programs_are_children_of_the_helper_not_of_this_process() -> None:
    spawner = Spawner()
    try:
        parent = await _run(spawner, ["/bin/sh", "-c", "echo $PPID"])
        assert spawner.helper_pid is not None
        assert int(parent) == spawner.helper_pid != os.getpid()
        # One helper serves every run.
        assert int(await _run(spawner, ["/bin/sh", "-c", "echo $PPID"])) == spawner.helper_pid
    finally:
        await spawner.aclose()
    assert spawner.helper_pid is None


async def test_a_killed_helper_fails_its_runs_and_the_next_run_starts_another(
    tmp_path: Path,
) -> None:
    spawner = Spawner()
    try:
        running, program = await _sleeper(spawner, tmp_path)
        first = spawner.helper_pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        with pytest.raises(SpawnerLost, match="exited before answering"):
            await running
        # The program was in its own session: kill it here, as an operator would.
        os.killpg(program, signal.SIGKILL)
        assert await _run(spawner, ["/bin/echo", "again"]) == "again"
        assert spawner.helper_pid not in (None, first)
    finally:
        await spawner.aclose()


async def test_close_kills_what_still_runs(tmp_path: Path) -> None:
    spawner = Spawner()
    running, program = await _sleeper(spawner, tmp_path)
    helper = spawner.helper_pid
    await spawner.aclose()
    with pytest.raises(SpawnerLost):
        await running
    assert await _gone(program)
    assert helper is not None
    assert not alive(helper)


async def test_the_helper_outlives_neither_its_parent_nor_its_programs(tmp_path: Path) -> None:
    # A parent killed outright (no aclose) closes the socket: the helper kills the
    # program it was running and exits.
    pid_file = tmp_path / "pids"
    script = textwrap.dedent(
        f"""
        import asyncio, os, pathlib
        from reportflow.spawn import Spawner

        async def main():
            spawner = Spawner()
            argv = ["/bin/sh", "-c", "echo $$ > {pid_file}.prog; exec sleep 30"]
            task = asyncio.create_task(spawner.run(
                argv, env={{"PATH": os.defpath}}, stdin=b"", cwd=None, timeout=60,
                output_limit=10))
            path = pathlib.Path("{pid_file}.prog")
            while not (path.exists() and path.read_text().strip()):
                await asyncio.sleep(0.01)
            pids = pathlib.Path("{pid_file}.tmp")
            pids.write_text(f"{{spawner.helper_pid}} {{path.read_text()}}")
            pids.replace("{pid_file}")  # whole, for the test to read
            await task

        asyncio.run(main())
        """
    )
    parent = await asyncio.create_subprocess_exec(sys.executable, "-c", script)
    try:
        helper, program = map(int, (await _wait_for(pid_file)).split())
        assert alive(helper)
        assert alive(program)
    finally:
        parent.kill()
        await parent.wait()
    assert await _gone(program), f"program {program} outlived the helper's parent"
    assert await _gone(helper), f"helper {helper} outlived its parent"


async def test_a_cancelled_run_kills_its_program_and_the_helper_stays(tmp_path: Path) -> None:
    spawner = Spawner()
    try:
        running, program = await _sleeper(spawner, tmp_path)
        helper = spawner.helper_pid
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        assert await _gone(program)
        assert await _run(spawner, ["/bin/echo", "still here"]) == "still here"
        assert spawner.helper_pid == helper
    finally:
        await spawner.aclose()


async def test_a_helper_that_stops_answering_fails_the_call_after_its_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(client, "ANSWER_GRACE_SECONDS", 0.3)
    monkeypatch.setattr(client, "_WATCH_SECONDS", 0.05)
    spawner = Spawner()
    try:
        assert await _run(spawner, ["/bin/echo", "up"]) == "up"
        helper = spawner.helper_pid
        assert helper is not None
        os.kill(helper, signal.SIGSTOP)
        try:
            started = asyncio.get_running_loop().time()
            with pytest.raises(TimeoutError, match="did not answer"):
                await _run(spawner, ["/bin/echo", "never"], timeout=0.2)
            assert 0.5 <= asyncio.get_running_loop().time() - started < 3
        finally:
            os.kill(helper, signal.SIGCONT)
        assert await _run(spawner, ["/bin/echo", "back"]) == "back"
    finally:
        await spawner.aclose()


SOURCE = str(Path(client.__file__).resolve().parents[2])
BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)


@pytest.mark.skipif(sys.executable == BASE_PYTHON, reason="needs a Python without reportflow")
async def test_the_helper_imports_the_parents_reportflow_installed_or_not(tmp_path: Path) -> None:
    # The base interpreter of this virtualenv has no reportflow installed: a parent
    # that finds it through its own sys.path tells its helper where, so the helper
    # starts the same code.
    script = textwrap.dedent(
        f"""
        import asyncio, os, sys
        sys.path.insert(0, {SOURCE!r})
        from reportflow.spawn import Spawner

        async def main():
            spawner = Spawner()
            result = await spawner.run(["/bin/echo", "ok"], env={{"PATH": os.defpath}},
                stdin=b"", cwd=None, timeout=10, output_limit=10)
            await spawner.aclose()
            print(result.stdout)

        asyncio.run(main())
        """
    )
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = await asyncio.create_subprocess_exec(
        BASE_PYTHON, "-c", script, stdout=asyncio.subprocess.PIPE, cwd=tmp_path, env=clean
    )
    out, _ = await proc.communicate()
    assert (proc.returncode, out.decode().strip()) == (0, "ok")
