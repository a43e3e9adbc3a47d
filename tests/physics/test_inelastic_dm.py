"""Inelastic (pseudo-Dirac) dark matter: V -> chi1 chi2 and chi2 -> chi1 l+ l- (model.name = "inelastic").

Independent references:
- Gamma(V -> chi1 chi2) from an explicit numerical contraction of the Dirac traces with the
  massive-vector polarisation sum (4x4 matrices, written here), and its Dirac limit
  (alpha_D/3) m (1 + 2 m^2/M^2) sqrt(1 - 4 m^2/M^2) (PHYSICS.md section 3.3);
- Gamma(chi2 -> chi1 e+ e-) -> 4 eps^2 alpha alpha_D Delta^5/(15 pi m_V^4) for
  Delta << m_chi, m_V (Izaguirre et al., arXiv:1703.06881, eq. (5));
- the sampled l+ l- mass spectrum against the quadrature of the same |M|^2 over m23^2 (chi^2);
- four-momentum conservation and invariant masses of production and decay (hypothesis);
- importance sampling on and off agree within statistics for unequal masses.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

import bdgen
from bdgen import constants as C
from bdgen.errors import CardError
from bdgen.physics import inelastic_dm as I

approx = partial(pytest.approx, abs=0.0)

G = np.diag([1.0, -1.0, -1.0, -1.0])


def _width_by_traces(big_m: float, m1: float, m2: float, alpha_d: float) -> float:
    p = math.sqrt((big_m**2 - (m1 + m2) ** 2) * (big_m**2 - (m1 - m2) ** 2)) / (2 * big_m)
    p1 = np.array([math.hypot(p, m1), 0, 0, p])
    p2 = np.array([math.hypot(p, m2), 0, 0, -p])
    dot = p1 @ G @ p2
    t_up = np.outer(p1, p2) + np.outer(p2, p1) - G * (dot + m1 * m2)  # Tr[(p1 + m1) g (p2 - m2) g]/4
    q_low = G @ (p1 + p2)
    pol = -G + np.outer(q_low, q_low) / big_m**2
    m2_avg = 4 * math.pi * alpha_d * 4 * np.sum(pol * t_up) / 3
    return m2_avg * p / (8 * math.pi * big_m**2)


@pytest.mark.parametrize("big_m,m1,m2", [(0.3, 0.05, 0.07), (0.3, 0.1, 0.15), (1.0, 0.01, 0.5)])
def test_pair_width_by_traces(big_m: float, m1: float, m2: float) -> None:
    assert float(I.width_v_to_pair(big_m, m1, m2, 0.1)) == approx(_width_by_traces(big_m, m1, m2, 0.1), rel=1e-12)


def test_pair_width_dirac_limit() -> None:
    big_m, m, a_d = 0.3, 0.1, 0.5
    want = a_d / 3 * big_m * (1 + 2 * m * m / big_m**2) * math.sqrt(1 - 4 * m * m / big_m**2)
    assert float(I.width_v_to_pair(big_m, m, m, a_d)) == approx(want, rel=1e-12)
    assert float(I.width_v_to_pair(0.1, 0.05, 0.06, 0.5)) == 0.0  # closed


@pytest.mark.parametrize("m1,delta,m_v,tol", [(10.0, 0.01, 30.0, 3e-3), (100.0, 0.01, 300.0, 3e-4)])
def test_chi2_width_small_splitting(m1: float, delta: float, m_v: float, tol: float) -> None:
    eps, a_d = 1e-3, 0.1
    got = I.chi2_width(m1, m1 + delta, m_v, eps, a_d, 0.0, 1e-7)
    want = 4 * eps**2 * C.ALPHA * a_d * delta**5 / (15 * math.pi * m_v**4)
    assert got == approx(want, rel=tol)


def test_chi2_width_threshold_and_scaling() -> None:
    """Zero below 2 m_e; proportional to eps^2 alpha_D."""
    assert I.chi2_width(0.1, 0.1 + 0.9e-3, 0.3, 1e-3, 0.1, 0.0, C.M_E) == 0.0
    a = I.chi2_width(0.1, 0.11, 0.3, 1e-3, 0.1, 0.0, C.M_E)
    b = I.chi2_width(0.1, 0.11, 0.3, 2e-3, 0.3, 0.0, C.M_E)
    assert b == approx(12 * a, rel=1e-12)


def test_decay_mass_spectrum_chi2_test() -> None:
    """The sampled m(l+ l-)^2 follows dGamma/dq^2 = int |M|^2 dm23^2 (seeded chi^2)."""
    from bdgen.rng import EventStreams, key_from_seed

    m1, m2, m_v, m_l = 0.1, 0.12, 0.3, C.M_E
    n = 30000
    k0, k1, _ = key_from_seed(17)
    streams = EventStreams(k0, k1, np.arange(n), np.full(n, 40))
    p2 = np.tile([1.0, 0.0, 0.0, math.sqrt(1 - m2 * m2)], (n, 1))
    chi1, lm, lp, viol = I.sample_decay(p2, m1, m2, m_v, 0.0, m_l, streams, np.arange(n))
    assert viol == 0
    pair = lm + lp
    q2 = pair[:, 0] ** 2 - (pair[:, 1:] ** 2).sum(axis=1)

    def dg(q: float) -> float:
        lo, hi = I._m23_limits(np.array([q]), m2, m1, m_l)
        f = lambda y: float(I._dalitz_me(np.array([q]), np.array([y]), m1, m2, m_l)[0])
        return integrate.quad(f, lo[0], hi[0])[0] / (q - m_v * m_v) ** 2

    edges = np.linspace(4 * m_l * m_l, (m2 - m1) ** 2, 16)
    prob = np.array([integrate.quad(dg, a, b, limit=200)[0] for a, b in zip(edges[:-1], edges[1:])])
    prob /= prob.sum()
    obs, _ = np.histogram(q2, edges)
    chi2 = float(((obs - n * prob) ** 2 / (n * prob)).sum())
    assert stats.chi2.sf(chi2, len(prob) - 1) > 1e-3


@settings(max_examples=25, deadline=None)
@given(e=st.floats(0.2, 20.0), cth=st.floats(-1.0, 1.0), delta=st.floats(0.002, 0.05))
def test_decay_conserves_four_momentum(e: float, cth: float, delta: float) -> None:
    from bdgen.rng import EventStreams, key_from_seed

    m1, m2 = 0.05, 0.05 + delta
    if e <= m2:
        return
    p = math.sqrt(e * e - m2 * m2)
    sth = math.sqrt(1 - cth * cth)
    p2 = np.array([[e, p * sth, 0.0, p * cth]] * 3)
    k0, k1, _ = key_from_seed(5)
    chi1, lm, lp, _v = I.sample_decay(p2, m1, m2, 0.2, 0.0, C.M_E,
                                      EventStreams(k0, k1, np.arange(3), np.zeros(3)), np.arange(3))
    np.testing.assert_allclose(chi1 + lm + lp, p2, rtol=1e-9, atol=1e-12)
    mass = lambda v: np.sqrt(np.maximum(v[:, 0] ** 2 - (v[:, 1:] ** 2).sum(axis=1), 0))
    np.testing.assert_allclose(mass(chi1), m1, rtol=1e-7)
    np.testing.assert_allclose(mass(lm), C.M_E, rtol=1e-4)


_CARD = ["model.name=inelastic", "model.dm=dirac", "model.delta=0.01", "model.m_chi=0.05", "model.m_v=0.15",
         "model.epsilon=1e-4", "signal.channel=decay", 'production.channels=["eta"]']


def test_production_kinematics() -> None:
    """chi1 (index 0) and chi2 (index 1) are on their mass shells and add up to the V*."""
    from bdgen.kernels import N_HIT_COLS
    from bdgen.pipeline import prepare, run_produce
    from bdgen.rng import key_from_seed

    cfg = bdgen.load_card(None, [*_CARD, "run.events=10"])
    tb = prepare(cfg).tables
    k0, k1, _ = key_from_seed(8)
    cap = 100000
    o = (np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty((cap, N_HIT_COLS)))
    n = run_produce(tb, k0, k1, 0, 50000, cfg.model.m_chi, *o)[0]
    assert n > 20
    h = o[3][:n]
    chi = o[1][:n]
    mass2 = h[:, 8] ** 2 - (h[:, 9:12] ** 2).sum(axis=1)
    np.testing.assert_allclose(np.sqrt(mass2[chi == 0]), 0.05, rtol=1e-6)
    np.testing.assert_allclose(np.sqrt(mass2[chi == 1]), 0.06, rtol=1e-6)
    v2 = h[:, 4] ** 2 - (h[:, 5:8] ** 2).sum(axis=1)
    assert np.all(np.sqrt(v2) >= 0.11 * (1 - 1e-9))


def test_run_decays_inside_and_conserve() -> None:
    r = bdgen.generate(bdgen.load_card(None, [*_CARD, "run.events=300"]), seed=4)
    ev = r.events
    assert len(r) == 300 and r.summary["signal_events"] > 0
    assert set(np.unique(ev["chi_pdg"])) == {C.PDG_CHI2}
    for c in ("E", "px", "py", "pz"):
        np.testing.assert_allclose(ev[f"chi1_{c}"] + ev[f"recoil_{c}"] + ev[f"chi_out_{c}"], ev[f"chi_{c}"],
                                   rtol=1e-9, atol=1e-12)
    # the decay vertex lies inside the fiducial sphere of detectors/miniboone.toml (r = 5 m)
    r_v = np.sqrt(ev["x"] ** 2 + (ev["y"] + 1.9) ** 2 + (ev["z"] - 491.0) ** 2)
    assert np.all(r_v <= 5.0 + 1e-9)


def test_importance_sampling_unbiased_for_unequal_masses() -> None:
    on = bdgen.generate(bdgen.load_card(None, [*_CARD, "run.precision=0.04"]), seed=21).summary
    off = bdgen.generate(bdgen.load_card(None, [*_CARD, "run.precision=0.06",
                                                "run.importance_sampling=false"]), seed=22).summary
    diff = on["signal_events"] - off["signal_events"]
    sigma = math.hypot(on["signal_events_error"], off["signal_events_error"])
    assert abs(diff) < 3.5 * sigma


@pytest.mark.parametrize("sets,field", [
    (["model.name=inelastic", "model.dm=dirac", "signal.channel=decay"], "model.delta"),
    (["model.name=inelastic", "model.delta=0.01", "signal.channel=decay"], "model.dm"),
    (["model.name=inelastic", "model.dm=dirac", "model.delta=0.01", "signal.channel=dis"], "signal.channel"),
    (["model.delta=0.01"], "model.delta"),
])
def test_bad_cards(sets: list[str], field: str) -> None:
    with pytest.raises(CardError, match=field.replace(".", r"\.")):
        bdgen.load_card(None, sets)


# --- chi1 <-> chi2 scattering in the detector ---------------------------------------------------


def _contraction(e: float, t: float, m_in: float, m_out: float, big_m: float, w1: float, w2: float) -> float:
    """L_{mu nu} W^{mu nu} from explicit four-vectors (target at rest, chi along z)."""
    p_in = math.sqrt(e * e - m_in * m_in)
    e_out = e - t
    p_out = math.sqrt(e_out * e_out - m_out * m_out)
    pr = math.sqrt(t * t + 2 * big_m * t)
    cth = (p_in**2 + p_out**2 - pr**2) / (2 * p_in * p_out)
    sth = math.sqrt(max(1 - cth * cth, 0.0))
    k = np.array([e, 0.0, 0.0, p_in])
    kp = np.array([e_out, p_out * sth, 0.0, p_out * cth])
    pvec = np.array([big_m, 0.0, 0.0, 0.0])
    q = k - kp
    dot = lambda a, b: a @ G @ b  # noqa: E731
    lup = 2 * (np.outer(kp, k) + np.outer(k, kp) - G * (dot(k, kp) - m_in * m_out))
    q2 = dot(q, q)
    ql, pl = G @ q, G @ pvec
    pt = pl - (dot(pvec, q) / q2) * ql
    wlow = w1 * (-G + np.outer(ql, ql) / q2) + (w2 / big_m**2) * np.outer(pt, pt)
    return float(np.sum(lup * wlow))


@pytest.mark.parametrize("e,t,m_in,m_out,big_m", [(2.0, 0.05, 0.05, 0.06, C.M_P), (3.0, 0.3, 0.06, 0.05, C.M_P),
                                                  (5.0, 0.2, 0.05, 0.07, C.M_E), (1.5, 0.02, 0.1, 0.1, C.M_P)])
def test_inelastic_structure_by_explicit_contraction(e: float, t: float, m_in: float, m_out: float,
                                                     big_m: float) -> None:
    from bdgen.physics.scattering import structure_x_inel

    w1, w2 = 0.7, 1.3
    assert structure_x_inel(e, t, m_in, m_out, big_m, w1, w2) == approx(
        _contraction(e, t, m_in, m_out, big_m, w1, w2), rel=1e-9)


def test_inelastic_reduces_to_elastic() -> None:
    from bdgen.physics import form_factors as FF
    from bdgen.physics.scattering import dsigma_dt, dsigma_dt_inel

    for e, t in ((1.0, 0.01), (3.0, 0.4)):
        el = dsigma_dt(e, t, 0.05, 0.15, 1e-8, C.M_P, True, FF.BBA03_P, C.MU_P, math.inf)
        inel = dsigma_dt_inel(e, t, 0.05, 0.05, 0.15, 1e-8, C.M_P, FF.BBA03_P, C.MU_P, math.inf)
        assert inel == approx(el, rel=1e-10)


def test_upscattering_threshold_and_quadrature() -> None:
    from bdgen.physics import form_factors as FF
    from bdgen.physics.scattering import GL_NODES, GL_WEIGHTS, dsigma_dt_inel, sigma_inel, t_range_inel

    m1, m2, m_e = 0.05, 0.06, C.M_E
    e_th = ((m2 + m_e) ** 2 - m1 * m1 - m_e * m_e) / (2 * m_e)
    args = (0.15, 1e-8, m_e, FF.POINT, 1.0, math.inf)
    assert sigma_inel(0.999 * e_th, m1, m2, *args, 0.0, 1e9, GL_NODES, GL_WEIGHTS) == 0.0
    e = 3.0 * e_th
    lo, hi = t_range_inel(e, m1, m2, m_e)
    assert 0.0 < lo < hi
    got = sigma_inel(e, m1, m2, *args, 0.0, 1e9, GL_NODES, GL_WEIGHTS)
    q = integrate.quad(lambda t: dsigma_dt_inel(e, t, m1, m2, *args), lo, hi, epsabs=0.0, epsrel=1e-10,
                       limit=200)[0]
    assert got == approx(q, rel=1e-7)


def test_upscattering_run() -> None:
    card = [*_CARD[:-2], "signal.channel=nucleon", "signal.t_min=0.02", 'production.channels=["eta"]',
            "run.events=300", "model.epsilon=1e-3"]
    r = bdgen.generate(bdgen.load_card(None, card), seed=6)
    ev = r.events
    assert len(r) == 300 and not any("exceeded" in n for n in r.summary["notes"])
    m_t = np.where(ev["recoil_pdg"] == C.PDG_PROTON, C.M_P, C.M_N)
    for c in ("E", "px", "py", "pz"):
        np.testing.assert_allclose(ev[f"chi_{c}"] + (m_t if c == "E" else 0.0), ev[f"chi_out_{c}"] + ev[f"recoil_{c}"],
                                   rtol=1e-9, atol=1e-12)
    m_out = np.sqrt(ev["chi_out_E"] ** 2 - ev["chi_out_px"] ** 2 - ev["chi_out_py"] ** 2 - ev["chi_out_pz"] ** 2)
    up = ev["chi_pdg"] == C.PDG_CHI_DIRAC
    assert np.any(up)
    np.testing.assert_allclose(m_out[up], 0.06, rtol=1e-6)
    np.testing.assert_allclose(m_out[~up], 0.05, rtol=1e-6)


def test_chi2_must_survive_to_scatter() -> None:
    """scatter_idm: a chi2 line's probability carries lambda (e^{-t_in/lambda} - e^{-t_out/lambda})
    instead of the chord, lambda = (p/m2) c tau; a chi1 line is unaffected."""
    from bdgen.kernels import HIT_COLS, N_HIT_COLS, N_SCAT_COLS, scatter_idm
    from bdgen.physics import form_factors as FF
    from bdgen.physics.scattering import GL_NODES, GL_WEIGHTS
    from bdgen.rng import key_from_seed

    k0, k1, _ = key_from_seed(1)
    m1, m2, e = 0.05, 0.06, 2.0
    hit = np.zeros((2, N_HIT_COLS))
    p = math.sqrt(e * e - m2 * m2)
    for h, m in ((0, m1), (1, m2)):
        hit[h, 8] = e
        hit[h, 11] = math.sqrt(e * e - m * m)
    hit[:, HIT_COLS.index("t_in")] = 100.0
    hit[:, HIT_COLS.index("t_out")] = 110.0
    hit[:, HIT_COLS.index("w_is")] = 1.0
    args = (np.array([0, 1]), np.zeros(2, dtype=np.int64), np.full(2, 16, dtype=np.int64), hit, m1, m2, 0.15, 1e-8,
            0.0, 1e9, np.array([C.M_P]), np.array([[1e29]]), np.array([FF.BBA03_P]), np.array([C.MU_P]),
            np.array([math.inf]), GL_NODES, GL_WEIGHTS, C.C_M_PER_NS, C.GEV2_TO_M2)

    def probs(ctau: float) -> np.ndarray:
        out = np.zeros((2, N_SCAT_COLS))
        tgt = np.zeros(2, dtype=np.int64)
        scatter_idm(k0, k1, np.arange(2, dtype=np.int64), *args, out, tgt, np.zeros(1), np.zeros(1), 0.197, ctau)
        return out[:, 0]

    stable, decaying = probs(math.inf), probs(20.0)
    lam = p / m2 * 20.0
    assert decaying[0] == stable[0]
    assert decaying[1] == approx(stable[1] * lam * (math.exp(-100 / lam) - math.exp(-110 / lam)) / 10.0, rel=1e-12)


def test_upscattered_chi2_decays() -> None:
    """chi1 N -> chi2 N events carry the chi2's decay: the products add up to the outgoing chi2,
    the vertex lies downstream on its line, at the time of flight of the chi2."""
    card = [*_CARD[:-2], "signal.channel=nucleon", "signal.t_min=0.02", 'production.channels=["eta"]',
            "run.events=200", "model.epsilon=1e-3"]
    ev = bdgen.generate(bdgen.load_card(None, card), seed=6).events
    up = ev["chi2_decays"] == 1
    assert np.any(up) and np.all(ev["chi_pdg"][up] == C.PDG_CHI_DIRAC)
    assert set(np.unique(ev["chi2_decay_lepton_pdg"][up])) <= {11, 13}
    for c in ("E", "px", "py", "pz"):
        np.testing.assert_allclose(ev[f"chi2_chi1_{c}"][up] + ev[f"chi2_lm_{c}"][up] + ev[f"chi2_lp_{c}"][up],
                                   ev[f"chi_out_{c}"][up], rtol=1e-9, atol=1e-12)
    d = np.c_[ev["chi2_decay_x"] - ev["x"], ev["chi2_decay_y"] - ev["y"], ev["chi2_decay_z"] - ev["z"]][up]
    p = np.c_[ev["chi_out_px"], ev["chi_out_py"], ev["chi_out_pz"]][up]
    dist = np.linalg.norm(d, axis=1)
    cos = (d * p).sum(axis=1) / (dist * np.linalg.norm(p, axis=1))
    np.testing.assert_allclose(cos, 1.0, atol=1e-9)
    beta = np.linalg.norm(p, axis=1) / ev["chi_out_E"][up]
    np.testing.assert_allclose(ev["chi2_decay_t"][up] - ev["t"][up], dist / (C.C_M_PER_NS * beta), rtol=1e-9)
    assert np.all(ev["chi2_decays"][~up] == 0)
