"""Choose a queue backend by URL scheme.

Backends are imported lazily so their drivers stay optional; a missing driver
raises a ConfigError that names the package (or extra) to install. A new
backend (e.g. ``redis://`` on Redis Streams) only needs a row in
``_BACKENDS`` and a module with a ``from_url(url, **options)`` function.
"""

from __future__ import annotations

import importlib
from typing import Any

from reportflow.errors import ConfigError
from reportflow.queue.base import Queue

# scheme -> (module, driver packages that module needs, what to install)
_BACKENDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "memory": ("reportflow.queue.memory", (), ""),
    "sqlite": ("reportflow.queue.sqlite", (), ""),
    "sqlite+aiosqlite": ("reportflow.queue.sqlite", (), ""),
    "postgresql": ("reportflow.queue.postgres", ("asyncpg",), "asyncpg"),
    "postgres": ("reportflow.queue.postgres", ("asyncpg",), "asyncpg"),
    "postgresql+asyncpg": ("reportflow.queue.postgres", ("asyncpg",), "asyncpg"),
}


def connect(url: str, **options: Any) -> Queue:
    """The queue for ``url``, not yet connected: use ``async with connect(url) as q``
    or ``await q.connect()``.

    URLs: ``memory://`` (private) or ``memory://name`` (shared in-process),
    ``sqlite:///relative/path.db`` / ``sqlite:////absolute/path.db``
    (also ``sqlite+aiosqlite://``), ``postgresql://user@host/db`` (also
    ``postgres://``, ``postgresql+asyncpg://``). ``options`` go to the backend
    (see its ``from_url``).

    Raises ConfigError for an unknown scheme or a missing driver.
    """
    if not isinstance(url, str) or "://" not in url:
        raise ConfigError(f"queue URL {url!r} has no scheme (expected e.g. sqlite:///queue.db)")
    scheme = url.split("://", 1)[0].lower()
    try:
        module_name, drivers, package = _BACKENDS[scheme]
    except KeyError:
        known = ", ".join(f"{s}://" for s in sorted(_BACKENDS))
        raise ConfigError(
            f"unknown queue URL scheme {scheme!r} in {url!r} (known: {known})"
        ) from None
    for driver in drivers:
        try:
            importlib.import_module(driver)
        except ImportError as exc:
            raise ConfigError(
                f"queue URL {scheme}:// needs the {driver!r} driver: pip install {package}"
            ) from exc
    module = importlib.import_module(module_name)
    queue: Queue = module.from_url(url, **options)
    return queue
