"""signal.angle_min / angle_max: BdNMC's min/max_scatter_angle cut on the recoil's lab angle to
the beam axis."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import bdgen
from bdgen.errors import CardError

FIXED = ["run.precision=1e-6", "run.max_trials=300000", "run.importance_sampling=false", "run.seed=5"]


def _theta(ev: dict) -> np.ndarray:
    return np.arctan2(np.hypot(ev["recoil_px"], ev["recoil_py"]), ev["recoil_pz"])


def _gen(*ov: str) -> bdgen.RunResult:
    return bdgen.generate(bdgen.load_card(None, list(ov)), chunk_size=100_000)


@pytest.mark.parametrize("channel, window", [("electron", (0.0, 0.1415)), ("nucleon", (0.5, 1.2))])
def test_cut_keeps_exactly_the_events_inside_the_window(channel, window):
    """With the same trials (no importance sampling, a fixed number of trials) the cut run's
    events are the uncut run's events whose recoil angle lies in the window, with the same
    weights, and the signal is their weight sum."""
    lo, hi = window
    base = [*FIXED, f"signal.channel={channel}"]
    if channel == "electron":
        base.append("signal.t_max=1e9")
    free = _gen(*base)
    cut = _gen(*base, f"signal.angle_min={lo}", f"signal.angle_max={hi}")
    th = _theta(free.events)
    inside = (th >= lo) & (th <= hi)
    assert 0 < inside.sum() < th.size                      # the cut does something
    key_free = free.events["trial"][inside] * 2 + free.events["chi_index"][inside]
    key_cut = cut.events["trial"] * 2 + cut.events["chi_index"]
    np.testing.assert_array_equal(np.sort(key_cut), np.sort(key_free))
    assert np.all((_theta(cut.events) >= lo) & (_theta(cut.events) <= hi))
    assert cut.summary["signal_events"] == pytest.approx(float(free.events["weight"][inside].sum()), rel=1e-12)
    assert cut.summary["signal_events"] < free.summary["signal_events"]


def test_cut_with_importance_sampling_agrees_within_errors():
    """The biased (default) sampler with the cut agrees with the analog sampler with the cut
    (independent samples: a pull below 4)."""
    ov = ["signal.channel=electron", "signal.angle_max=0.1415", "run.precision=0.03", "run.seed=11"]
    a = _gen(*ov)
    b = _gen(*ov, "run.importance_sampling=false", "run.seed=12")
    pull = (a.summary["signal_events"] - b.summary["signal_events"]) / math.hypot(
        a.summary["signal_events_error"], b.summary["signal_events_error"])
    assert abs(pull) < 4.0


def test_default_window_is_no_cut():
    cfg = bdgen.load_card(None, [])
    assert (cfg.signal.angle_min, cfg.signal.angle_max) == (0.0, math.pi)
    assert not cfg.signal.angle_cut


@pytest.mark.parametrize("ov, words", [
    (["signal.angle_max=4"], "signal.angle_max = 4"),
    (["signal.angle_min=-0.1"], "signal.angle_min = -0.1"),
    (["signal.angle_min=0.5", "signal.angle_max=0.2"], "need angle_min < angle_max"),
    (["signal.channel=dis", "signal.angle_max=0.2"], "signal.channel = \"dis\""),
    (["signal.channel=decay", "signal.angle_max=0.2"], "elastic channels"),
])
def test_bad_angle_windows_are_refused(ov, words):
    with pytest.raises(CardError, match=None) as e:
        bdgen.load_card(None, ov)
    assert words in str(e.value)


# ---------------------------------------------------------------------------------------------
# the neutrino backgrounds of the same window
# ---------------------------------------------------------------------------------------------

def _on_axis_card(*extra: str) -> list[str]:
    """SNS stopped-pion source, a 1 m argon sphere 200 m down the beam axis (the neutrinos
    arrive within 5 mrad of +z), nu e scattering with 1 < T < 50 MeV."""
    return ["beam.name=sns", "detector.shape={kind = \"sphere\", centre = [0.0, 0.0, 200.0], radius = 1.0}",
            "detector.material={name = \"argon\", formula = \"Ar\", density = 1.4}", "signal.channel=electron",
            "signal.t_min=0.001", "signal.t_max=0.05", "run.pot=1e23", *extra]


def test_background_angle_cut_is_the_kinematic_recoil_window():
    """For the 29.8 MeV nu_mu line, nu e -> nu e recoils with cos(theta) = sqrt(T/(T + 2 m_e))
    (E + m_e)/E, so theta <= theta_c is T >= T_c = 2 m_e c^2/(k^2 - c^2) (k = (E + m_e)/E,
    c = cos theta_c): the cut rate is flux x sigma(T_c..t_max) x N_e x POT (closed form, nue_sigma),
    within the binomial error of the angle fraction and the 5 mrad spread of the neutrino
    directions (1%)."""
    from bdgen.neutrino import spectra as S
    from bdgen.neutrino import xsec as X
    from bdgen.neutrino.background import run_background

    theta_c = 0.385
    cfg = bdgen.load_card(None, _on_axis_card(f"signal.angle_max={theta_c}"))
    res = run_background(cfg, seed=4, n_samples=20_000, n_events=40_000)
    det = next(iter(res.detectors.values()))
    e, m = S.E_PI_MU, 0.51099895e-3
    k, c = (e + m) / e, math.cos(theta_c)
    t_c = 2.0 * m * c * c / (k * k - c * c)
    assert 0.001 < t_c < 0.05
    phi = det.summary["flux"]["numu"]["per_pot_per_m2"]
    n_e = cfg_electrons(cfg)
    expect = phi * float(X.nue_sigma(e, 14, t_c, 0.05)) * 1e-4 * 0.389379372e-27 * n_e * 1e23
    free = phi * float(X.nue_sigma(e, 14, 0.001, 0.05)) * 1e-4 * 0.389379372e-27 * n_e * 1e23
    got = det.summary["backgrounds"]["nu_e"]["by_flavour"]["numu"]
    assert got < 0.9 * free                                         # the cut removes events
    frac = expect / free
    n_numu = 40_000 * 0.1       # nu_mu make about 11% of the nu e events (the Michel nu_e dominate)
    tol = 4.0 * math.sqrt(frac * (1 - frac) / n_numu) / frac + 0.01
    assert got == pytest.approx(expect, rel=tol)
    ev = det.events["nu_e"]
    th = np.arctan2(np.hypot(ev["recoil_px"], ev["recoil_py"]), ev["recoil_pz"])
    assert np.all(th <= theta_c)
    assert ev["weight"].sum() == pytest.approx(det.summary["backgrounds"]["nu_e"]["events"], rel=1e-12)
    assert res.summary["angle_window"] == [0.0, theta_c]


def cfg_electrons(cfg) -> float:
    """Electrons in the inline sphere: Z/A x N_A x rho x V (argon, 18/39.95, IUPAC 2021)."""
    v = 4.0 / 3.0 * math.pi * 1.0**3 * 1e6                          # cm^3
    return 18.0 / 39.95 * 6.02214076e23 * 1.4 * v


def test_background_angle_cut_matches_the_uncut_sample():
    """Same seed: the cut run's rate is the uncut run's times the fraction of its event sample
    inside the window, and the cut events are that subset."""
    from bdgen.neutrino.background import run_background

    free = run_background(bdgen.load_card(None, _on_axis_card()), seed=6, n_samples=5000, n_events=5000)
    cut = run_background(bdgen.load_card(None, _on_axis_card("signal.angle_min=0.1", "signal.angle_max=0.6")),
                         seed=6, n_samples=5000, n_events=5000)
    for name in free.detectors:
        ef, ec = free.detectors[name].events["nu_e"], cut.detectors[name].events["nu_e"]
        th = np.arctan2(np.hypot(ef["recoil_px"], ef["recoil_py"]), ef["recoil_pz"])
        inside = (th >= 0.1) & (th <= 0.6)
        np.testing.assert_array_equal(ec["recoil_T"], ef["recoil_T"][inside])
        rf = free.detectors[name].summary["backgrounds"]["nu_e"]
        rc = cut.detectors[name].summary["backgrounds"]["nu_e"]
        # each flavour scaled by its own fraction inside; the total is their sum
        expect = {fl: rf["by_flavour"][fl] * (float(inside[ef["flavour"] == code].mean())
                                              if (ef["flavour"] == code).any() else 0.0)
                  for code, fl in ((12, "nue"), (-12, "nuebar"), (14, "numu"), (-14, "numubar"))}
        for fl, v in expect.items():
            assert rc["by_flavour"][fl] == pytest.approx(v, rel=1e-12, abs=1e-300)
        assert rc["events"] == pytest.approx(sum(expect.values()), rel=1e-12)
        assert float(ec["weight"].sum()) == pytest.approx(rc["events"], rel=1e-12)
        assert rc["error"] > rf["error"] * inside.mean()           # the binomial part is added


def test_background_angle_cut_needs_an_event_sample():
    from bdgen.neutrino.background import run_background

    with pytest.raises(CardError, match="n_events = 0"):
        run_background(bdgen.load_card(None, _on_axis_card("signal.angle_max=0.5")), seed=1, n_samples=100,
                       n_events=0)


# ---------------------------------------------------------------------------------------------
# signal.timing_cut (BdNMC's delayed-signal factor)
# ---------------------------------------------------------------------------------------------

def test_timing_cut_weights_each_event_by_its_delay():
    """Same trials: the cut run's weights are the uncut run's times min(1, delay/timing_cut)
    (delay: the output column), for the events the factor leaves non-zero."""
    tc = 0.05  # ns: the delays of the default point (m_chi = 5 MeV, GeV energies) are ~0.01-1 ns
    free = _gen(*FIXED)
    cut = _gen(*FIXED, f"signal.timing_cut={tc}")
    f = np.minimum(free.events["delay"] / tc, 1.0)
    assert 0.05 < float(np.mean(f)) < 0.95
    expect = float(np.sum(free.events["weight"] * f))
    assert cut.summary["signal_events"] == pytest.approx(expect, rel=1e-9)
    keep = f > 0
    np.testing.assert_allclose(np.sort(cut.events["weight"]), np.sort(free.events["weight"][keep] * f[keep]),
                               rtol=1e-9)


def test_timing_cut_bdnmc_takes_the_delay_at_the_detector_exit():
    """compat.bdnmc: the delay is L_exit (1/beta - 1)/c with L_exit the far intersection of the
    chi's line with the MiniBooNE sphere (centre (0, -1.9, 491) m, radius 5 m), computed here
    from the events' production points and chi momenta."""
    tc = 0.05
    free = _gen(*FIXED, "compat.bdnmc=true")
    cut = _gen(*FIXED, "compat.bdnmc=true", f"signal.timing_cut={tc}")
    ev = free.events
    p = np.stack([ev["chi_px"], ev["chi_py"], ev["chi_pz"]], axis=1)
    pm = np.linalg.norm(p, axis=1)
    d = p / pm[:, None]
    rel = np.array([0.0, -1.9, 491.0])[None, :] - np.stack([ev["prod_x"], ev["prod_y"], ev["prod_z"]], axis=1)
    b = np.sum(d * rel, axis=1)
    c = np.sum(rel * rel, axis=1) - 25.0
    l_exit = b + np.sqrt(b * b - c)
    delay = l_exit * (ev["chi_E"] / pm - 1.0) / 0.299792458
    assert np.all(delay >= ev["delay"] - 1e-12)                    # the exit is behind the vertex
    expect = float(np.sum(ev["weight"] * np.minimum(delay / tc, 1.0)))
    assert cut.summary["signal_events"] == pytest.approx(expect, rel=1e-9)


