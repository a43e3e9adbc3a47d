"""bdgen: Monte Carlo generator for light dark matter from proton beam dumps.

Public API::

    import bdgen
    cfg = bdgen.load_card("card.toml", overrides=["model.m_v=0.03"])   # or load_card() for
                                                                        # the built-in card
    result = bdgen.generate(cfg, seed=1)        # -> bdgen.RunResult (events + summary)
    bdgen.write(result, "events.root")          # or .h5

Units everywhere: GeV, metres, nanoseconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .config import Config, load_card
from .errors import CardError

if TYPE_CHECKING:
    from .pipeline import RunResult, generate
    from .io import write

__all__ = ["CardError", "Config", "RunResult", "__version__", "generate", "io", "load_card", "write"]


def __getattr__(name: str) -> Any:
    # numba kernels and the output libraries are imported only when used.
    if name in ("generate", "RunResult"):
        from . import pipeline

        return getattr(pipeline, name)
    if name == "write":
        from .io import write

        return write
    if name == "io":
        import importlib

        return importlib.import_module(".io", __name__)
    raise AttributeError(f"module 'bdgen' has no attribute {name!r}")
