"""Writing and reading the neutrino results: HDF5 (h5py) or CSV, atomically.

HDF5 layout (every dataset with a ``description`` attribute where it is a column)::

    /                       attrs: bdgen_version, content = "bdgen neutrino", pot, seed,
                                   config (JSON of the resolved card), summary (JSON)
    /<detector>/flux/       energy_edges (GeV), <flavour>, <flavour>_error (neutrinos per POT
                            per m^2 per bin, volume-averaged), time_edges (ns), time_<flavour>
    /<detector>/recoil/<channel>/   T_edges (GeV), total, total_error, <flavour> (events per bin
                            for the card's POT, efficiency applied)
    /<detector>/events/<channel>/   one dataset per column of
                            :data:`bdgen.neutrino.background.EVENT_COLUMNS` (equal weights)

flavours: nue, nuebar, numu, numubar; channels: nu_e, nc_proton, nc_neutron, coherent_<El>.

CSV (one row per histogram bin): ``detector,histogram,channel,flavour,lo,hi,value,error`` with
histogram ``flux_energy`` (per POT per m^2), ``flux_time`` or ``recoil_T`` (events), preceded by
``#`` comment lines with the totals.

Like every writer it lives in :mod:`bdgen.io` (the only package that imports h5py) and writes
through :func:`bdgen.io.atomic_path` (temporary file + rename).
"""

from __future__ import annotations

import json
import math
import logging
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CardError
from ..neutrino.background import EVENT_COLUMNS, FLAVOUR_NAMES, NeutrinoResult

FORMATS = (".h5", ".hdf5", ".csv")


def output_format(path: str | Path, key: str = "-o") -> str:
    """"hdf5" or "csv" from the suffix; CardError naming ``key`` otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix in (".h5", ".hdf5"):
        return "hdf5"
    if suffix == ".csv":
        return "csv"
    raise CardError(f"{key} = \"{path}\": the neutrino output is a .h5, .hdf5 or .csv file")


def write(result: NeutrinoResult, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``result`` to ``path`` (.h5/.hdf5 or .csv) atomically; an existing file is replaced
    only with ``overwrite``."""
    from . import atomic_path

    p = Path(path)
    fmt = output_format(p)
    with atomic_path(p, overwrite=overwrite) as tmp:
        if fmt == "hdf5":
            _write_hdf5(tmp, result)
        else:
            _write_csv(tmp, result)
    return p


def _write_hdf5(path: Path, result: NeutrinoResult) -> None:
    import h5py

    from .._version import __version__

    with h5py.File(str(path), "w") as f:
        f.attrs["content"] = "bdgen neutrino"
        f.attrs["bdgen_version"] = __version__
        f.attrs["pot"] = float(result.summary["pot"])
        f.attrs["seed"] = int(result.summary["seed"])
        f.attrs["config"] = json.dumps(result.config, sort_keys=True)
        f.attrs["summary"] = json.dumps(result.summary, sort_keys=True, default=float)
        for name, det in result.detectors.items():
            g = f.create_group(name)
            fl = g.create_group("flux")
            for k, v in det.flux_hist.items():
                fl.create_dataset(k, data=v).attrs["description"] = _flux_description(k)
            rc = g.create_group("recoil")
            for ch, hists in det.recoil_hist.items():
                gc = rc.create_group(ch)
                for k, v in hists.items():
                    gc.create_dataset(k, data=v).attrs["description"] = _recoil_description(k, ch)
            ev = g.create_group("events")
            for ch, cols in det.events.items():
                ge = ev.create_group(ch)
                for k, v in cols.items():
                    ds = ge.create_dataset(k, data=v, compression="lzf" if v.size else None)
                    ds.attrs["description"] = EVENT_COLUMNS.get(k, "")


def _flux_description(key: str) -> str:
    """The ``description`` attribute of a dataset of ``/<detector>/flux/`` (units included)."""
    if key == "energy_edges":
        return "neutrino energy bin edges, GeV"
    if key == "time_edges":
        return "arrival time bin edges, ns"
    err = key.endswith("_error")
    base = key.removesuffix("_error")
    if base.startswith("time_"):
        what = f"{base.removeprefix('time_')} flux per POT per m^2 in each time bin (volume-averaged)"
    else:
        what = f"{base} flux per POT per m^2 in each energy bin (volume-averaged)"
    return ("Monte Carlo error of the " + what) if err else what


