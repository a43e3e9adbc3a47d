"""Plots and the cross-section table of docs/dis.md: deep-inelastic chi N -> chi X
(bdgen.physics.dis).  Needs pythia8mc (pip install 'bdgen[pythia]').

Run from the repository root:  python docs/scripts/plot_dis.py
Writes docs/dis_sigma.png and docs/dis_kinematics.png and prints the markdown tables.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from bdgen import constants as C
from bdgen.physics import dis
from bdgen.physics import form_factors as FF
from bdgen.physics import scattering as S
from bdgen.rng import STAGE_SCATTER, EventStreams, key_from_seed

OUT = Path(__file__).resolve().parents[1]
M_CHI, M_V = 0.03, 0.1
COUPLING = 1e-6 * C.ALPHA * 0.5  # eps = 1e-3, alpha_D = 0.5
CM2 = C.GEV2_TO_M2 * 1e4
TARGETS = {"proton": (C.M_P, FF.BBA03_P, C.MU_P), "neutron": (C.M_N, FF.BBA03_N, C.MU_N)}


def elastic(e: np.ndarray, target: str, dirac: bool, q2_min: float = 0.0) -> np.ndarray:
    """Elastic chi N cross-section (cm^2) with BBA03 form factors, recoils with Q^2 > q2_min."""
    m, ff, mu = TARGETS[target]
    t_lo = q2_min / (2.0 * m)
    return np.array([S.sigma(x, M_CHI, M_V, COUPLING, m, dirac, ff, mu, math.inf, t_lo, math.inf,
                             S.GL_NODES, S.GL_WEIGHTS) for x in e]) * CM2


def tables() -> None:
    e = np.array([5.0, 10.0, 20.0, 50.0, 100.0])
    print("| E_chi (GeV) | " + " | ".join(f"{x:g}" for x in e) + " |")
    print("|---|" + "---|" * e.size)
    for dirac in (False, True):
        name = "Dirac" if dirac else "scalar"
        for tg in ("proton", "neutron"):
            s = dis.sigma(e, M_CHI, M_V, COUPLING, dirac, tg) * CM2
            print(f"| DIS, {name}, {tg} | " + " | ".join(f"{v:.3e}" for v in s) + " |")
    print()
    print("| E_chi (GeV) | " + " | ".join(f"{x:g}" for x in e) + " |")
    print("|---|" + "---|" * e.size)
    for dirac in (False, True):
        name = "Dirac" if dirac else "scalar"
        for tg in ("proton", "neutron"):
            d = dis.sigma(e, M_CHI, M_V, COUPLING, dirac, tg) * CM2
            el = elastic(e, tg, dirac)
            el1 = elastic(e, tg, dirac, 1.0)
            print(f"| elastic, {name}, {tg} | " + " | ".join(f"{v:.3e}" for v in el) + " |")
            print(f"| elastic Q2>1, {name}, {tg} | " + " | ".join(f"{v:.3e}" for v in el1) + " |")
            print(f"| DIS / elastic, {name}, {tg} | " + " | ".join(f"{v:.2e}" for v in d / el) + " |")
            print(f"| DIS / elastic(Q2>1), {name}, {tg} | " + " | ".join(f"{v:.3g}" for v in d / el1) + " |")


def plot_sigma() -> None:
    e = np.geomspace(1.35, 400.0, 80)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, dirac in zip(axes, (False, True)):
        for tg, col in (("proton", "C0"), ("neutron", "C1")):
            ax.plot(e, dis.sigma(e, M_CHI, M_V, COUPLING, dirac, tg) * CM2, color=col, label=f"DIS {tg}")
            ee = e[::4]
            ax.plot(ee, elastic(ee, tg, dirac), color=col, ls=":", label=f"elastic {tg} (all Q²)")
            ax.plot(ee, elastic(ee, tg, dirac, 1.0), color=col, ls="--", label=f"elastic {tg}, Q² > 1 GeV²")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(1e-39, 1e-32)
        ax.set_xlabel("E_χ (GeV)")
        ax.set_title(f"{'Dirac' if dirac else 'complex scalar'} χ, m_V = 0.1, m_χ = 0.03 GeV, ε = 1e-3, α_D = 0.5",
                     fontsize=9)
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("σ (cm²)")
    axes[0].legend(fontsize=8)
    fig.suptitle("DIS (W > 1.4 GeV, Q² > 1 GeV², LO NNPDF2.3) vs elastic χN (BBA03)")
    fig.tight_layout()
    fig.savefig(OUT / "dis_sigma.png", dpi=110)
    plt.close(fig)


def plot_kinematics() -> None:
    n, e0 = 50000, 20.0
    k0, k1, _ = key_from_seed(5)
    st = EventStreams(k0, k1, np.arange(n, dtype=np.int64), np.full(n, STAGE_SCATTER, dtype=np.int64))
    e = np.full(n, e0)
    p = np.column_stack([np.zeros(n), np.zeros(n), np.sqrt(e * e - M_CHI**2)])
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.9))
    for dirac, col in ((False, "C0"), (True, "C3")):
        out = dis.sample(e, p, M_CHI, M_V, dirac, "proton", st, np.arange(n))
        name = "Dirac" if dirac else "scalar"
        # x: histogram vs the x-marginal from a fine quadrature
        xe = np.geomspace(out["x"].min(), out["x"].max(), 31)
        axes[0].hist(out["x"], xe, density=True, histtype="step", color=col, label=f"sampled, {name}")
        ye = np.linspace(0, 1, 31)
        axes[1].hist(out["y"], ye, density=True, histtype="step", color=col, label=f"sampled, {name}")
        # predictions from d2sigma_dxdy on a grid (midpoint rule, only for the picture)
        xs = np.geomspace(xe[0], xe[-1], 400)
        ys = np.linspace(0.0005, 0.9995, 1000)
        xx, yy = np.meshgrid(xs, ys, indexing="ij")
        m = C.M_P
        inside = (2 * m * e0 * xx * yy > 1.0) & (m * m + 2 * m * e0 * yy * (1 - xx) > 1.4**2)
        d = np.where(inside, dis.d2sigma_dxdy(e0, xx, yy, M_CHI, M_V, 1.0, dirac, "proton"), 0.0)
        dx = np.gradient(xs)
        dy = ys[1] - ys[0]
        tot = (d * dx[:, None]).sum() * dy
        axes[0].plot(xs, d.sum(axis=1) * dy / tot, color=col, lw=0.8, alpha=0.7, label=f"d²σ/dxdy, {name}")
        axes[1].plot(ys, (d * dx[:, None]).sum(axis=0) / tot, color=col, lw=0.8, alpha=0.7,
                     label=f"d²σ/dxdy, {name}")
    axes[0].set_xscale("log")
    axes[0].set_xlabel("x")
    axes[0].set_ylabel("1/σ dσ/dx")
    axes[1].set_xlabel("y")
    axes[1].set_ylabel("1/σ dσ/dy")
    axes[0].set_title(f"proton, E_χ = {e0:g} GeV", fontsize=9)
    axes[1].set_title(f"proton, E_χ = {e0:g} GeV", fontsize=9)
    for ax in axes[:2]:
        ax.legend(fontsize=7)
    # F2 at Q^2 = 10 GeV^2 and the NMC fit (hep-ph/9509406)
    x = np.geomspace(1e-3, 0.9, 200)
    axes[2].plot(x, dis.f2(x, 10.0, "proton"), label="F2^p, LO NNPDF2.3 (pSet 13)")
    axes[2].plot(x, dis.f2(x, 10.0, "neutron"), label="F2^n (isospin)")
    axes[2].plot([0.1], [0.385], "k*", ms=9, label="NMC fit, x = 0.1")
    axes[2].set_xscale("log")
    axes[2].set_xlabel("x")
    axes[2].set_title("Q² = 10 GeV²", fontsize=9)
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(OUT / "dis_kinematics.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    tables()
    plot_sigma()
    plot_kinematics()
