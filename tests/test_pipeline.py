"""The run pipeline: bdgen.generate on small runs.

Checks reproducibility (seed, chunk size), the estimator bookkeeping (weights sum to the
estimate, per-channel sums), the event kinematics (four-momentum conservation, mass shells,
vertex geometry, time of flight), the signal channels, unweighting and closed channels.

Runs are small (a few hundred events, about a million trials) and cached per module.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import bdgen
from bdgen import constants as C
from bdgen.pipeline import CHANNEL_CODES, EVENT_COLUMNS, prepare

C_M_PER_NS = 0.299792458
CENTRE = np.array([0.0, -1.9, 491.0])
RADIUS = 5.0
K = 300
CHUNK = 100_000

_cache: dict = {}


def run(*overrides: str, seed: int | None = 3, chunk_size: int | None = CHUNK, events: int | None = K):
    """generate() on the built-in card with overrides, cached per (overrides, seed, chunk).

    The chunk size defaults to 1e5 trials (not the card's 1e6) to keep the runs short; the
    events do not depend on it.
    """
    ov = list(overrides)
    if events is not None:
        ov = [f"run.events={events}", *ov]
    key = (tuple(ov), seed, chunk_size)
    if key not in _cache:
        cfg = bdgen.load_card(None, ov)
        _cache[key] = bdgen.generate(cfg, seed=seed, chunk_size=chunk_size)
    return _cache[key]


def four(ev: dict, prefix: str) -> np.ndarray:
    return np.stack([ev[f"{prefix}_E"], ev[f"{prefix}_px"], ev[f"{prefix}_py"], ev[f"{prefix}_pz"]], axis=1)


def msq(p: np.ndarray) -> np.ndarray:
    return p[:, 0] ** 2 - p[:, 1] ** 2 - p[:, 2] ** 2 - p[:, 3] ** 2


def assert_same_events(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype, k
        assert a[k].shape == b[k].shape, k
        assert a[k].tobytes() == b[k].tobytes(), k


# Physics variants used by the kinematic checks.
VARIANTS = {
    "nucleon-scalar": (),
    "electron": ("signal.channel=electron",),
    "dirac": ("model.dm=dirac",),
    "bdnmc": ("compat.bdnmc=true",),
    "bdnmc-electron": ("compat.bdnmc=true", "signal.channel=electron"),
    "dipole-eta-only": ("signal.form_factors=dipole", "production.channels=['eta']"),
}


@pytest.fixture(params=list(VARIANTS), scope="module")
def variant(request):
    ov = VARIANTS[request.param]
    res = run(*ov)
    return request.param, res


# ---------------------------------------------------------------------------------------------
# Reproducibility
# ---------------------------------------------------------------------------------------------


def test_same_seed_identical_events():
    cfg = bdgen.load_card(None, [f"run.events={K}"])
    a = bdgen.generate(cfg, seed=3, chunk_size=CHUNK)
    b = run(seed=3)
    assert_same_events(a.events, b.events)
    assert a.summary["signal_events"] == b.summary["signal_events"]
    assert a.summary["signal_events_error"] == b.summary["signal_events_error"]


def test_chunk_size_does_not_change_events():
    a = run(seed=3, chunk_size=50_000)
    b = run(seed=3, chunk_size=200_000)
    assert len(a) == len(b) == K
    assert_same_events(a.events, b.events)
    assert a.summary["signal_events"] == b.summary["signal_events"]
    for ca, cb in zip(a.summary["channels"], b.summary["channels"]):
        assert ca["events"] == cb["events"]


def test_chunk_size_from_card_same_as_argument():
    a = run("run.chunk_size=50000", seed=3, chunk_size=None)
    b = run(seed=3, chunk_size=50_000)
    assert_same_events(a.events, b.events)
    assert a.summary["config"]["run"]["chunk_size"] == 50_000


def test_different_seed_different_events():
    a = run(seed=3)
    b = run(seed=4)
    assert a.summary["seed"] == 3 and b.summary["seed"] == 4
    assert not np.array_equal(a.events["chi_E"], b.events["chi_E"])
    assert a.summary["signal_events"] != b.summary["signal_events"]


def test_seed_argument_overrides_card_seed():
    cfg = bdgen.load_card(None, ["run.events=50"])
    assert cfg.run.seed == 1
    a = bdgen.generate(cfg, chunk_size=CHUNK)  # the card's seed
    b = bdgen.generate(cfg, seed=1, chunk_size=CHUNK)
    c = bdgen.generate(cfg, seed=2, chunk_size=CHUNK)
    assert a.summary["seed"] == 1
    assert_same_events(a.events, b.events)
    assert not np.array_equal(a.events["chi_E"], c.events["chi_E"])


def test_fresh_entropy_seed_is_recorded_and_reproduces():
    cfg = bdgen.load_card(None, ["run.events=50"])
    cfg = dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, seed=None))
    a = bdgen.generate(cfg, chunk_size=CHUNK)
    seed = a.summary["seed"]
    assert isinstance(seed, int) and seed >= 0
    b = bdgen.generate(cfg, seed=seed, chunk_size=CHUNK)
    assert_same_events(a.events, b.events)


def test_trial_and_chi_index_identify_events():
    a = run(seed=3, chunk_size=50_000)
    ev = a.events
    assert np.all(np.diff(ev["trial"]) >= 0)
    pairs = ev["trial"] * 2 + ev["chi_index"]
    assert np.all(np.diff(pairs) > 0)
    assert set(np.unique(ev["chi_index"])) <= {0, 1}


# ---------------------------------------------------------------------------------------------
# Estimator bookkeeping
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 57, 300])
def test_events_mode_writes_exactly_k(k):
    res = run(events=k, seed=11)
    assert len(res) == k
    assert res.summary["n_events"] == k
    for col in EVENT_COLUMNS:
        assert res.events[col].shape == (k,)
    np.testing.assert_array_equal(res.events["event_id"], np.arange(k))


def test_columns_and_dtypes():
    res = run()
    assert list(res.events) == list(EVENT_COLUMNS)
    for col, (dt, _) in EVENT_COLUMNS.items():
        assert res.events[col].dtype == np.dtype(dt), col


def test_weights_sum_to_signal_estimate(variant):
    _, res = variant
    w = res.events["weight"]
    assert np.all(w > 0)
    assert w.sum() == pytest.approx(res.summary["signal_events"], rel=1e-12)
    assert res.summary["signal_events"] > 0
    assert 0 < res.summary["signal_events_error"] < res.summary["signal_events"]


def test_channel_events_sum_to_total(variant):
    _, res = variant
    s = res.summary
    total = sum(ch["events"] for ch in s["channels"])
    assert total == pytest.approx(s["signal_events"], rel=1e-12)
    # and each channel's entry is the sum of its events' weights
    for ch in s["channels"]:
        sel = res.events["channel"] == CHANNEL_CODES[ch["production"]]
        assert res.events["weight"][sel].sum() == pytest.approx(ch["events"], rel=1e-12, abs=1e-300)
        assert ch["error"] >= 0


def test_summary_contents():
    res = run()
    s = res.summary
    for key in ("signal_events", "signal_events_error", "geometric_acceptance", "mediators_produced",
                "channels", "n_generated", "wall_seconds", "seed", "version", "config"):
        assert key in s, key
    assert s["version"] == bdgen.__version__
    assert s["seed"] == 3
    assert s["pot"] == pytest.approx(1.86e20)
    assert 0 < s["geometric_acceptance"] < 1
    assert s["n_generated"] > 0 and s["wall_seconds"] >= 0
    assert s["config"] == res.config.to_dict()
    assert [(c["production"], c["signal"]) for c in s["channels"]] == [("pi0", "nucleon"), ("eta", "nucleon")]
    for ch in s["channels"]:
        assert {"events", "error", "branching_ratio", "mediators_produced"} <= set(ch)
        assert 0 < ch["branching_ratio"] < 1
        assert "closed" not in ch
    assert s["mediators_produced"] == pytest.approx(sum(c["mediators_produced"] for c in s["channels"]), rel=1e-12)


def test_weights_scale_with_pot_and_efficiency():
    base = run(seed=5, events=100)
    more = run("run.pot=3.72e20", "signal.efficiency=0.5", seed=5, events=100)
    for col in EVENT_COLUMNS:
        if col != "weight":
            np.testing.assert_array_equal(base.events[col], more.events[col])
    np.testing.assert_allclose(more.events["weight"], base.events["weight"], rtol=1e-12)
    assert more.summary["signal_events"] == pytest.approx(base.summary["signal_events"], rel=1e-12)


def test_precision_mode_reaches_target():
    res = run("run.precision=0.2", events=None, chunk_size=200_000, seed=8)
    s = res.summary
    assert s["relative_error"] <= 0.2
    assert s["n_generated"] % 200_000 == 0
    assert len(res) > 0
    assert res.events["weight"].sum() == pytest.approx(s["signal_events"], rel=1e-12)
    assert s["signal_events_error"] / s["signal_events"] == pytest.approx(s["relative_error"])


def test_vov_against_direct_central_moments():
    """_vov from power sums equals the MCNP definition evaluated on the scores themselves."""
    from bdgen.pipeline import _trial_stats, _vov

    rng = np.random.default_rng(4)
    n = 5000
    trial = np.sort(rng.choice(n, 700, replace=True))          # trials with events (most score 0)
    prob = rng.pareto(2.5, trial.size)                          # heavy-tailed weights
    chan = np.zeros(trial.size, dtype=np.int64)
    s1, s2, s34 = _trial_stats(trial, chan, prob, 1)
    x = np.zeros(n)
    np.add.at(x, trial, prob)
    d = x - x.mean()
    direct = np.sum(d**4) / np.sum(d**2) ** 2 - 1.0 / n
    assert _vov(s1.sum(), s2.sum(), s34, n) == pytest.approx(direct, rel=1e-10)
    assert s1.sum() == pytest.approx(x.sum(), rel=1e-12)
    assert s2.sum() == pytest.approx(np.sum(x * x), rel=1e-12)
    # one scoring trial among many: VOV -> 1 (the error estimate means nothing)
    assert _vov(2.0, 4.0, np.array([8.0, 16.0]), 1e6) == pytest.approx(1.0, abs=1e-5)
    # scale-free, and no underflow for tiny probabilities (fourth powers of 1e-90)
    tiny = 1e-90
    ref = float(prob.max() * tiny)
    t1, t2, t34 = _trial_stats(trial, chan, prob * tiny, 1, ref)
    with np.errstate(all="raise"):
        assert _vov(t1.sum(), t2.sum(), t34, n, ref) == pytest.approx(direct, rel=1e-9)


def test_loose_precision_waits_for_a_reliable_error():
    """A loose target with tiny chunks must not stop on a handful of lucky trials: the run
    continues until the variance of the variance is below 0.1 (MCNP's criterion)."""
    from bdgen.pipeline import VOV_MAX

    res = run("run.precision=0.3", "model.m_v=0.3", "model.m_chi=0.1", "signal.channel=electron",
              events=None, chunk_size=500, seed=11)
    s = res.summary
    assert s["relative_error"] <= 0.3
    assert s["variance_of_variance"] <= VOV_MAX
    assert not any("unreliable" in note for note in s["notes"])


def test_few_raw_events_flagged_unreliable():
    """run.events = 20 at the built-in card are a few effective events: the summary says so."""
    res = run(events=20, seed=5)
    s = res.summary
    w = res.events["weight"]
    assert len(w) == 20
    assert w.sum() ** 2 / np.sum(w * w) < 10.0                 # few effective events
    assert s["variance_of_variance"] > 0.1
    assert any("unreliable" in note for note in s["notes"])


def test_progress_callback_called():
    calls = []
    cfg = bdgen.load_card(None, ["run.events=100"])
    bdgen.generate(cfg, seed=3, chunk_size=10_000, progress=calls.append)
    assert calls
    assert {"trials", "events", "relative_error"} <= set(calls[0])
    trials = [c["trials"] for c in calls]
    assert trials == sorted(trials)


def test_to_awkward():
    res = run(events=20, seed=2)
    arr = res.to_awkward()
    assert len(arr) == 20
    assert set(arr.fields) == set(EVENT_COLUMNS)


# ---------------------------------------------------------------------------------------------
# Kinematics of every event
# ---------------------------------------------------------------------------------------------


def _target_mass(pdg: np.ndarray, bdnmc: bool) -> np.ndarray:
    if bdnmc:
        table = {11: C.BDNMC["m_e"], 2212: C.BDNMC["m_p"], 2112: C.BDNMC["m_n"]}
    else:
        table = {11: C.M_E, 2212: C.M_P, 2112: C.M_N}
    return np.array([table[int(p)] for p in pdg])


def test_four_momentum_conservation_in_scattering(variant):
    _, res = variant
    ev = res.events
    bdnmc = res.config.compat.bdnmc
    mt = _target_mass(ev["recoil_pdg"], bdnmc)
    before = four(ev, "chi") + np.stack([mt, 0 * mt, 0 * mt, 0 * mt], axis=1)
    after = four(ev, "chi_out") + four(ev, "recoil")
    scale = before[:, :1]
    np.testing.assert_allclose(after / scale, before / scale, rtol=0, atol=1e-9)
    np.testing.assert_allclose(after[:, 0], before[:, 0], rtol=1e-9)


def test_mass_shells(variant):
    _, res = variant
    ev = res.events
    m_chi = res.config.model.m_chi
    mt = _target_mass(ev["recoil_pdg"], res.config.compat.bdnmc)
    for prefix, m in (("chi", m_chi), ("chi_out", m_chi), ("recoil", mt)):
        p = four(ev, prefix)
        assert np.all(p[:, 0] > 0)
        np.testing.assert_allclose(msq(p), np.broadcast_to(np.asarray(m) ** 2, p[:, 0].shape),
                                   rtol=0, atol=1e-9 * float(np.max(p[:, 0] ** 2)))
        assert np.all(np.abs(msq(p) - np.asarray(m) ** 2) <= 1e-9 * p[:, 0] ** 2), prefix
    # the recoil kinetic energy is E - M
    np.testing.assert_allclose(ev["recoil_T"], ev["recoil_E"] - mt, rtol=1e-9, atol=1e-12)


def test_meson_decay_kinematics(variant):
    _, res = variant
    ev = res.events
    setup = prepare(res.config)
    m_meson = {c.pdg: c.mass for c in setup.channels if c.closed_reason is None}
    parent = four(ev, "parent")
    v = four(ev, "v")
    # parent on its mass shell
    mp = np.array([m_meson[int(p)] for p in ev["parent_pdg"]])
    assert np.all(np.abs(msq(parent) - mp**2) <= 1e-9 * parent[:, 0] ** 2)
    # parent = V + photon with a massless photon of positive energy
    photon = parent - v
    assert np.all(photon[:, 0] > 0)
    assert np.all(np.abs(msq(photon)) <= 1e-9 * parent[:, 0] ** 2)
    # 2 m_chi <= m_V* <= m_meson
    m_chi = res.config.model.m_chi
    mv2 = msq(v)
    assert np.all(mv2 >= (2 * m_chi) ** 2 * (1 - 1e-9))
    assert np.all(mv2 <= mp**2 * (1 + 1e-9))
    # the chi carries less energy than the V
    assert np.all(ev["chi_E"] < v[:, 0])
    # channel codes and parent pdg agree
    code_to_pdg = {CHANNEL_CODES["pi0"]: C.PDG_PI0, CHANNEL_CODES["eta"]: C.PDG_ETA}
    np.testing.assert_array_equal(ev["parent_pdg"], [code_to_pdg[int(c)] for c in ev["channel"]])


def test_vertex_inside_detector_and_on_chi_line(variant):
    _, res = variant
    ev = res.events
    x = np.stack([ev["x"], ev["y"], ev["z"]], axis=1)
    p = np.stack([ev["chi_px"], ev["chi_py"], ev["chi_pz"]], axis=1)
    assert np.all(np.linalg.norm(x - CENTRE, axis=1) <= RADIUS * (1 + 1e-12))
    d = np.linalg.norm(x, axis=1)
    pp = np.linalg.norm(p, axis=1)
    cross = np.linalg.norm(np.cross(x, p), axis=1) / (d * pp)
    assert np.all(cross < 1e-9)
    assert np.all(np.einsum("ij,ij->i", x, p) > 0)


def test_time_of_flight(variant):
    _, res = variant
    ev = res.events
    d = np.sqrt(ev["x"] ** 2 + ev["y"] ** 2 + ev["z"] ** 2)
    beta = np.sqrt(ev["chi_px"] ** 2 + ev["chi_py"] ** 2 + ev["chi_pz"] ** 2) / ev["chi_E"]
    np.testing.assert_allclose(ev["t"], d / (beta * C_M_PER_NS), rtol=1e-9)
    assert np.all(ev["t"] >= d / C_M_PER_NS)


def test_recoil_energy_window(variant):
    name, res = variant
    ev = res.events
    sig = res.config.signal
    if name == "bdnmc-electron":
        # BdNMC convention: the electron window is on the total energy
        e = ev["recoil_E"]
        assert np.all((e >= sig.t_min * (1 - 1e-12)) & (e <= sig.t_max * (1 + 1e-12)))
    else:
        t = ev["recoil_T"]
        assert np.all((t >= sig.t_min * (1 - 1e-12)) & (t <= sig.t_max * (1 + 1e-12)))


def test_custom_recoil_window():
    res = run("signal.t_min=0.05", "signal.t_max=0.1", events=100, seed=4)
    t = res.events["recoil_T"]
    assert len(res) == 100
    assert np.all((t >= 0.05) & (t <= 0.1))


# ---------------------------------------------------------------------------------------------
# Signal channels, dark-matter type, production channels
# ---------------------------------------------------------------------------------------------


def test_electron_channel_recoils_are_electrons():
    res = run("signal.channel=electron")
    assert set(np.unique(res.events["recoil_pdg"])) == {11}
    assert all(ch["signal"] == "electron" for ch in res.summary["channels"])


def test_nucleon_channel_has_protons_and_neutrons():
    res = run()
    assert set(np.unique(res.events["recoil_pdg"])) == {2212, 2112}


@pytest.mark.parametrize("dm, code", [("scalar", 51), ("dirac", 52)])
def test_chi_pdg_codes(dm, code):
    res = run(f"model.dm={dm}")
    ev = res.events
    assert set(np.unique(ev["chi_pdg"])) == {code, -code}
    np.testing.assert_array_equal(ev["chi_pdg"], np.where(ev["chi_index"] == 0, code, -code))


def test_single_production_channel():
    res = run("production.channels=['pi0']", events=100)
    assert set(np.unique(res.events["parent_pdg"])) == {111}
    assert set(np.unique(res.events["channel"])) == {CHANNEL_CODES["pi0"]}
    assert [c["production"] for c in res.summary["channels"]] == ["pi0"]


def test_both_production_channels_present():
    res = run()
    assert set(np.unique(res.events["parent_pdg"])) == {111, 221}


def test_compat_bdnmc_runs():
    res = run("compat.bdnmc=true")
    assert len(res) == K
    assert res.summary["compat_bdnmc"] is True
    assert res.summary["config"]["compat"]["bdnmc"] is True
    assert res.summary["signal_events"] > 0
    # BdNMC constants for the targets
    mt = res.events["recoil_E"] - res.events["recoil_T"]
    assert set(np.round(mt, 9)) <= {round(C.BDNMC["m_p"], 9), round(C.BDNMC["m_n"], 9)}


# ---------------------------------------------------------------------------------------------
# Closed channels
# ---------------------------------------------------------------------------------------------


def test_all_channels_closed_gives_zero_events():
    # 2 m_chi = 0.6 GeV > m_eta > m_pi0
    res = run("model.m_chi=0.3", events=100)
    s = res.summary
    assert len(res) == 0
    assert s["signal_events"] == 0.0
    assert s["signal_events_error"] == 0.0
    assert s["n_events"] == 0
    for col, (dt, _) in EVENT_COLUMNS.items():
        assert res.events[col].shape == (0,) and res.events[col].dtype == np.dtype(dt)
    assert len(s["channels"]) == 2
    for ch in s["channels"]:
        assert "closed" in ch and "m_chi" in ch["closed"]
        assert ch["events"] == 0.0 and ch["error"] == 0.0 and ch["branching_ratio"] == 0.0
    assert s["notes"]


def test_pi0_closed_eta_open():
    # 2 m_chi = 0.4 GeV: above m_pi0, below m_eta
    res = run("model.m_chi=0.2", events=50)
    s = res.summary
    pi0, eta = s["channels"]
    assert pi0["production"] == "pi0" and "closed" in pi0 and pi0["events"] == 0.0
    assert eta["production"] == "eta" and "closed" not in eta and eta["events"] > 0
    assert len(res) == 50
    assert set(np.unique(res.events["parent_pdg"])) == {221}
    assert res.events["weight"].sum() == pytest.approx(s["signal_events"], rel=1e-12, abs=0.0)
    assert eta["events"] == pytest.approx(s["signal_events"], rel=1e-12, abs=0.0)


def test_closed_precision_run_terminates():
    res = run("model.m_chi=0.3", "run.precision=0.1", events=None)
    assert len(res) == 0 and res.summary["signal_events"] == 0.0


# ---------------------------------------------------------------------------------------------
# Unweighted samples
# ---------------------------------------------------------------------------------------------


def test_unweighted_equal_weights_sum_to_estimate():
    res = run("run.unweighted=true", seed=5, events=200)
    w = res.events["weight"]
    assert len(w) > 0
    assert np.all(w == w[0])
    assert w.sum() == pytest.approx(res.summary["signal_events"], rel=1e-12)
    assert res.summary["unweighted"] is True


def test_unweighted_events_mode_writes_exactly_k():
    # the contract (README: "write exactly that many"): run.events = K gives K events,
    # weighted or not
    res = run("run.unweighted=true", seed=5, events=200)
    assert len(res) == 200, res.summary["notes"]


def test_unweighted_precision_mode():
    res = run("run.unweighted=true", "run.precision=0.2", events=None, chunk_size=200_000, seed=8)
    w = res.events["weight"]
    assert len(w) > 0
    assert np.all(w == w[0])
    assert w.sum() == pytest.approx(res.summary["signal_events"], rel=1e-12)


def test_unweighted_is_reproducible_and_chunk_independent():
    a = run("run.unweighted=true", seed=5, events=100, chunk_size=100_000)
    b = run("run.unweighted=true", seed=5, events=100, chunk_size=300_000)
    assert_same_events(a.events, b.events)



# ---------------------------------------------------------------------------------------------
# Beam yield overrides
# ---------------------------------------------------------------------------------------------


def test_zero_eta_yield_closes_eta():
    res = run("beam.eta_per_pi0=0", events=50)
    pi0, eta = res.summary["channels"]
    assert "closed" in eta and eta["events"] == 0.0
    assert "closed" not in pi0
    assert set(np.unique(res.events["parent_pdg"])) == {111}
    assert len(res) == 50


def test_meson_yield_scales_signal():
    base = run(seed=6, events=50)
    double = run("beam.pi0_per_pot=1.8", seed=6, events=50)  # the card's beam has 0.9
    assert double.summary["signal_events"] == pytest.approx(2 * base.summary["signal_events"], rel=1e-12)
    np.testing.assert_array_equal(double.events["chi_E"], base.events["chi_E"])


def test_single_effective_trial_has_undefined_error(tmp_path, monkeypatch):
    """Events mode can stop inside the first trial (n_eff = 0.5 or 1): the estimate is the weight
    sum, the error is undefined (nan; null in the JSON summary) and a note says so."""
    import json
    import math

    import bdgen.pipeline

    # without the momentum sampling's pilot this seed has its first event in the first trial
    monkeypatch.setattr(bdgen.pipeline, "MOMENTUM_PILOT", 0)
    r = bdgen.generate(bdgen.load_card(None, ["run.events=1", "detector.name=sbnd"]), seed=54, chunk_size=1000)
    s = r.summary
    assert s["n_effective_trials"] <= 1
    assert s["signal_events"] == pytest.approx(float(np.sum(r.events["weight"])), rel=1e-12) and s["signal_events"] > 0
    assert math.isnan(s["signal_events_error"])
    assert any("at most one effective trial" in n for n in s["notes"])
    from bdgen import io

    io.write_json(s, tmp_path / "s.json")
    back = json.loads((tmp_path / "s.json").read_text())
    assert back["signal_events_error"] is None


def test_generate_checks_its_arguments_before_any_work():
    """Bad keyword arguments and a Config edited past the card checks (dataclasses.replace) are
    refused with a CardError naming the argument or key; chunk_size = -5 used to hang."""
    from bdgen.errors import CardError

    cfg = bdgen.load_card(None, ["run.events=10"])
    for kw, name in ((dict(chunk_size=-5), "chunk_size"), (dict(chunk_size=0), "chunk_size"),
                     (dict(chunk_size=1.5), "chunk_size"), (dict(seed=1.5), "seed"), (dict(seed=True), "seed"),
                     (dict(seed="a"), "seed"), (dict(seed=-1), "seed")):
        with pytest.raises(CardError, match=rf"generate\({name} = "):
            bdgen.generate(cfg, **kw)
    with pytest.raises(CardError, match=r"model\.m_v = -0\.1: must be > 0"):
        bdgen.generate(dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, m_v=-0.1)))
    with pytest.raises(CardError, match=r"signal\.channel = \"electrn\""):
        bdgen.generate(dataclasses.replace(cfg, signal=dataclasses.replace(cfg.signal, channel="electrn")))
    with pytest.raises(CardError, match="must be a Config"):
        bdgen.generate("card.toml")  # type: ignore[arg-type]


