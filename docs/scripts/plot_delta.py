"""Plots for docs/delta.md: chi N -> chi Delta(1232) (bdgen.physics.delta).

Run from the repository root:  python docs/scripts/plot_delta.py
Writes docs/delta_sigma.png, docs/delta_shapes.png, docs/delta_gmstar.png, docs/delta_pi0.png.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from bdgen import constants as C
from bdgen.physics import delta as D
from bdgen.physics import form_factors as FF
from bdgen.physics import scattering as S
from bdgen.rng import EventStreams, key_from_seed

OUT = Path(__file__).resolve().parents[1]
M_CHI, M_V = 0.03, 0.1
COUPLING = 1e-6 * C.ALPHA * 0.5
CM2 = C.GEV2_TO_M2 * 1e4

# BdNMC data/delta_production_form_factor.dat (a subset of its rows)
BDNMC_GM = np.array([[0.0, 3.07393921639361], [0.1, 2.3077093677215643], [0.2, 1.792064628771568],
                     [0.3, 1.4288555184551524], [0.5, 0.9640648950363191], [0.7, 0.6894544713895046],
                     [1.0, 0.44973379259606505], [1.5, 0.25219104307793094], [2.0, 0.15764458802666048],
                     [3.0, 0.07513592150646797], [4.0, 0.042249990908287495], [5.0, 0.026392099032170067]])


def _elastic(e: np.ndarray, target: str, dirac: bool) -> np.ndarray:
    m, ff, mu = {"proton": (C.M_P, FF.BBA03_P, C.MU_P), "neutron": (C.M_N, FF.BBA03_N, C.MU_N)}[target]
    return np.array([S.sigma(x, M_CHI, M_V, COUPLING, m, dirac, ff, mu, math.inf, 0.0, math.inf, S.GL_NODES,
                             S.GL_WEIGHTS) for x in e])


def plot_sigma() -> None:
    e = np.geomspace(0.2, 20.0, 120)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for dirac, ls in ((False, "-"), (True, "--")):
        name = "Dirac" if dirac else "scalar"
        sp = D.sigma(e, M_CHI, M_V, COUPLING, dirac, "proton") * CM2
        sn = D.sigma(e, M_CHI, M_V, COUPLING, dirac, "neutron") * CM2
        ax.plot(e, sp, "C0" + ls, lw=3.5, alpha=0.5, label=f"$\\chi p\\to\\chi\\Delta^+$, {name}")
        ax.plot(e, sn, "C2" + ls, label=f"$\\chi n\\to\\chi\\Delta^0$, {name}")
        ax.plot(e, _elastic(e, "proton", dirac) * CM2, "C1" + ls, label=f"elastic $\\chi p$, {name}")
        ax.plot(e, _elastic(e, "neutron", dirac) * CM2, "C3" + ls, label=f"elastic $\\chi n$, {name}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1e-37, 1e-32)
    ax.set_xlabel("$E_\\chi$ (GeV)")
    ax.set_ylabel("$\\sigma$ (cm$^2$)")
    ax.set_title("$m_V = 0.1$, $m_\\chi = 0.03$ GeV, $\\epsilon = 10^{-3}$, $\\alpha_D = 0.5$", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(OUT / "delta_sigma.png", dpi=120)
    plt.close(fig)


def _sample(e0: float, n: int, dirac: bool, final: str = "pi0") -> dict[str, np.ndarray]:
    k0, k1, _ = key_from_seed(7)
    st = EventStreams(k0, k1, np.arange(n, dtype=np.int64), np.zeros(n, dtype=np.int64))
    e = np.full(n, e0)
    p = np.c_[np.zeros(n), np.zeros(n), np.full(n, math.sqrt(e0 * e0 - M_CHI**2))]
    return D.sample(e, p, M_CHI, M_V, dirac, "proton", st, np.arange(n), final=final)


def plot_shapes() -> None:
    e0, n = 2.0, 40000
    fig, axs = plt.subplots(1, 2, figsize=(9.6, 3.8))
    w = np.linspace(D.w_min("proton"), D.W_MAX, 300)
    m = C.M_P
    xq, wq = np.polynomial.legendre.leggauss(96)
    for dirac, col in ((False, "C0"), (True, "C1")):
        out = _sample(e0, n, dirac)
        # dsigma/dW by quadrature in ln D
        lo, hi = D.q2_limits(e0, w, M_CHI, m)
        y0, y1 = np.log(M_V**2 + lo), np.log(M_V**2 + hi)
        y = 0.5 * (y1 + y0)[:, None] + 0.5 * (y1 - y0)[:, None] * xq
        d = np.exp(y)
        f = D.dsigma(e0, d - M_V**2, w[:, None], M_CHI, M_V, 1.0, dirac, "proton") * d
        dsdw = (f * wq).sum(axis=1) * 0.5 * (y1 - y0)
        tot = np.trapezoid(dsdw, w)
        name = "Dirac" if dirac else "scalar"
        axs[0].plot(w, dsdw / tot, col, label=f"$d\\sigma/dW$, {name}")
        axs[0].hist(out["w"], bins=50, range=(w[0], w[-1]), density=True, histtype="step", color=col, ls=":",
                    label=f"sampled, {name}")
        q2 = np.geomspace(1e-3, 3.0, 300)
        ww = np.linspace(D.w_min("proton"), D.W_MAX, 400)
        g = D.dsigma(e0, q2[:, None], ww[None, :], M_CHI, M_V, 1.0, dirac, "proton")
        dsdq = np.trapezoid(g, ww, axis=1)
        axs[1].plot(q2, dsdq / np.trapezoid(dsdq, q2), col, label=f"$d\\sigma/dQ^2$, {name}")
        axs[1].hist(out["q2"], bins=np.geomspace(1e-3, 3.0, 50), density=True, histtype="step", color=col,
                    ls=":", label=f"sampled, {name}")
    axs[0].set_xlabel("$W$ (GeV)")
    axs[0].set_ylabel("normalised")
    axs[1].set_xscale("log")
    axs[1].set_yscale("log")
    axs[1].set_xlabel("$Q^2$ (GeV$^2$)")
    for ax in axs:
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle(f"$\\chi p\\to\\chi\\Delta^+$ at $E_\\chi = {e0}$ GeV ($m_V = 0.1$, $m_\\chi = 0.03$ GeV)", fontsize=10)
    fig.tight_layout()
    fig.savefig(OUT / "delta_shapes.png", dpi=120)
    plt.close(fig)


def plot_gmstar() -> None:
    q2 = np.linspace(0.0, 5.0, 300)
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    gd = (1 + q2 / 0.71) ** -2
    ax.plot(q2, D.gm_star(q2) / (3 * gd), "C0", label="bdgen $G_M^*$ (Jones-Scadron) / $3G_D$")
    ash = D.gm_star(q2) / np.sqrt(1 + q2 / (D.M_DELTA + C.M_P) ** 2)
    ax.plot(q2, ash / (3 * gd), "C0--", label="bdgen, Ash convention / $3G_D$")
    b = BDNMC_GM
    ax.plot(b[:, 0], b[:, 1] / (3 * (1 + b[:, 0] / 0.71) ** -2), "ko", ms=4, label="BdNMC table / $3G_D$")
    ax.set_xlabel("$Q^2$ (GeV$^2$)")
    ax.set_ylabel("$G_M^*/3G_D$")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(OUT / "delta_gmstar.png", dpi=120)
    plt.close(fig)


def plot_pi0() -> None:
    e0, n = 2.0, 40000
    fig, axs = plt.subplots(1, 3, figsize=(12.0, 3.6))
    for dirac, col in ((False, "C0"), (True, "C1")):
        out = _sample(e0, n, dirac)
        name = "Dirac" if dirac else "scalar"
        pi = out["pi0"]
        cth = pi[:, 3] / np.linalg.norm(pi[:, 1:], axis=1)
        axs[0].hist(pi[:, 0], bins=60, range=(C.M_PI0, 1.5), density=True, histtype="step", color=col, label=name)
        axs[1].hist(cth, bins=60, range=(-1, 1), density=True, histtype="step", color=col, label=name)
        g1, g2 = out["gamma1"], out["gamma2"]
        cos12 = (g1[:, 1:] * g2[:, 1:]).sum(axis=1) / (g1[:, 0] * g2[:, 0])
        axs[2].hist(np.degrees(np.arccos(np.clip(cos12, -1, 1))), bins=60, range=(0, 180), density=True,
                    histtype="step", color=col, label=name)
    axs[0].set_xlabel("$E_{\\pi^0}$ (GeV)")
    axs[1].set_xlabel("$\\cos\\theta_{\\pi^0}$ (to the $\\chi$ beam)")
    axs[2].set_xlabel("opening angle $\\gamma\\gamma$ (deg)")
    for ax in axs:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(f"$\\chi p\\to\\chi\\Delta^+\\to\\chi p\\pi^0$, $E_\\chi = {e0}$ GeV", fontsize=10)
    fig.tight_layout()
    fig.savefig(OUT / "delta_pi0.png", dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    plot_sigma()
    plot_shapes()
    plot_gmstar()
    plot_pi0()
