"""Tests of the Sanford-Wang meson spectra and their rejection sampler.

References
----------
- The formula and the BNB parameter sets: MiniBooNE flux paper, PRD 79 (2009) 072002,
  arXiv:0806.1449, eq. (12), Tables V and VII; PHYSICS.md 2.1 (values as in BdNMC).
- Integrals over p < p_B - c9 and theta < pi/2, PHYSICS.md 2.1 [derived]: pi+ 158.935 mb,
  pi- 144.478 mb, pi0 = (pi+ + pi-)/2 151.71 mb, K0 4.498 mb; for the pi0 <p> = 1.003 GeV
  and <theta> = 0.460 rad.  Reproduced here with scipy.integrate.dblquad.
- The sampler is the production kernel itself (bdgen.kernels.produce with the tables of
  bdgen.pipeline.prepare), run with a detector sphere of radius 1e6 m centred on the
  production point so that every chi "hits" and every trial's meson is returned unbiased.
  Its p, theta and phi marginals are compared with KS tests to CDFs built from cumulative
  dblquad integrals (fixed seed, so the tests are deterministic).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, interpolate, stats

import bdgen
from bdgen.geometry import Shape
from bdgen.kernels import N_HIT_COLS
from bdgen.pipeline import prepare, run_produce
from bdgen.production.sanford_wang import SanfordWang, pick_cell, sw_density
from bdgen.production.spectra import SAFETY
from bdgen.rng import key_from_seed

P_BEAM = 8.89  # GeV/c, BNB
PI_PLUS = [220.7, 1.080, 1.000, 1.978, 1.32, 5.572, 0.0868, 9.686, 1.0]
PI_MINUS = [213.7, 0.9379, 5.454, 1.210, 1.284, 4.781, 0.07338, 8.329, 1.0]
K0 = [15.130, 1.975, 4.084, 0.928, 0.731, 4.362, 0.048, 13.300, 1.278]

SPECTRA = {
    "pi+": ([PI_PLUS], [1.0]),
    "pi-": ([PI_MINUS], [1.0]),
    "pi0": ([PI_PLUS, PI_MINUS], [0.5, 0.5]),
    "K0": ([K0], [1.0]),
}


def spectrum(name: str) -> SanfordWang:
    cs, ws = SPECTRA[name]
    return SanfordWang(P_BEAM, np.array(cs, float), np.array(ws, float))


def sw_reference(p, theta, cs, ws, p_beam=P_BEAM):
    """Eq. (12) of arXiv:0806.1449 times 2 pi sin(theta), vectorised, written from PHYSICS.md 2.1."""
    p = np.asarray(p, float)
    theta = np.asarray(theta, float)
    total = np.zeros(np.broadcast(p, theta).shape)
    for c, w in zip(cs, ws):
        c1, c2, c3, c4, c5, c6, c7, c8, c9 = c
        lin = 1.0 - p / (p_beam - c9)
        ok = (lin > 0) & (p > 0) & (np.cos(theta) > 0)
        pp = np.where(ok, p, 1.0)
        ct = np.where(ok, np.cos(theta), 1.0)
        val = c1 * pp**c2 * lin * np.exp(-c3 * pp**c4 / p_beam**c5 - c6 * theta * (pp - c7 * p_beam * ct**c8))
        total += w * np.where(ok, val, 0.0)
    return total * 2 * math.pi * np.sin(theta)


def integrate_density(sw: SanfordWang, weight=lambda p, t: 1.0) -> float:
    value, err = integrate.dblquad(
        lambda t, p: weight(p, t) * sw.density(p, t)[()], 0.0, sw.p_max, 0.0, 0.5 * math.pi,
        epsabs=1e-9, epsrel=1e-9,
    )
    return value


# ----------------------------------------------------------------------------- the formula


@pytest.mark.parametrize("name", list(SPECTRA))
def test_density_matches_formula(name):
    sw = spectrum(name)
    gen = np.random.default_rng(1)
    p = gen.uniform(0.0, P_BEAM, 2000)
    t = gen.uniform(0.0, 0.5 * math.pi, 2000)
    cs, ws = SPECTRA[name]
    np.testing.assert_allclose(sw.density(p, t), sw_reference(p, t, cs, ws), rtol=1e-12, atol=0)


def test_density_zero_outside_support():
    sw = spectrum("pi0")
    assert sw.p_max == pytest.approx(7.89, rel=1e-14, abs=0.0)
    assert spectrum("K0").p_max == pytest.approx(8.89 - 1.278, rel=1e-14, abs=0.0)
    assert sw.density(7.9, 0.1)[()] == 0.0
    assert sw.density(0.0, 0.1)[()] == 0.0
    assert sw.density(1.0, 0.0)[()] == 0.0  # sin(theta) = 0
    assert sw.density(1.0, 1.6)[()] == 0.0  # cos(theta) < 0
    assert sw.density(1.0, 0.2)[()] > 0.0


def test_density_single_point_value():
    # pi+ at p = 1 GeV/c, theta = 0.1 rad, evaluated by hand from eq. (12):
    # 220.7 * 1 * (1 - 1/7.89) * exp(-1/8.89^1.32 - 5.572*0.1*(1 - 0.0868*8.89*cos(0.1)^9.686))
    c = PI_PLUS
    expo = -c[2] / P_BEAM ** c[4] - c[5] * 0.1 * (1 - c[6] * P_BEAM * math.cos(0.1) ** c[7])
    d2sigma = c[0] * (1 - 1 / 7.89) * math.exp(expo)
    assert spectrum("pi+").density(1.0, 0.1)[()] == pytest.approx(d2sigma * 2 * math.pi * math.sin(0.1), rel=1e-13)


# ----------------------------------------------------------------------------- integrals (PHYSICS 2.1)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("pi+", 158.935), ("pi-", 144.478), ("pi0", 151.71), ("K0", 4.498)],
)
def test_integrated_cross_sections(name, expected):
    assert integrate_density(spectrum(name)) == pytest.approx(expected, rel=1e-3)


def test_pi0_is_average_of_charged_pions():
    i_plus = integrate_density(spectrum("pi+"))
    i_minus = integrate_density(spectrum("pi-"))
    assert integrate_density(spectrum("pi0")) == pytest.approx(0.5 * (i_plus + i_minus), rel=1e-8)


def test_pi0_mean_momentum_and_angle():
    sw = spectrum("pi0")
    norm = integrate_density(sw)
    mean_p = integrate_density(sw, lambda p, t: p) / norm
    mean_t = integrate_density(sw, lambda p, t: t) / norm
    assert mean_p == pytest.approx(1.003, rel=2e-3)
    assert mean_t == pytest.approx(0.460, rel=2e-3)


# ----------------------------------------------------------------------------- envelope


@pytest.mark.parametrize("name", ["pi0", "K0", "pi+", "pi-"])
def test_envelope_bounds_density(name):
    sw = spectrum(name)
    env = sw.envelope()
    n_p, n_t = env.bound.shape
    assert (n_p, n_t) == (160, 160)
    np.testing.assert_allclose(env.p_edges, np.linspace(0.0, sw.p_max, n_p + 1), rtol=0, atol=1e-15)
    np.testing.assert_allclose(env.theta_edges, np.linspace(0.0, 0.5 * math.pi, n_t + 1), rtol=0, atol=1e-15)
    cs, ws = SPECTRA[name]
    gen = np.random.default_rng(2024)
    k = 24  # random points per cell, plus its corners and centre
    ip, it = np.meshgrid(np.arange(n_p), np.arange(n_t), indexing="ij")
    ip, it = ip.ravel(), it.ravel()
    fp = np.concatenate([gen.uniform(size=(ip.size, k)), np.tile([0.0, 0.0, 1.0, 1.0, 0.5], (ip.size, 1))], axis=1)
    ft = np.concatenate([gen.uniform(size=(ip.size, k)), np.tile([0.0, 1.0, 0.0, 1.0, 0.5], (ip.size, 1))], axis=1)
    pe, te = env.p_edges, env.theta_edges
    p = pe[ip][:, None] + fp * (pe[ip + 1] - pe[ip])[:, None]
    t = te[it][:, None] + ft * (te[it + 1] - te[it])[:, None]
    f = sw_reference(p, t, cs, ws)
    bound = env.bound[ip, it][:, None]
    assert np.count_nonzero(f > bound) == 0
    # the bound is not wildly loose either: at most SAFETY x the largest sampled value,
    # up to the density's variation inside a cell
    assert np.max(env.bound) == pytest.approx(SAFETY * f.max(), rel=0.05)
    # cdf and total
    area = np.outer(np.diff(pe), np.diff(te))
    assert env.total == pytest.approx(np.sum(env.bound * area), rel=1e-12)
    assert np.all(np.diff(env.cdf) >= 0)
    assert env.cdf[-1] == 1.0
    np.testing.assert_allclose(env.cdf, np.cumsum((env.bound * area).ravel()) / env.total, rtol=1e-12)
    # rejection efficiency = integral / envelope total; SAFETY = 1.2 caps it at 1/1.2
    eff = integrate_density(sw) / env.total
    assert 0.5 < eff < 1.0 / SAFETY


def test_pick_cell_matches_searchsorted():
    gen = np.random.default_rng(9)
    cdf = np.cumsum(gen.uniform(size=1000))
    cdf /= cdf[-1]
    cdf[10:20] = cdf[9]  # empty cells are never picked
    u = np.concatenate([gen.uniform(size=5000), cdf[:50], [0.0, 1e-300, 1.0]])
    got = np.array([pick_cell(cdf, x) for x in u])
    np.testing.assert_array_equal(got, np.searchsorted(cdf, u, side="left"))
    assert not np.any((got >= 10) & (got < 20) & (u > cdf[9]))


# ----------------------------------------------------------------------------- the kernel's sampler


def _kernel_mesons(channel: str, n: int, seed: int):
    """(p, theta, phi) of the mesons of n production trials, and the violation count."""
    cfg = bdgen.load_card(None, [f'production.channels=["{channel}"]'])
    tb = prepare(cfg).tables
    everywhere = Shape("sphere", (0.0, 0.0, 0.0), (1.0e6,)).packed()
    k0, k1, _ = key_from_seed(seed)
    cap = 2 * n
    o_trial = np.empty(cap, dtype=np.int64)
    o_chi = np.empty(cap, dtype=np.int8)
    o_chan = np.empty(cap, dtype=np.int8)
    o_hit = np.empty((cap, N_HIT_COLS))
    tb = dict(tb, shapes=everywhere[None, :])
    n_hits, per_chan, violations = run_produce(tb, k0, k1, 0, n, cfg.model.m_chi, o_trial, o_chi, o_chan, o_hit)
    # both chi of every trial cross the all-enclosing sphere
    assert n_hits == 2 * n
    assert per_chan.tolist() == [n]
    first = o_chi[:n_hits] == 0
    np.testing.assert_array_equal(o_trial[:n_hits][first], np.arange(n))
    px, py, pz = o_hit[:n_hits][first, 1:4].T
    p = np.sqrt(px**2 + py**2 + pz**2)
    return p, np.arccos(pz / p), np.arctan2(py, px) % (2 * math.pi), violations


def _marginal_cdfs(sw: SanfordWang, n_nodes: int = 81):
    """CDFs of p and theta from cumulative dblquad integrals on nodes, interpolated (PCHIP)."""
    args = (sw.params, sw.weights, sw.p_beam)
    half_pi = 0.5 * math.pi
    pn = np.linspace(0.0, sw.p_max, n_nodes)
    tn = np.linspace(0.0, half_pi, n_nodes)
    seg_p = [
        integrate.dblquad(lambda t, p: sw_density(p, t, *args), a, b, 0.0, half_pi, epsabs=1e-10, epsrel=1e-8)[0]
        for a, b in zip(pn[:-1], pn[1:])
    ]
    seg_t = [
        integrate.dblquad(lambda p, t: sw_density(p, t, *args), a, b, 0.0, sw.p_max, epsabs=1e-10, epsrel=1e-8)[0]
        for a, b in zip(tn[:-1], tn[1:])
    ]
    cp = np.concatenate([[0.0], np.cumsum(seg_p)])
    ct = np.concatenate([[0.0], np.cumsum(seg_t)])
    assert cp[-1] == pytest.approx(ct[-1], rel=1e-6)
    fp = interpolate.PchipInterpolator(pn, cp / cp[-1])
    ft = interpolate.PchipInterpolator(tn, ct / ct[-1])
    return fp, ft


@pytest.mark.parametrize(("channel", "shape_name"), [("pi0", "pi0"), ("eta", "K0")])
def test_kernel_samples_the_spectrum(channel, shape_name):
    sw = spectrum(shape_name)
    beam_sw = bdgen.beams.load_beam("bnb").mesons[channel].spectrum
    np.testing.assert_array_equal(beam_sw.params, sw.params)  # the kernel's tables use this spectrum
    n = 20_000
    p, theta, phi, violations = _kernel_mesons(channel, n, seed=20261125)
    assert violations == 0
    assert np.all((p > 0) & (p < sw.p_max)) and np.all((theta > 0) & (theta < 0.5 * math.pi))
    cdf_p, cdf_t = _marginal_cdfs(sw)
    res_p = stats.kstest(p, cdf_p)
    res_t = stats.kstest(theta, cdf_t)
    res_phi = stats.kstest(phi, stats.uniform(scale=2 * math.pi).cdf)
    assert res_p.pvalue > 1e-3, res_p
    assert res_t.pvalue > 1e-3, res_t
    assert res_phi.pvalue > 1e-3, res_phi
    if channel == "pi0":
        # PHYSICS.md 2.1 means, to the sample's statistical precision (4 sigma)
        assert abs(p.mean() - 1.003) < 4 * p.std() / math.sqrt(n) + 1e-3
        assert abs(theta.mean() - 0.460) < 4 * theta.std() / math.sqrt(n) + 5e-4


def test_ks_detects_a_wrong_spectrum():
    # guard on the power of the sampling test: the pi0 sample is rejected against the
    # pi+ or pi- spectrum alone (their <p> differ by ~10%)
    p, theta, _, _ = _kernel_mesons("pi0", 20_000, seed=20261125)
    for other in ("pi+", "pi-"):
        cdf_p, _ = _marginal_cdfs(spectrum(other), n_nodes=41)
        assert stats.kstest(p, cdf_p).pvalue < 1e-6
