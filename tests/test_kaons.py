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
from bdgen.neutrino.flux import K_DAR, K_DIF, MU_DAR, PI_DIF
from bdgen.production.feynman_scaling import M_THRESHOLD_KPLUS, fs_p_max, fs_params, fs_single

approx = partial(pytest.approx, abs=0.0)

C_KPLUS = [11.70, 0.88, 4.77, 1.51, 2.21, 2.17, 1.51, 0.0]
P_BEAM = 8.89


def _fs_reference(p: float, theta: float) -> float:
    """The Feynman-scaling formula written out independently: Lorentz boost of the kaon's lab
    four-momentum into the p-N CM frame, x_F = p_L*/p*_max (the MiniBooNE/Mariani definition)."""
    mp, mk = C.M_P, S.M_KPM  # PDG masses (particle package)
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


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    return float(a[0] * b[0] - a[1:] @ b[1:])


@pytest.mark.parametrize("m_l,m_pi,lam", [(C.M_E, C.M_PI0, S.LAMBDA_PLUS_KPM), (C.M_MU, C.M_PI0, S.LAMBDA_PLUS_KPM),
                                          (C.M_MU, C.M_PIPM, S.LAMBDA_PLUS_KL)])
def test_kl3_density_is_the_v_minus_a_matrix_element(m_l, m_pi, lam):
    """The Dalitz density against |M|^2 built from explicit four-vectors: hadronic current
    f+(t) (p_K + p_pi)^mu (xi = 0), V-A lepton tensor, summed over spins:
    |M|^2 ~ f+^2 [2 (P.p_l)(P.p_nu) - P^2 (p_l.p_nu)], P = p_K + p_pi.  The ratio is the same
    (1e-9) at 200 random points of the Dalitz region, for K_e3 and K_mu3 (the m_l^2 terms)."""
    m_k = S.M_KPM
    rng = np.random.default_rng(11)
    (a0, a1), (b0, b1) = S.kl3_ranges(m_k, m_pi, m_l)
    ratios = []
    while len(ratios) < 200:
        e_pi, e_l = rng.uniform(a0, a1), rng.uniform(b0, b1)
        rho = float(S.kl3_density(np.array(e_pi), np.array(e_l), m_k, m_pi, m_l, lam))
        if rho <= 0:
            continue
        e_nu = m_k - e_pi - e_l
        p_pi, p_l = math.sqrt(e_pi**2 - m_pi**2), math.sqrt(e_l**2 - m_l**2)
        cos = (e_nu**2 - p_pi**2 - p_l**2) / (2 * p_pi * p_l)  # angle between pi and lepton
        k = np.array([m_k, 0.0, 0.0, 0.0])
        pi = np.array([e_pi, 0.0, 0.0, p_pi])
        lep = np.array([e_l, p_l * math.sqrt(1 - cos * cos), 0.0, p_l * cos])
        nu = k - pi - lep
        assert abs(_dot(nu, nu)) < 1e-12  # massless neutrino: momentum conservation closes
        big_p = k + pi
        t = _dot(k - pi, k - pi)
        f_plus = 1 + lam * t / C.M_PIPM**2
        m2 = f_plus**2 * (2 * _dot(big_p, lep) * _dot(big_p, nu) - _dot(big_p, big_p) * _dot(lep, nu))
        ratios.append(rho / m2)
    ratios = np.array(ratios)
    assert np.all(ratios > 0)
    assert ratios.std() / ratios.mean() < 1e-9


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
    kaons (they are simulated first); kaons give 3-7% of the nu_mu (observed 4.7%; a few per cent in
    the horn-on beam, MiniBooNE flux paper, recalled), almost all of the nu_mu above 3 GeV (> 80%),
    and 60-90% of the nu_e above 60 MeV, the end of the muon decay-at-rest spectrum (observed 77%;
    in the horn-on beam K+ and K0_L give roughly 45% of all nu_e, recalled; here, without the
    horn, fewer muons decay in flight).  The K0_L gives nu_e and anti-nu_e in equal numbers (its
    histories are the last n): equal within 4 sigma."""
    with_k, without = bnb_flux
    pi = with_k.component == PI_DIF
    assert with_k.total(mask=pi & (with_k.flavour == 14))[0] == approx(
        without.total(mask=(without.component == PI_DIF) & (without.flavour == 14))[0], rel=1e-12)
    numu = with_k.flavour == 14
    k_share = with_k.total(mask=numu & (with_k.component == K_DIF))[0] / with_k.total(mask=numu)[0]
    assert 0.03 < k_share < 0.07
    hi = numu & (with_k.energy > 3.0)
    assert with_k.total(mask=hi & (with_k.component == K_DIF))[0] / with_k.total(mask=hi)[0] > 0.8
    nue = (with_k.flavour == 12) & (with_k.energy > 0.06)
    ke = with_k.total(mask=nue & np.isin(with_k.component, [K_DIF, K_DAR]))[0] / with_k.total(mask=nue)[0]
    assert 0.60 < ke < 0.90
    assert with_k.total(mask=(with_k.flavour == 12) & (with_k.component == MU_DAR))[0] > 0
    # K0_L: nu_e and anti-nu_e equal (the K+ gives only nu_e); the K0_L histories are the last n
    kl = (with_k.component == K_DIF) & (with_k.history >= with_k.n_histories * 3 // 4)
    a, ea = with_k.total(mask=kl & (with_k.flavour == 12))
    b, eb = with_k.total(mask=kl & (with_k.flavour == -12))
    assert a > 10 * ea and abs(a - b) < 4 * math.hypot(ea, eb)
    # and the anti-nu_e of kaon decays all come from the K0_L
    assert with_k.total(mask=(with_k.component == K_DIF) & (with_k.flavour == -12))[0] == approx(b, rel=1e-12)


def test_kaon_table_errors(tmp_path, monkeypatch):
    """A bad [[neutrino.kaon]] entry is refused with the field, the value and what is allowed."""
    from bdgen.beams import load_beam

    beam = load_beam("bnb")
    with pytest.raises(CardError, match=r"kaon\[0\]\.name = \"K-\".*K\+.*K0L"):
        src_mod._kaon_sets({"kaon": [{"name": "K-", "model": "feynman_scaling", "c": C_KPLUS}]}, beam, "x")
    with pytest.raises(CardError, match=r"kaon\[0\]\.model = \"sanford_wang\": K\+ uses \"feynman_scaling\""):
        src_mod._kaon_sets({"kaon": [{"name": "K+", "model": "sanford_wang", "c": C_KPLUS}]}, beam, "x")
    with pytest.raises(CardError, match=r"kaon\[0\]\.c = .*7 or 8 finite numbers"):
        src_mod._kaon_sets({"kaon": [{"name": "K+", "model": "feynman_scaling", "c": [1.0, 2.0]}]}, beam, "x")
    k0 = [15.130, 1.975, 4.084, 0.9277, 0.7306, 4.362, 0.04789, 13.300, 1.278]
    with pytest.raises(CardError, match="given twice"):
        src_mod._kaon_sets({"kaon": [{"name": "K0L", "model": "sanford_wang", "c": k0}] * 2}, beam, "x")
    with pytest.raises(CardError, match=r"kaon\[0\]: unknown key 'scale'"):
        src_mod._kaon_sets({"kaon": [{"name": "K+", "model": "feynman_scaling", "c": C_KPLUS, "scale": 2}]}, beam, "x")
    for bad in ([float("nan")] + C_KPLUS[1:], [True] + C_KPLUS[1:]):
        with pytest.raises(CardError, match="finite numbers"):
            src_mod._kaon_sets({"kaon": [{"name": "K+", "model": "feynman_scaling", "c": bad}]}, beam, "x")
    with pytest.raises(CardError, match="c1 must be > 0"):
        src_mod._kaon_sets({"kaon": [{"name": "K+", "model": "feynman_scaling", "c": [-1.0] + C_KPLUS[1:]}]},
                           beam, "x")
    with pytest.raises(CardError, match=r"c9 = 9.0 must be below the beam momentum 8.89"):
        src_mod._kaon_sets({"kaon": [{"name": "K0L", "model": "sanford_wang", "c": k0[:8] + [9.0]}]}, beam, "x")


def test_kaon_branching_bookkeeping(monkeypatch):
    """Each kaon decay channel is emitted with the decay weight times its branching ratio: K+ ->
    mu nu 0.6356 (nu_mu), K_e3 0.0507 (nu_e), K_mu3 0.03352 (nu_mu); K0_L -> pi e nu and pi mu nu
    split evenly between neutrino and antineutrino (0.4055/2, 0.2704/2 each)."""
    from bdgen.detectors import load_detector
    from bdgen.neutrino import dif

    seen: dict[tuple[int, int], float] = {}
    real = dif.emit_two_body

    def spy(origin, p4, weight, flavour, e_star, *args, **kw):  # type: ignore[no-untyped-def]
        mass = round(float(np.sqrt(p4[0, 0] ** 2 - p4[0, 1:] @ p4[0, 1:])), 3)
        seen[(int(mass * 1000), flavour)] = seen.get((int(mass * 1000), flavour), 0.0) + float(weight.sum())
        return real(origin, p4, weight, flavour, e_star, *args, **kw)

    monkeypatch.setattr(dif, "emit_two_body", spy)
    src = src_mod.load_source("bnb")
    rng = np.random.default_rng(5)
    dec_w = {}
    for kaon in src.kaons:
        dec = dif.kaon_decays(src, kaon, 2000, np.random.default_rng(9))
        dec_w[kaon.name] = dec.weight.sum()
        dif._emit_kaon(src, kaon, dec, np.arange(2000), 2000, load_detector("miniboone_target"), rng)
    kp, kl = int(round(S.M_KPM, 3) * 1000), int(round(S.M_KL, 3) * 1000)
    assert seen[(kp, 14)] / dec_w["K+"] == approx(S.BR_K_MUNU + S.BR_K_MU3, rel=1e-12)
    assert seen[(kp, 12)] / dec_w["K+"] == approx(S.BR_K_E3, rel=1e-12)
    assert (kp, -12) not in seen and (kp, -14) not in seen
    for fl, br in ((12, S.BR_KL_E3), (-12, S.BR_KL_E3), (14, S.BR_KL_MU3), (-14, S.BR_KL_MU3)):
        assert seen[(kl, fl)] / dec_w["K0L"] == approx(0.5 * br, rel=1e-12)
