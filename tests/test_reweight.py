"""bdgen reweight: new couplings without regenerating."""

from __future__ import annotations

import json
from functools import partial

import numpy as np
import pytest

import bdgen
from bdgen import cli
from bdgen.reweight import reweight_file

approx = partial(pytest.approx, abs=0.0)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    d = tmp_path_factory.mktemp("rw")
    path = d / "base.root"
    r = bdgen.generate(bdgen.load_card(None, ["run.precision=0.03",
                                              'production.channels=["pi0","eta","rho","brem"]']), seed=5)
    bdgen.write(r, path)
    return path, r


def test_round_trip_restores_weights(sample, tmp_path):
    path, r = sample
    there = reweight_file(str(path), ["model.epsilon=3e-4", "model.alpha_d=0.5"])
    bdgen.write(there, tmp_path / "there.h5")
    back = reweight_file(str(tmp_path / "there.h5"), ["model.epsilon=1e-3", "model.alpha_d=0.1"])
    np.testing.assert_allclose(back.events["weight"], r.events["weight"], rtol=1e-10, atol=0.0)
    assert back.summary["signal_events"] == approx(r.summary["signal_events"], rel=1e-10)


def test_variance_of_variance_recomputed(sample):
    """The reweighted summary's VOV is that of the new per-trial scores: an overall factor
    (epsilon only, narrow width) leaves it unchanged; the run's own value is reproduced."""
    path, r = sample
    v0 = r.summary["variance_of_variance"]
    assert v0 is not None and 0.0 < v0 <= 0.1
    same = reweight_file(str(path), ["model.epsilon=1e-3"]).summary["variance_of_variance"]
    assert same == approx(v0, rel=1e-9)
    scaled = reweight_file(str(path), ["model.epsilon=2e-3"]).summary["variance_of_variance"]
    assert scaled == approx(v0, rel=1e-3)


def test_scaling_in_the_narrow_width_limit(sample):
    """For alpha_D >> eps^2 alpha, BR(V -> chi chi) ~ 1 and the on-shell production goes as eps^2,
    scattering as eps^2 alpha_D: doubling eps multiplies the signal by 16 (1e-4), doubling alpha_D
    by 2 up to the off-shell corrections of order Gamma_V/m_V (0.8% -> 1.7% here, m_V = 0.1 GeV:
    the three-body rate moves by a few 1e-3 relative to the on-shell one, PHYSICS.md 3.2)."""
    path, r = sample
    s0 = r.summary["signal_events"]
    assert reweight_file(str(path), ["model.epsilon=2e-3"]).summary["signal_events"] == approx(16 * s0, rel=1e-4)
    # alpha_D x 2: exactly 2 for the on-shell brem V (BR(V -> chi chi) ~ 1, scattering ~ alpha_D), 4 for
    # the rho (its off-shell V* -> chi chi adds a factor alpha_D); the meson channels average the
    # moved Breit-Wigner over the sample's V* masses: 2 up to the 0.8% -> 1.7% off-shell shift,
    # within their statistical error
    rw = reweight_file(str(path), ["model.alpha_d=0.2"]).summary
    for a, b in zip(r.summary["channels"], rw["channels"]):
        if not a["events"]:
            continue
        ratio = b["events"] / a["events"]
        if a["production"] == "brem":
            assert ratio == approx(2.0, rel=1e-5)
        elif a["production"] == "rho":
            # 2 (scattering) x 2 (the off-shell V* -> chi chi at m_rho), up to the running width's
            # alpha_D^2 term in the propagator at q^2 = m_rho^2 (2e-4 here): the mixing BR's ratio
            from bdgen.physics.meson_decays import br_vector_mixing

            m = r.config.model
            br = [br_vector_mixing("rho", m.m_v, m.m_chi, m.epsilon, ad, m.dm == "dirac") for ad in (m.alpha_d, 0.2)]
            assert br[1] / br[0] == approx(2.0, rel=1e-3)
            assert ratio == approx(2.0 * br[1] / br[0], rel=1e-9)
        else:
            assert abs(ratio - 2.0) < 0.04 + 3 * 2.0 * b["error"] / b["events"], (a["production"], ratio)


