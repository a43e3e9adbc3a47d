"""bdgen's thermal targets against the published NA64/ESPP lines (docs/thermal.md section 7).

The published lines are the digitised curves in ``docs/data/relic-target-{scalar,majorana,
pseudodirac}.csv`` (columns m_chi in GeV and Y = eps^2 alpha_D (m_chi/m_V)^4 at alpha_D = 0.5,
m_V = 3 m_chi), copied unchanged from github.com/ESPP2026-PPG/Quasi-elastic-DM at commit
25d2883c0f223accd7156e19fa7650d4bfa7db67.  The published value at a mass is the log-log
interpolation between the two digitised points around it.

Usage (from the repository root; 2-7 s per mass and species, about 10 minutes with the defaults)::

    python docs/scripts/thermal_vs_published.py [--dm scalar pseudo_dirac] [--points 46]
        [--m-min 0.001] [--m-max 1.0] [--dense 0.2 0.6 25] [--neutrinos decoupled] [--csv table.csv]
        [--plot docs/thermal_vs_published.png] [--r-kinetic-scale 2.0] [--r-model] [--replot table.csv]

Prints one line per mass: m_chi (GeV), then bdgen Y, published Y and their ratio per species.  The
grid is --points masses spaced logarithmically from --m-min to --m-max plus --dense LO HI N masses
in the rho-omega-phi region (0 to switch it off), where the targets change within 10 MeV.

``--r-kinetic-scale K`` is a *diagnostic*, not bdgen physics: the hadronic R(sqrt s) of the
annihilation cross-section is evaluated at s' = M^2 + K (s - M^2) (M = m_chi1 + m_chi2, the
threshold), i.e. with K times the kinetic energy of the annihilating pair.  K = 1 is bdgen.
docs/thermal.md section 7 uses K = 2 to show where the published lines' rho features sit.

``--r-model`` is a second diagnostic: it replaces bdgen's R (measured at 0.3-3 GeV,
bdgen.physics.widths.r_ratio) by the model R without data (r_ratio_model: pi pi form factor, omega
and phi Breit-Wigners, parton model from 1.1 GeV), the R bdgen used before commit d340df6.
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import numpy as np

import bdgen.thermal as th

DATA = Path(__file__).resolve().parents[1] / "data"
FILES = {"scalar": "relic-target-scalar.csv", "majorana": "relic-target-majorana.csv",
         "pseudo_dirac": "relic-target-pseudodirac.csv"}


def published(dm: str) -> tuple[np.ndarray, np.ndarray]:
    """The digitised published line of species ``dm``: (m_chi GeV, Y), shape (n,), sorted in mass."""
    rows = np.loadtxt(DATA / FILES[dm], delimiter=",", skiprows=1)
    rows = rows[np.argsort(rows[:, 0])]
    return rows[:, 0], rows[:, 1]


def published_at(dm: str, m: float) -> float:
    """The published Y at m_chi = m (GeV): log-log interpolation; nan outside the digitised range."""
    mm, yy = published(dm)
    if not mm[0] <= m <= mm[-1]:
        return math.nan
    return math.exp(float(np.interp(math.log(m), np.log(mm), np.log(yy))))


def with_r_kinetic_scale(k: float):
    """Diagnostic: make bdgen.thermal evaluate R at threshold^2 + k (s - threshold^2) (see module
    docstring).  Returns a function that sets the threshold M (GeV) for the next target."""
    orig = th.r_ratio
    threshold2 = [0.0]

    def r_shifted(rs: float) -> float:
        s = rs * rs
        if s > threshold2[0]:
            s = threshold2[0] + k * (s - threshold2[0])
        return orig(math.sqrt(s))

    th.r_ratio = r_shifted

    def set_threshold(m_sum: float) -> None:
        threshold2[0] = m_sum * m_sum

    return set_threshold


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dm", nargs="+", default=["scalar", "majorana", "pseudo_dirac"], choices=list(FILES))
    ap.add_argument("--points", type=int, default=46)
    ap.add_argument("--m-min", type=float, default=0.001)
    ap.add_argument("--m-max", type=float, default=1.0)
    ap.add_argument("--dense", nargs=3, type=float, default=[0.2, 0.6, 25.0], metavar=("LO", "HI", "N"))
    ap.add_argument("--neutrinos", default="decoupled", choices=th.NEUTRINO_HISTORIES)
    ap.add_argument("--r-kinetic-scale", type=float, default=1.0)
    ap.add_argument("--r-model", action="store_true")
    ap.add_argument("--csv", type=Path)
    ap.add_argument("--plot", type=Path)
    ap.add_argument("--replot", type=Path, help="draw --plot from a --csv table written earlier, computing nothing")
    a = ap.parse_args()
    if a.r_model:
        from bdgen.physics.widths import r_ratio_model

        th.r_ratio = r_ratio_model
    set_threshold = with_r_kinetic_scale(a.r_kinetic_scale) if a.r_kinetic_scale != 1.0 else None

    masses = np.geomspace(a.m_min, a.m_max, a.points)
    if int(a.dense[2]) > 0:
        masses = np.unique(np.concatenate([masses, np.geomspace(a.dense[0], a.dense[1], int(a.dense[2]))]))
    table: dict[str, list[tuple[float, float, float]]] = {dm: [] for dm in a.dm}
    if a.replot is not None:
        with open(a.replot, newline="") as f:
            for row in csv.DictReader(f):
                if row["dm"] in table:
                    table[row["dm"]].append((float(row["m_chi_gev"]), float(row["y_bdgen"]), float(row["y_published"])))
        masses = np.array([])
    print("# m_chi/GeV " + " ".join(f"{dm}:bdgen {dm}:published {dm}:ratio" for dm in a.dm))
    for m in masses:
        cols = [f"{m:.5g}"]
        for dm in a.dm:
            if set_threshold is not None:
                set_threshold(m * (2.0 + (th.DEFAULT_SPLITTING if dm == "pseudo_dirac" else 0.0)))
            y = th.thermal_target(float(m), dm=dm, neutrinos=a.neutrinos)["y"]
            pub = published_at(dm, float(m))
            table[dm].append((float(m), y, pub))
            cols += [f"{y:.4e}", f"{pub:.4e}", f"{y / pub:.3f}"]
        print(" ".join(cols), flush=True)

    if a.csv:
        with open(a.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["m_chi_gev", "dm", "y_bdgen", "y_published", "ratio"])
            for dm, rows in table.items():
                for m, y, pub in rows:
                    w.writerow([f"{m:.6g}", dm, f"{y:.5e}", f"{pub:.5e}", f"{y / pub:.4f}"])
    if a.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (ax, rx) = plt.subplots(2, 1, figsize=(7, 7), sharex=True, height_ratios=[2.2, 1])
        for i, (dm, rows) in enumerate(table.items()):
            c = f"C{i}"
            mm, yy = published(dm)
            ax.plot(mm * 1e3, yy, ls="--", color=c, lw=1, label=f"{dm}, published (NA64/ESPP)")
            r = np.array(rows)
            ax.plot(r[:, 0] * 1e3, r[:, 1], color=c, lw=1.6, label=f"{dm}, bdgen")
            rx.plot(r[:, 0] * 1e3, r[:, 1] / r[:, 2], color=c, lw=1.4)
        ax.set(xscale="log", yscale="log", ylabel=r"$Y=\epsilon^2\alpha_D(m_\chi/m_V)^4$",
               title=rf"thermal targets, $\alpha_D=0.5$, $m_V=3m_\chi$, neutrinos {a.neutrinos}"
               + (f", R at {a.r_kinetic_scale:g}x kinetic energy" if set_threshold else "")
               + (", model R" if a.r_model else ""))
        ax.legend(fontsize=7)
        rx.axhspan(0.8, 1.2, color="0.9")
        rx.axhline(1.0, color="k", lw=0.8)
        ratios = np.concatenate([np.array(rows)[:, 1] / np.array(rows)[:, 2] for rows in table.values()])
        top = max(1.6, 1.05 * float(np.nanmax(ratios)))
        rx.set(xscale="log", xlabel=r"$m_\chi$ (MeV)", ylabel="bdgen / published", ylim=(0.5, top))
        fig.tight_layout()
        fig.savefig(a.plot, dpi=130)
        print(f"wrote {a.plot}")


if __name__ == "__main__":
    main()
