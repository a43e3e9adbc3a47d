"""Constant-memory output: a disk spool for the events of a run, and writers that take the
events block by block.

During a streamed run (``bdgen run --stream``, ``generate(..., stream_to=path)``) every chunk's
crossings are appended to a spool (an HDF5 file of resizable datasets, next to the output, removed
at the end); the final weights, which need the number of trials of the whole run, are applied
while the spool is read back block by block into the output.  Memory stays bounded by the chunk
and block sizes whatever the number of events.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

import h5py
import numpy as np

from ..config import output_format


class Spool:
    """Append-only columns on disk (h5py, chunked, resizable)."""

    def __init__(self, directory: str | Path) -> None:
        fd, name = tempfile.mkstemp(prefix=".bdgen-spool-", suffix=".h5", dir=str(directory))
        os.close(fd)
        self.path = Path(name)
        self.file = h5py.File(self.path, "w")
        self.n = 0

    def append(self, part: dict[str, np.ndarray]) -> None:
        m = int(next(iter(part.values())).shape[0])
        for k, v in part.items():
            if k not in self.file:
                self.file.create_dataset(k, shape=(0,) + v.shape[1:], maxshape=(None,) + v.shape[1:], dtype=v.dtype,
                                         chunks=(65536,) + v.shape[1:])
            ds = self.file[k]
            ds.resize(self.n + m, axis=0)
            if m:
                ds[self.n:self.n + m] = v
        self.n += m

    def column(self, key: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        stop = self.n if stop is None else stop
        return self.file[key][start:stop] if key in self.file else np.zeros(0)

    def truncate(self, n: int) -> None:
        for k in self.file:
            self.file[k].resize(n, axis=0)
        self.n = n

    def blocks(self, size: int, keys: list[str] | None = None) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
        """(start, columns) for consecutive blocks of about ``size`` rows, split between trials."""
        start = 0
        while start < self.n:
            stop = min(start + size, self.n)
            if stop < self.n:  # move the cut to a trial boundary
                tr = self.file["trial"][stop - 1:min(stop + 4096, self.n)]
                change = np.flatnonzero(tr[1:] != tr[0])
                stop = stop + int(change[0]) if change.size else min(stop + 4096, self.n)
            yield start, {k: self.file[k][start:stop] for k in (keys or list(self.file))}
            start = stop

    def close(self) -> None:
        self.file.close()
        self.path.unlink(missing_ok=True)


class StreamWriter:
    """Writes event sets block by block into a ROOT or HDF5 file, atomically."""

    def __init__(self, path: str | Path, *, overwrite: bool) -> None:
        from . import OutputExistsError

        self.path = Path(path)
        if self.path.exists() and not overwrite:
            raise OutputExistsError(f"\"{self.path}\": file exists; use --overwrite (overwrite=True in Python) "
                                    "to replace it")
        self.fmt = output_format(self.path, "stream_to")
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=str(self.path.parent))
        os.close(fd)
        self.tmp = Path(tmp)
        if self.fmt == "root":
            import uproot

            from .root import _compression

            self.file: Any = uproot.recreate(str(self.tmp), compression=_compression())
        else:
            self.file = h5py.File(self.tmp, "w")
        self.trees: dict[str, Any] = {}
        self.counts: dict[str, int] = {}
        self.columns: list[str] = []

    def write(self, name: str, events: dict[str, np.ndarray]) -> None:
        n = int(events["weight"].shape[0])
        if self.fmt == "root":
            if name not in self.trees:
                self.trees[name] = self.file.mktree(name, {k: v.dtype for k, v in events.items()}, title="bdgen events")
                self.columns += [k for k in events if k not in self.columns]
            if n:
                self.trees[name].extend(events)
        else:
            from ..pipeline import column_description

            if name not in self.trees:
                g = self.file.create_group(name)
                for k, v in events.items():
                    ds = g.create_dataset(k, shape=(0,), maxshape=(None,), dtype=v.dtype, chunks=(65536,),
                                          compression="lzf")
                    if column_description(k) is not None:
                        ds.attrs["description"] = column_description(k)
                self.trees[name] = g
            g = self.trees[name]
            c = self.counts.get(name, 0)
            for k, v in events.items():
                g[k].resize(c + n, axis=0)
                g[k][c:c + n] = v
        self.counts[name] = self.counts.get(name, 0) + n

    def finish(self, result: Any) -> Path:
        """Write the provenance of ``result`` and move the file into place."""
        from . import metadata

        meta = metadata(result)
        if self.fmt == "root":
            from .root import write_provenance

            write_provenance(self.file, meta, self.columns)
            self.file.close()
        else:
            for k, v in meta.items():
                self.file.attrs[k] = v
            self.file.close()
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.tmp, 0o666 & ~umask)
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        try:
            self.file.close()
        finally:
            self.tmp.unlink(missing_ok=True)
