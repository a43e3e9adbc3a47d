"""rho/omega/phi -> V* -> chi chibar by kinetic mixing (bdgen.physics.meson_decays.br_vector_mixing).

Independent references:
- the formula of the function's docstring (PHYSICS.md section 3.1, BdNMC branchingratios.cpp,
  with the full propagator), transcribed here:
      BR = BR(M -> e+e-) (3 eps^2/alpha) m_M^3 Gamma_{V*->chi chi}(m_M) / [(m_M^2 - m_V^2)^2 + Im Pi^2],
  Im Pi = m_M Gamma_{V*->chi chi}(m_M) + m_V (Gamma_V - Gamma_{V->chi chi}(m_V)) (the running
  width of the V self-energy at q^2 = m_M^2; BdNMC's fixed m_V Gamma_V under compat.bdnmc),
  with Gamma_{V*->chi chi} typed from PHYSICS.md 3.3 (complex scalar and Dirac).  The total
  width Gamma_V is bdgen.physics.widths.total_width (tested in test_widths.py);
- PDG RPP 2024 masses and e+e- branching ratios typed here: rho0 775.26 MeV, 4.72e-5;
  omega 782.66 MeV, 7.38e-5; phi 1019.461 MeV, 2.979e-4;
- limits: zero for 2 m_chi >= m_M; a Breit-Wigner in m_V with its peak at m_M and full width at
  half maximum Gamma_V; proportional to eps^2; proportional to alpha_D where the propagator is
  dominated by (m_M^2 - m_V^2)^2 and alpha_D >> eps^2 alpha.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
from scipy import optimize

from bdgen import constants as C
from bdgen.physics import meson_decays as MD
from bdgen.physics.widths import total_width

#: pytest.approx without the default abs=1e-12 floor (the BRs are ~1e-8).
approx = partial(pytest.approx, abs=0.0)

PDG = {"rho": (113, 0.77526, 4.72e-5), "omega": (223, 0.78266, 7.38e-5), "phi": (333, 1.019461, 2.979e-4)}
ALPHA = 0.0072973525643  # CODATA 2022 (what scipy.constants, hence bdgen.constants, carries)
BD_ALPHA = 1 / 137.035999074


def gamma_chi(m, alpha_d, m_chi, dirac):
    r = 4 * m_chi**2 / m**2
    if r >= 1:
        return 0.0
    if dirac:
        return alpha_d / 3 * m * (1 + r / 2) * math.sqrt(1 - r)
    return alpha_d / 12 * m * (1 - r) ** 1.5


def br_ref(meson, m_v, m_chi, eps, alpha_d, dirac, *, bdnmc=False):
    br_ee = PDG[meson][2]
    m = MD.vector_meson_mass(meson)  # the mass is an input (checked against the PDG value above)
    if 2 * m_chi >= m:
        return 0.0
    g_v = total_width(m_v, m_chi, eps, alpha_d, dirac, bdnmc=bdnmc)
    a = BD_ALPHA if bdnmc else ALPHA
    g_m = gamma_chi(m, alpha_d, m_chi, dirac)
    im = m_v * g_v if bdnmc else m * g_m + m_v * (g_v - gamma_chi(m_v, alpha_d, m_chi, dirac))
    return br_ee * 3 * eps**2 / a * m**3 * g_m / ((m**2 - m_v**2) ** 2 + im**2)


def test_meson_table_and_masses():
    assert set(MD.VECTOR_MESONS) == set(PDG)
    for name, (pdg, m, br_ee) in PDG.items():
        assert MD.VECTOR_MESONS[name] == (pdg, br_ee)
        assert MD.vector_meson_mass(name) == approx(m, rel=2e-6)


@pytest.mark.parametrize("meson", ["rho", "omega", "phi"])
@pytest.mark.parametrize("dirac", [False, True])
@pytest.mark.parametrize("bdnmc", [False, True])
def test_matches_transcription(meson, dirac, bdnmc):
    g = np.random.default_rng(["rho", "omega", "phi"].index(meson) + 3 * dirac + 6 * bdnmc)
    n_open = 0
    for _ in range(60):
        m_v = g.uniform(0.01, 1.5)
        m_chi = g.uniform(0.0005, 0.6)
        eps = 10 ** g.uniform(-5, -2)
        alpha_d = g.uniform(0.01, 1.0)
        got = MD.br_vector_mixing(meson, m_v, m_chi, eps, alpha_d, dirac, bdnmc=bdnmc)
        ref = br_ref(meson, m_v, m_chi, eps, alpha_d, dirac, bdnmc=bdnmc)
        assert got == approx(ref, rel=1e-12)
        n_open += ref > 0
    assert n_open > 20


def test_single_point_by_hand():
    # omega, m_V = 0.5, m_chi = 0.1, eps = 1e-3, alpha_D = 0.5, scalar
    m = MD.vector_meson_mass("omega")
    g_chi = 0.5 / 12 * m * (1 - 4 * 0.01 / m**2) ** 1.5
    g_v = total_width(0.5, 0.1, 1e-3, 0.5, False)
    g_chi_v = 0.5 / 12 * 0.5 * (1 - 4 * 0.01 / 0.25) ** 1.5  # Gamma(V -> chi chi*) on shell
    im = m * g_chi + 0.5 * (g_v - g_chi_v)  # running width at q^2 = m_omega^2
    expected = 7.38e-5 * 3e-6 / ALPHA * m**3 * g_chi / ((m**2 - 0.25) ** 2 + im**2)
    assert MD.br_vector_mixing("omega", 0.5, 0.1, 1e-3, 0.5, False) == approx(expected, rel=1e-12)


@pytest.mark.parametrize("meson", ["rho", "omega", "phi"])
def test_zero_when_closed(meson):
    m = MD.vector_meson_mass(meson)
    for dirac in (False, True):
        assert MD.br_vector_mixing(meson, 0.3, 0.5 * m, 1e-3, 0.5, dirac) == 0.0
        assert MD.br_vector_mixing(meson, 0.3, 0.5 * m + 1e-3, 1e-3, 0.5, dirac) == 0.0
        assert MD.br_vector_mixing(meson, 0.3, 0.5 * m * (1 - 1e-6), 1e-3, 0.5, dirac) > 0.0


@pytest.mark.parametrize("meson", ["rho", "omega", "phi"])
def test_breit_wigner_peak_and_width(meson):
    """As a function of m_V: maximum at m_V = m_M (to O(Gamma_V^2/m_M)), full width at half
    maximum Gamma_V(m_M), and at the peak BR = BR_ee (3 eps^2/alpha) m_M Gamma_chi(m_M)/Gamma_V^2."""
    m = MD.vector_meson_mass(meson)
    m_chi, eps, alpha_d = 0.15, 1e-3, 0.1

    def br(mv):
        return MD.br_vector_mixing(meson, mv, m_chi, eps, alpha_d, False)

    g_v = total_width(m, m_chi, eps, alpha_d, False)
    res = optimize.minimize_scalar(lambda x: -br(x), bracket=(m - 0.5 * g_v, m, m + 0.5 * g_v),
                                   tol=1e-12)
    assert abs(res.x - m) < 0.01 * g_v
    peak = br(m)
    g_chi = gamma_chi(m, alpha_d, m_chi, False)
    assert peak == approx(PDG[meson][2] * 3 * eps**2 / ALPHA * m * g_chi / g_v**2, rel=1e-12)
    lo = optimize.brentq(lambda x: br(x) - 0.5 * peak, m - 5 * g_v, m, xtol=1e-14)
    hi = optimize.brentq(lambda x: br(x) - 0.5 * peak, m, m + 5 * g_v, xtol=1e-14)
    # Gamma_V varies with m_V across the line (by ~Gamma_V/m_M relative)
    assert hi - lo == approx(g_v, rel=0.02)
    assert 0.5 * (hi + lo) == approx(m, abs=0.02 * g_v)


@pytest.mark.parametrize("meson", ["rho", "omega", "phi"])
@pytest.mark.parametrize("m_v", [0.1, 0.5, 1.3])
def test_proportional_to_eps_squared(meson, m_v):
    m = MD.vector_meson_mass(meson)
    b1 = MD.br_vector_mixing(meson, m_v, 0.05, 1e-4, 0.5, True)
    b2 = MD.br_vector_mixing(meson, m_v, 0.05, 3e-4, 0.5, True)
    assert b2 / b1 == approx(9.0, rel=1e-7)
    # also on the peak, where Gamma_V enters squared: its eps^2 alpha part is ~1e-7 of the chi width
    p1 = MD.br_vector_mixing(meson, m, 0.05, 1e-4, 0.5, True)
    p2 = MD.br_vector_mixing(meson, m, 0.05, 3e-4, 0.5, True)
    assert p2 / p1 == approx(9.0, rel=1e-5)


@pytest.mark.parametrize("meson", ["rho", "omega", "phi"])
@pytest.mark.parametrize("dirac", [False, True])
def test_proportional_to_alpha_d_off_peak(meson, dirac):
    """|m_M^2 - m_V^2| >> Im Pi and alpha_D >> eps^2 alpha: BR ~ alpha_D, up to a relative
    correction below Im Pi^2/(m_M^2 - m_V^2)^2, Im Pi = m_M Gamma_{V*->chi chi}(m_M) + the
    visible part (up to 0.033 here: Dirac phi at alpha_D = 0.5, where m_phi Gamma_chi(m_phi) is 0.18
    of m_phi^2 - m_V^2)."""
    m_v, m_chi, eps = 0.3, 0.1, 1e-4
    m = MD.vector_meson_mass(meson)
    b1 = MD.br_vector_mixing(meson, m_v, m_chi, eps, 0.05, dirac)
    b2 = MD.br_vector_mixing(meson, m_v, m_chi, eps, 0.5, dirac)
    bound = (m * gamma_chi(m, 0.5, m_chi, dirac) + m_v * total_width(m_v, m_chi, eps, 0.0, dirac)) ** 2 \
        / (m**2 - m_v**2) ** 2
    assert bound < 0.04
    assert abs(b2 / b1 / 10.0 - 1.0) <= bound
    # on the peak the alpha_D in Gamma_V^2 wins: BR ~ 1/alpha_D
    p1 = MD.br_vector_mixing(meson, m, m_chi, eps, 0.05, dirac)
    p2 = MD.br_vector_mixing(meson, m, m_chi, eps, 0.5, dirac)
    assert p2 / p1 == approx(0.1, rel=1e-3)


def test_bdnmc_uses_bdnmc_alpha():
    a = MD.br_vector_mixing("phi", 0.4, 0.1, 1e-3, 0.5, False)
    b = MD.br_vector_mixing("phi", 0.4, 0.1, 1e-3, 0.5, False, bdnmc=True)
    # far from the pole the widths matter little: the ratio is alpha/alpha_BdNMC, up to the
    # width term, here bdgen's running Im Pi (m_phi Gamma_chi(m_phi))^2/(m_phi^2 - m_V^2)^2 = 2.1e-3
    # against BdNMC's fixed (m_V Gamma_V)^2/(...)^2 = 2e-5
    m = MD.vector_meson_mass("phi")
    im2 = (m * gamma_chi(m, 0.5, 0.1, False)) ** 2 / (m**2 - 0.16) ** 2
    assert b / a == approx(ALPHA / BD_ALPHA * (1 + im2), rel=1e-4)
    assert C.ALPHA == approx(ALPHA, rel=1e-12)
