"""Compile the recursion kernels with numba when it is installed.

The recursions are sequential (each state depends on the previous one), so
numpy cannot vectorise them; numba turns the plain loops in ``_kernels`` into
machine code. Without numba the very same functions run as Python loops:
correct, about 50 times slower. ``KERNELS_COMPILED`` says which path
is live.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])


def _load_numba() -> ModuleType | None:
    try:
        return importlib.import_module("numba")
    except ImportError:  # pragma: no cover - exercised only where numba is absent
        return None


_numba = _load_numba()
# NUMBA_DISABLE_JIT=1 (numba's own switch) makes njit return the Python function.
KERNELS_COMPILED: bool = _numba is not None and not _numba.config.DISABLE_JIT


def jit(fn: F) -> F:
    """``numba.njit`` with an on-disk cache, or ``fn`` unchanged without numba."""
    if _numba is None:  # pragma: no cover
        return fn
    return cast(F, _numba.njit(cache=True, nogil=True)(fn))
