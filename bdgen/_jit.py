"""The one place that decides numba's options, and how bdgen's compiled kernels are cached.

Every kernel in bdgen is decorated with :func:`jit` so that caching, the GIL and the
floating-point error model are set consistently.  ``error_model="numpy"`` lets a division
by zero give inf/nan as numpy does instead of raising, which keeps branch-free kernels
fast; kernels guard their own domains explicitly.

Cache invalidation
------------------
numba's on-disk cache (``cache=True``) checks only the source file that defines a kernel.
A kernel that calls a kernel from *another* module (``spectra.density`` calls
``brem.brem_density``, for instance) compiles the callee into itself, so after an edit to
the callee's file, a ``git pull`` or an upgrade that leaves the caller's file unchanged,
numba would load the caller's stale machine code and silently compute the old physics
(numba documents this limitation; bdgen's CI hit it).  bdgen therefore registers
:class:`PackageStampLocator` ahead of numba's own locators: it keeps numba's choice of
cache directory (``NUMBA_CACHE_DIR``, the ``__pycache__`` beside the module, or the
user-wide cache) but stamps every kernel of the package with a hash of *all* the
package's source files, so any change anywhere in ``bdgen/`` recompiles every kernel once.
A user who sets ``NUMBA_CACHE_LOCATOR_CLASSES`` replaces numba's list, and this one with it.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any, Callable, TypeVar

import numba
from numba.core import caching

F = TypeVar("F", bound=Callable[..., Any])

# Newer numba names the class CacheImpl, older releases _CacheImpl; the locator list is a
# class attribute of it.
_CACHE_IMPL: Any = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl")

OPTIONS: dict[str, Any] = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": False}

#: Directories whose kernels are stamped with the hash of the whole directory tree.
#: bdgen's own package directory; tests may append another (see tests/test_jit_cache.py).
PACKAGE_ROOTS: list[Path] = [Path(__file__).resolve().parent]

_HASHED_SUFFIXES = (".py", ".toml", ".txt")


@functools.lru_cache(maxsize=None)
def package_hash(root: Path) -> str:
    """SHA-256 (hex string) of the relative paths and contents of every ``.py``, ``.toml`` and
    ``.txt`` file under ``root`` (``__pycache__`` excluded).

    Computed once per process, when the first kernel is decorated: the modules in memory are
    the ones read at import, so a file edited while the process runs must not change the
    stamp of code compiled from the old text.
    """
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(_HASHED_SUFFIXES):
                p = Path(dirpath, name)
                h.update(p.relative_to(root).as_posix().encode())
                h.update(b"\0")
                h.update(p.read_bytes())
                h.update(b"\0")
    return h.hexdigest()


def _root_of(py_file: str) -> Path | None:
    try:
        path = Path(py_file).resolve()
    except OSError:
        return None
    for root in PACKAGE_ROOTS:
        if path.is_relative_to(root):
            return root
    return None


class PackageStampLocator(caching._CacheLocator):
    """numba cache locator for kernels under :data:`PACKAGE_ROOTS` (see module docstring).

    The cache directory and the per-function disambiguator are those of the numba locator
    that would otherwise have been chosen; the source stamp is that locator's stamp (the
    defining file) together with :func:`package_hash` of the whole package.
    """

    def __init__(self, inner: Any, root: Path):
        self._inner = inner
        self._root = root

    def get_cache_path(self) -> str:
        return self._inner.get_cache_path()

    def get_source_stamp(self) -> Any:
        return (self._inner.get_source_stamp(), package_hash(self._root))

    def get_disambiguator(self) -> str:
        return self._inner.get_disambiguator()

    @classmethod
    def from_function(cls, py_func: Callable[..., Any], py_file: str) -> PackageStampLocator | None:
        root = _root_of(py_file)
        if root is None:
            return None
        for other in _CACHE_IMPL._locator_classes:
            if other is cls:
                continue
            inner = other.from_function(py_func, py_file)
            if inner is not None:
                return cls(inner, root)
        return None


if PackageStampLocator not in _CACHE_IMPL._locator_classes:
    _CACHE_IMPL._locator_classes.insert(0, PackageStampLocator)


def jit(func: F) -> F:
    """Compile ``func`` with bdgen's numba options (see module docstring)."""
    return numba.njit(**OPTIONS)(func)  # type: ignore[no-any-return]
