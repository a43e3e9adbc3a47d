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