def _recoil_description(key: str, channel: str) -> str:
    """The ``description`` attribute of a dataset of ``/<detector>/recoil/<channel>/``."""
    if key == "T_edges":
        return "recoil kinetic energy bin edges, GeV"
    base = key.removesuffix("_error")
    what = (f"{channel} events per recoil-energy bin for the card's POT, efficiency applied, "
            + ("all flavours" if base == "total" else f"from {base}"))
    return ("Monte Carlo error of the " + what) if key.endswith("_error") else what


def _write_csv(path: Path, result: NeutrinoResult) -> None:
    head = (f"# bdgen neutrino, beam {result.summary['beam']} ({result.summary['source']}), "
            f"POT {result.summary['pot']:.6g}, seed {result.summary['seed']}, "
            f"window {result.summary['window'][0]:g} < T < {result.summary['window'][1]:g} GeV, "
            f"recoil angle to the beam axis {result.summary['angle_window'][0]:g} to "
            f"{result.summary['angle_window'][1]:g} rad, "
            f"efficiency {result.summary['efficiency']:g}")
    lines = [head]
    for name, det in result.detectors.items():
        s = det.summary
        for fname, fx in s["flux"].items():
            lines.append(f"# {name} flux {fname}: {fx['per_pot_per_m2']:.6g} +- {fx['error']:.3g} per POT per m^2, "
                         f"<E> = {fx['mean_energy']:.6g} GeV")
        for ch, r in s["backgrounds"].items():
            lines.append(f"# {name} background {ch}: {r['events']:.6g} +- {r['error']:.3g} events")
    lines.append("detector,histogram,channel,flavour,lo,hi,value,error")
    for name, det in result.detectors.items():
        fh = det.flux_hist
        e = fh["energy_edges"]
        t = fh["time_edges"]
        for fl in FLAVOUR_NAMES.values():
            for i in range(e.size - 1):
                lines.append(f"{name},flux_energy,,{fl},{e[i]:.8g},{e[i + 1]:.8g},{fh[fl][i]:.8g},{fh[fl + '_error'][i]:.8g}")
            for i in range(t.size - 1):
                lines.append(f"{name},flux_time,,{fl},{t[i]:.8g},{t[i + 1]:.8g},{fh['time_' + fl][i]:.8g},")
        for ch, rh in det.recoil_hist.items():
            te = rh["T_edges"]
            for i in range(te.size - 1):
                lines.append(f"{name},recoil_T,{ch},all,{te[i]:.8g},{te[i + 1]:.8g},{rh['total'][i]:.8g},"
                             f"{rh['total_error'][i]:.8g}")
    path.write_text("\n".join(lines) + "\n")


def read(path: str | Path) -> dict[str, Any]:
    """Read a neutrino HDF5 file: {"summary", "config", "pot", "detectors": {name: {"flux",
    "recoil", "events"}}} with numpy arrays."""
    import h5py

    if output_format(path, "file") != "hdf5":
        raise CardError(f"{path}: only the HDF5 neutrino files can be read back")
    with h5py.File(str(path), "r") as f:
        if f.attrs.get("content") != "bdgen neutrino":
            raise CardError(f"{path}: not a bdgen neutrino file (write one with 'bdgen neutrino -o FILE.h5')")
        out: dict[str, Any] = {"summary": json.loads(f.attrs["summary"]), "config": json.loads(f.attrs["config"]),
                               "pot": float(f.attrs["pot"]), "detectors": {}}
        for name in f:
            g = f[name]
            out["detectors"][name] = {
                "flux": {k: g["flux"][k][()] for k in g["flux"]},
                "recoil": {ch: {k: g["recoil"][ch][k][()] for k in g["recoil"][ch]} for ch in g["recoil"]},
                "events": {ch: {k: g["events"][ch][k][()] for k in g["events"][ch]} for ch in g["events"]},
            }
    return out


