"""signal.channel = "flux": every chi crossing the detector (BdNMC's dm_detector_distribution)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bdgen
from bdgen.errors import CardError
from bdgen.reweight import reweight_events

FIXED = ["run.precision=1e-6", "run.max_trials=200000", "run.importance_sampling=false", "run.seed=21"]
ALPHA = 1.0 / 137.035999084          # CODATA 2018
M_E = 0.51099895e-3                   # GeV (PDG)
GEV2_TO_M2 = 0.3893793721e-31         # (hbar c)^2, m^2 GeV^2 (PDG)


def _gen(*ov: str) -> bdgen.RunResult:
    return bdgen.generate(bdgen.load_card(None, list(ov)), chunk_size=100_000)


def sigma_e_window(e, m_chi, m_v, eps, alpha_d, t_lo, t_hi):
    """chi e -> chi e for a complex scalar chi, integrated over t_lo < T < t_hi in closed form.

    dsigma/dT = 4 pi eps^2 alpha alpha_D [2 m_e E^2 - T (2 m_e E + m_chi^2)] / (p^2 (m_V^2 + 2 m_e T)^2)
    (deNiverville, Pospelov, Ritz, arXiv:1505.07805; the trace of the scalar current), with
    u = m_V^2 + 2 m_e T:  integral = A/(2 m_e) [a (1/u1 - 1/u2) - b ln(u2/u1)],
    b = (2 m_e E + m_chi^2)/(2 m_e), a = 2 m_e E^2 + m_V^2 b.  GeV^-2, shape of e.
    """
    p2 = e * e - m_chi * m_chi
    t_max = 2.0 * M_E * p2 / (m_chi**2 + M_E**2 + 2.0 * M_E * e)
    hi = np.minimum(t_hi, t_max)
    lo = np.full_like(e, t_lo)
    ok = hi > lo
    u1 = m_v**2 + 2.0 * M_E * lo
    u2 = m_v**2 + 2.0 * M_E * np.where(ok, hi, lo)
    b = (2.0 * M_E * e + m_chi**2) / (2.0 * M_E)
    a = 2.0 * M_E * e * e + m_v**2 * b
    amp = 4.0 * math.pi * eps**2 * ALPHA * alpha_d / p2
    return np.where(ok, amp / (2.0 * M_E) * (a * (1.0 / u1 - 1.0 / u2) - b * np.log(u2 / u1)), 0.0)


@pytest.fixture(scope="module")
def flux():
    return _gen(*FIXED, "signal.channel=flux")


def test_flux_counts_every_crossing_chi(flux):
    """The signal is the number of chi crossing the detector: 2 x V produced x acceptance."""
    s = flux.summary
    assert s["signal_events"] == pytest.approx(2.0 * s["mediators_produced"] * s["geometric_acceptance"], rel=1e-9)
    assert s["signal_events"] == pytest.approx(float(flux.events["weight"].sum()), rel=1e-12)
    assert np.all(flux.events["recoil_pdg"] == 0) and np.all(flux.events["recoil_T"] == 0.0)


def test_flux_vertex_is_the_entry_point_and_the_chord_is_exact(flux):
    """The vertex lies on the MiniBooNE sphere (centre (0, -1.9, 491) m, radius 5 m) where the
    chi's line enters it, and chord_length is the sphere's chord 2 sqrt(b^2 - c) along that line."""
    ev = flux.events
    p = np.stack([ev["chi_px"], ev["chi_py"], ev["chi_pz"]], axis=1)
    d = p / np.linalg.norm(p, axis=1)[:, None]
    x0 = np.stack([ev["prod_x"], ev["prod_y"], ev["prod_z"]], axis=1)
    rel = np.array([0.0, -1.9, 491.0])[None, :] - x0
    b = np.sum(d * rel, axis=1)
    c = np.sum(rel * rel, axis=1) - 25.0
    root = np.sqrt(b * b - c)
    np.testing.assert_allclose(ev["chord_length"], 2.0 * root, rtol=1e-9, atol=1e-9)
    entry = x0 + (b - root)[:, None] * d
    np.testing.assert_allclose(np.stack([ev["x"], ev["y"], ev["z"]], axis=1), entry, rtol=0, atol=1e-8)
    beta = np.linalg.norm(p, axis=1) / ev["chi_E"]
    np.testing.assert_allclose(ev["t"], (b - root) / (beta * 0.299792458), rtol=1e-9)


def test_flux_times_closed_form_sigma_is_the_electron_signal(flux):
    """sum(w L n_e sigma_window(E)) over the crossings, with the closed-form chi e cross-section,
    equals the electron channel's signal from the same trials (its per-crossing probability is
    n_e sigma L); the tolerance covers bdgen's tabulated sigma."""
    from bdgen.detectors import load_detector

    n_e = load_detector("miniboone").fiducial[0].material.electron_density   # m^-3
    ev = flux.events
    m = flux.config.model
    sig = sigma_e_window(ev["chi_E"], m.m_chi, m.m_v, m.epsilon, m.alpha_d, 0.035, 0.9) * GEV2_TO_M2
    expect = float(np.sum(ev["weight"] * ev["chord_length"] * n_e * sig))
    electron = _gen(*FIXED, "signal.channel=electron")
    assert electron.summary["signal_events"] == pytest.approx(expect, rel=3e-3)


