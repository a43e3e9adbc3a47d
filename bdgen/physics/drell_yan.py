"""Parton-level production q qbar -> V of a dark photon (Drell-Yan), at leading order.

For a vector boson coupling eps e Q_q to quarks, the partonic cross-section in the narrow-width
limit is

    sigma_hat(q qbar -> V) = (4 pi^2 alpha eps^2 Q_q^2 / N_c) delta(s_hat - m_V^2)            (1)

(from sigma_hat = 12 pi^2 Gamma(V -> q qbar)/(N_c^2 m_V) delta(s_hat - m_V^2) with
Gamma(V -> q qbar) = N_c alpha eps^2 Q_q^2 m_V/3; e.g. Ellis, Stirling, Webber, "QCD and collider
physics", eq. (9.9) for the Z, which (1) reproduces with its couplings).  For a nucleon-nucleon
collision at c.m. energy squared s, with tau = m_V^2/s and the V rapidity y (c.m. frame),

    dsigma/dy = (4 pi^2 alpha eps^2 / (3 m_V^2)) sum_q Q_q^2 [x1 q(x1) x2 qbar(x2) + x1 qbar(x1) x2 q(x2)],
    x1,2 = sqrt(tau) e^{+-y},                                                               (2)

with the parton densities x f(x, mu^2 = m_V^2) of Pythia 8's built-in NNPDF2.3 LO set
(:mod:`bdgen.physics.dis`; the neutron by isospin).  Leading order: the V has no transverse
momentum (intrinsic k_T and the NLO K factor, about 1.3-1.6 for Drell-Yan at fixed-target
energies, are not included), so it flies along the beam, transversely polarised about it (the
1 + cos^2 theta of Drell-Yan pairs in the Collins-Soper frame).

Yield per proton on a thick target: every beam proton interacts once, so V per POT =
A sigma(p N -> V) / sigma_inel(p A) = sigma(p N -> V) N_A lambda_I, with the target's nuclear
interaction length lambda_I (g/cm^2) from the beam file and sigma(p N) the Z/A mixture of p-p
and p-n; the A scaling of hard processes (A^1) is assumed.  Below m_V = 1 GeV the parton picture
(and mu^2 = m_V^2 in the densities) is not trusted: the channel is closed there.

Units: GeV, GeV^-2 for cross-sections.
"""

from __future__ import annotations

import math

import numpy as np

from .. import constants as C

#: Lightest dark photon for which q qbar -> V is offered (GeV).
M_V_MIN = 1.0
#: Quarks summed over (PDG codes) and their charges.
QUARKS = {1: -1.0 / 3.0, 2: 2.0 / 3.0, 3: -1.0 / 3.0, 4: 2.0 / 3.0, 5: -1.0 / 3.0}
#: cm^2 per GeV^-2.
GEV2_TO_CM2 = C.GEV2_TO_M2 * 1e4


def _luminosity(x1: np.ndarray, x2: np.ndarray, mu2: float, target: str) -> np.ndarray:
    """sum_q Q_q^2 [x1 q_p(x1) x2 qbar_t(x2) + x1 qbar_p(x1) x2 q_t(x2)] (beam proton, target nucleon)."""
    from .dis import xf

    out = np.zeros_like(x1)
    for fl, q in QUARKS.items():
        out += q * q * (xf(fl, x1, mu2, "proton") * xf(-fl, x2, mu2, target)
                        + xf(-fl, x1, mu2, "proton") * xf(fl, x2, mu2, target))
    return out


def dsigma_dy(y: np.ndarray, m_v: float, s: float, epsilon: float, target: str) -> np.ndarray:
    """dsigma/dy (GeV^-2) of p N -> V X at c.m. rapidity y, eq. (2); zero outside |y| < -ln sqrt(tau)."""
    y = np.asarray(y, dtype=float)
    rt = m_v / math.sqrt(s)
    x1 = rt * np.exp(y)
    x2 = rt * np.exp(-y)
    ok = (x1 < 1.0) & (x2 < 1.0)
    lum = _luminosity(np.where(ok, x1, 0.5), np.where(ok, x2, 0.5), m_v * m_v, target)
    return np.where(ok, 4.0 * math.pi**2 * C.ALPHA * epsilon**2 / (3.0 * m_v * m_v) * lum, 0.0)


def sigma(m_v: float, s: float, epsilon: float, target: str, n: int = 400) -> float:
    """sigma(p N -> V X) in GeV^-2: eq. (2) integrated over y by Gauss-Legendre (n nodes)."""
    y_max = -math.log(m_v / math.sqrt(s))
    if y_max <= 0.0:
        return 0.0
    x, w = np.polynomial.legendre.leggauss(n)
    y = y_max * x
    return float(y_max * np.sum(w * dsigma_dy(y, m_v, s, epsilon, target)))


def lab_momentum_density(p_beam: float, m_v: float, epsilon: float, z: int, a: float, n_p: int = 160
                         ) -> tuple[np.ndarray, np.ndarray]:
    """dsigma/dp (GeV^-3) of the V lab momentum for a proton of momentum p_beam on a nucleon at
    rest (Z/A protons), on ``n_p`` equal cells of [0, p_beam]; the V flies along the beam.

    Returns (cell edges (n_p + 1,), dsigma/dp per cell (n_p,)), each cell the exact average of
    dsigma/dy dy/dp over the cell (Gauss-Legendre in y).
    """
    e_b = math.hypot(p_beam, C.M_P)
    m_n = 0.5 * (C.M_P + C.M_N)
    s = C.M_P**2 + m_n**2 + 2.0 * e_b * m_n
    y_cm = 0.5 * math.log((e_b + m_n + p_beam) / (e_b + m_n - p_beam))
    edges = np.linspace(0.0, p_beam, n_p + 1)
    y_edges = np.arcsinh(edges / m_v) - y_cm  # c.m. rapidity at each momentum edge
    x, w = np.polynomial.legendre.leggauss(16)
    frac_p = z / a
    out = np.zeros(n_p)
    for i in range(n_p):
        lo, hi = y_edges[i], y_edges[i + 1]
        y = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
        d = frac_p * dsigma_dy(y, m_v, s, epsilon, "proton") + (1 - frac_p) * dsigma_dy(y, m_v, s, epsilon,
                                                                                        "neutron")
        out[i] = 0.5 * (hi - lo) * float(np.sum(w * d)) / (edges[i + 1] - edges[i])
    return edges, out


def v_per_pot(p_beam: float, m_v: float, epsilon: float, z: int, a: float, interaction_length: float) -> float:
    """V per proton on target: sigma(p N -> V) N_A lambda_I (module docstring), lambda_I in g/cm^2."""
    e_b = math.hypot(p_beam, C.M_P)
    m_n = 0.5 * (C.M_P + C.M_N)
    s = C.M_P**2 + m_n**2 + 2.0 * e_b * m_n
    frac_p = z / a
    sig = frac_p * sigma(m_v, s, epsilon, "proton") + (1 - frac_p) * sigma(m_v, s, epsilon, "neutron")
    return sig * GEV2_TO_CM2 * C.N_A * interaction_length


__all__ = ["M_V_MIN", "dsigma_dy", "lab_momentum_density", "sigma", "v_per_pot"]
