"""Kaons in the neutrino flux: Feynman-scaling K+ production, K_l3 spectra, BNB kaon neutrinos."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from bdgen import constants as C
from bdgen.errors import CardError
from bdgen.neutrino import source as src_mod
from bdgen.neutrino import spectra as S
from bdgen.neutrino.dif import decay_in_flight
from bdgen.neutrino.flux import K_DIF, MU_DAR, PI_DIF
from bdgen.production.feynman_scaling import M_THRESHOLD_KPLUS, fs_p_max, fs_params, fs_single

approx = partial(pytest.approx, abs=0.0)

C_KPLUS = [11.70, 0.88, 4.77, 1.51, 2.21, 2.17, 1.51, 0.0]
P_BEAM = 8.89


def _fs_reference(p: float, theta: float) -> float:
    """The Feynman-scaling formula written out independently: Lorentz boost of the kaon's lab
    four-momentum into the p-N CM frame, x_F = p_L*/p*_max (the MiniBooNE/Mariani definition)."""
    mp, mk = 0.93827209, 0.493677
    e_b = math.sqrt(P_BEAM**2 + mp**2)
    p4_cm = np.array([e_b + mp, 0.0, 0.0, P_BEAM])          # total four-momentum
    rs = math.sqrt(p4_cm[0] ** 2 - p4_cm[3] ** 2)
    beta = p4_cm[3] / p4_cm[0]
    gamma = 1.0 / math.sqrt(1.0 - beta * beta)
    e = math.sqrt(p * p + mk * mk)
    pl_star = gamma * (p * math.cos(theta) - beta * e)
    e_max = (rs**2 + mk**2 - M_THRESHOLD_KPLUS**2) / (2 * rs)
    x_f = pl_star / math.sqrt(e_max**2 - mk**2)
    if abs(x_f) > 1:
        return 0.0
    c1, c2, c3, c4, c5, c6, c7, _c8 = C_KPLUS
    pt = p * math.sin(theta)
    inv = c1 * math.exp(-c3 * abs(x_f) ** c4 - c7 * abs(pt * x_f) ** c6 - c2 * pt - c5 * pt * pt)
    return p * p / e * inv


def _par() -> np.ndarray:
    return fs_params(P_BEAM, S.M_KPM, M_THRESHOLD_KPLUS, np.array(C_KPLUS))


@pytest.mark.parametrize("p,theta", [(0.5, 0.05), (1.5, 0.1), (3.0, 0.02), (2.0, 0.4), (0.3, 1.2), (6.0, 0.01)])
def test_feynman_scaling_formula(p, theta):
    """fs_single against the formula written out with an explicit boost (1e-12)."""
    assert fs_single(p, theta, _par()) == approx(_fs_reference(p, theta), rel=1e-12)


def test_feynman_scaling_support_and_integral():
    """Zero beyond x_F = 1: the kaon at p_max along the beam has x_F = 1 (checked by the boost);
    the BNB K+ integral over theta < pi/2 (12.73 mb, 0.066 per inelastic p-Be collision) agrees
    with an independent scipy quadrature of the reference formula (1e-3)."""
    p_max = fs_p_max(_par())
    assert _fs_reference(p_max * (1 - 1e-9), 0.0) > 0.0
    assert fs_single(p_max * (1 + 1e-6), 0.0, _par()) == 0.0
    ref = integrate.dblquad(lambda th, p: 2 * math.pi * math.sin(th) * _fs_reference(p, th), 0.0, p_max,
                            0.0, math.pi / 2, epsabs=1e-5, epsrel=1e-5)[0]
    src = src_mod.load_source("bnb")
    kp = next(k for k in src.kaons if k.name == "K+")
    assert kp.integral_mb == approx(ref, rel=1e-3)
    assert 0.05 < src.kaon_multiplicity("K+") < 0.08
    assert 0.015 < src.kaon_multiplicity("K0L") < 0.03


def _kl3_total(m_k: float, m_pi: float) -> float:
    """The integral of the K_l3 density (m_l = 0, constant f+) over the Dalitz region."""
    def inner(e_pi: float) -> float:
        p_pi = math.sqrt(e_pi * e_pi - m_pi * m_pi)
        lo, hi = 0.5 * (m_k - e_pi - p_pi), 0.5 * (m_k - e_pi + p_pi)
        return integrate.quad(lambda el: float(S.kl3_density(np.array(e_pi), np.array(el), m_k, m_pi, 0.0, 0.0)),
                              lo, hi, epsabs=0, epsrel=1e-10)[0]
    return integrate.quad(inner, m_pi, (m_k * m_k + m_pi * m_pi) / (2 * m_k), epsabs=0, epsrel=1e-10, limit=200)[0]


@pytest.mark.parametrize("m_pi", [C.M_PI0, 0.3])
def test_kl3_density_gives_the_known_rate(m_pi):
    """For m_l = 0 and a constant form factor the Dalitz integral is m_K^5 I(r)/192, r = m_pi^2/m_K^2,
    I(r) = 1 - 8r + 8r^3 - r^4 - 12 r^2 ln r (the K_e3 rate G_F^2 |V_us f+(0)|^2 m_K^5 I(r)/(768 pi^3),
    e.g. Chounet, Gaillard, Gaillard, Phys. Rep. 4 (1972) 199): the normalisation-free check of the
    density's shape, at the physical and an unphysical pion mass (1e-7)."""
    r = m_pi**2 / S.M_KPM**2
    closed = S.M_KPM**5 * (1 - 8 * r + 8 * r**3 - r**4 - 12 * r * r * math.log(r)) / 192
    assert _kl3_total(S.M_KPM, m_pi) == approx(closed, rel=1e-7)