def test_reweighted_equals_direct_run(sample):
    """Reweighting to (eps, alpha_D) = (3e-4, 0.5) agrees with a run made there (4 sigma)."""
    path, _ = sample
    rw = reweight_file(str(path), ["model.epsilon=3e-4", "model.alpha_d=0.5"]).summary
    direct = bdgen.generate(bdgen.load_card(None, ["run.precision=0.03", "model.epsilon=3e-4", "model.alpha_d=0.5",
                                                   'production.channels=["pi0","eta","rho","brem"]']),
                            seed=17).summary
    sigma = np.hypot(rw["signal_events_error"], direct["signal_events_error"])
    assert abs(rw["signal_events"] - direct["signal_events"]) < 4 * sigma
    for a, b in zip(rw["channels"], direct["channels"]):
        assert a["branching_ratio"] == approx(b["branching_ratio"], rel=1e-9)


def test_cli_reweight(sample, tmp_path, monkeypatch, capsys):
    path, r = sample
    monkeypatch.chdir(tmp_path)
    assert cli.main(["reweight", str(path), "--set", "model.epsilon=2e-3", "-o", "out.root", "--summary", "s.json",
                     "-q"]) == 0
    s = json.loads((tmp_path / "s.json").read_text())
    assert s["signal_events"] == approx(16 * r.summary["signal_events"], rel=1e-4)
    ev, _ = bdgen.io.read("out.root")
    assert len(ev["weight"]) == len(r.events["weight"])
    # only couplings can be reweighted; nothing is written
    assert cli.main(["reweight", str(path), "--set", "model.m_v=0.2", "-o", "bad.root"]) == 2
    assert "model.m_v" in capsys.readouterr().err
    assert not (tmp_path / "bad.root").exists()


@pytest.mark.parametrize("sets", [
    ["beam.name=numi", "detector.name=nova_nd", "model.m_v=0.1", "model.m_chi=0.02",
     'production.channels=["eta_prime", "eta_prime_rho", "eta_prime_omega"]'],
    ["beam.name=sns", "detector.name=coherent_csi", "signal.channel=coherent", "signal.t_min=1e-5",
     "signal.t_max=1e-4", "model.m_v=0.03", "model.m_chi=0.01", 'production.channels=["pi_capture"]'],
])
def test_new_channels_reweight_exactly(tmp_path, sets):
    """Every production channel is reweighted: doubling eps scales each channel's signal by 16 up
    to the O(Gamma_V/m_V) change of the three-body rates, and no event is lost."""
    r = bdgen.generate(bdgen.load_card(None, [*sets, "run.events=300"]), seed=3)
    path = tmp_path / "s.h5"
    bdgen.write(r, path)
    rw = reweight_file(str(path), ["model.epsilon=2e-3"])
    assert np.all(rw.events["weight"] > 0)
    for a, b in zip(r.summary["channels"], rw.summary["channels"]):
        if a["events"] > 0:
            assert b["events"] == approx(16 * a["events"], rel=2e-2)


def test_drell_yan_reweights_as_eps_squared(tmp_path):
    pytest.importorskip("pythia8mc")
    r = bdgen.generate(bdgen.load_card(None, ["beam.name=numi", "detector.name=nova_nd", "model.m_v=1.5",
                                              "model.m_chi=0.3", 'production.channels=["drell_yan"]',
                                              "run.events=200"]), seed=3)
    path = tmp_path / "dy.h5"
    bdgen.write(r, path)
    rw = reweight_file(str(path), ["model.epsilon=2e-3", "model.alpha_d=0.2"])
    # production eps^2 x BR(V -> chi chi) (1 up to 1e-5 here) and scattering eps^2 alpha_D
    assert rw.summary["signal_events"] == approx(32 * r.summary["signal_events"], rel=1e-4)


