"""The common spectrum interface and its rejection sampler (bdgen.production.spectra).

For every model (Sanford-Wang at the BNB, BMPT at NuMI and the SPS, Burman-Smith at LANSCE and
Lujan and for hydrogen, proton bremsstrahlung in bdgen's and BdNMC's variables), drawn through
the beams' spectra (bdgen.beams.load_beam(...).mesons[...].generic()) or built directly:

- Spectrum.density is the model's density function (dispatch);
- Spectrum.sample records no envelope violation and stays in its box;
- the sampled p and theta marginals (z and p_T for bremsstrahlung) pass Kolmogorov-Smirnov tests
  (fixed seeds, 40k draws, p-value > 1e-3) against CDFs from integrating the density on a fine
  2-D grid (trapezoid rule; quadratic spacing for the very forward-peaked BMPT); the grid error
  of those CDFs (compared with a grid of half the points) is below 3e-4, 20 times below the KS
  critical distance 1.95/sqrt(40000) ~ 0.01 for p = 1e-3;
- the envelope's bound is >= the density at random points of random cells (uniformly chosen
  cells and cells chosen by the envelope's own mass).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from bdgen.beams import load_beam
from bdgen.physics.brem import brem_density, brem_params
from bdgen.production.bmpt import bmpt_density
from bdgen.production.burman_smith import bs_density, bs_params
from bdgen.production.spectra import BMPT, BREM, BURMAN_SMITH, SAFETY, SANFORD_WANG, Spectrum, density

MP = 0.93827208943
N_SAMPLE = 40_000
KS_P_MIN = 1e-3


def _hydrogen_bs() -> Spectrum:
    t = 0.8
    m = 0.13957039
    return Spectrum(BURMAN_SMITH, bs_params(t * 1e3, 1), math.sqrt(t * (t + 2 * m)), math.pi, label="bs H")


def _brem(e_p, m_v, z_min, z_max, pt_max, bdnmc) -> Spectrum:
    return Spectrum(BREM, brem_params(e_p, m_v, 1e-3, z_min, z_max, bdnmc=bdnmc), z_max, pt_max, p_min=z_min,
                    label="brem")


CASES = {
    "sw-bnb-pi0": lambda: load_beam("bnb").mesons["pi0"].generic(),
    "sw-bnb-eta": lambda: load_beam("bnb").mesons["eta"].generic(),
    "bmpt-numi-pi0": lambda: load_beam("numi").mesons["pi0"].generic(),
    "bmpt-sps-pi0": lambda: load_beam("sps").mesons["pi0"].generic(),
    "bmpt-sps-eta": lambda: load_beam("sps").mesons["eta"].generic(),
    "bs-lansce": lambda: load_beam("lansce").mesons["pi0"].generic(),
    "bs-lujan": lambda: load_beam("lansce_lujan").mesons["pi0"].generic(),
    "bs-hydrogen": _hydrogen_bs,
    "brem-bnb": lambda: _brem(math.hypot(8.89, MP), 0.3, 0.3, 0.7, 0.2, False),
    "brem-numi": lambda: _brem(math.hypot(120.0, MP), 0.5, 0.1, 0.9, 2.0, False),
    "brem-bnb-bdnmc": lambda: _brem(math.hypot(8.89, MP), 0.3, 0.3, 0.7, 0.2, True),
}

_cache: dict = {}


def case(name: str):
    """(spectrum, sampled p, sampled theta, violations), cached per module."""
    if name not in _cache:
        sp = CASES[name]()
        seed = 1000 + sorted(CASES).index(name)
        p, t, viol = sp.sample(N_SAMPLE, np.random.default_rng(seed))
        _cache[name] = (sp, p, t, viol)
    return _cache[name]


def _grid(lo, hi, n, quadratic):
    x = np.linspace(0.0, 1.0, n + 1)
    return lo + (hi - lo) * (x * x if quadratic else x)


_grid_cache: dict = {}


def density_grid(name: str, sp: Spectrum, n: int = 1600):
    """The density on an (n+1) x (n+1) grid (cached): (p nodes, theta nodes, values)."""
    if name not in _grid_cache:
        pg = _grid(sp.p_min, sp.p_max, n, sp.p_spacing == "quadratic")
        tg = _grid(0.0, sp.theta_max, n, sp.theta_spacing == "quadratic")
        _grid_cache[name] = (pg, tg, sp.density(pg[:, None], tg[None, :]))
    return _grid_cache[name]


def marginal_cdfs(pg, tg, d):
    """CDFs of p and theta from the density d on the grid pg x tg (trapezoid rule)."""
    out = []
    for x, f in ((pg, integrate.trapezoid(d, tg, axis=1)), (tg, integrate.trapezoid(d, pg, axis=0))):
        c = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * np.diff(x))])
        out.append((x, c / c[-1]))
    return out


@pytest.fixture(scope="module", params=sorted(CASES))
def sampled(request):
    return request.param, *case(request.param)


def test_dispatch_matches_models():
    g = np.random.default_rng(3)
    par_b = load_beam("numi").mesons["pi0"].generic().params
    par_s = bs_params(800.0, 74)
    par_r = brem_params(9.0, 0.3, 1e-3, 0.3, 0.7, bdnmc=False)
    for _ in range(200):
        p, t = g.uniform(0.0, 60.0), g.uniform(0.0, 0.3)
        assert density(BMPT, p, t, par_b) == bmpt_density(p, t, par_b)
        p, t = g.uniform(0.0, 0.8), g.uniform(0.0, math.pi)
        assert density(BURMAN_SMITH, p, t, par_s) == bs_density(p, t, par_s)
        z, x = g.uniform(0.0, 1.0), g.uniform(0.0, 0.3)
        assert density(BREM, z, x, par_r) == brem_density(z, x, par_r)
    assert density(17, 1.0, 0.1, par_b) == 0.0
    sw = load_beam("bnb").mesons["pi0"].generic()
    assert sw.model == SANFORD_WANG
    # the vectorised Spectrum.density is the scalar dispatcher
    p = g.uniform(0.0, 7.9, 50)
    t = g.uniform(0.0, 1.5, 50)
    np.testing.assert_array_equal(sw.density(p, t), [density(SANFORD_WANG, a, b, sw.params) for a, b in zip(p, t)])


def test_beam_spectrum_settings():
    numi = load_beam("numi").mesons["pi0"].generic()
    assert (numi.model, numi.p_spacing, numi.theta_spacing) == (BMPT, "quadratic", "quadratic")
    assert numi.p_max == 120.0 and numi.theta_max == pytest.approx(0.5 * math.pi, rel=1e-15, abs=0.0)
    bs = load_beam("lansce").mesons["pi0"].generic()
    assert bs.model == BURMAN_SMITH and bs.theta_max == math.pi
    assert bs.params[1] == 8.0  # water: the 2 <= Z <= 8 group
    assert load_beam("lansce_lujan").mesons["pi0"].generic().params[1] == 74.0


def test_no_violations_and_in_box(sampled):
    name, sp, p, t, viol = sampled
    assert viol == 0, name
    assert p.shape == t.shape == (N_SAMPLE,)
    assert np.all((p >= sp.p_min) & (p <= sp.p_max))
    assert np.all((t >= 0.0) & (t <= sp.theta_max))
    assert np.all(sp.density(p, t) > 0.0)  # rejection never accepts a zero-density point


def test_marginals_ks(sampled):
    name, sp, p, t, _ = sampled
    pg, tg, d = density_grid(name, sp)
    (pg, cp), (tg, ct) = marginal_cdfs(pg, tg, d)
    # every other node of the (linear or quadratic) grid is the grid with half the points:
    # the CDFs are converged far below the KS resolution
    (pg2, cp2), (tg2, ct2) = marginal_cdfs(pg[::2], tg[::2], d[::2, ::2])
    assert np.max(np.abs(np.interp(pg, pg2, cp2) - cp)) < 3e-4
    assert np.max(np.abs(np.interp(tg, tg2, ct2) - ct)) < 3e-4
    ks_p = stats.kstest(p, lambda x: np.interp(x, pg, cp))
    ks_t = stats.kstest(t, lambda x: np.interp(x, tg, ct))
    assert ks_p.pvalue > KS_P_MIN, (name, ks_p)
    assert ks_t.pvalue > KS_P_MIN, (name, ks_t)


def test_envelope_bounds_density(sampled):
    name, sp, *_ = sampled
    env = sp.envelope()
    n_p, n_t = env.bound.shape
    assert env.p_edges.shape == (n_p + 1,) and env.theta_edges.shape == (n_t + 1,)
    assert env.cdf[-1] == pytest.approx(1.0, rel=1e-14, abs=0.0)
    assert np.all(np.diff(env.cdf) >= 0.0)
    g = np.random.default_rng(77)
    n = 200_000
    cells = np.concatenate([g.integers(0, n_p * n_t, n // 2), np.searchsorted(env.cdf, g.random(n // 2))])
    ip, it = cells // n_t, cells % n_t
    p = env.p_edges[ip] + g.random(n) * np.diff(env.p_edges)[ip]
    t = env.theta_edges[it] + g.random(n) * np.diff(env.theta_edges)[it]
    d = sp.density(p, t)
    b = env.bound[ip, it]
    assert np.all(d <= b), (name, np.max(d - b))
    # and the bound is tight: SAFETY x the sub-grid maximum
    assert np.max(d / np.where(b > 0, b, np.inf)) > 0.8 / SAFETY


def test_envelope_total_exceeds_integral(sampled):
    """The envelope integral bounds the density's integral (rejection efficiency <= 1), and is
    not loose by more than a factor 3 (the efficiency of a 160 x 160 envelope times 1.2)."""
    name, sp, *_ = sampled
    pg, tg, d = density_grid(name, sp)
    integral = integrate.trapezoid(integrate.trapezoid(d, tg, axis=1), pg)
    total = sp.envelope().total
    assert integral < total < 3.0 * integral, name


def test_integral_matches_fine_grid(sampled):
    """Spectrum.integral (trapezoid on the envelope's refined grid) against the 1601^2 grid here."""
    name, sp, *_ = sampled
    pg, tg, d = density_grid(name, sp)
    integral = integrate.trapezoid(integrate.trapezoid(d, tg, axis=1), pg)
    assert sp.integral() == pytest.approx(integral, rel=1e-3, abs=0.0)


def test_brem_integral_is_the_rate():
    """For bremsstrahlung the (z, p_T) density integrates to brem_rate (V per POT, scipy dblquad)."""
    from bdgen.physics.brem import brem_rate

    for name, args in (("brem-bnb", (math.hypot(8.89, MP), 0.3, 1e-3, 0.3, 0.7, 0.2)),
                       ("brem-numi", (math.hypot(120.0, MP), 0.5, 1e-3, 0.1, 0.9, 2.0))):
        sp = case(name)[0]
        pg, tg, d = density_grid(name, sp)
        integral = integrate.trapezoid(integrate.trapezoid(d, tg, axis=1), pg)
        assert integral == pytest.approx(brem_rate(*args), rel=1e-4, abs=0.0), name


def test_sampling_is_seeded():
    sp = CASES["bs-lansce"]()
    a = sp.sample(500, np.random.default_rng(4))
    b = sp.sample(500, np.random.default_rng(4))
    c = sp.sample(500, np.random.default_rng(5))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