_GROUPS = (("nu_e", "nu e elastic", lambda pdg: pdg == 11),
           ("nc", "nu N NC elastic", lambda pdg: pdg in (2212, 2112)),
           ("coherent", "nu A coherent", lambda pdg: pdg >= 1000000000))


def _group_of(channel: str) -> str:
    return "nu_e" if channel == "nu_e" else ("nc" if channel.startswith("nc_") else "coherent")


def _window_of(signal: dict[str, Any]) -> tuple[float, float, float, float, float]:
    """(t_min, t_max, angle_min, angle_max, efficiency) of a stored card's [signal] table."""
    return (float(signal.get("t_min", 0.0)), float(signal.get("t_max", 1e9)), float(signal.get("angle_min", 0.0)),
            float(signal.get("angle_max", math.pi)), float(signal.get("efficiency", 1.0)))


def backgrounds_for(path: str | Path, signal_events: dict[str, Any], *, detector: str | None = None,
                    pot: float = 0.0, beam: str | None = None,
                    signal_config: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The neutrino event samples of a neutrino HDF5 file matching a signal event set, for
    :func:`bdgen.plotting.plot_spectra`: [(label, events)], one entry per background group
    (nu e; NC elastic p + n; coherent) whose recoil species appears in the signal (all groups if
    none does), with the weights scaled from the neutrino file's POT to ``pot`` (if > 0).

    ``signal_config`` (the signal file's stored card): the backgrounds must have been computed in
    the same recoil window (T, angle) and with the same efficiency; a signal with BdNMC's
    timing cut is drawn with a warning (the factor would remove every neutrino).

    Raises
    ------
    CardError
        Not a neutrino file, a multi-detector file without the signal's detector, or a
        background window or efficiency other than the signal's.
    """
    data = read(path)
    if signal_config is not None:
        sig = signal_config.get("signal", {})
        mine = _window_of(sig)
        nu_sig = data["config"].get("signal", {})
        theirs = _window_of(nu_sig)
        if any(not math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0) for a, b in zip(mine, theirs)):
            def show(w: tuple[float, ...]) -> str:
                return f"{w[0]:g} < T < {w[1]:g} GeV, {w[2]:g} <= angle <= {w[3]:g} rad, efficiency {w[4]:g}"

            raise CardError(f"--neutrino = \"{path}\": computed for {show(theirs)}, the signal for {show(mine)}; "
                            "run 'bdgen neutrino' with the signal's card")
        if float(sig.get("timing_cut", 0.0)) > 0.0:
            logging.getLogger("bdgen").warning(
                "the signal carries BdNMC's timing_cut factor min(1, delay/cut), which is 0 for every neutrino: "
                "the backgrounds are drawn without it")
    nu_beam = data["config"].get("beam", {}).get("name")
    if beam is not None and nu_beam is not None and nu_beam != beam:
        logging.getLogger("bdgen").warning(
            "--neutrino = \"%s\" was made for beam %r, the signal for beam %r: the backgrounds "
            "belong to another beam configuration", path, nu_beam, beam)
    dets = data["detectors"]
    if detector is not None and detector in dets:
        name = detector
    elif len(dets) == 1:
        name = next(iter(dets))
    else:
        raise CardError(f"--neutrino = \"{path}\": no detector {detector!r}; the file has {sorted(dets)}")
    events = dets[name]["events"]
    scale = pot / data["pot"] if pot > 0 and data["pot"] > 0 else 1.0
    pdgs = {int(x) for x in np.unique(signal_events.get("recoil_pdg", np.zeros(0)))}
    wanted = {key for key, _label, match in _GROUPS if any(match(p) for p in pdgs)}
    if not wanted:
        wanted = {key for key, _l, _m in _GROUPS}
    out = []
    for key, label, _match in _GROUPS:
        chans = [ch for ch in sorted(events) if _group_of(ch) == key and key in wanted]
        if not chans:
            continue
        merged = {col: np.concatenate([events[ch][col] for ch in chans]) for col in events[chans[0]]}
        merged["weight"] = merged["weight"] * scale
        suffix = f", x{scale:.3g} to the signal's POT" if abs(scale - 1.0) > 1e-9 else ""
        out.append((label + suffix, merged))
    return out
