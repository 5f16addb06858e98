"""The compiled kernels and their pure-Python fallback compute the same thing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from reportflow.timeseries import KERNELS_COMPILED
from reportflow.timeseries import _kernels as k


def python_version(kernel: Any) -> Any:
    # numba keeps the original function on the dispatcher; without numba the
    # kernel already is that function.
    return getattr(kernel, "py_func", kernel)


def outputs(n: int, count: int) -> list[np.ndarray]:
    return [np.empty(n) for _ in range(count)]


def test_kernels_are_compiled_when_numba_is_installed() -> None:
    numba = pytest.importorskip("numba")
    if numba.config.DISABLE_JIT:
        pytest.skip("NUMBA_DISABLE_JIT is set")
    assert KERNELS_COMPILED
    assert hasattr(k.ses_kernel, "py_func")


def test_fallback_kernels_equal_compiled(wavy: np.ndarray) -> None:
    n = len(wavy)
    s0 = np.linspace(0.9, 1.1, 12)
    cases: list[tuple[Any, tuple[Any, ...], int]] = [
        (k.ses_kernel, (wavy, 0.3, 200.0), 2),
        (k.holt_kernel, (wavy, 0.3, 0.1, 0.95, 200.0, 1.0), 3),
        (k.hw_add_kernel, (wavy, 0.3, 0.1, 0.2, 1.0, 200.0, 1.0, s0 - 1.0), 4),
        (k.hw_mul_kernel, (wavy, 0.3, 0.1, 0.2, 0.9, 200.0, 1.0, s0), 4),
    ]
    for kernel, args, count in cases:
        fast, slow = outputs(n, count), outputs(n, count)
        kernel(*args, *fast)
        python_version(kernel)(*args, *slow)
        for a, b in zip(fast, slow, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12)
