"""Dark-photon decay widths (GeV).

References
----------
- Leptons: Batell, Pospelov, Ritz, PRD 79 (2009) 115008, arXiv:0903.0363, eq. (7) (with the
  kinetic-mixing coupling eps*e); PHYSICS.md section 3.3.
- chi pairs: the same vector-current widths with the coupling g_D; complex scalar and
  Dirac fermion as in deNiverville, Pospelov, Ritz, PRD 84 (2011) 075020, arXiv:1107.4580,
  and PHYSICS.md section 3.3.
- Hadrons: Gamma(V -> mu mu)|_(m_mu -> 0) x R(m_V) (Buschmann, Kopp, Liu, Machado, JHEP 07 (2015) 045,
  arXiv:1505.07459, eq. (2.3)).  R is approximated by :func:`r_ratio` (see there).
"""

from __future__ import annotations

import math

from .. import constants as C
from .._jit import jit


@jit
def width_to_fermions(m_v, coupling_alpha, m_f):  # type: ignore[no-untyped-def]
    """Gamma(V -> f fbar) for a vector coupling g = sqrt(4 pi coupling_alpha) (GeV).

    Gamma = (coupling_alpha/3) m_V (1 + 2 m_f^2/m_V^2) sqrt(1 - 4 m_f^2/m_V^2), zero below
    threshold.  With coupling_alpha = eps^2 alpha it is Gamma(V -> l+ l-); with alpha_D the
    Dirac-DM width.
    """
    r = m_f * m_f / (m_v * m_v)
    if 4.0 * r >= 1.0:
        return 0.0
    return coupling_alpha / 3.0 * m_v * (1.0 + 2.0 * r) * math.sqrt(1.0 - 4.0 * r)


@jit
def width_to_scalars(m_v, coupling_alpha, m_s):  # type: ignore[no-untyped-def]
    """Gamma(V -> phi phi*) for a complex scalar with charge g (GeV).

    Gamma = (coupling_alpha/12) m_V (1 - 4 m_s^2/m_V^2)^(3/2), zero below threshold.
    """
    r = m_s * m_s / (m_v * m_v)
    if 4.0 * r >= 1.0:
        return 0.0
    return coupling_alpha / 12.0 * m_v * (1.0 - 4.0 * r) ** 1.5


@jit
def width_to_chi(m_v, alpha_d, m_chi, dirac):  # type: ignore[no-untyped-def]
    """Gamma(V -> chi chibar) (GeV) for Dirac (``dirac=True``) or complex-scalar chi."""
    if dirac:
        return width_to_fermions(m_v, alpha_d, m_chi)
    return width_to_scalars(m_v, alpha_d, m_chi)


def r_ratio(sqrt_s: float) -> float:
    """Approximate R = sigma(e+e- -> hadrons)/sigma(e+e- -> mu+mu-) at sqrt(s) (GeV).

    Below 1.1 GeV: the two-pion contribution R = beta_pi^3 |F_pi(s)|^2 / 4 with a rho-dominance
    pion form factor |F_pi|^2 = m_rho^4 / ((m_rho^2 - s)^2 + m_rho^2 Gamma_rho^2)
    (Sakurai's vector-meson dominance; e.g. Jegerlehner & Nyffeler, Phys. Rept. 477 (2009) 1,
    eq. (4.10) at leading order).  Above 1.1 GeV: the parton model with three light quarks,
    R = 3 sum_q e_q^2 (1 + alpha_s/pi) = 2 x 1.1.  The narrow omega and phi peaks are not
    included.  In bdgen R enters only the total width in the V propagator, where hadrons are
    suppressed by eps^2 alpha / alpha_D relative to V -> chi chi; the full R-ratio data set is
    part of the visible-decay work (issue 5).
    """
    if sqrt_s <= 2.0 * C.M_PIPM:
        return 0.0
    s = sqrt_s * sqrt_s
    if sqrt_s < 1.1:
        m_rho, g_rho = 0.77526, 0.1491  # PDG RPP 2024
        beta = math.sqrt(1.0 - 4.0 * C.M_PIPM**2 / s)
        f2 = m_rho**4 / ((m_rho**2 - s) ** 2 + m_rho**2 * g_rho**2)
        return 0.25 * beta**3 * f2
    return 2.0 * 1.1


def total_width(
    m_v: float, m_chi: float, epsilon: float, alpha_d: float, dirac: bool, *, bdnmc: bool = False
) -> float:
    """Total dark-photon width (GeV): chi chibar + e+e- + mu+mu- + hadrons.

    With ``bdnmc=True`` the width BdNMC uses (``GammaV``, PHYSICS.md section 3.2): chi pairs
    plus e and mu pairs, no hadrons, and BdNMC's constants.
    """
    if bdnmc:
        a = C.BDNMC["alpha"] * epsilon**2
        return (
            width_to_chi(m_v, alpha_d, m_chi, dirac)
            + width_to_fermions(m_v, a, C.BDNMC["m_e"])
            + width_to_fermions(m_v, a, C.BDNMC["m_mu"])
        )
    a = C.ALPHA * epsilon**2
    g_mumu = width_to_fermions(m_v, a, C.M_MU)
    return (
        width_to_chi(m_v, alpha_d, m_chi, dirac)
        + width_to_fermions(m_v, a, C.M_E)
        + g_mumu
        + width_to_fermions(m_v, a, 0.0) * r_ratio(m_v)
    )


def br_to_chi(
    m_v: float, m_chi: float, epsilon: float, alpha_d: float, dirac: bool, *, bdnmc: bool = False
) -> float:
    """Branching ratio BR(V -> chi chibar) for an on-shell V."""
    g = total_width(m_v, m_chi, epsilon, alpha_d, dirac, bdnmc=bdnmc)
    if g <= 0.0:
        return 0.0
    return float(width_to_chi(m_v, alpha_d, m_chi, dirac)) / g
