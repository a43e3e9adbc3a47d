"""Momentum importance sampling of the mesons (bdgen.pipeline._momentum_bias)."""

from __future__ import annotations

import numpy as np
import pytest

import bdgen
import bdgen.pipeline as P
from bdgen.production.spectra import _sample


@pytest.fixture(scope="module")
def biased_default():
    """The run's biased tables for the built-in card (captured from generate)."""
    captured = {}
    orig = P._momentum_bias

    def spy(ctx, setup, n):
        out = orig(ctx, setup, n)
        captured["out"], captured["setup"] = out, setup
        return out

    P._momentum_bias = spy
    try:
        r = bdgen.generate(bdgen.load_card(None, ["run.events=10"]), seed=1)
    finally:
        P._momentum_bias = orig
    return captured["out"], captured["setup"], r


def test_weights_normalised_and_bounded(biased_default):
    """Mesons drawn with the biased cell choice carry 1/q: E[1/q] = 1 (4 sigma, 2e6 draws), the
    biased mean momentum equals the analog one, and 1/2 <= q so that 0 < 1/q <= 2."""
    (env_cdf, row_w, biased), setup, r = biased_default
    assert r.summary["momentum_sampling"] == biased == ["pi0", "eta"]
    for c, ch in enumerate(setup.open_channels):
        assert np.all(row_w[c] > 0) and np.all(row_w[c] <= 2.0 + 1e-12)
        env = ch.spectrum.envelope()
        n = 2_000_000
        p, t = np.empty(n), np.empty(n)
        _sample(np.uint64(5), np.uint64(9), n, ch.spectrum.model, ch.spectrum.params, env.p_edges, env.theta_edges,
                env.bound, env_cdf[c], p, t)
        w = row_w[c][np.clip(np.searchsorted(env.p_edges, p, side="right") - 1, 0, row_w.shape[1] - 1)]
        assert abs(w.mean() - 1.0) < 4 * w.std() / np.sqrt(n)
        p0, t0 = np.empty(n), np.empty(n)
        _sample(np.uint64(6), np.uint64(9), n, ch.spectrum.model, ch.spectrum.params, env.p_edges, env.theta_edges,
                env.bound, env.cdf, p0, t0)
        err = np.hypot((w * p).std(), p0.std()) / np.sqrt(n)
        assert abs((w * p).mean() - p0.mean()) < 4 * err
        assert np.mean(p) > np.mean(p0)  # the bias does favour the fast mesons


def test_cell_integrals_converged(biased_default):
    """4 x 4-point Gauss-Legendre per envelope cell against 8 x 8 points (1e-6 in total, 1e-4 per
    momentum row: the lowest row, p -> 0, converges slowest) and against the
    spectrum's trapezoidal integral (2e-4)."""
    _out, setup, _r = biased_default
    for ch in setup.open_channels:
        sp = ch.spectrum
        cells = sp.cell_integrals()
        fine = sp.cell_integrals(8)
        assert cells.sum() == pytest.approx(fine.sum(), rel=1e-6)
        np.testing.assert_allclose(cells.sum(axis=1), fine.sum(axis=1), rtol=1e-4, atol=1e-12 * fine.sum())
        assert cells.sum() == pytest.approx(sp.integral(), rel=2e-4)


def test_biased_run_agrees_with_analog_run(monkeypatch):
    """Fixed numbers of trials (no stopping-rule effects), independent seeds: the biased and the
    analog estimates of the built-in card agree within 4 combined standard errors, and the biased
    one is at least twice as precise per trial."""
    card = ["run.precision=1e-9", "run.max_trials=600000"]
    biased = bdgen.generate(bdgen.load_card(None, card), seed=21, chunk_size=200_000).summary
    monkeypatch.setattr(P, "MOMENTUM_PILOT", 0)
    analog = bdgen.generate(bdgen.load_card(None, card), seed=22, chunk_size=200_000).summary
    assert analog["momentum_sampling"] == [] and biased["momentum_sampling"] == ["pi0", "eta"]
    diff = biased["signal_events"] - analog["signal_events"]
    assert abs(diff) < 4 * np.hypot(biased["signal_events_error"], analog["signal_events_error"])
    assert biased["relative_error"] ** 2 < 0.5 * analog["relative_error"] ** 2


def test_unbiased_channels_and_switch():
    """Bremsstrahlung (and meson lists, tables, mesons at rest) are not biased; importance_sampling
    = false switches the momentum bias off too."""
    r = bdgen.generate(bdgen.load_card(None, ['production.channels=["brem"]', "run.events=20"]), seed=2)
    assert r.summary["momentum_sampling"] == []
    r = bdgen.generate(bdgen.load_card(None, ["run.importance_sampling=false", "run.events=20"]), seed=2)
    assert r.summary["momentum_sampling"] == []


def test_pilot_does_not_depend_on_chunking():
    """The pilot has its own random numbers: the same seed gives the same events for any chunk
    size and thread count."""
    a = bdgen.generate(bdgen.load_card(None, ["run.events=200", "run.threads=1"]), seed=4, chunk_size=60_000)
    b = bdgen.generate(bdgen.load_card(None, ["run.events=200", "run.threads=2"]), seed=4, chunk_size=170_000)
    for k in a.events:
        np.testing.assert_array_equal(a.events[k], b.events[k], err_msg=k)


def test_no_bias_without_predicted_gain(monkeypatch):
    """A channel is biased only if the pilot predicts a smaller second moment: with the gain
    threshold at 0 nothing qualifies and the run is analog (same events as MOMENTUM_PILOT = 0)."""
    monkeypatch.setattr(P, "MOMENTUM_MIN_GAIN", 0.0)
    a = bdgen.generate(bdgen.load_card(None, ["run.events=100"]), seed=3)
    assert a.summary["momentum_sampling"] == []
    monkeypatch.setattr(P, "MOMENTUM_PILOT", 0)
    b = bdgen.generate(bdgen.load_card(None, ["run.events=100"]), seed=3)
    np.testing.assert_array_equal(a.events["weight"], b.events["weight"])


def test_detector_at_90_degrees_is_not_biased():
    """CCM sits at 90 degrees to the beam, where the chi direction does not follow the meson
    momentum: the cross-validated pilot predicts no 10% gain, so the mesons are drawn analog
    (the bias measured there, 0.95 of the analog variance, is not worth its pilot noise)."""
    r = bdgen.generate(bdgen.load_card(None, ["beam.name=lansce_lujan", "detector.name=ccm", "run.pot=2.2e21",
                                              "signal.channel=coherent", "signal.t_min=1e-5", "signal.t_max=1e-4",
                                              'production.channels=["pi0"]', "model.m_v=0.03", "model.m_chi=0.01",
                                              "run.events=50"]), seed=3)
    assert r.summary["momentum_sampling"] == []
