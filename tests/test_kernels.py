"""Statistical tests of the event kernels against their densities (seeded KS / chi^2).

The production kernel only returns chi that cross the detector; with a detector that
surrounds the production point (a sphere of radius 1 km centred on the origin) every chi
crosses, so the returned sample is the unbiased decay sample.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

import bdgen
from bdgen import constants as C
from bdgen.config import apply_overrides, config_from_dict, read_card, builtin_card_path
from bdgen.kernels import HIT_COLS, N_HIT_COLS, N_SCAT_COLS, scatter
from bdgen.kinematics import boost
from bdgen.physics.meson_decays import three_body
from bdgen.physics.scattering import GL_NODES, GL_WEIGHTS, dsigma_dt, sigma
from bdgen.pipeline import prepare, run_produce
from bdgen.rng import STAGE_SCATTER, key_from_seed

COL = {name: i for i, name in enumerate(HIT_COLS)}


def _cfg(*overrides: str, surround: bool = True) -> bdgen.Config:
    card = apply_overrides(read_card(builtin_card_path("miniboone")), list(overrides))
    if surround:
        card["detector"] = {
            "shape": {"kind": "sphere", "centre": [0.0, 0.0, 0.0], "radius": 1000.0},
            "material": {"name": "oil", "formula": "CH2", "density": 0.845},
        }
    return config_from_dict(card)


def _produce(cfg: bdgen.Config, n: int, seed: int = 7):
    setup = prepare(cfg)
    tb = setup.tables
    k0, k1, _ = key_from_seed(seed)
    cap = 2 * n + 16
    o_trial = np.empty(cap, dtype=np.int64)
    o_chi = np.empty(cap, dtype=np.int8)
    o_chan = np.empty(cap, dtype=np.int8)
    o_hit = np.empty((cap, N_HIT_COLS))
    n_hits, per_chan, viol = run_produce(tb, k0, k1, 0, n, cfg.model.m_chi, o_trial, o_chi, o_chan, o_hit)
    return setup, o_trial[:n_hits], o_chi[:n_hits], o_chan[:n_hits], o_hit[:n_hits], per_chan, viol


def _to_rest(p4: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """Boost four-vectors p4 (n,4) into the rest frames of frame (n,4)."""
    out = np.empty_like(p4)
    for i in range(p4.shape[0]):
        b = -frame[i, 1:] / frame[i, 0]
        out[i] = boost(p4[i, 0], p4[i, 1], p4[i, 2], p4[i, 3], b[0], b[1], b[2])
    return out


@pytest.fixture(scope="module")
def scalar_sample():
    cfg = _cfg('production.channels=["pi0"]', "model.m_v=0.05", "model.m_chi=0.01", "model.alpha_d=0.5")
    return _produce(cfg, 20000)


def test_every_chi_crosses_a_surrounding_detector(scalar_sample):
    _, trial, chi, _, hit, per_chan, viol = scalar_sample
    assert viol == 0
    assert per_chan.sum() == 20000
    assert trial.size == 40000  # both chi of every trial
    assert np.all(hit[:, COL["t_in"]] == 0.0)
    assert np.allclose(hit[:, COL["t_out"]], 1000.0, rtol=1e-12, atol=0.0)


def test_four_momentum_and_masses(scalar_sample):
    setup, trial, chi, _, hit, _, _ = scalar_sample
    meson = hit[:, 0:4]
    v = hit[:, 4:8]
    chi4 = hit[:, 8:12]

    def m2(a: np.ndarray) -> np.ndarray:
        return a[:, 0] ** 2 - np.sum(a[:, 1:] ** 2, axis=1)

    assert np.allclose(m2(meson), C.M_PI0**2, rtol=1e-9, atol=0.0)
    assert np.allclose(m2(chi4), 0.01**2, rtol=1e-6, atol=1e-12)
    # photon = meson - V is light-like
    photon = meson - v
    assert np.allclose(m2(photon), 0.0, atol=1e-9 * np.max(meson[:, 0]) ** 2)
    # chi + chibar = V: pair rows of the same trial
    pair = v[0::2]
    assert np.array_equal(trial[0::2], trial[1::2])
    assert np.allclose(chi4[0::2] + chi4[1::2], pair, rtol=1e-9, atol=1e-12)
    assert np.all(m2(pair) >= 4 * 0.01**2 * (1 - 1e-9))


def test_meson_spectrum_matches_sanford_wang(scalar_sample):
    """The meson (p, theta) marginals against quadrature of the Sanford-Wang density (KS)."""
    setup, _, _, _, hit, _, _ = scalar_sample
    spec = setup.beam.mesons["pi0"].spectrum
    meson = hit[0::2, 0:4]
    p = np.linalg.norm(meson[:, 1:], axis=1)
    theta = np.arccos(meson[:, 3] / p)
    pg = np.linspace(0.0, spec.p_max, 161)
    tg = np.linspace(0.0, spec.theta_max, 161)
    dens = spec.density(pg[:, None], tg[None, :])
    cp = integrate.cumulative_trapezoid(integrate.trapezoid(dens, tg, axis=1), pg, initial=0.0)
    ct = integrate.cumulative_trapezoid(integrate.trapezoid(dens, pg, axis=0), tg, initial=0.0)
    assert stats.kstest(p, lambda x: np.interp(x, pg, cp / cp[-1])).pvalue > 1e-3
    assert stats.kstest(theta, lambda x: np.interp(x, tg, ct / ct[-1])).pvalue > 1e-3


def _helicity_cos(hit: np.ndarray) -> np.ndarray:
    """cos of the chi direction in the V* frame relative to the V* direction in the meson frame."""
    meson = hit[:, 0:4]
    v_m = _to_rest(hit[:, 4:8], meson)
    chi_m = _to_rest(hit[:, 8:12], meson)
    chi_v = _to_rest(chi_m, v_m)
    n = v_m[:, 1:] / np.linalg.norm(v_m[:, 1:], axis=1)[:, None]
    c = chi_v[:, 1:] / np.linalg.norm(chi_v[:, 1:], axis=1)[:, None]
    return np.sum(n * c, axis=1)


def test_scalar_pair_is_sin2_distributed(scalar_sample):
    """Transversely polarised V -> scalar pair: dGamma/dcos ~ 1 - cos^2 (PHYSICS.md 3.2)."""
    _, _, _, _, hit, _, _ = scalar_sample
    c = _helicity_cos(hit[0::2])
    cdf = lambda x: (3 * x - x**3 + 2) / 4  # noqa: E731  integral of 3/4 (1 - c^2)
    assert stats.kstest(c, cdf).pvalue > 1e-3
    # and it is not isotropic
    assert stats.kstest(c, lambda x: (x + 1) / 2).pvalue < 1e-6


def test_dirac_pair_angular_distribution():
    m_chi, m_v = 0.01, 0.05
    cfg = _cfg('production.channels=["pi0"]', f"model.m_v={m_v}", f"model.m_chi={m_chi}", 'model.dm="dirac"')
    _, _, _, _, hit, _, _ = _produce(cfg, 15000)
    v = hit[0::2, 4:8]
    s = v[:, 0] ** 2 - np.sum(v[:, 1:] ** 2, axis=1)
    c = _helicity_cos(hit[0::2])
    r = 4 * m_chi**2 / s
    # conditional CDF for each event's own r: pdf ~ (1 + r) + (1 - r) c^2 on [-1, 1]
    norm = 2 * (1 + r) + 2 * (1 - r) / 3
    u = ((1 + r) * (c + 1) + (1 - r) * (c**3 + 1) / 3) / norm
    assert stats.kstest(u, "uniform").pvalue > 1e-3


def test_bdnmc_on_shell_decay_is_isotropic():
    cfg = _cfg('production.channels=["pi0"]', "model.m_v=0.05", "model.m_chi=0.01", "compat.bdnmc=true")
    _, _, _, _, hit, _, _ = _produce(cfg, 15000)
    v = hit[0::2, 4:8]
    s = v[:, 0] ** 2 - np.sum(v[:, 1:] ** 2, axis=1)
    assert np.allclose(s, 0.05**2, rtol=1e-9, atol=0.0)  # on-shell kinematics
    c = _helicity_cos(hit[0::2])
    assert stats.kstest(c, lambda x: (x + 1) / 2).pvalue > 1e-3


@pytest.mark.parametrize("m_v, m_chi", [(0.05, 0.01), (0.3, 0.01), (0.01, 0.02)])
def test_pair_mass_follows_three_body_rate(m_v, m_chi):
    """m^2(chi chibar) against dBR/ds integrated by quad in bins (chi^2 test).

    Covers an on-shell V, m_V > m_pi0 (off shell only) and m_V < 2 m_chi.
    """
    cfg = _cfg('production.channels=["pi0"]', f"model.m_v={m_v}", f"model.m_chi={m_chi}", "model.alpha_d=0.5")
    _, _, _, _, hit, _, _ = _produce(cfg, 20000)
    v = hit[0::2, 4:8]
    s = v[:, 0] ** 2 - np.sum(v[:, 1:] ** 2, axis=1)
    tb = three_body("pi0", m_v, m_chi, 1e-3, 0.5, False)
    # bins equiprobable in the model, via the smooth u variable
    u_edges_model = np.linspace(float(tb.u_of_s(tb.s_min)), float(tb.u_of_s(tb.s_max)), 2001)
    cum = integrate.cumulative_trapezoid(tb.dbr_du(u_edges_model), u_edges_model, initial=0.0)
    cum /= cum[-1]
    qs = np.interp(np.linspace(0, 1, 21), cum, u_edges_model)
    edges = tb.s_of_u(qs)
    edges[0], edges[-1] = tb.s_min, tb.s_max
    observed, _ = np.histogram(s, bins=edges)
    expected = np.full(20, s.size / 20)
    chi2 = np.sum((observed - expected) ** 2 / expected)
    assert stats.chi2.sf(chi2, 19) > 1e-3


def test_recoil_energy_follows_dsigma_dT():
    """Scatter kernel at a fixed chi energy: T against dsigma/dT (KS), target fractions (binomial)."""
    cfg = _cfg("model.m_v=0.03", "model.m_chi=0.01", surround=False)
    setup = prepare(cfg)
    tb = setup.tables
    n = 20000
    e = 1.5
    p = math.sqrt(e * e - 0.01**2)
    hit = np.zeros((n, N_HIT_COLS))
    hit[:, COL["chi_E"]] = e
    hit[:, COL["chi_pz"]] = p
    hit[:, COL["t_in"]] = 486.0
    hit[:, COL["t_out"]] = 496.0
    trial = np.arange(n, dtype=np.int64)
    out = np.empty((n, N_SCAT_COLS))
    target = np.empty(n, dtype=np.int64)
    k0, k1, _ = key_from_seed(11)
    coupling = 1e-6 * C.ALPHA * 0.1
    t_lo, t_hi = setup.t_window
    zeros = np.zeros(n, dtype=np.int64)
    viol = scatter(k0, k1, trial, zeros, zeros, zeros + STAGE_SCATTER, hit, 0.01, 0.03, coupling, False, t_lo, t_hi,
                   tb["tg_mass"], tb["tg_density"], tb["tg_ff"], tb["tg_mu"], tb["tg_q2cut"], tb["tg_g2max"],
                   GL_NODES, GL_WEIGHTS, C.C_M_PER_NS, C.GEV2_TO_M2, out, target, tb["tg_z"], tb["tg_a"],
                   tb["hbarc"], np.zeros(2), np.ones(2), np.zeros(2), np.zeros((2, 0)))
    assert viol == 0
    for k, tg in enumerate(setup.targets):
        sel = target == k
        tt = out[sel, 1]
        lo, hi = t_lo, min(t_hi, 2 * tg.mass * p**2 / (0.01**2 + tg.mass**2 + 2 * tg.mass * e))
        grid = np.geomspace(lo, hi, 3000)
        f = np.array([dsigma_dt(e, t, 0.01, 0.03, coupling, tg.mass, False, tg.ff_model, tg.mu, tg.q2_cut)
                      for t in grid])
        cum = integrate.cumulative_trapezoid(f, grid, initial=0.0)
        assert stats.kstest(tt, lambda x: np.interp(x, grid, cum / cum[-1])).pvalue > 1e-3
    sig = [tg.density(setup.detector.material) * sigma(e, 0.01, 0.03, coupling, tg.mass, False, tg.ff_model, tg.mu, tg.q2_cut,
                              t_lo, t_hi, GL_NODES, GL_WEIGHTS) for tg in setup.targets]
    frac = sig[0] / sum(sig)
    k = int(np.sum(target == 0))
    assert stats.binomtest(k, n, frac).pvalue > 1e-3
    # interaction probability n sigma L
    assert np.allclose(out[:, 0], sum(sig) * C.GEV2_TO_M2 * 10.0, rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("sets", [
    [],
    ["signal.channel=electron", "signal.t_min=0.01", "signal.t_max=0.5"],
    ["beam.name=sns", "detector.name=coherent_csi", "signal.channel=coherent", "signal.t_min=1e-5",
     "signal.t_max=1e-4", "model.m_v=0.03", "model.m_chi=0.01"],
    ["model.dm=dirac", "signal.t_min=0.1", "signal.t_max=0.6"],
])
def test_sigma_tables_match_the_integral(sets):
    """The run's ln sigma(E) tables against the direct Gauss-Legendre integral at 400 energies,
    including the kink where T_max(E) crosses t_max (a few 1e-4 at worst)."""
    from bdgen.kernels import _sigma_lookup
    from bdgen.physics.scattering import sigma

    setup = prepare(bdgen.load_card(None, [*sets, "run.events=10"]))
    tb = setup.tables
    u0, du, eth, tab = tb["sig_table"]
    assert tab.shape[1] > 0
    m = setup.config.model
    t_lo, t_hi = setup.t_window
    rng = np.random.default_rng(4)
    for i, t in enumerate(setup.targets):
        es = eth[i] + np.exp(rng.uniform(np.log(1e-3), np.log(setup.beam.proton_energy - eth[i]), 400))
        for e in es:
            direct = sigma(e, m.m_chi, m.m_v, 1.0, t.mass, m.dirac, t.ff_model, t.mu, t.q2_cut, t_lo, t_hi,
                           GL_NODES, GL_WEIGHTS, t.z, t.a, tb["hbarc"])
            table = _sigma_lookup(e, i, u0, du, eth, tab)
            assert table == pytest.approx(direct, rel=5e-4, abs=1e-12 * max(direct, 1e-300))
