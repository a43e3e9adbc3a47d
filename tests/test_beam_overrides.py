"""Card overrides of the beam file: the bremsstrahlung range (beam.brem_z_min, brem_z_max,
brem_pt_max; BdNMC zmin, zmax, ptmax) and meson yields per pi0 (BdNMC meson_per_pi0)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bdgen
from bdgen import constants as C
from bdgen.errors import CardError
from bdgen.physics.brem import brem_rate
from bdgen.physics.widths import br_to_chi

RANGE = ["beam.brem_z_min=0.2", "beam.brem_z_max=0.8", "beam.brem_pt_max=0.4"]


@pytest.fixture(scope="module")
def run():
    cfg = bdgen.load_card(None, ['production.channels=["brem"]', *RANGE, "run.events=3000"])
    return bdgen.generate(cfg, seed=4)


def test_rate_is_the_blumlein_brunner_integral_over_the_card_range(run):
    """V per POT = brem_rate over the card's range (itself checked against scipy dblquad in
    tests/physics), times BR(V -> chi chi); the beam file's range (0.3-0.7, 0.2 GeV) gives less."""
    m = run.config.model
    e_p = math.hypot(8.89, C.M_P)
    ch = run.summary["channels"][0]
    expect = brem_rate(e_p, m.m_v, m.epsilon, 0.2, 0.8, 0.4) * br_to_chi(m.m_v, m.m_chi, m.epsilon, m.alpha_d,
                                                                         m.dirac)
    assert ch["branching_ratio"] == pytest.approx(expect, rel=1e-9)
    narrow = brem_rate(e_p, m.m_v, m.epsilon, 0.3, 0.7, 0.2) * br_to_chi(m.m_v, m.m_chi, m.epsilon, m.alpha_d,
                                                                          m.dirac)
    assert narrow < 0.8 * expect


def test_sampled_v_lie_in_the_card_range(run):
    """Every V has z = p_z/P in [0.2, 0.8] and p_T <= 0.4 GeV (and the range is used: some V
    lie outside the beam file's 0.3-0.7, p_T < 0.2)."""
    ev = run.events
    z = ev["v_pz"] / 8.89
    pt = np.hypot(ev["v_px"], ev["v_py"])
    assert np.all((z >= 0.2 - 1e-9) & (z <= 0.8 + 1e-9)) and np.all(pt <= 0.4 + 1e-9)
    assert np.any((z < 0.3) | (z > 0.7) | (pt > 0.2))


@pytest.mark.parametrize("ov, words", [
    (['production.channels=["brem"]', "beam.brem_z_min=0.6", "beam.brem_z_max=0.4"], "need z_min < z_max"),
    (['production.channels=["brem"]', "beam.brem_z_max=1.2"], "beam.brem_z_max = 1.2"),
    (['production.channels=["brem"]', "beam.brem_pt_max=0"], "beam.brem_pt_max = 0"),
    (["beam.brem_z_min=0.2"], "has no \"brem\""),
])
def test_bad_ranges_are_refused_by_the_card(ov, words):
    with pytest.raises(CardError) as e:
        bdgen.load_card(None, ov)
    assert words in str(e.value)


def test_a_range_empty_with_the_beam_file_values_is_refused_before_the_run():
    from bdgen.pipeline import prepare

    cfg = bdgen.load_card(None, ['production.channels=["brem"]', "beam.brem_z_min=0.8"])  # file: z_max = 0.7
    with pytest.raises(CardError, match="0.8 < z < 0.7"):
        prepare(cfg)


# ---------------------------------------------------------------------------------------------
# beam.rho_per_pi0 / omega_per_pi0 / phi_per_pi0 / eta_prime_per_pi0 (BdNMC's meson_per_pi0)
# ---------------------------------------------------------------------------------------------

FIXED = ["run.precision=1e-6", "run.max_trials=100000", "run.importance_sampling=false", "run.seed=3",
         "model.m_v=0.5", "model.m_chi=0.1", 'production.channels=["rho"]']


def test_meson_per_pi0_override_scales_the_yield_and_the_signal():
    """rho/pi0 from the card: parents per POT = pi0/POT x the card's ratio, and with the same
    trials the signal scales exactly with it (the file's 0.05 -> 0.1 doubles it)."""
    base = bdgen.generate(bdgen.load_card(None, FIXED), chunk_size=50_000)
    double = bdgen.generate(bdgen.load_card(None, [*FIXED, "beam.rho_per_pi0=0.1"]), chunk_size=50_000)
    assert base.summary["channels"][0]["parents_per_pot"] == pytest.approx(0.9 * 0.05, rel=1e-12)
    assert double.summary["channels"][0]["parents_per_pot"] == pytest.approx(0.9 * 0.1, rel=1e-12)
    assert base.summary["signal_events"] > 0
    assert double.summary["signal_events"] == pytest.approx(2.0 * base.summary["signal_events"], rel=1e-12)