def test_background_angle_window_with_no_sampled_event_says_so():
    from bdgen.neutrino.background import run_background

    cfg = bdgen.load_card(None, _on_axis_card("signal.angle_min=1.5"))
    res = run_background(cfg, seed=6, n_samples=2000, n_events=500)
    assert next(iter(res.detectors.values())).summary["backgrounds"]["nu_e"]["events"] == 0.0
    assert any("0 of 500 sampled events inside the angle window" in n and "95% CL" in n
               for n in res.summary["notes"])


def test_channel_list_errors_name_the_list_and_the_table_shows_cuts():
    from bdgen.cli import summary_table

    with pytest.raises(CardError, match=r"signal\.channels = \['nucleon', 'dis'\]"):
        bdgen.load_card(None, ['signal.channels=["nucleon", "dis"]', "signal.angle_max=0.5"])
    r = _gen("run.events=200", "signal.angle_max=1.0", "signal.timing_cut=3")
    text = summary_table(r.summary)
    assert "cuts: recoil angle 0 to 1 rad" in text and "timing_cut 3 ns" in text
    assert "cuts:" not in summary_table(_gen("run.events=200").summary)


def test_generate_refuses_a_progress_that_is_not_callable():
    with pytest.raises(CardError, match="progress"):
        bdgen.generate(bdgen.load_card(None, ["run.events=10"]), progress=False)


