"""Output: ROOT (TTree via uproot) and HDF5 (h5py), written atomically.

Only this package imports uproot and h5py.  Every writer writes to a temporary file in the
destination directory and renames it into place when complete, so an interrupted run never
leaves a file that looks complete, and an existing file is replaced only with
``overwrite=True``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from ..config import output_format
from ..errors import CardError

if TYPE_CHECKING:
    from ..pipeline import RunResult


class OutputExistsError(FileExistsError):
    """The output file exists and overwriting was not requested."""


def check_writable(path: str | Path, *, overwrite: bool, key: str = "-o", events_file: bool = True) -> Path:
    """Validate an output path before any work: format (for event files), directory, existing file.

    Raises
    ------
    CardError
        Unknown suffix or missing directory.
    OutputExistsError
        The file exists and ``overwrite`` is False.
    """
    p = Path(path)
    if events_file:
        output_format(p, key)
    parent = p.parent if str(p.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise CardError(f"{key} = \"{p}\": {str(parent)!r} is not a directory")
    if not parent.is_dir():
        raise CardError(f"{key} = \"{p}\": directory {str(parent)!r} does not exist")
    if p.is_dir():
        raise CardError(f"{key} = \"{p}\": is a directory")
    if p.exists() and not overwrite:
        raise OutputExistsError(f"{key} = \"{p}\": file exists; use --overwrite (overwrite=True in Python) to replace it")
    # the output is written as a temporary file in the same directory, then renamed: make sure
    # that works now rather than after the run (permission bits alone do not tell, e.g. for root
    # or read-only mounts)
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".probe", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise CardError(f"{key} = \"{p}\": cannot write in directory {str(parent)!r} "
                        f"({exc.strerror or exc})") from None
    return p


@contextmanager
def atomic_path(path: str | Path, *, overwrite: bool) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    On any exception (including KeyboardInterrupt) the temporary file is removed and the
    destination is left untouched.
    """
    dest = Path(path)
    if dest.exists() and not overwrite:
        raise OutputExistsError(f"\"{dest}\": file exists; use --overwrite (overwrite=True in Python) to replace it")
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent if str(dest.parent) else ".")
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates 0600; give the file the permissions a plain open() would (0666 & ~umask)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def metadata(result: "RunResult") -> dict[str, Any]:
    """Provenance stored in every file: resolved config, seed, version, POT, estimate."""
    s = result.summary
    return {
        "detector": str(s.get("detector") or ""),
        "bdgen_version": s["version"],
        "seed": s["seed"],
        "pot": s["pot"],
        "signal_events": s["signal_events"],
        "signal_events_error": s["signal_events_error"],
        "n_generated": s["n_generated"],
        "unweighted": s["unweighted"],
        "config": json.dumps(s["config"], sort_keys=True),
        "summary": json.dumps(s, sort_keys=True, default=float),
    }


def event_sets(result: "RunResult") -> dict[str, dict[str, Any]]:
    """Event sets to write: {"events": ...} for one detector, {"events_<name>": ...} for several
    detectors or several signal channels (``signal.channels``)."""
    if len(result.per_channel) > 1:
        return {f"events_{name}": r.events for name, r in result.per_channel.items()}
    per = result.per_detector
    if len(per) > 1:
        return {f"events_{name}": r.events for name, r in per.items()}
    return {"events": result.events}


def write(result: "RunResult", path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the events and provenance of ``result`` to ``path`` (.root, .h5 or .hdf5).

    Returns the path written.
    """
    p = Path(path)
    fmt = output_format(p)
    n_held = sum(len(ev.get("weight", ())) for ev in event_sets(result).values())
    if n_held == 0 and result.summary.get("n_events", 0) > 0:
        raise CardError(f"{p}: this result holds no events, only the summary of {result.summary['n_events']} "
                        "(a streamed run wrote them to its own file while generating); write that file's "
                        "events, or generate without stream_to")
    with atomic_path(p, overwrite=overwrite) as tmp:
        if fmt == "root":
            from .root import write_root

            write_root(tmp, result)
        elif fmt == "hepmc3":
            from .hepmc import write_hepmc3

            write_hepmc3(tmp, result)
        else:
            from .hdf5 import write_hdf5

            write_hdf5(tmp, result)
    return p


def _strict(obj: Any) -> Any:
    """``obj`` with non-finite floats (an undefined error: nan; inf) replaced by None, so that
    the file is strict JSON (null) that every parser reads."""
    if isinstance(obj, dict):
        return {k: _strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_strict(v) for v in obj]
    if isinstance(obj, (float, np.floating)) and not math.isfinite(float(obj)):
        return None
    return obj


def write_json(obj: Any, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``obj`` as indented strict JSON (non-finite numbers as null), atomically."""
    p = Path(path)
    with atomic_path(p, overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(_strict(obj), indent=2, sort_keys=False, default=float, allow_nan=False) + "\n")
    return p


def read(path: str | Path, detector: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read a bdgen file back: (events as dict of numpy arrays, metadata dict).

    ``detector`` selects the event set of one detector in a multi-detector file, or of one
    signal channel in a file of a ``signal.channels`` run.
    The file-level numbers (``signal_events``, ``signal_events_error``, ``n_generated``,
    ``unweighted``) of a multi-detector (multi-channel) file are those of its first detector
    (channel), its top-level summary, named by ``meta["detector"]``; with ``detector`` they are
    that detector's (channel's).  A file that is not a readable bdgen event file raises
    CardError naming it; a file of several event sets read without ``detector`` (or with a name
    it does not hold) raises KeyError naming the sets it has.
    """
    suffix = Path(path).suffix.lower()
    if suffix in (".hepmc", ".hepmc3"):
        raise CardError(f"{path}: read HepMC3 files with pyhepmc (bdgen.io.read reads ROOT and HDF5)")
    if suffix not in (".root", ".h5", ".hdf5"):
        raise CardError(f"file = \"{path}\": unknown event-file format; bdgen reads .root, .h5 and .hdf5 files")
    try:
        if suffix == ".root":
            from .root import read_root

            events, meta = read_root(path, detector)
        else:
            from .hdf5 import read_hdf5

            events, meta = read_hdf5(path, detector)
    except KeyError as exc:
        text = str(exc.args[0]) if exc.args else ""
        if "no event set" not in text:  # an event set, but not bdgen's provenance with it
            raise CardError(f"file = \"{path}\": not a bdgen event file (no {text!r} in it)") from None
        if "; the file has []" in text:
            raise CardError(f"file = \"{path}\": not a bdgen event file (no event set in it)") from None
        raise
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CardError(f"file = \"{path}\": not a readable bdgen event file ({first})") from None
    per = meta["summary"].get("detectors") or meta["summary"].get("signals") or {}
    if detector is not None and detector in per:
        d = per[detector]
        for key in ("signal_events", "signal_events_error", "n_generated", "unweighted"):
            if key in d:
                meta[key] = d[key]
    meta["detector"] = detector if (detector is not None and detector in per) else meta["summary"].get("detector")
    return events, meta
