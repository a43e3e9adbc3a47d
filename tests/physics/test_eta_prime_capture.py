"""eta' -> gamma V*, eta' -> rho V*, omega V*, and radiative pi- capture pi- p -> n V*.

Independent references:
- closed-form narrow-width limits written out here from the formulas in the docstrings
  (two-body momenta from the Kallen function, typed independently of bdgen);
- scipy.integrate.quad of dBR/ds in s;
- the chi angular distribution of a V* of given helicity, integrated analytically
  (normalisation, the transverse and longitudinal limits) and sampled (seeded chi^2 test);
- the pi- p -> n gamma photon line, E_gamma = 129.4 MeV (PDG: m_pi- + m_p - m_n kinematics);
- end-to-end runs: channels close by themselves with a reason, BdNMC's pseudo-meson model.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
from scipy import integrate, stats

import bdgen
from bdgen.physics import meson_decays as MD
from bdgen.physics import widths as W

approx = partial(pytest.approx, abs=0.0)

M_PI_MINUS = 0.13957039  # GeV, PDG 2024
M_PROTON = 0.93827209
M_NEUTRON = 0.93956542


def _kallen(a: float, b: float, c: float) -> float:
    return a * a + b * b + c * c - 2 * a * b - 2 * a * c - 2 * b * c


def _p2(big_m: float, m1: float, m2: float) -> float:
    return math.sqrt(max(_kallen(big_m**2, m1**2, m2**2), 0.0)) / (2 * big_m)


def _narrow(m_v: float, m_chi: float, alpha_d: float, eps: float) -> tuple[float, float]:
    """(Gamma_V, BR(V -> chi chi)) for a narrow V; alpha_d small enough for Gamma/m < 1e-3."""
    g = W.total_width(m_v, m_chi, eps, alpha_d, False)
    return g, float(W.width_to_chi(m_v, alpha_d, m_chi, False)) / g


# --- eta' ----------------------------------------------------------------------------------


def test_eta_prime_gamma_narrow_width_limit() -> None:
    """BR(eta' -> gamma chi chi) -> 2 eps^2 (1 - m_V^2/m^2)^3 BR(eta' -> gamma gamma) BR(V -> chi chi)."""
    m_v, m_chi, eps, a_d = 0.4, 0.1, 1e-3, 1e-4
    tb = MD.three_body("eta_prime", m_v, m_chi, eps, a_d, False)
    _, br_chi = _narrow(m_v, m_chi, a_d, eps)
    m = 0.95778  # PDG 2024 eta' mass
    want = 2 * eps**2 * (1 - m_v**2 / m**2) ** 3 * 0.02307 * br_chi
    assert tb.branching_ratio() == approx(want, rel=2e-3)
    assert tb.m_meson == approx(m, rel=1e-4)


@pytest.mark.parametrize("vector,br_xg", [("rho", 0.289), ("omega", 0.0262)])
def test_eta_prime_vector_narrow_width_and_quad(vector: str, br_xg: float) -> None:
    """eta' -> X V*: integral = eps^2 BR(eta' -> X gamma)(p_V/p_gamma)^3 BR(V -> chi chi) in the
    narrow-width limit, and bdgen's integral in u equals scipy quad in s."""
    m_v, m_chi, eps, a_d = 0.1, 0.02, 1e-3, 1e-4
    tb = MD.eta_prime_vector(vector, m_v, m_chi, eps, a_d, False)
    m_x = {"rho": 0.77526, "omega": 0.78266}[vector]
    m = 0.95778
    _, br_chi = _narrow(m_v, m_chi, a_d, eps)
    want = eps**2 * br_xg * (_p2(m, m_x, m_v) / _p2(m, m_x, 0.0)) ** 3 * br_chi
    got = tb.branching_ratio()
    assert got == approx(want, rel=3e-3)
    # a broad V* (alpha_D = 0.5): bdgen's integral in u equals quad of the same integrand in s
    wide = MD.eta_prime_vector(vector, m_v, m_chi, eps, 0.5, False)
    q = integrate.quad(lambda s: float(wide.dbr_ds(s)), wide.s_min, wide.s_max, points=[m_v**2], limit=2000,
                       epsrel=1e-11, epsabs=0.0)[0]
    assert wide.branching_ratio() == approx(q, rel=1e-8)
    # the end point is (m_eta' - m_X)^2
    assert tb.s_max == approx((m - m_x) ** 2, rel=1e-3)


def test_bdnmc_eta_prime_formula() -> None:
    """PHYSICS.md section 3.1 transcribed: at m_V = 0.1 every term is open."""
    m_v, eps = 0.1, 1e-3
    m = 0.95778
    want = eps**2 * (2 * (1 - m_v**2 / m**2) ** 3 * 0.022
                     + (1 - m_v**2 / (m - 0.77526) ** 2) ** 1.5 * 0.291
                     + (1 - m_v**2 / (m - 0.78265) ** 2) ** 1.5 * 0.0275)
    assert MD.br_eta_prime_bdnmc(m_v, eps) == approx(want, rel=1e-12)
    # above m_eta' - m_rho only the anomaly term is left
    assert MD.br_eta_prime_bdnmc(0.3, eps) == approx(eps**2 * 2 * (1 - 0.09 / m**2) ** 3 * 0.022, rel=1e-12)


