"""Visible V -> l+ l- decays inside the detector (signal.channel = "decay")."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
from scipy import stats

import bdgen
from bdgen import constants as C
from bdgen.kernels import HIT_COLS, N_HIT_COLS, N_SCAT_COLS, decay_visible
from bdgen.kinematics import boost
from bdgen.rng import STAGE_SCATTER, key_from_seed

approx = partial(pytest.approx, abs=0.0)
COL = {n: i for i, n in enumerate(HIT_COLS)}


def _hits(n, p_v, m_v, t_in, t_out, meson_p=0.0):
    hit = np.zeros((n, N_HIT_COLS))
    hit[:, COL["meson_E"]] = math.hypot(meson_p, C.M_PI0)
    hit[:, COL["meson_pz"]] = meson_p
    hit[:, COL["chi_E"]] = math.hypot(p_v, m_v)
    hit[:, COL["chi_pz"]] = p_v
    hit[:, COL["t_in"]] = t_in
    hit[:, COL["t_out"]] = t_out
    return hit


def _run(hit, polarised, m_v, ctau, br=0.9):
    n = hit.shape[0]
    k0, k1, _ = key_from_seed(3)
    out = np.empty((n, N_SCAT_COLS))
    tgt = np.empty(n, dtype=np.int64)
    z = np.zeros(n, dtype=np.int64)
    decay_visible(k0, k1, np.arange(n, dtype=np.int64), z, z + STAGE_SCATTER, hit, z + polarised, m_v, C.M_E, ctau,
                  br, C.C_M_PER_NS, out, tgt, 0)
    return out


@pytest.mark.parametrize("p_v, ctau", [(2.0, 30.0), (10.0, 5.0), (0.5, 400.0)])
def test_probability_and_vertex_distribution(p_v, ctau):
    """P = BR [exp(-L1/lambda) - exp(-L2/lambda)], lambda = (p/m) c tau, for a line crossing a box
    between L1 and L2; decay points follow the truncated exponential (KS)."""
    m_v, l1, l2 = 0.05, 100.0, 130.0
    out = _run(_hits(5000, p_v, m_v, l1, l2), 0, m_v, ctau)
    lam = p_v / m_v * ctau
    assert out[0, 0] == approx(0.9 * (math.exp(-l1 / lam) - math.exp(-l2 / lam)), rel=1e-12)
    z = out[:, 12]
    assert np.all((z >= l1) & (z <= l2))
    cdf = lambda x: (np.exp(-l1 / lam) - np.exp(-x / lam)) / (np.exp(-l1 / lam) - np.exp(-l2 / lam))  # noqa: E731
    assert stats.kstest(z, cdf).pvalue > 1e-3


def test_lepton_kinematics_and_polarisation():
    m_v = 0.05
    out = _run(_hits(20000, 3.0, m_v, 10.0, 11.0, meson_p=5.0), 1, m_v, 1.0)
    lm = out[:, 2:6]
    lp = out[:, 6:10]
    tot = lm + lp
    m2 = tot[:, 0] ** 2 - np.sum(tot[:, 1:] ** 2, axis=1)
    np.testing.assert_allclose(np.sqrt(m2), m_v, rtol=1e-9, atol=0)
    np.testing.assert_allclose(tot[:, 3], 3.0, rtol=1e-9, atol=0)
    for l4 in (lm, lp):
        np.testing.assert_allclose(l4[:, 0] ** 2 - np.sum(l4[:, 1:] ** 2, axis=1), C.M_E**2, rtol=1e-5, atol=1e-12)
    # angle of l- in the V frame about the V direction in the meson frame: 1 + cos^2 (+ r sin^2)
    meson_b = 5.0 / math.hypot(5.0, C.M_PI0)
    cs = []
    for row in lm[:4000]:
        v_m = boost(math.hypot(3.0, m_v), 0.0, 0.0, 3.0, 0.0, 0.0, -meson_b)
        l_m = boost(*row, 0.0, 0.0, -meson_b)
        bv = v_m[3] / v_m[0]
        l_v = boost(*l_m, 0.0, 0.0, -bv)
        n = np.array(l_v[1:]) / np.linalg.norm(l_v[1:])
        cs.append(n[2] * np.sign(v_m[3]))
    r = 4 * C.M_E**2 / m_v**2
    norm = 2 * (1 + r) + 2 * (1 - r) / 3
    cdf = lambda c: ((1 + r) * (c + 1) + (1 - r) * (c**3 + 1) / 3) / norm  # noqa: E731
    assert stats.kstest(cs, cdf).pvalue > 1e-3


def test_end_to_end_minos():
    card = ["signal.channel=decay", "model.m_v=0.05", "model.m_chi=0.05", "model.epsilon=1e-7",
            'production.channels=["pi0","eta","rho","brem"]', "beam.name=numi", "detector.name=minos_nd",
            "run.events=200"]
    r = bdgen.generate(bdgen.load_card(None, card), seed=1)
    ev = r.events
    assert len(r) == 200
    assert set(np.unique(ev["recoil_pdg"])) == {11}
    assert set(np.unique(ev["chi_pdg"])) == {C.PDG_DARK_PHOTON}
    closed = {c["production"]: c.get("closed") for c in r.summary["channels"]}
    assert closed["rho"] is not None and "off-shell" in closed["rho"]
    # the V comes from the production point: vertex on its line
    d = np.c_[ev["x"] - ev["prod_x"], ev["y"] - ev["prod_y"], ev["z"] - ev["prod_z"]]
    u = np.c_[ev["chi_px"], ev["chi_py"], ev["chi_pz"]]
    cross = np.cross(d, u) / np.linalg.norm(u, axis=1)[:, None]
    assert np.max(np.linalg.norm(cross, axis=1)) < 1e-9 * np.max(np.linalg.norm(d, axis=1))


def test_hadronic_decays_as_pion_pairs() -> None:
    """final_state = "hadrons": BR = Gamma(V -> mu mu)|_(m_mu -> 0) R_pipi(m_V) / Gamma_V, pi+ pi- pairs on
    shell that add up to the V; the same V lines as the mu mu run (same seed), so the signals
    are in the ratio of the two widths exactly."""
    from bdgen.physics.widths import r_pipi, width_to_fermions

    base = ["signal.channel=decay", "model.m_v=0.5", "model.m_chi=0.3", "model.epsilon=1e-8",
            'production.channels=["eta"]', "run.events=300"]
    had = bdgen.generate(bdgen.load_card(None, [*base, "signal.final_state=hadrons"]), seed=2)
    mumu = bdgen.generate(bdgen.load_card(None, [*base, "signal.final_state=mumu"]), seed=2)
    ev = had.events
    assert np.all(ev["recoil_pdg"] == -211)
    for c in ("E", "px", "py", "pz"):
        np.testing.assert_allclose(ev[f"recoil_{c}"] + ev[f"chi_out_{c}"], ev[f"chi_{c}"], rtol=1e-9, atol=1e-12)
    m_pi = np.sqrt(ev["recoil_E"] ** 2 - ev["recoil_px"] ** 2 - ev["recoil_py"] ** 2 - ev["recoil_pz"] ** 2)
    np.testing.assert_allclose(m_pi, C.M_PIPM, rtol=1e-6)
    a = C.ALPHA * 1e-16
    want = float(width_to_fermions(0.5, a, 0.0)) * r_pipi(0.5) / float(width_to_fermions(0.5, a, C.M_MU))
    n = min(len(had), len(mumu))
    np.testing.assert_allclose(had.events["weight"][:n] / mumu.events["weight"][:n] * (
        had.summary["n_effective_trials"] / mumu.summary["n_effective_trials"]), want, rtol=1e-9)


def test_hadrons_refused_above_1_1_gev() -> None:
    from bdgen.errors import CardError

    with pytest.raises(CardError, match="signal.final_state"):
        bdgen.load_card(None, ["signal.channel=decay", "signal.final_state=hadrons", "model.m_v=1.5"])


def test_geometric_acceptance_counts_one_v_per_trial():
    """Visible decays follow one V per trial: without importance sampling every V that crosses
    the detector gives one (weighted) event, so geometric_acceptance = events / trials exactly
    (it was half that, the chi-pair normalisation)."""
    card = ["signal.channel=decay", "model.m_v=0.05", "model.m_chi=0.04", "model.epsilon=3e-7",
            'production.channels=["pi0"]', "run.importance_sampling=false", "run.max_trials=200000",
            "run.events=100000000"]
    r = bdgen.generate(bdgen.load_card(None, card), seed=3)
    s = r.summary
    assert s["n_events"] > 50
    assert s["geometric_acceptance"] == pytest.approx(s["n_events"] / s["n_generated"], rel=1e-12)


def test_decay_runs_say_the_recoil_window_does_not_apply():
    card = ["signal.channel=decay", "model.m_v=0.05", "model.m_chi=0.04", "model.epsilon=3e-7",
            'production.channels=["pi0"]', "run.events=20"]
    notes = bdgen.generate(bdgen.load_card(None, card), seed=1).summary["notes"]
    assert any("signal.t_min/t_max do not apply to signal.channel = decay" in n for n in notes)
    notes = bdgen.generate(bdgen.load_card(None, [*card, "signal.t_min=0", "signal.t_max=1e9"]), seed=1).summary["notes"]
    assert not any("do not apply" in n for n in notes)
