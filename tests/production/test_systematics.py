"""Per-event spectrum systematic weights (production.spectrum_systematics)."""

from __future__ import annotations

import numpy as np

import bdgen
from bdgen.beams import load_beam


def _run(*extra: str, seed: int = 4) -> bdgen.RunResult:
    return bdgen.generate(bdgen.load_card(None, ["production.spectrum_systematics=true", *extra]), seed=seed)


def test_weights_columns_and_summary():
    r = _run("run.events=400")
    ev = r.events
    assert "weight_bmpt" in ev
    assert np.all(ev["weight_bmpt"] >= 0.0)
    assert r.summary["systematics"]["bmpt"]["signal_events"] == np.sum(ev["weight_bmpt"])
    # the nominal weights are unchanged by the option
    plain = bdgen.generate(bdgen.load_card(None, ["run.events=400"]), seed=4)
    np.testing.assert_array_equal(plain.events["weight"], ev["weight"])


def test_reweighting_matches_a_direct_run_of_the_alternative():
    """Reweighting the Sanford-Wang sample to BMPT agrees with generating from BMPT directly
    (a beam file whose pi0 model is BMPT, written to a temporary directory), within 4 sigma."""
    import shutil
    import tempfile
    from pathlib import Path

    import bdgen.resources as res

    r = _run('production.channels=["pi0"]', "run.precision=0.03")
    w = r.events["weight_bmpt"]
    # statistical error of the reweighted estimate from per-trial sums
    trials = r.events["trial"]
    _, inv = np.unique(trials, return_inverse=True)
    a = np.bincount(inv, weights=w)
    n = r.summary["n_generated"]
    est = a.sum()
    err = np.sqrt(np.sum(a**2) - est**2 / n) if n > 1 else 0.0

    beam = load_beam("bnb")
    tmp = Path(tempfile.mkdtemp())
    try:
        text = (res.beams_dir() / "bnb.toml").read_text()
        text = text.replace('model = "sanford_wang"\n# Alternative spectra', 'model = "bmpt"\n# Alternative spectra', 1)
        text = text.replace('alternatives = ["bmpt", "pythia8"]', "", 2)
        (tmp / "bnbbmpt.toml").write_text(text)
        orig = res.beams_dir
        res.beams_dir = lambda: tmp  # type: ignore[assignment]
        try:
            cfg = bdgen.load_card(None, ['production.channels=["pi0"]', "run.precision=0.03", "beam.name=bnbbmpt"])
            d = bdgen.generate(cfg, seed=8).summary
        finally:
            res.beams_dir = orig  # type: ignore[assignment]
    finally:
        shutil.rmtree(tmp)
    assert beam.mesons["pi0"].model == "sanford_wang"
    # BMPT's domain is p < 8.89 GeV; the reweighting is restricted to the nominal p < 7.89 GeV,
    # which holds a fraction f of the BMPT spectrum: compare est with f x direct
    sp = load_beam("bnb", alternatives=True).mesons["pi0"].alternatives[0][1]
    f = sp.integral(7.89, 0.5 * np.pi) / sp.integral(8.89, 0.5 * np.pi)
    sigma = np.hypot(err, d["signal_events_error"])
    assert abs(est - d["signal_events"]) < 4 * sigma + (1 - f) * d["signal_events"]