# --- pi- capture ---------------------------------------------------------------------------


def test_capture_photon_line() -> None:
    """The photon end point of pi- p -> n gamma at rest is 129.4 MeV (E_gamma of the line)."""
    tb = MD.capture(0.03, 0.01, 1e-3, 0.5, False, 0.02)
    e_gamma = (tb.m_meson**2 - tb.m_recoil**2) / (2 * tb.m_meson)
    assert e_gamma == approx(0.12941, rel=2e-4)
    assert tb.m_meson == approx(M_PI_MINUS + M_PROTON, rel=1e-6)


@pytest.mark.parametrize("m_v", [0.01, 0.05, 0.1])
def test_capture_narrow_width_limit(m_v: float) -> None:
    """BR -> eps^2 R_gamma (p_V/p_gamma)(1 + kappa^2 m_V^2/(2 E_V^2)) BR(V -> chi chi), with the
    longitudinal factor kappa = E_V (2 m_pi - E_V)/(2 m_pi E_V - m_V^2) of the Kroll-Ruderman plus
    pion-pole current."""
    m_chi, eps, a_d, r_g = m_v / 3, 1e-3, 1e-4, 0.02
    tb = MD.capture(m_v, m_chi, eps, a_d, False, r_g)
    big = M_PI_MINUS + M_PROTON
    p_v = _p2(big, M_NEUTRON, m_v)
    p_g = _p2(big, M_NEUTRON, 0.0)
    e_v = math.hypot(p_v, m_v)
    _, br_chi = _narrow(m_v, m_chi, a_d, eps)
    kappa = e_v * (2 * M_PI_MINUS - e_v) / (2 * M_PI_MINUS * e_v - m_v**2)
    want = eps**2 * r_g * (p_v / p_g) * (1 + kappa**2 * m_v**2 / (2 * e_v**2)) * br_chi
    assert tb.branching_ratio() == approx(want, rel=3e-3)


def test_capture_closes_at_the_end_point() -> None:
    tb = MD.capture(0.2, 0.07, 1e-3, 0.5, False, 0.02)
    assert not tb.open and tb.branching_ratio() == 0.0


def test_capture_bdnmc_pseudo_meson() -> None:
    """BdNMC: 0.25 x 2 eps^2 (1 - m_V^2/0.129^2)^3 BR(V -> chi chi) (BdNMC's widths)."""
    m_v, m_chi, eps, a_d = 0.03, 0.01, 1e-3, 1e-4
    tb = MD.capture(m_v, m_chi, eps, a_d, False, 0.02, bdnmc=True)
    br_chi = float(W.width_to_chi(m_v, a_d, m_chi, False)) / W.total_width(m_v, m_chi, eps, a_d, False, bdnmc=True)
    want = 0.25 * 2 * eps**2 * (1 - m_v**2 / 0.129**2) ** 3 * br_chi
    assert tb.branching_ratio() == approx(want, rel=3e-3)


# --- angular distribution of the chi pair ----------------------------------------------------


def _pdf(mode: int, r: float, fl: float, c: np.ndarray) -> np.ndarray:
    from bdgen.kernels import _polar_pdf

    return np.array([_polar_pdf(mode, r, fl, float(x)) for x in c])


@pytest.mark.parametrize("mode,r,fl", [(1, 0.3, 0.0), (2, 0.3, 0.0), (3, 0.2, 0.4), (4, 0.5, 0.25), (4, 0.0, 1.0)])
def test_polar_pdf_normalised(mode: int, r: float, fl: float) -> None:
    total = integrate.quad(lambda c: 2 * math.pi * _pdf(mode, r, fl, np.array([c]))[0], -1, 1)[0]
    assert total == approx(1.0, rel=1e-10)


def test_polar_pdf_helicity_limits() -> None:
    """fl = 0 is the transverse case (modes 1, 2); fl = 1 the longitudinal one: scalar cos^2,
    Dirac 1 - beta^2 cos^2; at threshold (r = 1) a Dirac pair is isotropic for any fl."""
    c = np.linspace(-1, 1, 11)
    r = 0.36
    assert np.allclose(_pdf(3, r, 0.0, c), _pdf(1, r, 0.0, c), rtol=1e-12)
    assert np.allclose(_pdf(4, r, 0.0, c), _pdf(2, r, 0.0, c), rtol=1e-12)
    assert np.allclose(_pdf(3, r, 1.0, c), 3 * c**2 / (4 * math.pi), rtol=1e-12)
    beta2 = 1 - r
    norm = 2 * (2 - 2 * beta2 / 3) * math.pi
    assert np.allclose(_pdf(4, r, 1.0, c), (1 - beta2 * c**2) / norm, rtol=1e-12)
    assert np.allclose(_pdf(4, 1.0, 0.3, c), 1 / (4 * math.pi), rtol=1e-12)


