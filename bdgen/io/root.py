"""ROOT output: a TTree ``events`` (one flat branch per column) written with uproot.

uproot >= 5.7 writes an RNTuple for ``file[name] = dict``; bdgen uses ``mktree`` + ``extend``
so that the file holds a classic TTree readable by every ROOT version (checked when bdgen was set up).
A run with several detectors writes one tree ``events_<detector>`` per detector instead.
Provenance: TObjString ``config`` and ``summary`` (JSON) and a one-entry TTree ``run`` with
the numbers (pot, signal_events, signal_events_error, seed, n_generated) of the first detector.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import uproot

from . import event_sets, metadata

if TYPE_CHECKING:
    from ..pipeline import RunResult

_BASKET = 200_000


def _compression() -> "uproot.compression.Compression":
    """LZ4 (read by every ROOT >= 6.12) when the lz4 package is there: about 8x faster to write
    than uproot's default zlib (measured when bdgen was set up); zlib otherwise."""
    try:
        import lz4  # noqa: F401

        return uproot.LZ4(1)
    except ImportError:  # pragma: no cover - lz4 is a dependency
        return uproot.ZLIB(1)


def write_root(path: str | Path, result: "RunResult") -> None:
    """Write ``result`` to the ROOT file ``path`` (which is created or truncated)."""
    meta = metadata(result)
    sets = event_sets(result)
    with uproot.recreate(str(path), compression=_compression()) as f:
        columns: list[str] = []
        for tree_name, ev in sets.items():
            tree = f.mktree(tree_name, {k: v.dtype for k, v in ev.items()}, title="bdgen events")
            columns += [k for k in ev if k not in columns]
            n = len(ev["weight"])
            for a in range(0, n, _BASKET):
                tree.extend({k: v[a : a + _BASKET] for k, v in ev.items()})
        write_provenance(f, meta, columns)


def write_provenance(f: Any, meta: dict[str, Any], columns: list[str]) -> None:
    """The provenance of a bdgen ROOT file (an open uproot file ``f``): the one-entry TTree
    ``run`` and the TObjStrings ``config``, ``summary``, ``bdgen_version``, ``detector`` (whose
    numbers the file-level ones are) and ``columns`` (JSON: each event column's description with
    its unit, since the branches carry none)."""
    from ..pipeline import column_description

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
    f["detector"] = meta["detector"]
    f["columns"] = json.dumps({k: column_description(k) for k in columns if column_description(k)})


def read_root(path: str | Path, detector: str | None = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a bdgen ROOT file: (events, metadata); ``detector`` picks one event set of a
    multi-detector file (tree ``events_<detector>``)."""
    with uproot.open(str(path)) as f:
        name = "events" if detector is None else f"events_{detector}"
        if name not in f:
            trees = sorted(k.split(";")[0] for k in f.keys() if k.startswith("events"))
            raise KeyError(f"{path}: no event set {name!r}; the file has {trees}")
        events = f[name].arrays(library="np")
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