def test_reweight_updates_spectrum_systematics(tmp_path):
    """The summary's systematics estimates follow the reweighted weight_<model> columns."""
    r = bdgen.generate(bdgen.load_card(None, ["production.spectrum_systematics=true", "run.events=200"]), seed=2)
    bdgen.write(r, tmp_path / "sys.h5")
    rw = reweight_file(str(tmp_path / "sys.h5"), ["model.alpha_d=0.2"])
    assert set(rw.summary["systematics"]) == set(r.summary["systematics"])
    for name, entry in rw.summary["systematics"].items():
        assert entry["signal_events"] == approx(float(np.sum(rw.events[f"weight_{name}"])), rel=1e-12)
        # event by event the alternative weight moves with the nominal one (the factor differs
        # between the pi0 and eta channels, so the totals do not scale uniformly)
        factor = rw.events["weight"] / r.events["weight"]
        assert entry["signal_events"] == approx(float(np.sum(r.events[f"weight_{name}"] * factor)), rel=1e-10)
        assert entry["signal_events"] != approx(r.summary["systematics"][name]["signal_events"], rel=1e-3)


def test_reweight_multi_detector_keeps_run_order(tmp_path):
    """Detectors come back in the run's order; the top-level summary is the first detector's."""
    r = bdgen.generate(bdgen.load_card(None, ['detector.names=["sbnd", "microboone"]', "run.events=50"]), seed=4)
    bdgen.write(r, tmp_path / "md.root")
    rw = reweight_file(str(tmp_path / "md.root"), ["model.alpha_d=0.2"])
    assert list(rw.per_detector) == ["sbnd", "microboone"]
    assert rw.summary["detector"] == "sbnd"
    assert rw.summary["signal_events"] == approx(float(np.sum(rw.per_detector["sbnd"].events["weight"])), rel=1e-12)


def test_reweight_signal_channels_file(tmp_path):
    """A signal.channels file: each channel's event set is reweighted (eps^4 for both here: the
    narrow V, scattering ~ eps^2 alpha_D for nucleons and electrons alike), in the run's order."""
    r = bdgen.generate(bdgen.load_card(None, ['signal.channels=["nucleon", "electron"]', "run.events=40"]), seed=3)
    bdgen.write(r, tmp_path / "sc.h5")
    rw = reweight_file(str(tmp_path / "sc.h5"), ["model.epsilon=2e-3"])
    assert list(rw.per_channel) == ["nucleon", "electron"]
    for ch, sub in rw.per_channel.items():
        ratio = sub.summary["signal_events"] / r.per_channel[ch].summary["signal_events"]
        assert ratio == approx(16.0, rel=1e-4)
        assert sub.config.signal.channel == ch
        # each channel's own summary: its signal label and its event count
        assert {c["signal"] for c in sub.summary["channels"]} == {ch}
        assert sub.summary["n_events"] == r.per_channel[ch].summary["n_events"] == len(sub.events["weight"])
    bdgen.write(rw, tmp_path / "sc_rw.h5")
    from bdgen import io

    ev, _ = io.read(tmp_path / "sc_rw.h5", detector="electron")
    assert float(np.sum(ev["weight"])) == approx(rw.per_channel["electron"].summary["signal_events"], rel=1e-12)


def test_reweight_replaces_the_vov_note(tmp_path):
    r = bdgen.generate(bdgen.load_card(None, ["run.events=20"]), seed=5)
    assert any(n.startswith("the error estimate is unreliable") for n in r.summary["notes"])
    bdgen.write(r, tmp_path / "k.h5")
    rw = reweight_file(str(tmp_path / "k.h5"), ["model.alpha_d=0.5"]).summary
    vov_notes = [n for n in rw["notes"] if n.startswith("the error estimate is unreliable")]
    assert len(vov_notes) == (1 if rw["variance_of_variance"] > 0.1 else 0)
    if vov_notes:
        assert f"{rw['variance_of_variance']:.2g}" in vov_notes[0]
