"""Beam files (fluxes/*.toml, bdgen.beams) and the rho/omega/phi/brem production channels end to end.

References:
- PHYSICS.md section 2.2 (meson yields per POT, [BdNMC:parameter.dat] and [utils] presets):
  BNB 0.9 pi0/POT, eta/pi0 1/30, rho 1/20, omega 0.046, phi 1/150; NuMI 2.9, eta 0.114, rho and
  omega 0.11, phi 0.02 (DUNE by analogy); T2K 1.0, eta 1/30; SHiP/SPS 1.8, eta 0.105, rho and omega
  0.11, phi 0.02; LSND (LANSCE) 0.06; LANL/CCM (Lujan) 0.0425; COHERENT (SNS) 0.06.
- PHYSICS.md section 4 (utils): bremsstrahlung ranges, MiniBooNE z in [0.3, 0.7], p_T < 0.2 GeV;
  T2K [0.2, 0.8], 1 GeV; NuMI [0.1, 0.9], 2 GeV; SHiP [0.1, 0.9], 1 GeV.
- PHYSICS.md section 8 item 15: an eta without an explicit eta/pi0 must not silently get 1.
- Summary bookkeeping of bdgen.pipeline: the per-channel estimates sum to the total.
"""

from __future__ import annotations

import math
import tomllib
from functools import partial
from pathlib import Path

import numpy as np
import pytest

import bdgen
from bdgen import constants as C
from bdgen import resources
from bdgen.beams import MESON_SPECIES, load_beam
from bdgen.errors import CardError
from bdgen.pipeline import CHANNEL_CODES, prepare

#: pytest.approx without the default abs=1e-12 floor.
approx = partial(pytest.approx, abs=0.0)

BEAM_FILES = sorted(p.stem for p in resources.beams_dir().glob("*.toml"))

# name -> (pi0/POT, {species: per pi0}), PHYSICS.md 2.2; eta'/pi0 from Pythia 8.317 (docs/pythia8.md)
YIELDS = {
    "bnb": (0.9, {"eta": 1 / 30, "rho": 1 / 20, "omega": 0.046, "phi": 1 / 150, "eta_prime": 7.8e-5}),
    "bnb_dump": (0.9, {"eta": 1 / 30, "rho": 1 / 20, "omega": 0.046, "phi": 1 / 150, "eta_prime": 7.8e-5}),
    "numi": (2.9, {"eta": 0.114, "rho": 0.11, "omega": 0.11, "phi": 0.02, "eta_prime": 0.012}),
    "dune": (2.9, {"eta": 0.114, "rho": 0.11, "omega": 0.11, "phi": 0.02, "eta_prime": 0.012}),
    "t2k": (1.0, {"eta": 1 / 30, "eta_prime": 0.0068}),
    "sps": (1.8, {"eta": 0.105, "rho": 0.11, "omega": 0.11, "phi": 0.02, "eta_prime": 0.013}),
    "lansce": (0.06, {}),
    "lansce_lujan": (0.0425, {}),
    "sns": (0.06, {}),
}

BREM = {"bnb": (0.3, 0.7, 0.2), "t2k": (0.2, 0.8, 1.0), "numi": (0.1, 0.9, 2.0), "sps": (0.1, 0.9, 1.0)}


