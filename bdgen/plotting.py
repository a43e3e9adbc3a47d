"""Drawings with matplotlib (headless: the Agg backend).

Only this module imports matplotlib.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .detectors import Detector, Volume
from .geometry import rotation_matrix


def _outline(vol: Volume, n: int = 60) -> np.ndarray:
    """Points (k, 3) on the edges of a volume's shape, in the beam frame (m)."""
    sh = vol.shape
    r = rotation_matrix(sh.rotation_deg)
    c = np.asarray(sh.centre)
    t = np.linspace(0.0, 2 * np.pi, n)
    if sh.kind == "sphere":
        rad = sh.dims[0]
        rings = [np.c_[rad * np.cos(t), rad * np.sin(t), 0 * t], np.c_[rad * np.cos(t), 0 * t, rad * np.sin(t)],
                 np.c_[0 * t, rad * np.cos(t), rad * np.sin(t)]]
        local = np.concatenate(rings)
    elif sh.kind == "cylinder":
        rad, h = sh.dims
        rings = [np.c_[rad * np.cos(t), rad * np.sin(t), np.full(n, z)] for z in (-h / 2, h / 2)]
        lines = [np.c_[np.full(2, rad * np.cos(a)), np.full(2, rad * np.sin(a)), [-h / 2, h / 2]]
                 for a in np.linspace(0, 2 * np.pi, 9)[:-1]]
        local = np.concatenate(rings + lines)
    else:
        hx, hy, hz = np.asarray(sh.dims) / 2
        corners = np.array([[sx * hx, sy * hy, sz * hz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
        edges = [(i, j) for i in range(8) for j in range(i + 1, 8) if np.sum(corners[i] != corners[j]) == 1]
        local = np.concatenate([np.linspace(corners[i], corners[j], 10) for i, j in edges])
    return local @ r.T + c


def draw_detector(det: Detector, path: str | Path) -> Path:
    """Write a PNG of ``det``: the whole line of sight from the production point (side view),
    and zoomed side (z-y) and top (z-x) views of the volumes with the beam axis and the line
    to the detector centre.  Fiducial volumes in blue, outer volumes in grey."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    vols: list[tuple[Volume, str]] = [(v, "outer") for v in det.outer] + [(v, "fiducial") for v in det.fiducial]
    pts_all = np.concatenate([_outline(v) for v, _ in vols])
    lo, hi = pts_all.min(axis=0), pts_all.max(axis=0)
    pad = 0.15 * (hi - lo).max() + 0.5
    c = det.centre
    panels = ((axes[0], 1, "y (m)", "side view", False), (axes[1], 1, "y (m)", "side view, zoomed", True),
              (axes[2], 0, "x (m)", "top view, zoomed", True))
    for ax, k, label, title, zoom in panels:
        zs = np.array([min(0.0, lo[2] - pad), hi[2] + pad])
        ax.plot(zs, [0.0, 0.0], color="tab:red", lw=1, label="proton beam axis (x = y = 0)")
        ax.plot([0.0, c[2]], [0.0, c[k]], color="gray", lw=0.7, ls="--", label="production point to centre")
        for v, kind in vols:
            p = _outline(v)
            ax.plot(p[:, 2], p[:, k], ".", ms=1.5, color="tab:blue" if kind == "fiducial" else "tab:gray")
        if zoom:
            ax.set_xlim(lo[2] - pad, hi[2] + pad)
            ax.set_ylim(min(lo[k], 0.0) - pad, max(hi[k], 0.0) + pad)
            ax.set_aspect("equal", adjustable="box")
        ax.set_xlabel("z (m), along the proton beam")
        ax.set_ylabel(label)
        ax.set_title(title)
        ax.locator_params(axis="x", nbins=6)
    axes[0].legend(loc="best", fontsize=7)
    fig.suptitle(f"{det.name}: {det.description}\nfiducial {det.fiducial_mass:.4g} t (blue), total "
                 f"{det.total_mass:.4g} t; {det.distance:.1f} m, {np.degrees(det.off_axis_angle):.2f} deg off axis",
                 fontsize=9)
    fig.tight_layout()
    out = Path(path)
    from .io import atomic_path

    with atomic_path(out, overwrite=True) as tmp:  # temporary file, then rename
        fig.savefig(tmp, dpi=110, format=out.suffix.lstrip(".").lower() or "png")
    plt.close(fig)
    return out


def plot_sensitivity(points: list[Any], path: str | Path, *, title: str = "", compare: str | None = None,
                     thermal: list[tuple[float, float]] | dict[str, list[tuple[float, float]]] | None = None,
                     x: str = "m_chi") -> Path:
    """Y = eps^2 alpha_D (m_chi/m_V)^4 excluded at the scan's CL against m_chi (GeV; ``x="m_v"``:
    against m_V, for scans in m_V at fixed m_chi) on log-log axes, with
    optional published limits from a CSV file (:func:`read_limits_csv`, columns x (GeV), Y), and
    thermal targets: a list of (x GeV, Y) points, or a dict species -> such a list (one line per
    species, labelled).  Points without a finite limit are
    left out; with none at all the figure says so (and is still written)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if x not in ("m_chi", "m_v"):
        raise ValueError(f"x = {x!r}: 'm_chi' or 'm_v'")
    m = np.array([getattr(p, x) for p in points])
    y = np.array([p.y_limit for p in points])
    order = np.argsort(m)
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    ok = np.isfinite(y[order]) & (y[order] > 0)
    drawn = bool(ok.any())
    ax.plot(m[order][ok], y[order][ok], "o-", color="tab:blue", label="bdgen limit")
    y_up = np.array([getattr(p, "y_upper", np.nan) for p in points])[order]
    if np.isfinite(y_up).any():  # visible decays: the band's upper edge (V decaying before the detector)
        drawn = True
        ax.plot(m[order][np.isfinite(y_up)], y_up[np.isfinite(y_up)], "o--", color="tab:blue",
                label="bdgen limit, upper edge")
    lines = thermal if isinstance(thermal, dict) else ({"": thermal} if thermal else {})
    styles = ("-", "--", "-.", ":")
    names = {"scalar": "complex scalar", "dirac": "Dirac", "majorana": "Majorana", "pseudo_dirac": "pseudo-Dirac"}
    for k, (dm, pts) in enumerate(lines.items()):
        if not pts:
            continue
        tm = np.array(pts)
        label = "thermal target (" + names.get(dm, dm) + ")" if dm else "thermal relic target"
        ax.plot(tm[:, 0], tm[:, 1], styles[k % 4], color="tab:green", label=label)
        drawn = True
    if compare:
        data = read_limits_csv(compare, x=x)
        ax.plot(data[:, 0], data[:, 1], "--", color="black", label=Path(compare).stem,
                marker="o" if len(data) < 2 else None)  # a single row is a point, not a line
        drawn = True
    ax.set_xscale("log")
    ax.set_yscale("log")
    if not drawn:  # nothing to draw on log axes: fix the ranges and say why the figure is empty
        pos = m[np.isfinite(m) & (m > 0)]
        ax.set_xlim(pos.min() / 2 if pos.size else 1e-3, pos.max() * 2 if pos.size else 1.0)
        ax.set_ylim(1e-14, 1e-4)
        ax.text(0.5, 0.5, "no finite limit at any point\n(inf: no signal; nan: nothing excluded; see the table)",
                transform=ax.transAxes, ha="center", va="center")
    ax.set_xlabel(r"$m_\chi$ (GeV)" if x == "m_chi" else r"$m_V$ (GeV)")
    ax.set_ylabel(r"$Y = \epsilon^2 \alpha_D (m_\chi/m_V)^4$")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    if drawn:
        ax.legend()
    fig.tight_layout()
    out = Path(path)
    from .io import atomic_path

    with atomic_path(out, overwrite=True) as tmp:  # temporary file, then rename
        fig.savefig(tmp, dpi=110, format=out.suffix.lstrip(".").lower() or "png")
    plt.close(fig)
    return out


def read_limits_csv(path: str | Path, x: str = "m_chi") -> np.ndarray:
    """Published limits to draw: a CSV file with columns x (``m_chi``, or ``m_v`` for a scan in m_V;
    GeV) and Y, further columns and ``#`` comment lines ignored.  If the first line that is not a
    comment names the columns and they include ``x`` and ``y`` or ``y_limit`` (any case, quotes
    and a byte-order mark ignored), those two are used, so the tables of ``bdgen thermal`` and
    ``bdgen scan`` can be drawn as they are; their rows without a finite Y (a scan's inf / nan: no
    limit there) are left out.  Returns an array of shape (n, 2).

    Raises
    ------
    CardError
        Missing or unreadable file, fewer than two numeric columns, or a value that is not finite
        and positive (the axes are logarithmic), in one line.
    """
    from .errors import CardError

    p = Path(path)
    if not p.is_file():
        raise CardError(f"--compare \"{p}\": file not found")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CardError(f"--compare \"{p}\": cannot read it ({exc})") from None
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    names = [c.strip().strip("\"'").lower() for c in first.split(",")]
    y_name = "y" if "y" in names else "y_limit" if "y_limit" in names else None
    other = "m_v" if x == "m_chi" else "m_chi"
    if x not in names and other in names:
        raise CardError(f"--compare \"{p}\": its mass column is {other} but this plot is drawn against {x}; "
                        f"give a table with an {x} column" + (" (or scan m_v)" if x == "m_chi" else ""))
    named = x in names and y_name is not None
    cols = (names.index(x), names.index(y_name)) if named else (0, 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = np.atleast_2d(np.genfromtxt(io.StringIO(text), delimiter=",", comments="#", usecols=cols))
    except ValueError as exc:
        detail = " ".join(str(exc).split())
        raise CardError(f"--compare \"{p}\": expected CSV columns {x} (GeV), Y ({detail})") from None
    # a header line without '#' (e.g. "m_chi,Y") reads as a row of nan: drop leading such rows
    while data.shape[0] and data.shape[1] == 2 and np.all(np.isnan(data[0])):
        data = data[1:]
    if named and data.size and data.shape[1] == 2:
        data = data[np.isfinite(data[:, 1])]  # a bdgen table's points without a limit
    if data.size == 0 or data.shape[1] != 2 or not np.all(np.isfinite(data)) or not np.all(data > 0):
        raise CardError(f"--compare \"{p}\": expected rows of two positive numbers {x} (GeV), Y; "
                        "found missing, non-numeric or non-positive values")
    return data


def _spectra_columns(events: dict[str, np.ndarray], incoming: str) -> list[np.ndarray]:
    """(recoil T, recoil angle to the beam in degrees, incoming energy, time) of an event set."""
    p_r = np.sqrt(events["recoil_px"] ** 2 + events["recoil_py"] ** 2 + events["recoil_pz"] ** 2)
    cos_r = np.divide(events["recoil_pz"], p_r, out=np.zeros_like(p_r), where=p_r > 0)
    return [events["recoil_T"], np.degrees(np.arccos(np.clip(cos_r, -1, 1))), events[incoming], events["t"]]


def plot_spectra(events: dict[str, np.ndarray], path: str | Path, *, title: str = "",
                 backgrounds: list[tuple[str, dict[str, np.ndarray]]] | None = None) -> Path:
    """Weighted spectra of an event file: recoil kinetic energy, recoil angle to the beam,
    incoming chi energy and arrival time (four panels, events per bin for the run's POT).

    ``backgrounds``: optional [(label, events)] of neutrino-background event samples
    (:func:`bdgen.io.neutrino.backgrounds_for`, columns recoil_*, nu_E, t, weight) drawn on
    the same panels and bins (incoming neutrino energy in the third panel), with a log y axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    w = events["weight"]
    flux = "chord_length" in events  # signal.channel = "flux": chi crossings, no recoil
    if flux and backgrounds:
        from .errors import CardError

        raise CardError("signal.channel = \"flux\": chi crossings have no recoil to compare with neutrino "
                        "backgrounds")
    if flux:
        p_chi = np.sqrt(events["chi_px"] ** 2 + events["chi_py"] ** 2 + events["chi_pz"] ** 2)
        cos_chi = np.divide(events["chi_pz"], p_chi, out=np.ones_like(p_chi), where=p_chi > 0)
        cols0 = [events["chord_length"], np.degrees(np.arccos(np.clip(cos_chi, -1, 1))), events["chi_E"],
                 events["t"]]
        sets = [("dark-matter flux", cols0, w, "tab:blue")]
    else:
        sets = [("dark-matter signal", _spectra_columns(events, "chi_E"), w, "tab:blue")]
    colours = ("tab:red", "tab:green", "tab:orange", "tab:purple")
    for (label, ev), colour in zip(backgrounds or [], colours):
        sets.append((f"{label} ({np.sum(ev['weight']):.4g})", _spectra_columns(ev, "nu_E"), ev["weight"], colour))
    labels = ((("chord length in the detector (m)", False), (r"$\chi$ angle to the beam (deg)", False))
              if flux else (("recoil kinetic energy T (GeV)", True), ("recoil angle to the beam (deg)", False)))
    labels = (*labels,
              (r"incoming $\chi$ energy (GeV)" if not backgrounds else r"incoming $\chi$ / $\nu$ energy (GeV)", True),
              ("arrival time after production (ns)", False))
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    for k, (ax, (label, logx)) in enumerate(zip(axes.ravel(), labels)):
        xs = [cols[k] for _n, cols, _w, _c in sets if cols[k].size]
        if xs:
            allx = np.concatenate(xs)
            lo, hi = float(np.min(allx)), float(np.max(allx))
            pos = allx[allx > 0]
            use_log = logx and pos.size > 0
            bins = (np.geomspace(max(float(pos.min()), 1e-9), hi * 1.0001, 41) if use_log
                    else np.linspace(lo, hi + 1e-12, 41))
            for name, cols, wt, colour in sets:
                if cols[k].size:
                    ax.hist(cols[k], bins=bins, weights=wt, histtype="step", color=colour, label=name)
            if use_log:
                from matplotlib.ticker import NullFormatter

                ax.set_xscale("log")
                ax.xaxis.set_minor_formatter(NullFormatter())
            if backgrounds:
                ax.set_yscale("log")
        ax.set_xlabel(label)
        ax.set_ylabel("events / bin")
    if backgrounds:
        axes[0, 0].legend(fontsize=7, loc="best")
    fig.suptitle(title or (f"{w.size} chi crossing the detector, {np.sum(w):.4g} expected" if flux
                           else f"{w.size} events, {np.sum(w):.4g} expected"), fontsize=10)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
