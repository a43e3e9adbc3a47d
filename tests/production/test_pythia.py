"""The TABLE spectrum model (bdgen.production.spectra) and Pythia 8 meson tables
(bdgen.production.pythia).

- TABLE: the integral is the closed-form sum value x cell area (also over part of the table);
  the dispatcher returns the cell values; samples follow the table (seeded chi^2 over the cells,
  p-value > 1e-3) with no envelope violation, for uniform and quadratic cells;
- Pythia (skipped without pythia8mc, installed in CI through the ``test`` extra; small event
  counts, the whole file runs in a few seconds): per p-p collision at 120 GeV/c, the pi0 count
  in the convention of shared/ENVIRONMENT.md (pi0 and eta stable, per SoftQCD:all event, i.e.
  x sigma_inel/sigma_tot) is 2.6 within 6 % (3000 events: statistical error 1.2 %; 2.59 with
  4000 events when measured); yields are >= 0 and eta/pi0 is within 0.08-0.20 (0.12 measured;
  ENVIRONMENT.md: 0.13 above 100 GeV); the pi0 from eta decays per eta agree with Pythia's eta
  decay table; the "prompt" + "weak" classes agree with a run in which the six mesons are stable; the
  table integrates to the yield; the cache file is reused (Pythia is not run again) and a
  changed key runs it again; the beam loader builds "pythia8" spectra and names the field and
  the extra when pythia8mc is missing.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from bdgen.production.spectra import (
    TABLE,
    Spectrum,
    density,
    table_edges,
    table_integral,
    table_params,
    table_spectrum,
    table_values,
)


def _random_table(rng: np.random.Generator, n_p: int, n_t: int) -> np.ndarray:
    v = rng.exponential(1.0, (n_p, n_t))
    v[rng.random((n_p, n_t)) < 0.2] = 0.0  # empty cells, as in sparse histograms
    return v


# ---------------------------------------------------------------------------------------------
# the TABLE model
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spacing", ["linear", "quadratic"])
def test_table_integral_closed_form(spacing):
    rng = np.random.default_rng(11)
    v = _random_table(rng, 7, 5)
    par = table_params(v, 3.0, 0.8, p_spacing=spacing, theta_spacing=spacing)
    assert par[0] == (7 if spacing == "linear" else -7) and par[1] == (5 if spacing == "linear" else -5)
    pe, te = table_edges(par)
    np.testing.assert_array_equal(table_values(par), v)
    total = float(np.sum(v * np.outer(np.diff(pe), np.diff(te))))
    sp = table_spectrum(par)
    assert sp.model == TABLE
    assert sp.integral() == pytest.approx(total, rel=1e-13, abs=0.0)
    # part of the table: whole cells below the cut, the cut cell in proportion
    p_cut, t_cut = 0.5 * (pe[3] + pe[4]), te[2]
    part = float(np.sum(v[:3, :2] * np.outer(np.diff(pe)[:3], np.diff(te)[:2])))
    part += float(np.sum(v[3, :2] * np.diff(te)[:2])) * (p_cut - pe[3])
    assert table_integral(par, p_cut, t_cut) == pytest.approx(part, rel=1e-13, abs=0.0)
    assert sp.integral(p_cut, t_cut) == pytest.approx(part, rel=1e-13, abs=0.0)
    # the dispatcher returns each cell's value at its centre, 0 outside the table
    pc, tc = 0.5 * (pe[1:] + pe[:-1]), 0.5 * (te[1:] + te[:-1])
    got = np.array([[density(TABLE, a, b, par) for b in tc] for a in pc])
    np.testing.assert_array_equal(got, v)
    for p, t in ((-0.1, 0.1), (3.0, 0.1), (1.0, 0.8), (1.0, -1e-9), (math.nan, 0.1)):
        assert density(TABLE, p, t, par) == 0.0


def test_table_params_validation():
    with pytest.raises(ValueError, match=">= 0"):
        table_params(np.array([[1.0, -1.0]]), 1.0, 1.0)
    with pytest.raises(ValueError, match="spacing"):
        table_params(np.ones((2, 2)), 1.0, 1.0, p_spacing="log")
    with pytest.raises(ValueError, match="160"):
        table_spectrum(table_params(np.ones((200, 2)), 1.0, 1.0))


@pytest.mark.parametrize("spacing,theta_max", [("linear", None), ("quadratic", None), ("quadratic", 0.5)])
def test_table_samples_follow_the_table(spacing, theta_max):
    """Seeded chi^2 of 100k samples over the table's cells against value x area (restricted to
    theta < theta_max, the cut cell in proportion)."""
    rng = np.random.default_rng(5)
    v = _random_table(rng, 12, 9)
    par = table_params(v, 8.0, 1.2, p_spacing=spacing, theta_spacing=spacing)
    sp = table_spectrum(par, theta_max=theta_max)
    n = 100_000
    p, t, viol = sp.sample(n, np.random.default_rng(2024))
    assert viol == 0
    pe, te = table_edges(par)
    t_hi = te[-1] if theta_max is None else theta_max
    assert np.all((p >= 0) & (p < pe[-1]) & (t >= 0) & (t <= t_hi))
    counts = np.histogram2d(p, t, bins=(pe, te))[0]
    area = np.outer(np.diff(pe), np.clip(np.minimum(te[1:], t_hi) - te[:-1], 0.0, None))
    expected = n * v * area / np.sum(v * area)
    assert np.all(counts[expected == 0] == 0)
    live = expected > 0
    chi2 = float(np.sum((counts[live] - expected[live]) ** 2 / expected[live]))
    assert stats.chi2.sf(chi2, int(live.sum()) - 1) > 1e-3


# ---------------------------------------------------------------------------------------------
# Pythia 8 tables
# ---------------------------------------------------------------------------------------------

N_PP = 3000
SEED = 7


@pytest.fixture(scope="module")
def pythia_mod():
    pytest.importorskip("pythia8mc")
    from bdgen.production import pythia

    return pythia


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pythia8-cache")


@pytest.fixture(scope="module")
def pp120(pythia_mod, cache):
    """p-p (Z = A = 1) at 120 GeV/c, SoftQCD."""
    return pythia_mod.pythia_tables(120.0, 1, 1.0, n_events=N_PP, seed=SEED, cache=cache)


def test_pi0_per_pp_collision_at_120_gev(pp120):
    assert pp120.process == "SoftQCD" and pp120.n_pp == N_PP and pp120.n_pn == 0
    # ENVIRONMENT.md's 2.6 is per SoftQCD:all event with only pi0 and eta stable: our pi0 from every
    # mother but the eta, times the inelastic fraction of Pythia's cross section
    y, err = pp120.yield_("pi0", ("prompt", "eta_prime", "rho", "omega", "phi", "weak"))
    frac = pp120.sigma["inel"] / pp120.sigma["tot"]
    assert 0.75 < frac < 0.9
    assert err < 0.02 * y
    assert y * frac == pytest.approx(2.6, rel=0.06, abs=0.0)


def test_yields_nonnegative_and_ratios_sane(pp120, pythia_mod):
    assert np.all(pp120.yields >= 0.0)
    assert np.all(np.diag(pp120.cov) >= 0.0)
    assert np.all(pp120.entries >= 0)
    for s in pythia_mod.SPECIES:
        assert pp120.yield_(s, "all")[0] >= pp120.yield_(s)[0] >= pp120.yield_(s, "prompt")[0] >= 0.0
    r, dr = pp120.ratio("eta")
    assert 0.08 < r < 0.20 and 0 < dr < 0.02
    # the pi0 is never a mother (it is stable); the phi is made only promptly at this energy
    assert np.all(pp120.yields[:, 1:6].sum(axis=0) >= 0.0)
    assert 0.0 < pp120.mean_theta("pi0") < 0.5 and 1.0 < pp120.mean_p("pi0") < 20.0
    cones = [pp120.cone_yield("pi0", c) for c in pythia_mod.THETA_CUTS]
    assert 0.0 < cones[0] and np.all(np.diff(cones) >= 0.0) and cones[-1] <= pp120.forward_yield("pi0")
    assert pp120.forward_yield("pi0") <= pp120.yield_("pi0")[0]
    with pytest.raises(ValueError, match="cone yields"):
        pp120.cone_yield("pi0", 0.02)


def test_feed_down_matches_decay_table(pp120):
    """pi0 counted with an eta mother, per eta, against <n_pi0> of Pythia's eta decay table."""
    import pythia8mc

    entry = pythia8mc.Pythia("", False).particleData.particleDataEntryPtr(221)
    chans = [entry.channel(i) for i in range(entry.sizeChannels())]
    br = np.array([c.bRatio() for c in chans])
    n_pi0 = np.array([sum(c.product(j) == 111 for j in range(c.multiplicity())) for c in chans])
    expect = float(br @ n_pi0 / br.sum())  # ~1.2
    n_eta = pp120.entries[1].sum()
    n_from_eta = pp120.entries[0, 1]
    # a sum over etas of a bounded count: binomial-like error, 4 sigma
    got = n_from_eta / n_eta
    assert got == pytest.approx(expect, abs=4.0 * math.sqrt(3.0 * expect / n_eta))


