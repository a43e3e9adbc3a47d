"""HDF5 output with h5py: group ``events`` with one 1-D dataset per column.

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

from . import metadata

if TYPE_CHECKING:
    from ..pipeline import RunResult


def write_hdf5(path: str | Path, result: "RunResult") -> None:
    """Write ``result`` to the HDF5 file ``path`` (created or truncated)."""
    from ..pipeline import EVENT_COLUMNS

    meta = metadata(result)
    with h5py.File(str(path), "w") as f:
        for k, v in meta.items():
            f.attrs[k] = v
        g = f.create_group("events")
        for k, v in result.events.items():
            ds = g.create_dataset(k, data=v, compression="lzf" if v.size else None)
            if k in EVENT_COLUMNS:
                ds.attrs["description"] = EVENT_COLUMNS[k][1]


def read_hdf5(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a bdgen HDF5 file: (events, metadata)."""
    with h5py.File(str(path), "r") as f:
        events = {k: f["events"][k][()] for k in f["events"]}
        meta: dict[str, Any] = {}
        for k, v in f.attrs.items():
            meta[k] = v.item() if isinstance(v, np.generic) else v
        meta["config"] = json.loads(meta["config"])
        meta["summary"] = json.loads(meta["summary"])
    return events, meta