@pytest.mark.parametrize("m_l,m_pi,lam", [(C.M_E, C.M_PI0, S.LAMBDA_PLUS_KPM), (C.M_MU, C.M_PIPM, S.LAMBDA_PLUS_KL)])
def test_kl3_sampler_follows_the_density(m_l, m_pi, lam):
    """The sampled rest-frame neutrino energies against the marginal of the density (numerical
    integration of the same density): KS test, fixed seed, p > 1e-3; energies inside
    [0, (m_K^2 - (m_pi + m_l)^2)/(2 m_K)]."""
    m_k = S.M_KPM
    e = S.kl3_neutrino_energies(20000, m_k, m_pi, m_l, lam, np.random.default_rng(7))
    e_max = (m_k**2 - (m_pi + m_l) ** 2) / (2 * m_k)
    assert e.min() >= 0.0 and e.max() <= e_max + 1e-12

    (a0, a1), _ = S.kl3_ranges(m_k, m_pi, m_l)
    e_pi = np.linspace(a0, a1, 4001)

    def marginal(e_nu: float) -> float:
        # at fixed E_nu integrate over E_pi (E_l = m_K - E_pi - E_nu); the support has sharp edges,
        # so a dense trapezoid rule (relative error ~1e-4) rather than adaptive quadrature
        return float(np.trapezoid(S.kl3_density(e_pi, m_k - e_pi - e_nu, m_k, m_pi, m_l, lam), e_pi))

    grid = np.linspace(0.0, e_max, 401)
    pdf = np.array([marginal(x) for x in grid])
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(grid))])
    cdf /= cdf[-1]
    assert stats.kstest(e, lambda x: np.interp(x, grid, cdf)).pvalue > 1e-3


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_kl3_energies_are_kinematically_allowed(seed):
    """Property: every sampled K_mu3 neutrino energy lies inside the kinematic range."""
    e = S.kl3_neutrino_energies(50, S.M_KPM, C.M_PI0, C.M_MU, S.LAMBDA_PLUS_KPM, np.random.default_rng(seed))
    assert e.size == 50
    assert np.all(e >= 0.0) and np.all(e <= (S.M_KPM**2 - (C.M_PI0 + C.M_MU) ** 2) / (2 * S.M_KPM) + 1e-12)