def test_prompt_class_equals_stable_flags(pp120, pythia_mod):
    """The pi0 yield of the 'prompt' and 'weak' classes agrees (4 sigma) with an independent run
    where all six mesons are stable (weak decays on, as by default)."""
    import awkward as ak
    import pythia8mc

    py = pythia8mc.Pythia("", False)
    for s in (pythia_mod._common_settings("SoftQCD") + ["Beams:idB = 2212", f"Beams:eA = {math.hypot(120.0, 0.93827)}",
                                                        "Random:seed = 99"]
              + [f"{pdg}:mayDecay = off" for pdg in pythia_mod.SPECIES.values()]):
        assert py.readString(s)
    assert py.init()
    ev = py.nextBatch(N_PP)
    per_event = ak.to_numpy(ak.sum((ev.prt.id == 111) & (ev.prt.status > 0), axis=1))
    y_stable, e_stable = per_event.mean(), per_event.std(ddof=1) / math.sqrt(per_event.size)
    y, e = pp120.yield_("pi0", ("prompt", "weak"))
    assert abs(y - y_stable) < 4.0 * math.hypot(e, e_stable)


def test_table_integrates_to_the_yield(pp120, pythia_mod):
    for s in ("pi0", "eta", "omega"):
        for src in (("prompt",), ("prompt", "strong"), "all"):
            sp = pp120.spectrum(s, src)
            assert sp.model == TABLE and sp.theta_max == pytest.approx(math.pi, rel=1e-15, abs=0.0)
            assert sp.integral() == pytest.approx(pp120.yield_(s, src)[0], rel=1e-9, abs=0.0)
    for s in ("pi0", "eta", "phi"):  # dense, medium and sparse tables: the envelope bounds them
        _, _, viol = pp120.spectrum(s, theta_max=0.5 * math.pi).sample(20_000, np.random.default_rng(3))
        assert viol == 0, s
    pe, te, h, err = pp120.histogram("pi0")
    assert h.shape == err.shape == (pe.size - 1, te.size - 1) and np.all(err >= 0)
    assert pp120.spectrum("pi0", theta_max=0.3).theta_max == 0.3
    with pytest.raises(ValueError, match="whole groups"):
        pp120.histogram("pi0", ("prompt", "eta"))
    with pytest.raises(ValueError, match="unknown source"):
        pp120.yield_("pi0", "bogus")


