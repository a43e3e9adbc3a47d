"""The one place that decides numba's options.

Every kernel in bdgen is decorated with :func:`jit` so that caching, the GIL and the
floating-point error model are set consistently.  ``error_model="numpy"`` lets a division
by zero give inf/nan as numpy does instead of raising, which keeps branch-free kernels
fast; kernels guard their own domains explicitly.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

import numba

F = TypeVar("F", bound=Callable[..., Any])

OPTIONS: dict[str, Any] = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": False}


def jit(func: F) -> F:
    """Compile ``func`` with bdgen's numba options (see module docstring)."""
    return numba.njit(**OPTIONS)(func)  # type: ignore[no-any-return]