def test_meson_per_pi0_for_a_meson_the_beam_lacks_is_refused():
    from bdgen.pipeline import prepare

    with pytest.raises(CardError, match=r"beam\.phi_per_pi0: beam 't2k' describes no phi"):
        prepare(bdgen.load_card(None, ["beam.name=t2k", "beam.phi_per_pi0=0.01"]))
    with pytest.raises(CardError, match=r"beam\.omega_per_pi0 = -1"):
        bdgen.load_card(None, ["beam.omega_per_pi0=-1"])


# ---------------------------------------------------------------------------------------------
# the user's own beam and detector files (beam.name / detector.name ending in .toml)
# ---------------------------------------------------------------------------------------------

def test_own_beam_and_detector_files_reproduce_the_shipped_ones(tmp_path, monkeypatch):
    """Copies of fluxes/bnb.toml and detectors/miniboone.toml under other names, given as paths,
    give the same events and signal as the shipped names (same seed); the event set and the
    summary name the detector by its file's stem; the neutrino source reads the copy too."""
    import shutil

    from bdgen import resources
    from bdgen.neutrino.source import load_source

    shutil.copy(resources.beams_dir() / "bnb.toml", tmp_path / "mybeam.toml")
    shutil.copy(resources.detectors_dir() / "miniboone.toml", tmp_path / "mydet.toml")
    monkeypatch.chdir(tmp_path)
    ov = ["run.events=300"]
    ref = bdgen.generate(bdgen.load_card(None, ov), seed=5)
    own = bdgen.generate(bdgen.load_card(None, [*ov, "beam.name=mybeam.toml", "detector.name=mydet.toml"]), seed=5)
    assert own.summary["signal_events"] == ref.summary["signal_events"]
    np.testing.assert_array_equal(own.events["weight"], ref.events["weight"])
    assert own.summary["detector"] == "mydet"
    assert load_source(str(tmp_path / "mybeam.toml")).pions_per_pot(1) == load_source("bnb").pions_per_pot(1)


def test_own_files_that_do_not_exist_or_clash_are_refused(tmp_path, monkeypatch):
    import shutil

    from bdgen import resources
    from bdgen.pipeline import prepare

    monkeypatch.chdir(tmp_path)
    with pytest.raises(CardError, match=r'beam\.name = "nobeam\.toml": no such beam file'):
        bdgen.load_card(None, ["beam.name=nobeam.toml"])
    with pytest.raises(CardError, match=r'detector\.name = "nodet\.toml": no such detector file'):
        bdgen.load_card(None, ["detector.name=nodet.toml"])
    with pytest.raises(CardError, match=r"own beam file"):
        bdgen.load_card(None, ["beam.name=nobeam"])
    shutil.copy(resources.detectors_dir() / "sbnd.toml", tmp_path / "miniboone.toml")
    with pytest.raises(CardError, match="both called 'miniboone'"):
        prepare(bdgen.load_card(None, ['detector.names=["miniboone", "miniboone.toml"]']))


def test_own_files_are_stored_as_absolute_paths_and_reweight_from_anywhere(tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    from bdgen import resources
    from bdgen.reweight import reweight_file

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(resources.beams_dir() / "bnb.toml", tmp_path / "a" / "mybeam.toml")
    monkeypatch.chdir(tmp_path / "a")
    cfg = bdgen.load_card(None, ["run.events=100", "beam.name=mybeam.toml"])
    assert Path(cfg.beam.name).is_absolute() and Path(cfg.beam.name).is_file()
    bdgen.write(bdgen.generate(cfg, seed=2), tmp_path / "a" / "ev.h5")
    monkeypatch.chdir(tmp_path / "b")
    r = reweight_file(str(tmp_path / "a" / "ev.h5"), ["model.epsilon=2e-3"])
    assert r.summary["signal_events"] > 0


def test_partial_brem_range_on_a_beam_without_one_is_refused():
    from bdgen.pipeline import prepare

    cfg = bdgen.load_card(None, ["beam.name=sns", 'production.channels=["pi0", "brem"]', "beam.brem_z_min=0.2"])
    with pytest.raises(CardError, match="missing: beam.brem_z_max, beam.brem_pt_max"):
        prepare(cfg)


def test_errors_unrelated_to_the_channel_list_keep_their_own_key():
    with pytest.raises(CardError) as e:
        bdgen.load_card(None, ['signal.channels=["electron", "nucleon"]', "beam.name=nosuch"])
    assert str(e.value).startswith("beam.name")