def raw(name: str) -> dict:
    with (resources.beams_dir() / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


def test_every_beam_is_covered():
    assert set(BEAM_FILES) == set(YIELDS)


@pytest.mark.parametrize("name", BEAM_FILES)
def test_beam_loads_with_target(name):
    beam = load_beam(name)
    assert beam.name == name
    assert beam.description
    assert "target" in raw(name)
    t = beam.target
    assert t.Z >= 1 and t.A > 0 and t.density > 0 and t.interaction_length > 0 and t.length > 0
    assert t.lambda_m == approx(t.interaction_length / t.density / 100.0, rel=1e-14)
    assert beam.proton_energy == approx(math.hypot(beam.proton_momentum, C.M_P), rel=1e-15)
    assert beam.kinetic_energy == approx(beam.proton_energy - C.M_P, rel=1e-15)
    assert set(beam.mesons) <= set(MESON_SPECIES) and "pi0" in beam.mesons
    for src in beam.mesons.values():
        sp = src.generic()
        assert sp.envelope().total > 0.0


@pytest.mark.parametrize("name", BEAM_FILES)
def test_yields_match_physics_table(name):
    beam = load_beam(name)
    n_pi0, ratios = YIELDS[name]
    assert beam.mesons["pi0"].per_pot == approx(n_pi0, rel=1e-14)
    assert set(beam.mesons) == {"pi0", *ratios}
    for species, r in ratios.items():
        assert beam.mesons[species].per_pot == approx(n_pi0 * r, rel=1e-14), species


@pytest.mark.parametrize("name", BEAM_FILES)
def test_eta_and_vector_ratios_are_explicit(name):
    """Every meson other than the pi0 carries its own per_pi0 in the file (no silent default)."""
    mesons = raw(name)["mesons"]
    for species, d in mesons.items():
        if species != "pi0":
            assert "per_pi0" in d, (name, species)


@pytest.mark.parametrize(("name", "rng"), list(BREM.items()))
def test_brem_ranges(name, rng):
    b = load_beam(name).brem
    assert (b.z_min, b.z_max, b.pt_max) == rng


def test_no_brem_range_at_low_energy():
    for name in ("lansce", "lansce_lujan", "sns"):
        assert load_beam(name).brem is None


def test_overrides():
    beam = load_beam("numi", pi0_per_pot=2.0, eta_per_pi0=0.5)
    assert beam.mesons["pi0"].per_pot == 2.0
    assert beam.mesons["eta"].per_pot == approx(1.0, rel=1e-15)
    assert beam.mesons["rho"].per_pot == approx(0.22, rel=1e-14)


def test_targets_and_models():
    assert load_beam("bnb").target.lambda_m == approx(0.421, abs=5e-4)
    assert load_beam("numi").mesons["pi0"].model == "bmpt"
    assert load_beam("numi").mesons["rho"].model == "bmpt (pi0 shape)"
    assert load_beam("bnb").mesons["pi0"].model == "sanford_wang"
    assert load_beam("lansce").mesons["pi0"].model == "burman_smith"
    # BMPT's A-scaling uses the target's A; Burman-Smith its Z
    assert load_beam("sps").mesons["pi0"].generic().params[3] == 95.95
    assert load_beam("sns").mesons["pi0"].generic().params[1] == 80.0


# --- invalid beam files ------------------------------------------------------------------------------


def _write_variant(tmp_path: Path, name: str, edit) -> None:
    text = (resources.beams_dir() / "bnb.toml").read_text()
    (tmp_path / f"{name}.toml").write_text(edit(text))


def _drop_line(text: str, section: str, key: str) -> str:
    out, current = [], None
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("["):
            current = s
        if current == section and s.startswith(f"{key} "):
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def test_eta_without_per_pi0_raises(tmp_path, monkeypatch):
    _write_variant(tmp_path, "noeta", lambda t: _drop_line(t, "[mesons.eta]", "per_pi0"))
    monkeypatch.setattr(resources, "beams_dir", lambda: tmp_path)
    assert "per_pi0" not in tomllib.loads((tmp_path / "noeta.toml").read_text())["mesons"]["eta"]
    with pytest.raises(CardError, match=r"mesons\.eta\.per_pi0 is missing"):
        load_beam("noeta")
    # an explicit card override is enough
    assert load_beam("noeta", eta_per_pi0=0.05).mesons["eta"].per_pot == approx(0.045, rel=1e-14)


def test_vector_without_per_pi0_raises(tmp_path, monkeypatch):
    _write_variant(tmp_path, "norho", lambda t: _drop_line(t, "[mesons.rho]", "per_pi0"))
    monkeypatch.setattr(resources, "beams_dir", lambda: tmp_path)
    with pytest.raises(CardError, match=r"mesons\.rho\.per_pi0 is missing"):
        load_beam("norho")


@pytest.mark.parametrize("species", ["eta", "rho"])
def test_negative_per_pi0_raises(tmp_path, monkeypatch, species):
    def edit(t: str) -> str:
        t = _drop_line(t, f"[mesons.{species}]", "per_pi0")
        return t.replace(f"[mesons.{species}]\n", f"[mesons.{species}]\nper_pi0 = -0.05\n")

    _write_variant(tmp_path, "negative", edit)
    monkeypatch.setattr(resources, "beams_dir", lambda: tmp_path)
    assert tomllib.loads((tmp_path / "negative.toml").read_text())["mesons"][species]["per_pi0"] == -0.05
    with pytest.raises(CardError, match="per_pi0"):
        load_beam("negative")


def test_missing_target_raises(tmp_path, monkeypatch):
    def edit(t: str) -> str:
        return t.replace("[target]", "[not_a_target]")

    _write_variant(tmp_path, "notarget", edit)
    monkeypatch.setattr(resources, "beams_dir", lambda: tmp_path)
    with pytest.raises(CardError, match=r"\[target\] is missing"):
        load_beam("notarget")


def test_unknown_beam_lists_available(tmp_path, monkeypatch):
    _write_variant(tmp_path, "only", lambda t: t)
    monkeypatch.setattr(resources, "beams_dir", lambda: tmp_path)
    with pytest.raises(CardError, match=r"available: \['only'\]"):
        load_beam("bnb")


# --- rho / omega / phi / brem end to end ---------------------------------------------------------------

CHANNELS = '["rho", "omega", "phi", "brem", "pi0", "eta"]'
_runs: dict = {}


def run(*overrides: str, events: int = 50):
    key = (overrides, events)
    if key not in _runs:
        cfg = bdgen.load_card(None, [f"run.events={events}", "model.m_v=0.75", "model.m_chi=0.2", *overrides])
        _runs[key] = bdgen.generate(cfg, seed=5, chunk_size=50_000)
    return _runs[key]


def test_vector_and_brem_channels_sum_to_total():
    res = run(f"production.channels={CHANNELS}")
    s = res.summary
    names = [c["production"] for c in s["channels"]]
    assert names == ["rho", "omega", "phi", "brem", "pi0", "eta"]
    assert len(res) == 50
    total = sum(c["events"] for c in s["channels"])
    assert total == approx(s["signal_events"], rel=1e-12)
    assert float(res.events["weight"].sum()) == approx(s["signal_events"], rel=1e-12)
    # per channel: the weights of its events are its estimate
    for c in s["channels"]:
        sel = res.events["channel"] == CHANNEL_CODES[c["production"]]
        assert float(res.events["weight"][sel].sum()) == approx(c["events"], rel=1e-12)
    mediators = sum(c["mediators_produced"] for c in s["channels"])
    assert mediators == approx(s["mediators_produced"], rel=1e-12)


def test_closed_channels_report_reason():
    s = run(f"production.channels={CHANNELS}").summary
    by = {c["production"]: c for c in s["channels"]}
    # 2 m_chi = 0.4 GeV: the pi0 is closed, the eta (0.548 GeV) open
    assert "closed" in by["pi0"] and "m_pi0" in by["pi0"]["closed"]
    assert by["pi0"]["events"] == 0.0 and by["pi0"]["branching_ratio"] == 0.0
    for name in ("rho", "omega", "phi", "brem", "eta"):
        assert "closed" not in by[name], name
        assert by[name]["branching_ratio"] > 0.0


def test_vector_meson_closed_by_kinematics():
    cfg = bdgen.load_card(None, ["model.m_v=1.5", "model.m_chi=0.45", 'production.channels=["rho", "omega", "phi"]'])
    setup = prepare(cfg)
    by = {c.name: c for c in setup.channels}
    assert "m_rho" in by["rho"].closed_reason and "m_omega" in by["omega"].closed_reason
    assert by["phi"].closed_reason is None  # 0.9 < 1.019


def test_brem_closed_below_chi_threshold_and_without_range():
    cfg = bdgen.load_card(None, ["model.m_v=0.3", "model.m_chi=0.2", 'production.channels=["brem", "rho"]'])
    by = {c.name: c for c in prepare(cfg).channels}
    assert "2 m_chi" in by["brem"].closed_reason
    assert by["rho"].closed_reason is None  # the rho still mixes with an off-shell V*
    from bdgen.pipeline import _channel

    ch = _channel("brem", bdgen.load_card(None, ["model.m_v=0.3", "model.m_chi=0.01"]), load_beam("lansce"))
    assert "no [brem] range" in ch.closed_reason
    ch = _channel("rho", cfg, load_beam("lansce"))
    assert "has no rho source" in ch.closed_reason


@pytest.mark.parametrize("channel", ["rho", "omega", "phi", "brem"])
def test_single_channel_kinematics(channel):
    res = run(f'production.channels=["{channel}"]', events=30)
    ev = res.events
    s = res.summary
    assert len(res) == 30
    assert s["channels"][0]["events"] == approx(s["signal_events"], rel=1e-12)
    assert np.all(ev["channel"] == CHANNEL_CODES[channel])
    v = np.stack([ev["v_E"], ev["v_px"], ev["v_py"], ev["v_pz"]], axis=1)
    m2 = v[:, 0] ** 2 - np.sum(v[:, 1:] ** 2, axis=1)
    if channel == "brem":
        # parent: the beam proton; V on shell with p_z = z p_beam, z and p_T in the BNB range
        p_beam = 8.89
        assert np.all(ev["parent_pdg"] == 2212)
        np.testing.assert_allclose(ev["parent_pz"], p_beam, rtol=1e-15, atol=0)
        np.testing.assert_allclose(np.sqrt(m2), 0.75, rtol=1e-9, atol=0)
        z = ev["v_pz"] / p_beam
        assert np.all((z >= 0.3) & (z <= 0.7))
        assert np.all(np.hypot(ev["v_px"], ev["v_py"]) <= 0.2)
    else:
        # mixing: the V* is the meson itself (mass m_M, same four-momentum)
        from bdgen.physics.meson_decays import VECTOR_MESONS, vector_meson_mass

        assert np.all(ev["parent_pdg"] == VECTOR_MESONS[channel][0])
        np.testing.assert_allclose(np.sqrt(m2), vector_meson_mass(channel), rtol=1e-9, atol=0)
        for k in ("E", "px", "py", "pz"):
            np.testing.assert_array_equal(ev[f"v_{k}"], ev[f"parent_{k}"])
    # chi on shell
    chi_m2 = ev["chi_E"] ** 2 - ev["chi_px"] ** 2 - ev["chi_py"] ** 2 - ev["chi_pz"] ** 2
    np.testing.assert_allclose(chi_m2, 0.04, rtol=1e-7, atol=0)
