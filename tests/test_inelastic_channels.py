"""End-to-end runs of the inelastic signal channels through the pipeline (pi0_inelastic,
delta_gamma; dis where pythia8mc is installed): four-momentum conservation event by event, the
signal window on the energy transfer, the extra output columns in the files, independence of
the chunking, and the refusals for models that cannot make these final states."""

from __future__ import annotations

import numpy as np
import pytest

import bdgen
from bdgen import constants as C
from bdgen.errors import CardError


def _run(*sets: str, seed: int = 9) -> bdgen.RunResult:
    return bdgen.generate(bdgen.load_card(None, list(sets)), seed=seed)


def _m_target(ev: dict[str, np.ndarray]) -> np.ndarray:
    return np.where(ev["recoil_pdg"] == C.PDG_PROTON, C.M_P, C.M_N)


def test_pi0_inelastic_conserves_four_momentum() -> None:
    ev = _run("signal.channel=pi0_inelastic", "run.events=300").events
    assert len(ev["weight"]) == 300 and np.all(ev["weight"] > 0)
    m_t = _m_target(ev)
    for c in ("E", "px", "py", "pz"):
        lhs = ev[f"chi_{c}"] + (m_t if c == "E" else 0.0)
        rhs = ev[f"chi_out_{c}"] + ev[f"nucleon_{c}"] + ev[f"pi0_{c}"]
        np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(ev[f"pi0_{c}"], ev[f"gamma1_{c}"] + ev[f"gamma2_{c}"], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(ev[f"recoil_{c}"], ev[f"nucleon_{c}"] + ev[f"pi0_{c}"], rtol=1e-9, atol=1e-9)
    w = np.sqrt(ev["recoil_E"] ** 2 - ev["recoil_px"] ** 2 - ev["recoil_py"] ** 2 - ev["recoil_pz"] ** 2)
    np.testing.assert_allclose(w, ev["W"], rtol=1e-7)
    np.testing.assert_allclose(ev["recoil_T"], ev["chi_E"] - ev["chi_out_E"], rtol=1e-12)


def test_window_on_the_energy_transfer() -> None:
    ev = _run("signal.channel=delta_gamma", "signal.t_min=0.4", "signal.t_max=0.8", "run.events=150").events
    assert np.all((ev["recoil_T"] >= 0.4) & (ev["recoil_T"] <= 0.8))
    assert {"gamma_E", "nucleon_E", "W", "Q2"} <= set(ev)


def test_independent_of_chunking() -> None:
    a = _run("signal.channel=pi0_inelastic", "run.events=100", "run.chunk_size=50000").events
    b = _run("signal.channel=pi0_inelastic", "run.events=100", "run.chunk_size=130000", "run.threads=2").events
    for k in ("trial", "weight", "pi0_E", "gamma1_px", "W"):
        np.testing.assert_array_equal(a[k], b[k])


def test_extra_columns_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = _run("signal.channel=pi0_inelastic", "run.events=50")
    for name in ("e.root", "e.h5"):
        bdgen.io.write(r, str(tmp_path / name))
        ev, _meta = bdgen.io.read(str(tmp_path / name))
        np.testing.assert_allclose(ev["pi0_E"], r.events["pi0_E"], rtol=0, atol=0)


def test_dis_run_at_numi() -> None:
    pytest.importorskip("pythia8mc")
    ev = _run("beam.name=numi", "detector.name=nova_nd", "signal.channel=dis", "model.m_v=0.3", "model.m_chi=0.1",
              "run.events=100").events
    m_t = _m_target(ev)
    for c in ("E", "px", "py", "pz"):
        lhs = ev[f"chi_{c}"] + (m_t if c == "E" else 0.0)
        np.testing.assert_allclose(lhs, ev[f"chi_out_{c}"] + ev[f"recoil_{c}"], rtol=1e-9, atol=1e-8)
    assert np.all(ev["Q2"] >= 1.0 - 1e-9) and np.all(ev["W"] >= 1.4 - 1e-9)


@pytest.mark.parametrize("channel", ["pi0_inelastic", "delta_gamma", "dis"])
def test_baryonic_refuses_inelastic_channels(channel: str) -> None:
    with pytest.raises(CardError, match="signal.channel"):
        bdgen.load_card(None, ["model.name=baryonic", "model.alpha_b=1e-5", f"signal.channel={channel}"])


@pytest.mark.parametrize("module,m_chi,e_max", [("bdgen.physics.delta", 0.005, 8.9), ("bdgen.physics.dis", 0.1, 120.0)])
def test_sigma_table_matches_direct_integration(module: str, m_chi: float, e_max: float) -> None:
    """The run's interpolation table of sigma(E) against the module's own integration."""
    import importlib

    from bdgen.pipeline import _inelastic_sigma_table

    if module.endswith("dis"):
        pytest.importorskip("pythia8mc")
    mod = importlib.import_module(module)
    for target in ("proton", "neutron"):
        e_th, lx, lsig = _inelastic_sigma_table(module, m_chi, 0.1, True, target, e_max)
        e = e_th + np.geomspace(0.01, e_max - e_th, 25)
        table = np.exp(np.interp(np.log(e - e_th), lx, lsig))
        direct = np.array([float(mod.sigma(np.array([x]), m_chi, 0.1, 1.0, True, target)[0]) for x in e])
        np.testing.assert_allclose(table, direct, rtol=3e-3)


def test_several_signal_channels_share_the_chi_sample(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """signal.channels: a chi that scatters in two channels has the same four-momentum in both
    (one meson sample: the momentum bias of the first channel serves all); without importance
    sampling each channel equals its own run with the same seed."""
    multi = _run('signal.channels=["nucleon", "electron"]', "run.events=400", seed=12)
    assert set(multi.per_channel) == {"nucleon", "electron"}
    assert multi.per_channel["electron"].summary["momentum_sampling"] == ["pi0", "eta"]
    analog = _run('signal.channels=["nucleon", "electron"]', "run.events=400", "run.importance_sampling=false",
                  seed=12)
    single = _run("signal.channel=electron", "run.events=400", "run.importance_sampling=false", seed=12)
    np.testing.assert_array_equal(analog.per_channel["electron"].events["weight"], single.events["weight"])
    a, b = multi.per_channel["nucleon"].events, multi.per_channel["electron"].events
    key_a = a["trial"] * 2 + a["chi_index"]
    key_b = b["trial"] * 2 + b["chi_index"]
    common, ia, ib = np.intersect1d(key_a, key_b, return_indices=True)
    assert common.size > 0
    np.testing.assert_array_equal(a["chi_E"][ia], b["chi_E"][ib])
    np.testing.assert_array_equal(a["chi_px"][ia], b["chi_px"][ib])
    bdgen.io.write(multi, str(tmp_path / "m.h5"))
    ev, _ = bdgen.io.read(str(tmp_path / "m.h5"), detector="electron")
    np.testing.assert_array_equal(ev["weight"], b["weight"])


@pytest.mark.parametrize("value,fragment", [('["nucleon", "decay"]', "decay"), ('["muon"]', "unknown channel"),
                                            ('["nucleon", "nucleon"]', "each once")])
def test_bad_signal_channel_lists(value: str, fragment: str) -> None:
    with pytest.raises(CardError, match=fragment):
        bdgen.load_card(None, [f"signal.channels={value}"])