def test_kaon_constants():
    """The K+ -> mu+ nu line (m_K^2 - m_mu^2)/(2 m_K) = 235.5 MeV; c tau 3.711 m (K+), 15.34 m (K0_L)."""
    assert S.E_K_MU == approx(0.23553, rel=1e-4)
    assert S.CTAU_KPM == approx(3.711, rel=1e-3)
    assert S.CTAU_KL == approx(15.34, rel=1e-3)


@pytest.fixture(scope="module")
def bnb_flux():
    from bdgen.detectors import load_detector

    src = src_mod.load_source("bnb")
    det = load_detector("miniboone_target")
    return decay_in_flight(src, det, 60000, np.random.default_rng(3)), decay_in_flight(
        src, det, 60000, np.random.default_rng(3), kaons=False)


def test_bnb_kaon_neutrinos(bnb_flux):
    """Horn-off target mode at MiniBooNE: with the same seed the pion parts are unchanged by the
    kaons (they are simulated first); kaons give a few per cent of the nu_mu (2-10%; the horn-on
    beam: 2.9%, MiniBooNE flux paper, recalled), almost all of the nu_mu above 3 GeV (> 80%), and
    15-45% of the nu_e (horn-on: K+ 37% + K0_L 10%, recalled; here the muons stopping in the
    absorber add many low-energy nu_e), with nu_e and anti-nu_e from K0_L in equal numbers."""
    with_k, without = bnb_flux
    pi = with_k.component == PI_DIF
    assert with_k.total(mask=pi & (with_k.flavour == 14))[0] == approx(
        without.total(mask=(without.component == PI_DIF) & (without.flavour == 14))[0], rel=1e-12)
    numu = with_k.flavour == 14
    k_share = with_k.total(mask=numu & (with_k.component == K_DIF))[0] / with_k.total(mask=numu)[0]
    assert 0.02 < k_share < 0.10
    hi = numu & (with_k.energy > 3.0)
    assert with_k.total(mask=hi & (with_k.component == K_DIF))[0] / with_k.total(mask=hi)[0] > 0.8
    nue = with_k.flavour == 12
    ke = with_k.total(mask=nue & (with_k.component == K_DIF))[0] / with_k.total(mask=nue)[0]
    assert 0.15 < ke < 0.45
    assert with_k.total(mask=nue & (with_k.component == MU_DAR))[0] > 0
    # K0_L: nu_e and anti-nu_e equal (the K+ gives only nu_e): the anti-nu_e from kaons is half the K0_L part
    nuebar_k, err = with_k.total(mask=(with_k.flavour == -12) & (with_k.component == K_DIF))
    assert nuebar_k > 5 * err


def test_kaon_table_errors(tmp_path, monkeypatch):
    """A bad [[neutrino.kaon]] entry is refused with the field, the value and what is allowed."""
    from bdgen.beams import load_beam

    beam = load_beam("bnb")
    with pytest.raises(CardError, match=r"kaon\[0\]\.name = \"K-\".*K\+.*K0L"):
        src_mod._kaon_sets({"kaon": [{"name": "K-", "model": "feynman_scaling", "c": C_KPLUS}]}, beam, "x")
    with pytest.raises(CardError, match=r"kaon\[0\]\.model = \"sanford_wang\": K\+ uses \"feynman_scaling\""):
        src_mod._kaon_sets({"kaon": [{"name": "K+", "model": "sanford_wang", "c": C_KPLUS}]}, beam, "x")
    with pytest.raises(CardError, match=r"kaon\[0\]\.c = .*7 or 8 numbers"):
        src_mod._kaon_sets({"kaon": [{"name": "K+", "model": "feynman_scaling", "c": [1.0, 2.0]}]}, beam, "x")
    with pytest.raises(CardError, match="given twice"):
        src_mod._kaon_sets({"kaon": [{"name": "K0L", "model": "sanford_wang", "c": [1.0] * 9}] * 2}, beam, "x")
