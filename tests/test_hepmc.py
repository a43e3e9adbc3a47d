"""NuHepMC/HepMC3 output: round trip and the specification's required attributes."""

from __future__ import annotations

import numpy as np
import pytest

import bdgen
from bdgen import cli
from bdgen.errors import CardError

pyhepmc = pytest.importorskip("pyhepmc")

REQUIRED_RUN = ["NuHepMC.Version.Major", "NuHepMC.Version.Minor", "NuHepMC.Version.Patch", "NuHepMC.Conventions",
                "NuHepMC.ProcessIDs", "NuHepMC.VertexStatusIDs", "NuHepMC.ParticleStatusIDs",
                "NuHepMC.Units.CrossSection.Unit", "NuHepMC.Units.CrossSection.TargetScale",
                "NuHepMC.FluxAveragedTotalCrossSection", "NuHepMC.Exposure.POT"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    r = bdgen.generate(bdgen.load_card(None, ["run.events=200", "production.spectrum_systematics=true"]), seed=4)
    path = tmp_path_factory.mktemp("h") / "ev.hepmc3"
    bdgen.write(r, path)
    return r, path


def test_round_trip_and_required_attributes(sample):
    r, path = sample
    ev = r.events
    seen = 0
    with pyhepmc.open(str(path)) as f:
        for i, e in enumerate(f):
            ri = e.run_info
            if i == 0:
                for k in REQUIRED_RUN:
                    assert k in ri.attributes, k
                assert ri.weight_names[0] == "CV" and "weight_bmpt" in ri.weight_names
                assert [t.name for t in ri.tools] == ["bdgen"]
                assert int(str(ri.attributes["NuHepMC.Version.Major"])) == 1
                pot = float(str(ri.attributes["NuHepMC.Exposure.POT"]))
                xs = float(str(ri.attributes["NuHepMC.FluxAveragedTotalCrossSection"]))
                assert xs * pot == pytest.approx(r.summary["signal_events"], rel=1e-10, abs=0.0)
            assert e.event_number == ev["event_id"][i]
            assert e.momentum_unit == pyhepmc.Units.GEV and e.length_unit == pyhepmc.Units.MM
            assert int(str(e.attributes["signal_process_id"])) == 720
            assert e.weights[0] == pytest.approx(ev["weight"][i], rel=1e-12, abs=0.0)
            (v,) = e.vertices
            assert v.status == 1
            assert v.position.x == pytest.approx(ev["x"][i] * 1000, rel=1e-12, abs=1e-9)
            statuses = sorted(p.status for p in e.particles)
            assert statuses == [1, 1, 4, 20]
            pin = sum((np.array([p.momentum.px, p.momentum.py, p.momentum.pz, p.momentum.e])
                       for p in v.particles_in), np.zeros(4))
            pout = sum((np.array([p.momentum.px, p.momentum.py, p.momentum.pz, p.momentum.e])
                        for p in v.particles_out), np.zeros(4))
            np.testing.assert_allclose(pout, pin, rtol=1e-9, atol=1e-12)
            seen += 1
    assert seen == len(ev["weight"])


def test_unsupported_cases(tmp_path):
    r = bdgen.generate(bdgen.load_card(None, ["run.events=5", "signal.channel=decay", "model.m_v=0.05",
                                              "model.m_chi=0.05", "model.epsilon=1e-6",
                                              'production.channels=["pi0"]']), seed=1)
    with pytest.raises(CardError, match="NuHepMC output needs a scattering channel"):
        bdgen.write(r, tmp_path / "d.hepmc3")
    assert not (tmp_path / "d.hepmc3").exists()


def test_cli_hepmc(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "-q", "--set", "run.events=20", "-o", "a.hepmc3"]) == 0
    assert (tmp_path / "a.hepmc3").read_text().startswith("HepMC::Version")


@pytest.mark.parametrize("channel", ["pi0_inelastic", "delta_gamma"])
def test_delta_channels_as_decay_chains(tmp_path, channel):
    """chi N -> chi Delta: the Delta (status 2) decays at a status-2 vertex to N pi0 (pi0 status 2 ->
    gamma gamma) or N gamma; the final state conserves four-momentum with beam and target."""
    r = bdgen.generate(bdgen.load_card(None, [f"signal.channel={channel}", "run.events=30"]), seed=2)
    path = tmp_path / "d.hepmc3"
    bdgen.write(r, path)
    with pyhepmc.open(str(path)) as f:
        events = list(f)
    assert len(events) == 30
    ri = events[0].run_info
    for key in ("NuHepMC.VertexStatusIDs", "NuHepMC.ParticleStatusIDs"):
        assert "2" in str(ri.attributes[key]).split()
    for e in events:
        assert int(str(e.attributes["signal_process_id"])) == (740 if channel == "pi0_inelastic" else 741)
        final = [p for p in e.particles if p.status == 1]
        initial = [p for p in e.particles if p.status in (4, 20)]
        four = lambda ps: np.sum([[p.momentum.e, p.momentum.px, p.momentum.py, p.momentum.pz] for p in ps], axis=0)  # noqa: E731
        np.testing.assert_allclose(four(final), four(initial), atol=1e-9)
        decayed = {p.pid for p in e.particles if p.status == 2}
        assert decayed & {2214, 2114}
        assert (111 in decayed) == (channel == "pi0_inelastic")


def test_inelastic_dm_outgoing_state(tmp_path):
    card = ["model.name=inelastic", "model.dm=dirac", "model.delta=0.01", "model.m_chi=0.05", "model.m_v=0.15",
            "signal.channel=nucleon", "signal.t_min=0.02", 'production.channels=["eta"]', "run.events=40"]
    r = bdgen.generate(bdgen.load_card(None, card), seed=6)
    path = tmp_path / "i.hepmc3"
    bdgen.write(r, path)
    with pyhepmc.open(str(path)) as f:
        for e in f:
            incoming = [p.pid for p in e.particles if p.status == 4]
            outgoing_chi = [p.pid for p in e.particles if p.status == 1 and abs(p.pid) in (52, 58)]
            assert incoming != outgoing_chi and set(incoming + outgoing_chi) == {52, 58}