def test_mixed_target_low_energy(pythia_mod, cache):
    """Be at the BNB momentum: LowEnergyQCD, Z/A of the events on protons, forward yields and
    means consistent."""
    t = pythia_mod.pythia_tables(8.89, 4, 9.0122, n_events=2000, seed=SEED, cache=cache)
    assert t.process == "LowEnergyQCD" and t.sqrt_s < 10.0
    assert (t.n_pp, t.n_pn) == (round(2000 * 4 / 9.0122), 2000 - round(2000 * 4 / 9.0122))
    assert {"tot_pp", "tot_pn", "el_pp", "el_pn"} <= set(t.sigma)
    y = t.yield_("pi0")[0]
    assert 0.4 < y < 1.5
    assert 0.0 < t.forward_yield("pi0") <= y
    assert t.mean_p("pi0", forward=True) >= t.mean_p("pi0")
    assert np.all(t.hist[0] >= 0.0) and t.p_edges[0][-1] == 8.89


def test_cache_reused_and_invalidated(pythia_mod, cache, pp120, monkeypatch):
    calls = []

    def no_run(*args, **kwargs):
        calls.append(args)
        raise RuntimeError("Pythia must not run")

    monkeypatch.setattr(pythia_mod, "_run", no_run)
    path = pp120.path
    assert path is not None and path.is_file() and path.parent == cache
    assert not list(path.parent.glob("*.tmp"))  # atomic write: no temporary left
    pythia_mod._MEMO.clear()  # force a read of the file
    again = pythia_mod.pythia_tables(120.0, 1, 1.0, n_events=N_PP, seed=SEED, cache=cache)
    assert calls == []
    np.testing.assert_array_equal(again.yields, pp120.yields)
    np.testing.assert_array_equal(again.hist[0], pp120.hist[0])
    assert again.sigma == pp120.sigma and again.key == pp120.key
    # any change of the key runs Pythia again
    for kw in ({"seed": SEED + 1}, {"n_events": N_PP + 1}):
        args = {"n_events": N_PP, "seed": SEED, **kw}
        with pytest.raises(RuntimeError, match="must not run"):
            pythia_mod.pythia_tables(120.0, 1, 1.0, cache=cache, **args)
    with pytest.raises(RuntimeError, match="must not run"):
        pythia_mod.pythia_tables(120.0, 1, 1.0, n_events=N_PP, seed=SEED, cache=cache, process="LowEnergyQCD")
    with pytest.raises(RuntimeError, match="must not run"):
        pythia_mod.pythia_tables(120.0, 2, 4.0, n_events=N_PP, seed=SEED, cache=cache)
    assert len(calls) == 4
    keys = {pythia_mod.cache_key(120.0, 1, 1.0, N_PP, SEED)[0], pythia_mod.cache_key(120.0, 1, 1.0, N_PP, SEED + 1)[0],
            pythia_mod.cache_key(121.0, 1, 1.0, N_PP, SEED)[0], pythia_mod.cache_key(120.0, 1, 1.0, N_PP, SEED, "SoftQCD")[0]}
    assert len(keys) == 3  # "auto" resolves to SoftQCD at 120 GeV/c: the same table
    # the default directory follows $BDGEN_CACHE
    monkeypatch.setenv("BDGEN_CACHE", str(cache / "elsewhere"))
    assert pythia_mod.cache_dir() == cache / "elsewhere" / "pythia8"


