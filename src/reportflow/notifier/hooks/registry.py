"""The live hooks: loaded from ``hooks.yaml``, reloaded on SIGHUP or when the file changes.

A reload that fails (bad YAML, an unknown field, a receiver the notifier does
not have) is logged and changes nothing: the previous hooks keep serving. A
hook's concurrency limiter survives reloads (it is resized, not replaced), so
actions already running still count against the new limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reportflow.notifier.errors import NotifierConfigError
from reportflow.notifier.hooks.config import HookConfig, HooksFile, load_hooks
from reportflow.notifier.hooks.errors import HooksConfigError
from reportflow.notifier.hooks.limiter import Limiter

log = logging.getLogger(__name__)
_Stamp = tuple[int, int, int]


@dataclass(slots=True)
class LiveHook:
    """One hook's configuration and its limiter."""

    config: HookConfig
    limiter: Limiter


def _stamp(path: Path) -> _Stamp | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    # Inode too: editors that save by renaming a new file over the old one.
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class HookRegistry:
    """Holds the current hooks; :meth:`reload` swaps them in only when the file is valid."""

    def __init__(
        self,
        path: Path | None,
        *,
        check: Callable[[HooksFile], None] | None = None,
        config: HooksFile | None = None,
    ) -> None:
        self.path = path
        self._check = check or (lambda _: None)
        self.generation = 0
        self.last_error: str | None = None
        self.file = HooksFile()
        self.hooks: dict[str, LiveHook] = {}
        self._stamp: _Stamp | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._sighup = False
        if config is not None:
            self._install(config)
        elif path is not None:
            self._stamp = _stamp(path)
            self._install(self._load(path))  # at start-up a bad file is fatal

    def _load(self, path: Path) -> HooksFile:
        config = load_hooks(path)
        try:
            self._check(config)
        except NotifierConfigError as exc:
            raise HooksConfigError(f"{path}: {exc}") from exc
        return config

    def _install(self, config: HooksFile) -> None:
        live: dict[str, LiveHook] = {}
        for hook in config.hooks:
            old = self.hooks.get(hook.id)
            limiter = old.limiter if old else Limiter(hook.max_concurrent, hook.max_queued)
            limiter.resize(hook.max_concurrent, hook.max_queued)
            live[hook.id] = LiveHook(hook, limiter)
        self.file, self.hooks = config, live
        self.generation += 1

    def reload(self) -> bool:
        """Read the file again; on any error keep the current hooks. True when swapped."""
        if self.path is None:
            return False
        self._stamp = _stamp(self.path)
        try:
            config = self._load(self.path)
        except HooksConfigError as exc:
            self.last_error = str(exc)
            log.error(
                "hooks: reload failed, keeping the previous %d hook(s): %s", len(self.hooks), exc
            )
            return False
        self.last_error = None
        self._install(config)
        log.info("hooks: reloaded %s (%d hook(s))", self.path, len(self.hooks))
        return True

    def changed(self) -> bool:
        return self.path is not None and _stamp(self.path) != self._stamp

    async def start(self) -> None:
        """Watch the file and listen for SIGHUP (when the loop runs in the main thread)."""
        if self.path is None or self._watcher is not None:
            return
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGHUP, self._on_sighup)
            self._sighup = True
        except (NotImplementedError, RuntimeError, ValueError):
            log.info("hooks: SIGHUP reload unavailable here; watching %s", self.path)
        self._watcher = loop.create_task(self._watch())

    def _on_sighup(self) -> None:
        log.info("hooks: SIGHUP, reloading %s", self.path)
        self.reload()

    async def _watch(self) -> None:
        while True:
            interval = self.file.reload_interval_seconds
            await asyncio.sleep(interval or 1.0)
            if interval and self.changed():
                self.reload()

    async def aclose(self) -> None:
        if self._sighup:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            self._sighup = False
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