def test_open_channel_without_events_gets_a_note():
    """An open channel that drew no event (a tiny share of the trials: pi0 -> gamma V* far off
    shell next to eta -> gamma V) reads 0 +- 0; the summary says this is no estimate."""
    r = bdgen.generate(bdgen.load_card(None, ["model.m_v=0.3", "model.m_chi=0.01", "run.events=200"]), seed=1)
    pi0 = next(c for c in r.summary["channels"] if c["production"] == "pi0")
    assert pi0["events"] == 0.0 and "closed" not in pi0
    assert any(n.startswith("pi0: no event in this sample") for n in r.summary["notes"])
    assert not any(n.startswith("eta: no event") for n in r.summary["notes"])


def test_stored_card_records_the_seed_used():
    """A seed argument (or fresh entropy) replaces the card's run.seed in the stored card, so the
    card in the summary reproduces the run."""
    from dataclasses import replace

    from bdgen.config import config_from_dict

    cfg = bdgen.load_card(None, ["run.events=20"])
    assert cfg.run.seed == 1
    r = bdgen.generate(cfg, seed=7, chunk_size=CHUNK)
    assert r.summary["seed"] == 7 and r.summary["config"]["run"]["seed"] == 7 and r.config.run.seed == 7
    again = bdgen.generate(config_from_dict(r.summary["config"]), chunk_size=CHUNK)
    assert again.summary["signal_events"] == r.summary["signal_events"]
    fresh = bdgen.generate(replace(cfg, run=replace(cfg.run, seed=None)), chunk_size=CHUNK)
    assert fresh.summary["config"]["run"]["seed"] == fresh.summary["seed"]


def test_hopeless_precision_run_stops_when_the_target_is_out_of_reach():
    """A prompt visible decay (eps = 1e-5, m_V = 50 MeV: c tau ~ mm) has a signal of ~1e-84
    events carried by rare trials; once the projected trials to reach run.precision exceed
    run.max_trials the run stops (after NO_EVENT_LIMIT trials) with a note, instead of running
    to 1e10 trials.  A cap below the projection is honoured the same way."""
    from bdgen.pipeline import NO_EVENT_LIMIT

    cfg = bdgen.load_card(None, ["signal.channel=decay", "model.m_v=0.05", "model.m_chi=0.04",
                                 "model.epsilon=1e-5", f"run.max_trials={10 * NO_EVENT_LIMIT}"])
    r = bdgen.generate(cfg, seed=2)
    assert r.summary["n_generated"] < 2 * NO_EVENT_LIMIT
    assert any("would need about" in n and "run.max_trials" in n for n in r.summary["notes"])
    assert r.summary["signal_events"] < 1e-60
