"""Run programs without a shell: in this process (:func:`run_process`) or through a small
helper process (:class:`Spawner`), with stdin fed, output capped and a timeout that
kills the program's whole process group."""

from collections.abc import Awaitable
from pathlib import Path
from typing import Protocol

from reportflow.spawn.client import Spawner, SpawnerLost
from reportflow.spawn.local import ProcessResult, run_process


class ProcessRunner(Protocol):
    """:func:`run_process`, or :meth:`Spawner.run`."""

    def __call__(
        self,
        argv: list[str],
        *,
        env: dict[str, str],
        stdin: bytes,
        cwd: Path | None,
        timeout: float,
        output_limit: int,
    ) -> Awaitable[ProcessResult]: ...


__all__ = ["ProcessResult", "ProcessRunner", "Spawner", "SpawnerLost", "run_process"]
