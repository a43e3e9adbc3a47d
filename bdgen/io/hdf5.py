"""HDF5 output with h5py: group ``events`` with one 1-D dataset per column (one group
``events_<detector>`` per detector for a run with several detectors).

Every dataset carries its description and units as the attribute ``description``.  The root
group's attributes hold the provenance: ``bdgen_version``, ``seed``, ``pot``,
``signal_events``, ``signal_events_error``, ``n_generated``, ``unweighted``, ``config`` and
``summary`` (JSON strings).  The files read without bdgen or awkward.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from . import event_sets, metadata

if TYPE_CHECKING:
    from ..pipeline import RunResult


def write_hdf5(path: str | Path, result: "RunResult") -> None:
    """Write ``result`` to the HDF5 file ``path`` (created or truncated)."""
    from ..pipeline import column_description

    meta = metadata(result)
    with h5py.File(str(path), "w") as f:
        for k, v in meta.items():
            f.attrs[k] = v
        for group, events in event_sets(result).items():
            g = f.create_group(group)
            for k, v in events.items():
                ds = g.create_dataset(k, data=v, compression="lzf" if v.size else None)
                if column_description(k) is not None:
                    ds.attrs["description"] = column_description(k)


def read_hdf5(path: str | Path, detector: str | None = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a bdgen HDF5 file: (events, metadata); ``detector`` picks one event set of a
    multi-detector file (group ``events_<detector>``)."""
    with h5py.File(str(path), "r") as f:
        name = "events" if detector is None else f"events_{detector}"
        if name not in f:
            raise KeyError(f"{path}: no event set {name!r}; the file has {sorted(k for k in f if k.startswith('events'))}")
        events = {k: f[name][k][()] for k in f[name]}
        meta: dict[str, Any] = {}
        for k, v in f.attrs.items():
            meta[k] = v.item() if isinstance(v, np.generic) else v
        meta["config"] = json.loads(meta["config"])
        meta["summary"] = json.loads(meta["summary"])
    return events, meta