def test_flux_reweights_with_production_only(flux):
    """A flux sample carries no scattering factor: new weights are the old ones times the
    production factor alone (for a scattering sample also times eps'^2 alpha_D'/(eps^2 alpha_D))."""
    from dataclasses import replace

    from bdgen.config import PRODUCTION_CHANNELS
    from bdgen.reweight import production_factor

    old = flux.config
    new = replace(old, model=replace(old.model, alpha_d=2 * old.model.alpha_d, epsilon=0.5 * old.model.epsilon))
    ev = flux.events
    w = reweight_events(ev, old, new)
    s = ev["v_E"] ** 2 - ev["v_px"] ** 2 - ev["v_py"] ** 2 - ev["v_pz"] ** 2
    expect = np.zeros_like(w)
    for code, name in enumerate(PRODUCTION_CHANNELS):
        sel = ev["channel"] == code
        if sel.any():
            expect[sel] = ev["weight"][sel] * production_factor(name, s[sel], old, new)
    np.testing.assert_allclose(w, expect, rtol=1e-12)
    assert 0.2 < float(w.sum() / ev["weight"].sum()) < 0.3          # ~ eps'^2/eps^2 = 1/4


def test_flux_is_refused_where_it_has_no_meaning(tmp_path, monkeypatch, capsys):
    """No limits from a flux (scan), no NuHepMC event without an interaction."""
    from bdgen.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["scan", "--grid", "m_chi=0.01:0.02:2", "--set", "signal.channel=flux", "-o", "s.csv", "-q"]) == 2
    err = capsys.readouterr().err
    assert "flux" in err and len(err.strip().splitlines()) == 1
    import bdgen.pipeline

    def no_run(*a, **k):
        raise AssertionError("the run started")

    with monkeypatch.context() as mp:  # refused before any work: generate() is never called
        mp.setattr(bdgen.pipeline, "generate", no_run)
        assert main(["run", "--set", "signal.channel=flux", "-o", "f.hepmc3", "-q"]) == 2
    assert not (tmp_path / "f.hepmc3").exists()
    assert "NuHepMC" in capsys.readouterr().err
    cfg = bdgen.load_card(None, ["signal.channel=flux", "run.events=10"])
    with pytest.raises(CardError, match="flux"):
        bdgen.io.write(bdgen.generate(cfg, seed=1), tmp_path / "f.hepmc3")
    assert not (tmp_path / "f.hepmc3").exists()


def test_flux_plot_shows_chords_and_chi_angles(flux, tmp_path):
    from bdgen.plotting import plot_spectra

    out = plot_spectra(flux.events, tmp_path / "flux.png")
    assert out.stat().st_size > 10_000
    with pytest.raises(CardError, match="no recoil"):
        plot_spectra(flux.events, tmp_path / "b.png", backgrounds=[("nu", flux.events)])
