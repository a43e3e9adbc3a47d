"""User-supplied meson lists: a meson's four-momentum (and optionally its production point)
per line, sampled uniformly in place of a spectrum model.

Formats (units GeV, m, ns; z along the proton beam):

- text (any suffix but the two below): whitespace-separated columns ``px py pz E`` or
  ``px py pz E x y z t`` per line; lines starting with ``#`` are comments (BdNMC's
  ``particle_list`` format);
- HDF5 (``.h5``, ``.hdf5``): 1-D datasets ``px``, ``py``, ``pz``, ``E`` and optionally ``x``,
  ``y``, ``z``, ``t``, in the root group or in a group ``mesons``;
- ROOT (``.root``): a TTree named ``mesons`` (or the only tree in the file) with those branches.

The list fixes the shape of the spectrum only; its normalisation is ``per_pot`` mesons per
proton on target (default: the beam file's yield of that meson).  The energy is recomputed
from the momentum and the PDG mass of the meson, and the rows are checked for E >= |p|.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CardError

COLUMNS = ("px", "py", "pz", "E", "x", "y", "z", "t")


@dataclass(frozen=True)
class MesonList:
    """Mesons read from a file.

    Attributes
    ----------
    data : ndarray, shape (n, 8)
        Columns px, py, pz, E (GeV), x, y, z (m), t (ns); positions are 0 when not given.
    has_positions : bool
    path : str
    """

    data: np.ndarray
    has_positions: bool
    path: str

    def __len__(self) -> int:
        return int(self.data.shape[0])


def _from_columns(cols: dict[str, np.ndarray], path: str) -> MesonList:
    missing = [c for c in COLUMNS[:4] if c not in cols]
    if missing:
        raise CardError(f"production.meson_list.file = \"{path}\": missing column(s) {missing}; "
                        f"need px, py, pz, E (and optionally x, y, z, t)")
    n = len(cols["px"])
    has_pos = all(c in cols for c in COLUMNS[4:])
    data = np.zeros((n, 8))
    for i, c in enumerate(COLUMNS):
        if c in cols:
            data[:, i] = np.asarray(cols[c], dtype=float)
    return _checked(MesonList(data, has_pos, path))


def _checked(ml: MesonList) -> MesonList:
    where = f"production.meson_list.file = \"{ml.path}\""
    if len(ml) == 0:
        raise CardError(f"{where}: the list is empty")
    d = ml.data
    if not np.all(np.isfinite(d)):
        raise CardError(f"{where}: non-finite values in row {int(np.argwhere(~np.isfinite(d))[0, 0])}")
    p = np.linalg.norm(d[:, :3], axis=1)
    bad = np.flatnonzero(d[:, 3] < p * (1 - 1e-9))
    if bad.size:
        raise CardError(f"{where}: row {int(bad[0])} has E < |p| (E = {d[bad[0], 3]:.6g}, |p| = {p[bad[0]]:.6g} GeV)")
    return ml


def check_mass(ml: MesonList, meson: str, mass: float) -> None:
    """CardError unless the rows' median invariant mass sqrt(E^2 - p^2) is within 10% of the
    named meson's ``mass`` (GeV): a pi0 list declared as ``meson = "eta"`` (or the reverse) would
    otherwise decay with the wrong kinematics without a word."""
    d = ml.data
    m = float(np.median(np.sqrt(np.maximum(d[:, 3] ** 2 - np.sum(d[:, :3] ** 2, axis=1), 0.0))))
    if abs(m - mass) > 0.1 * mass:
        raise CardError(f"production.meson_list.file = \"{ml.path}\": the rows' invariant mass is {m:.4g} GeV "
                        f"(median), but production.meson_list.meson = \"{meson}\" has {mass:.4g} GeV; give the list "
                        "of the meson named")


def read_meson_list(path: str | Path) -> MesonList:
    """Read a meson list (see the module docstring for the formats)."""
    p = Path(path)
    if not p.is_file():
        raise CardError(f"production.meson_list.file = \"{p}\": no such file")
    suffix = p.suffix.lower()
    if suffix in (".h5", ".hdf5"):
        import h5py

        with h5py.File(p, "r") as f:
            g = f["mesons"] if "mesons" in f else f
            cols = {c: g[c][()] for c in COLUMNS if c in g}
        return _from_columns(cols, str(p))
    if suffix == ".root":
        import uproot

        with uproot.open(p) as f:
            trees = [k for k, v in f.classnames().items() if v.startswith("TTree")]
            name = "mesons" if any(k.split(";")[0] == "mesons" for k in trees) else (trees[0] if len(trees) == 1 else None)
            if name is None:
                raise CardError(f"production.meson_list.file = \"{p}\": need a TTree named 'mesons' (found {trees})")
            t = f[name]
            cols = {c: t[c].array(library="np") for c in COLUMNS if c in t.keys()}
        return _from_columns(cols, str(p))
    if not any(line.strip() and not line.lstrip().startswith("#") for line in p.read_text().splitlines()):
        raise CardError(f"production.meson_list.file = \"{p}\": the list is empty")
    try:
        arr = np.loadtxt(p, comments="#", ndmin=2)
    except ValueError as exc:
        raise CardError(f"production.meson_list.file = \"{p}\": not a table of numbers ({exc})") from None
    if arr.shape[1] not in (4, 8):
        raise CardError(f"production.meson_list.file = \"{p}\": {arr.shape[1]} columns; need 4 (px py pz E) "
                        f"or 8 (px py pz E x y z t)")
    data = np.zeros((arr.shape[0], 8))
    data[:, : arr.shape[1]] = arr
    return _checked(MesonList(data, arr.shape[1] == 8, str(p)))
