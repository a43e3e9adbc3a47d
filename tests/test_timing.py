"""Beam timing: production times from the spill structure, arrival times and delays."""

from __future__ import annotations

import numpy as np
from scipy import stats

import bdgen
from bdgen import constants as C
from bdgen.beams import load_beam
from bdgen.kernels import spill_times
from bdgen.rng import STAGE_SPILL, key_from_seed


def test_bunched_spill_distribution():
    k0, k1, _ = key_from_seed(4)
    t = spill_times(k0, k1, np.arange(50_000, dtype=np.int64), STAGE_SPILL, 0, 81, 18.83, 1.0)
    k = np.round(t / 18.83)
    counts = np.bincount(k.astype(int), minlength=81)
    assert counts.size == 81
    assert stats.chisquare(counts).pvalue > 1e-3  # bunches equally filled
    assert stats.kstest(t - 18.83 * k, "norm", args=(0.0, 1.0)).pvalue > 1e-3  # Gaussian within a bunch


def test_uniform_and_gaussian_spills():
    k0, k1, _ = key_from_seed(5)
    trials = np.arange(20_000, dtype=np.int64)
    u = spill_times(k0, k1, trials, STAGE_SPILL, 1, 1, 0.0, 6.0e5)
    assert stats.kstest(u, "uniform", args=(0.0, 6.0e5)).pvalue > 1e-3
    g = spill_times(k0, k1, trials, STAGE_SPILL, 2, 1, 0.0, 149.0)
    assert stats.kstest(g, "norm", args=(0.0, 149.0)).pvalue > 1e-3


def test_every_beam_has_a_spill_structure():
    from bdgen import resources

    for name in resources.available(resources.beams_dir()):
        assert load_beam(name).timing is not None, name


def test_event_times():
    r = bdgen.generate(bdgen.load_card(None, ["run.events=500"]), seed=2)
    ev = r.events
    d = np.sqrt((ev["x"] - ev["prod_x"]) ** 2 + (ev["y"] - ev["prod_y"]) ** 2 + (ev["z"] - ev["prod_z"]) ** 2)
    np.testing.assert_allclose(ev["delay"], ev["t"] - d / C.C_M_PER_NS, rtol=0, atol=1e-9)
    assert np.all(ev["delay"] > 0)  # massive chi arrive after light
    # delay = d/c (1/beta - 1) for the incoming chi
    beta = np.sqrt(ev["chi_px"] ** 2 + ev["chi_py"] ** 2 + ev["chi_pz"] ** 2) / ev["chi_E"]
    np.testing.assert_allclose(ev["delay"], d / C.C_M_PER_NS * (1 / beta - 1), rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(ev["t_arrival"], ev["t_spill"] + ev["t"])
    assert ev["t_spill"].min() > -10 and ev["t_spill"].max() < 81 * 18.83 + 10
    # independent of chunking
    r2 = bdgen.generate(bdgen.load_card(None, ["run.events=500", "run.chunk_size=70000"]), seed=2)
    np.testing.assert_array_equal(r2.events["t_spill"], ev["t_spill"])
