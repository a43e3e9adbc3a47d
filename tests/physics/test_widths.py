"""Dark-photon decay widths and branching ratios (bdgen.physics.widths).

Independent references:
- PHYSICS.md section 3.3 closed forms, transcribed here from the reference sheet (not imported
  from bdgen), and its [derived] numbers.
- The generic two-body decay rate Gamma = p* |M|^2_avg / (8 pi m_V^2) with the spin-summed
  squared amplitudes of V -> f fbar and V -> phi phi* worked out by hand (see the helpers
  below), which is a different route to the same widths.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest

from bdgen import constants as C
from bdgen.physics import widths as W

#: pytest.approx with no absolute floor: its default abs=1e-12 would make every rel= check on
#: the small numbers here (BRs ~1e-7, widths, cross-sections in GeV^-2) vacuous.
approx = partial(pytest.approx, abs=0.0)

ALPHA = C.ALPHA


# --- independent oracles -------------------------------------------------------------------


def _gamma_ll_physics(m_v: float, coupling_alpha: float, m_f: float) -> float:
    """PHYSICS.md 3.3: (alpha eps^2/3) m_V (1 + 2 m_l^2/m_V^2) sqrt(1 - 4 m_l^2/m_V^2)."""
    x = m_f**2 / m_v**2
    if 4 * x >= 1:
        return 0.0
    return coupling_alpha / 3.0 * m_v * (1 + 2 * x) * math.sqrt(1 - 4 * x)


def _p_star(m_v: float, m: float) -> float:
    """Decay momentum of V -> a a (equal masses m) in the V rest frame."""
    return math.sqrt(m_v**2 / 4.0 - m**2)


def _gamma_from_amplitude(m_v: float, m: float, msq_avg: float) -> float:
    """Two-body decay rate Gamma = p* <|M|^2> / (8 pi m_V^2) (PDG kinematics review)."""
    return _p_star(m_v, m) * msq_avg / (8.0 * math.pi * m_v**2)


def _msq_fermions(m_v: float, g2: float, m: float) -> float:
    """<|M|^2>(V -> f fbar), averaged over the 3 V polarisations.

    sum_pol sum_spins = g^2 (-g_{mu nu}) Tr[(p1 + m) gamma^mu (p2 - m) gamma^nu]
    = g^2 (8 p1.p2 + 16 m^2) = 4 g^2 (m_V^2 + 2 m^2); the k^mu k^nu/m_V^2 term vanishes by
    current conservation.
    """
    return 4.0 * g2 * (m_v**2 + 2 * m**2) / 3.0


def _msq_scalars(m_v: float, g2: float, m: float) -> float:
    """<|M|^2>(V -> phi phi*) = g^2 [-(p1 - p2)^2] / 3 = g^2 (m_V^2 - 4 m^2) / 3."""
    return g2 * (m_v**2 - 4 * m**2) / 3.0


# --- tests ---------------------------------------------------------------------------------


def test_gamma_ee_at_eps1_mv1_physics_value() -> None:
    # PHYSICS 3.3 [derived]: Gamma(V -> ee) at eps = 1, m_V = 1 GeV equals alpha/3 = 2.4325e-3
    # GeV (5 significant figures -> rel 5e-5); the electron-mass correction is O(m_e^4/m_V^4).
    g = W.width_to_fermions(1.0, ALPHA, C.M_E)
    assert g == approx(2.4325e-3, rel=5e-5)
    # Closed form (PHYSICS 3.3) including the (1 + 2r) sqrt(1 - 4r) factor: rel 1e-13.
    assert g == approx(_gamma_ll_physics(1.0, ALPHA, C.M_E), rel=1e-13)


@pytest.mark.parametrize(
    ("m_v", "m_f"),
    [(1.0, C.M_E), (0.3, C.M_MU), (0.0305, 0.01), (0.02001, 0.01), (5.0, 1.777)],
)
def test_fermion_width_two_routes(m_v: float, m_f: float) -> None:
    # Closed form of PHYSICS 3.3 (rel 1e-13) and the two-body rate from the hand-traced
    # amplitude with g^2 = 4 pi alpha_c (rel 1e-12): both independent of the bdgen code.
    a_c = 0.37
    g = W.width_to_fermions(m_v, a_c, m_f)
    assert g == approx(_gamma_ll_physics(m_v, a_c, m_f), rel=1e-13)
    ref = _gamma_from_amplitude(m_v, m_f, _msq_fermions(m_v, 4 * math.pi * a_c, m_f))
    assert g == approx(ref, rel=1e-12)


@pytest.mark.parametrize(("m_v", "m_s"), [(0.03, 0.01), (0.3, 0.001), (0.0201, 0.01)])
def test_scalar_width_from_amplitude(m_v: float, m_s: float) -> None:
    # Gamma(V -> phi phi*) = p* <|M|^2> / (8 pi m_V^2), <|M|^2> = g_D^2 (m_V^2 - 4 m^2)/3;
    # equals (alpha_D/12) m_V beta^3 of PHYSICS 3.3.  rel 1e-12.
    a_d = 0.5
    g = W.width_to_scalars(m_v, a_d, m_s)
    ref = _gamma_from_amplitude(m_v, m_s, _msq_scalars(m_v, 4 * math.pi * a_d, m_s))
    assert g == approx(ref, rel=1e-12)
    beta = math.sqrt(1 - 4 * m_s**2 / m_v**2)
    assert g == approx(a_d / 12 * m_v * beta**3, rel=1e-12)


def test_chi_widths_physics_benchmark() -> None:
    # PHYSICS 3.3 [derived]: at (m_V, m_chi) = (30, 10) MeV, alpha_D = 0.5,
    # Gamma_scalar = 5.1761e-4 GeV and Gamma_Dirac = 4.5550e-3 GeV.  Five significant figures:
    # rel 2e-5 (half a unit in the last digit is <= 1.1e-5).
    assert W.width_to_chi(0.03, 0.5, 0.01, False) == approx(5.1761e-4, rel=2e-5)
    assert W.width_to_chi(0.03, 0.5, 0.01, True) == approx(4.5550e-3, rel=2e-5)
    # The dispatch really selects the two different formulas (ratio 8.80 here).
    assert W.width_to_chi(0.03, 0.5, 0.01, True) / W.width_to_chi(0.03, 0.5, 0.01, False) == (
        approx(4 * (1 + 2 / 9) / (5 / 9), rel=1e-12)
    )


@pytest.mark.parametrize(
    ("m_v", "m_x"), [(0.02, 0.01), (0.019, 0.01), (1e-3, C.M_E), (0.2, C.M_MU)]
)
def test_widths_zero_at_and_below_threshold(m_v: float, m_x: float) -> None:
    # Kinematically closed (2 m >= m_V): exactly zero, no NaN from sqrt of a negative number.
    assert W.width_to_fermions(m_v, 0.5, m_x) == 0.0
    assert W.width_to_scalars(m_v, 0.5, m_x) == 0.0
    assert W.width_to_chi(m_v, 0.5, m_x, True) == 0.0
    assert W.width_to_chi(m_v, 0.5, m_x, False) == 0.0


def test_br_to_chi_physics_benchmark() -> None:
    # PHYSICS 3.3: BR(V -> chi chi) = 0.99999986 at (30 MeV, 10 MeV, eps = 1e-3, alpha_D = 0.5).
    # Only e+e- competes at 30 MeV (below 2 m_mu and 2 m_pi).  bdgen uses PDG m_e / CODATA
    # alpha and BdNMC its own constants, which shift 1 - BR by < 1e-8 relative; the
    # quoted value has 8 decimals, so abs tolerance 3e-8 (1 - BR itself is 1.4e-7).
    for bd in (False, True):
        assert W.br_to_chi(0.03, 0.01, 1e-3, 0.5, False, bdnmc=bd) == approx(
            0.99999986, abs=3e-8
        )
    # Tighter: 1 - BR = Gamma_ee / (Gamma_ee + Gamma_chi) with the PHYSICS 3.3 closed forms.
    g_ee = _gamma_ll_physics(0.03, ALPHA * 1e-6, C.M_E)
    g_chi = 0.5 / 12 * 0.03 * (1 - 4 * (0.01 / 0.03) ** 2) ** 1.5
    one_minus = 1.0 - W.br_to_chi(0.03, 0.01, 1e-3, 0.5, False)
    # 1 - BR is computed by subtraction from a number ~1: double precision leaves ~1e-16/1.4e-7
    # ~ 1e-9 relative, so rel 1e-7.
    assert one_minus == approx(g_ee / (g_ee + g_chi), rel=1e-7)


def test_br_to_chi_closed_channel_is_zero() -> None:
    # 2 m_chi > m_V: V cannot decay to chi pairs on shell; BR = 0 (not NaN).
    assert W.br_to_chi(0.015, 0.01, 1e-3, 0.5, True) == 0.0
    assert W.br_to_chi(0.015, 0.01, 1e-3, 0.5, False, bdnmc=True) == 0.0


def test_br_to_chi_when_leptons_compete() -> None:
    # Small alpha_D so that Gamma_ee and Gamma_chi are comparable; BR from the PHYSICS 3.3
    # closed forms (Dirac chi, e and mu channels, m_V = 0.25 GeV is below 2 m_pi+ = 0.279 so no
    # hadrons).  rel 1e-12.
    m_v, m_chi, eps, a_d = 0.25, 0.02, 1e-3, 1e-8
    g_chi = _gamma_ll_physics(m_v, a_d, m_chi)
    g_l = _gamma_ll_physics(m_v, ALPHA * eps**2, C.M_E) + _gamma_ll_physics(
        m_v, ALPHA * eps**2, C.M_MU
    )
    br = W.br_to_chi(m_v, m_chi, eps, a_d, True)
    assert br == approx(g_chi / (g_chi + g_l), rel=1e-12)
    assert 0.2 < br < 0.8  # the test point really is one where both matter


def test_total_width_sum_below_two_pion_threshold() -> None:
    # Gamma_V = chi chi + ee + mumu (R = 0 below 2 m_pi+).  PHYSICS 3.3 closed forms; rel 1e-12.
    m_v, m_chi, eps, a_d = 0.25, 0.05, 3e-3, 0.1
    ref = (
        a_d / 12 * m_v * (1 - 4 * m_chi**2 / m_v**2) ** 1.5
        + _gamma_ll_physics(m_v, ALPHA * eps**2, C.M_E)
        + _gamma_ll_physics(m_v, ALPHA * eps**2, C.M_MU)
    )
    assert W.total_width(m_v, m_chi, eps, a_d, False) == approx(ref, rel=1e-12)


def test_total_width_bdnmc_constants_and_no_hadrons() -> None:
    # BdNMC GammaV (PHYSICS 3.2): scalar chi chi + ee + mumu with BdNMC's constants
    # (alpha = 1/137.035999074, m_mu = 0.10576583745 "sic"), and no R-ratio.  rel 1e-12.
    a = 1 / 137.035999074
    m_e, m_mu = 0.5109989461e-3, 0.10576583745
    m_v, m_chi, eps, a_d = 0.5, 0.1, 1e-2, 0.1
    ref = (
        a_d / 12 * m_v * (1 - 4 * m_chi**2 / m_v**2) ** 1.5
        + _gamma_ll_physics(m_v, a * eps**2, m_e)
        + _gamma_ll_physics(m_v, a * eps**2, m_mu)
    )
    assert W.total_width(m_v, m_chi, eps, a_d, False, bdnmc=True) == approx(ref, rel=1e-12)


def test_total_width_hadronic_part() -> None:
    # Above 2 m_pi bdgen adds Gamma(V -> hadrons) = Gamma(V -> mu mu)|_{m_mu -> 0} x R(m_V)
    # (the Buschmann et al. convention quoted in widths.py; PHYSICS 3.3 writes Gamma_mumu x R,
    # which differs by the muon-mass factor (1 + 2r) sqrt(1 - 4r) = 0.987 at 0.5 GeV).
    # With alpha_D = 0: Gamma_V - Gamma_ee - Gamma_mumu = (alpha eps^2/3) m_V R.  rel 1e-10.
    m_v, eps = 0.5, 1e-2
    lept = _gamma_ll_physics(m_v, ALPHA * eps**2, C.M_E) + _gamma_ll_physics(
        m_v, ALPHA * eps**2, C.M_MU
    )
    had = W.total_width(m_v, 0.3, eps, 0.0, False) - lept
    r = W.r_ratio(m_v)
    assert r > 0.1
    assert had == approx(ALPHA * eps**2 / 3 * m_v * r, rel=1e-10)
    # Under compat.bdnmc there is no hadronic width at all (rel 1e-12).
    lept_bd = _gamma_ll_physics(m_v, eps**2 / 137.035999074, 0.5109989461e-3) + _gamma_ll_physics(
        m_v, eps**2 / 137.035999074, 0.10576583745
    )
    assert W.total_width(m_v, 0.3, eps, 0.0, False, bdnmc=True) == approx(lept_bd, rel=1e-12)


def test_bdnmc_muon_mass_threshold() -> None:
    # BdNMC's m_mu = 0.10576583745 GeV vs PDG 0.1056584 (PHYSICS 1): between the two
    # thresholds, V -> mu mu is open for bdgen and closed under compat.bdnmc.
    m_v = 0.2114  # 2 x 0.1056584 = 0.21132 < m_V < 2 x 0.1057658 = 0.21153
    assert 2 * C.M_MU < m_v < 2 * 0.10576583745
    eps = 1.0
    g_bd = W.total_width(m_v, 0.2, eps, 0.0, False, bdnmc=True)
    g_pdg = W.total_width(m_v, 0.2, eps, 0.0, False)
    # Only ee for BdNMC (rel 1e-12, BdNMC constants).
    assert g_bd == approx(_gamma_ll_physics(m_v, eps**2 / 137.035999074, 0.5109989461e-3),
                                 rel=1e-12)
    # bdgen adds the (tiny, beta = 0.02) mumu width; R = 0 here (below 2 m_pi+).
    assert g_pdg - _gamma_ll_physics(m_v, ALPHA, C.M_E) == approx(
        _gamma_ll_physics(m_v, ALPHA, C.M_MU), rel=1e-6
    )


@pytest.mark.parametrize("sqrt_s", [0.0, 0.01, 0.2, 0.27, 2 * C.M_PIPM])
def test_r_ratio_zero_below_two_pion_threshold(sqrt_s: float) -> None:
    # No hadronic final state below 2 m_pi+ (the lightest, pi+ pi-, channel; pi0 gamma is
    # O(alpha) and ignored by design): R = 0 exactly.
    assert W.r_ratio(sqrt_s) == 0.0


def test_r_ratio_above_threshold() -> None:
    # Just above threshold R > 0 and ~ beta^3/4 |F_pi|^2 -> tiny (P-wave, beta^3).
    r_thr = W.r_ratio(2 * C.M_PIPM * 1.001)
    assert 0.0 < r_thr < 1e-3
    # Continuum: the parton-model value N_c sum e_q^2 (1 + alpha_s/pi) for u, d, s is
    # 2 (1 + alpha_s/pi) = 2.19 at alpha_s(2 GeV) ~ 0.30 (PDG QCD review); the measured R at
    # 2 GeV is 2.2 +- 0.1 (PDG R-ratio plot).  Tolerance 10 %.
    assert W.r_ratio(2.0) == approx(2.0 * (1 + 0.30 / math.pi), rel=0.10)
    # rho region: R is of order several (measured ~ 9 at the rho peak; the bdgen VMD form is
    # a documented approximation), so only a loose sanity window.
    assert 3.0 < W.r_ratio(0.775) < 15.0


def _amu_hadronic(r_of_sqrt_s, lo: float, hi: float, points=()) -> float:
    """Leading-order hadronic vacuum-polarisation contribution to the muon g - 2 from R(sqrt s):
    a_mu = (alpha^2/(3 pi^2)) int ds K(s) R(s)/s, K(s) = int_0^1 dx x^2 (1 - x)/(x^2 + (1 - x) s/m_mu^2)
    (Brodsky and de Rafael, Phys. Rev. 168 (1968) 1620; Jegerlehner and Nyffeler, Phys. Rept.
    477 (2009) 1, eqs. (4.7)-(4.8))."""
    from scipy import integrate

    def kernel(s: float) -> float:
        return integrate.quad(lambda x: x * x * (1 - x) / (x * x + (1 - x) * s / C.M_MU**2), 0, 1)[0]

    v = integrate.quad(lambda w: 2.0 * kernel(w * w) / w * r_of_sqrt_s(w), lo, hi, points=points, limit=400)[0]
    return ALPHA**2 / (3 * math.pi**2) * v


def test_two_pion_r_against_muon_g_minus_2() -> None:
    # The pi+ pi- channel's share of a_mu^{had, LO} from e+e- data: 507.9e-10 (Davier, Hoecker,
    # Malaescu, Zhang, EPJC 80 (2020) 241, arXiv:1908.00921) and 503.5e-10 (Keshavarzi, Nomura,
    # Teubner, PRD 101 (2020) 014029, arXiv:1911.00367), integrated up to 1.8 GeV; bdgen's R_pipi
    # stops at 1.1 GeV (the region above adds about 2 %).  The Kuehn-Santamaria parameters were
    # not fitted to this number.  Tolerance 10 %.
    a = _amu_hadronic(W.r_pipi, 2 * C.M_PIPM * (1 + 1e-9), 1.1, points=(0.7, 0.775, 0.8))
    assert a == approx(505e-10, rel=0.10)


def test_form_factor_limits() -> None:
    # At threshold the charge radius fixes |F_pi|^2 ~ (1 + <r^2> s/6)^2 = 1.32 with <r^2> = 0.434 fm^2
    # (PDG RPP 2024) and s = 4 m_pi^2 (5 %: the curvature term), and the rho peak
    # |F|^2 ~ (m/Gamma)^2 = 28 within the rho' admixture (measured peak about 45 with the omega
    # interference, which bdgen leaves out).
    r2 = 0.434 / 0.1973269804**2  # GeV^-2
    f_thr = W.pion_form_factor_sq(2 * C.M_PIPM * (1 + 1e-9))
    assert f_thr == approx((1 + r2 * 4 * C.M_PIPM**2 / 6) ** 2, rel=0.05)
    assert 25.0 < W.pion_form_factor_sq(0.773) < 45.0


def test_narrow_vector_mesons_in_r() -> None:
    # omega peak: sigma(e+e- -> omega -> 3 pi) = R_omega sigma_mumu B_3pi/B_f with B_3pi = 0.892 (PDG):
    # 1.58 mu b; SND and CMD-2 measure a Born peak of 1.5-1.6 mu b (5 %).
    # The omega and phi peak values of R equal 9 B_ee B_f/alpha^2 (closed form) to 1e-3, the other
    # meson's tail.
    r_w = W.r_ratio_model(W._M_OMEGA) - W.r_pipi(W._M_OMEGA)
    sigma_mumu_nb = 4 * math.pi * ALPHA**2 / (3 * W._M_OMEGA**2) * 0.3893794e6  # nb
    b_f = 1 - W._BEE_OMEGA - W._BPIPI_OMEGA
    assert r_w * sigma_mumu_nb * 0.892 / b_f == approx(1550, rel=0.05)
    assert r_w == approx(9 * W._BEE_OMEGA * b_f / ALPHA**2, rel=1e-3)
    r_phi = W.r_ratio_model(W._M_PHI) - W.r_pipi(W._M_PHI)
    assert r_phi == approx(9 * W._BEE_PHI * (1 - W._BEE_PHI - W._BMUMU_PHI) / ALPHA**2, rel=1e-3)


def _mean(f, a: float, b: float, n: int = 4001) -> float:
    """Mean of f(sqrt s) over a <= sqrt(s) <= b (GeV) on n equally spaced points."""
    return float(np.mean([f(x) for x in np.linspace(a, b, n)]))


def test_measured_r_table() -> None:
    # The PDG compilation shipped in the package: 898 measurements (three sqrt(s) measured twice,
    # averaged) from 0.3 to 3 GeV, all R > 0.  Its omega and phi peaks agree with the PDG resonance
    # parameters behind the model: R(phi peak) = 50.2 against 9 B_ee B_f/alpha^2 = 50.9 (5 %), and at
    # the omega peak 19.4 against the model's omega + rho 19.6 (5 %).
    x, r = W._r_table()
    assert len(x) == 895 and x[0] == 0.3 and x[-1] == 3.0
    assert np.all(np.diff(x) > 0) and np.all(r > 0)
    assert max(r[(x > 1.01) & (x < 1.03)]) == approx(W.r_ratio_model(W._M_PHI), rel=0.05)
    assert W.r_measured(W._M_OMEGA) == approx(W.r_ratio_model(W._M_OMEGA), rel=0.05)
    with pytest.raises(ValueError, match="sqrt_s = 3.5 GeV"):
        W.r_measured(3.5)


@pytest.mark.parametrize(("lo", "hi"), [(0.3, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0)])
def test_model_r_against_measured_below_1_gev(lo: float, hi: float) -> None:
    # The model R (pi pi with the Kuehn-Santamaria form factor, omega and phi Breit-Wigners) averaged
    # over 0.1-0.2 GeV windows against the measured R: 8 % (observed 0.4-6 % low: no rho-omega
    # interference, no 4 pi).
    assert _mean(W.r_ratio_model, lo, hi) == approx(_mean(W.r_measured, lo, hi), rel=0.08)


def test_model_r_fails_between_phi_and_1_3_gev() -> None:
    # Why r_ratio uses the data: just above the phi the exclusive model misses 4 pi, K Kbar pi, ...
    # (model/data 0.54 at 1.05-1.1 GeV), and the parton model, switched on at 1.1 GeV, is 2.1-2.5
    # times the measured R ~ 0.9-1.0 up to 1.3 GeV.  Above 1.7 GeV the parton model is within 5 %.
    assert _mean(W.r_ratio_model, 1.05, 1.1) < 0.7 * _mean(W.r_measured, 1.05, 1.1)
    assert _mean(W.r_ratio_model, 1.1, 1.3) > 2.0 * _mean(W.r_measured, 1.1, 1.3)
    assert _mean(W.r_parton, 1.7, 3.0) == approx(_mean(W.r_measured, 1.7, 3.0), rel=0.05)


def test_r_ratio_joins_data_and_models() -> None:
    # Data at 0.3-3 GeV, the model below (pi pi only) and the parton model above; both joins are
    # continuous within the data's own errors (0.005 at 0.3 GeV, 0.05 at 3 GeV); the parton model
    # adds charm above 2 m_D0 (10/3 x 1.1) and bottom above 2 m_B (11/3 x 1.1).
    lo, hi = W.R_MEASURED_RANGE
    assert W.r_ratio(lo) == W.r_measured(lo) and W.r_ratio(hi) == W.r_measured(hi)
    assert abs(W.r_ratio(lo * (1 - 1e-9)) - W.r_ratio(lo)) < 0.005
    assert abs(W.r_ratio(hi * (1 + 1e-9)) - W.r_ratio(hi)) < 0.05
    assert W.r_ratio(1.1) == approx(0.92, rel=0.02)  # measured, not the model's 2.2
    assert W.r_parton(3.5) == approx(2.2, rel=1e-12)
    assert W.r_parton(3.8) == approx(11.0 / 3.0, rel=1e-12)
    assert W.r_parton(11.0) == approx(3 * 11 / 9 * 1.1, rel=1e-12)