def _beam_dir_with(text_edit) -> Path:
    import bdgen.resources as res

    tmp = Path(tempfile.mkdtemp())
    (tmp / "bnbpy.toml").write_text(text_edit((res.beams_dir() / "bnb.toml").read_text()))
    return tmp


def test_beam_loader_pythia8(pythia_mod, cache, monkeypatch):
    import bdgen.resources as res
    from bdgen.beams import load_beam
    from bdgen.errors import CardError

    monkeypatch.setenv("BDGEN_CACHE", str(cache))

    def edit(text: str) -> str:
        return text.replace('alternatives = ["bmpt", "pythia8"]', 'alternatives = ["bmpt", "pythia8"]\npythia_events = 2000', 1)

    tmp = _beam_dir_with(edit)
    try:
        monkeypatch.setattr(res, "beams_dir", lambda: tmp)
        beam = load_beam("bnbpy", alternatives=True)
        alts = dict(beam.mesons["pi0"].alternatives)
        sp = alts["pythia8"]
        assert isinstance(sp, Spectrum) and sp.model == TABLE
        assert sp.theta_max == pytest.approx(0.5 * math.pi, rel=1e-15, abs=0.0)  # the beam file's theta_max
        assert sp.p_max == 8.89
        assert beam.mesons["pi0"].per_pot == 0.9  # the alternative changes the shape, not the yield

        def missing():
            raise pythia_mod.PythiaUnavailable("no pythia8mc")

        monkeypatch.setattr(pythia_mod, "_import_pythia", missing)
        pythia_mod._MEMO.clear()
        with pytest.raises(CardError, match=r"mesons\.pi0\.alternatives\.model = \"pythia8\".*bdgen\[pythia\]"):
            load_beam("bnbpy", alternatives=True)
    finally:
        shutil.rmtree(tmp)