@given(st.floats(-5, 5), st.floats(-5, 5), st.floats(-5, 5), st.floats(0, math.pi), st.floats(0, math.pi),
       st.floats(0, 2 * math.pi))
@settings(max_examples=200, deadline=None)
def test_angle_window_is_the_polar_angle_and_ignores_azimuth(px, py, pz, a, b, phi):
    """in_angle_window agrees with arccos(pz/|p|) (away from the edges) and is unchanged by a
    rotation about the beam axis."""
    from bdgen.kinematics import in_angle_window

    lo, hi = min(a, b), max(a, b)
    p = math.sqrt(px * px + py * py + pz * pz)
    assume(p > 1e-6)
    theta = math.acos(max(-1.0, min(1.0, pz / p)))
    assume(min(abs(theta - lo), abs(theta - hi)) > 1e-9)
    got = bool(in_angle_window(np.array([px]), np.array([py]), np.array([pz]), lo, hi)[0])
    assert got == (lo <= theta <= hi)
    c, s = math.cos(phi), math.sin(phi)
    rot = bool(in_angle_window(np.array([c * px - s * py]), np.array([s * px + c * py]), np.array([pz]), lo, hi)[0])
    assert rot == got


def test_electron_run_with_the_built_in_nucleon_window_gets_a_note():
    from bdgen.pipeline import prepare

    notes = prepare(bdgen.load_card(None, ["signal.channel=electron"])).notes
    assert any("built-in card's window for nucleon recoils" in n for n in notes)
    notes = prepare(bdgen.load_card(None, ["signal.channel=electron", "signal.t_min=0.075"])).notes
    assert not any("nucleon recoils" in n for n in notes)
    assert not any("nucleon recoils" in n for n in prepare(bdgen.load_card(None, [])).notes)