@pytest.mark.parametrize("mode,r,fl", [(3, 0.2, 0.35), (4, 0.3, 0.6)])
def test_decay_cos_sampling_chi2(mode: int, r: float, fl: float) -> None:
    """Seeded chi^2 test of the sampled cos(theta) against the analytic bin probabilities."""
    from bdgen.kernels import _decay_cos
    from bdgen.rng import key_from_seed

    k0, k1, _ = key_from_seed(2024)
    n = 40000
    cs = np.empty(n)
    for i in range(n):
        cs[i] = _decay_cos(mode, r, fl, k0, k1, i, 0)[0]
    edges = np.linspace(-1, 1, 21)
    obs, _ = np.histogram(cs, edges)
    prob = np.array([integrate.quad(lambda c: 2 * math.pi * _pdf(mode, r, fl, np.array([c]))[0], a, b)[0]
                     for a, b in zip(edges[:-1], edges[1:])])
    chi2 = float(((obs - n * prob) ** 2 / (n * prob)).sum())
    assert stats.chi2.sf(chi2, len(prob) - 1) > 1e-3


# --- end to end ------------------------------------------------------------------------------


def _cfg(**sets: object) -> bdgen.Config:
    return bdgen.load_card(None, [f"{k}={v}" for k, v in sets.items()])


def test_channels_close_with_reasons() -> None:
    from bdgen.pipeline import prepare

    cfg = _cfg(**{"production.channels": '["pi0", "pi_capture", "eta_prime"]'})
    setup = prepare(cfg)  # the BNB has no capture source and no eta' in this file
    why = {c.name: c.closed_reason for c in setup.channels}
    assert why["pi0"] is None
    assert "capture" in why["pi_capture"]
    cfg = _cfg(**{"beam.name": "sns", "detector.name": "coherent_csi", "signal.channel": "coherent",
                  "production.channels": '["pi_capture"]', "compat.bdnmc": "true",
                  "model.m_v": 0.03, "model.m_chi": 0.01})
    setup = prepare(cfg)
    (cap,) = setup.channels
    assert cap.closed_reason is None and cap.per_pot == approx(0.06 * 0.63, rel=1e-12)


def test_capture_run_kinematics() -> None:
    """A run with only pi- capture: every parent is at rest and every V* has the two-body energy
    (S + s - m_n^2)/(2 sqrt S) for its own mass; the chi pair conserves the V* four-momentum."""
    from bdgen.kernels import N_HIT_COLS
    from bdgen.pipeline import prepare, run_produce
    from bdgen.rng import key_from_seed

    cfg = _cfg(**{"beam.name": "sns", "detector.name": "coherent_csi", "signal.channel": "coherent",
                  "production.channels": '["pi_capture"]', "model.m_v": 0.03, "model.m_chi": 0.01})
    setup = prepare(cfg)
    tb = setup.tables
    k0, k1, _ = key_from_seed(11)
    cap = 200000
    o = (np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty((cap, N_HIT_COLS)))
    n_hits = run_produce(tb, k0, k1, 0, 200000, cfg.model.m_chi, *o)[0]
    assert n_hits > 50
    h = o[3][:n_hits]
    assert np.allclose(h[:, 1:4], 0.0)  # parent at rest
    big = M_PI_MINUS + M_PROTON
    s = h[:, 4] ** 2 - (h[:, 5:8] ** 2).sum(axis=1)
    e_want = (big**2 + s - M_NEUTRON**2) / (2 * big)
    assert np.allclose(h[:, 4], e_want, rtol=1e-6, atol=1e-9)
    # chi on its mass shell
    m2 = h[:, 8] ** 2 - (h[:, 9:12] ** 2).sum(axis=1)
    assert np.allclose(m2, cfg.model.m_chi**2, rtol=1e-6, atol=1e-9)


def test_capture_current_is_conserved() -> None:
    """The longitudinal factor kappa makes q_mu J^mu = 0 for J = Kroll-Ruderman + pion pole:
    in the static limit J.eps_L = (sqrt(s)/E) kappa (sigma.q^) with the pole term
    2 m_pi |q|^2/(sqrt(s)(s - 2 m_pi E)) added to the KR term E/sqrt(s) [written out here]."""
    for m_v in (0.02, 0.06, 0.1):
        tb = MD.capture(m_v, m_v / 3, 1e-3, 0.5, False, 0.02)
        e = (tb.m_meson**2 + m_v**2 - tb.m_recoil**2) / (2 * tb.m_meson)
        q2 = e * e - m_v * m_v
        kr = e / m_v
        pole = 2 * M_PI_MINUS * q2 / (m_v * (m_v * m_v - 2 * M_PI_MINUS * e))
        assert (kr + pole) / (m_v / e) == approx(float(MD.capture_kappa(e, m_v * m_v)), rel=1e-12)
