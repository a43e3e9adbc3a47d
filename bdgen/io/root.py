"""ROOT output: a TTree ``events`` (one flat branch per column) written with uproot.

uproot >= 5.7 writes an RNTuple for ``file[name] = dict``; bdgen uses ``mktree`` + ``extend``
so that the file holds a classic TTree readable by every ROOT version (ENVIRONMENT.md).
Provenance: TObjString ``config`` and ``summary`` (JSON) and a one-entry TTree ``run`` with
the numbers (pot, signal_events, signal_events_error, seed, n_generated).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import uproot

from . import metadata

if TYPE_CHECKING:
    from ..pipeline import RunResult

_BASKET = 200_000


def write_root(path: str | Path, result: "RunResult") -> None:
    """Write ``result`` to the ROOT file ``path`` (which is created or truncated)."""
    meta = metadata(result)
    ev = result.events
    with uproot.recreate(str(path)) as f:
        tree = f.mktree("events", {k: v.dtype for k, v in ev.items()}, title="bdgen events")
        n = len(ev["weight"])
        for a in range(0, max(n, 1), _BASKET):
            if n == 0:
                break
            tree.extend({k: v[a : a + _BASKET] for k, v in ev.items()})
        run = f.mktree(
            "run",
            {"pot": np.float64, "signal_events": np.float64, "signal_events_error": np.float64,
             "seed": np.int64, "n_generated": np.int64},
            title="bdgen run",
        )
        run.extend({
            "pot": np.array([meta["pot"]]),
            "signal_events": np.array([meta["signal_events"]]),
            "signal_events_error": np.array([meta["signal_events_error"]]),
            "seed": np.array([meta["seed"]], dtype=np.int64),
            "n_generated": np.array([meta["n_generated"]], dtype=np.int64),
        })
        f["config"] = meta["config"]
        f["summary"] = meta["summary"]
        f["bdgen_version"] = meta["bdgen_version"]


def read_root(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a bdgen ROOT file: (events, metadata)."""
    with uproot.open(str(path)) as f:
        events = f["events"].arrays(library="np")
        summary = json.loads(str(f["summary"]))
        meta = {
            "config": json.loads(str(f["config"])),
            "summary": summary,
            "bdgen_version": str(f["bdgen_version"]),
            "seed": summary["seed"],
            "pot": summary["pot"],
            "signal_events": summary["signal_events"],
            "signal_events_error": summary["signal_events_error"],
            "n_generated": summary["n_generated"],
            "unweighted": summary["unweighted"],
        }
    return events, meta
