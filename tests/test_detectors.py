"""Detector files: composite volumes, frames, several detectors in one run, the CLI."""

from __future__ import annotations

import shutil
from functools import partial
from pathlib import Path

import numpy as np
import pytest

import bdgen
from bdgen import cli, resources
from bdgen.detectors import load_detector, parse_detector
from bdgen.errors import CardError
from bdgen.geometry import rotation_matrix

approx = partial(pytest.approx, abs=0.0)

TWO_BOX = """
name = "twobox"
description = "two oil boxes one behind the other (test)"
beam = "bnb"
[materials.oil]
formula = "CH2"
density = 0.845
[materials.water]
formula = "H2O"
density = 1.0
[[fiducial]]
name = "front"
material = "oil"
shape = { kind = "box", centre = [0.0, 0.0, 489.0], size = [4.0, 4.0, 4.0] }
[[fiducial]]
name = "back"
material = "water"
shape = { kind = "cylinder", centre = [0.0, 0.0, 494.0], radius = 2.0, length = 4.0 }
[[outer]]
name = "hall"
material = "water"
shape = { kind = "box", centre = [0.0, 0.0, 491.5], size = [6.0, 6.0, 10.0] }
[frame]
origin = [1.0, -2.0, 487.0]
rotation_deg = [0.0, 90.0, 0.0]
description = "test frame"
[published]
fiducial_mass = 63.64
"""


@pytest.fixture
def det_dir(tmp_path, monkeypatch):
    """A detector directory with the shipped files plus 'twobox'."""
    d = tmp_path / "detectors"
    shutil.copytree(resources.detectors_dir(), d)
    (d / "twobox.toml").write_text(TWO_BOX)
    monkeypatch.setattr(resources, "detectors_dir", lambda: d)
    return d


def test_composite_masses_and_centre(det_dir):
    det = load_detector("twobox")
    assert [v.name for v in det.fiducial] == ["front", "back"]
    m_front = 64.0 * 0.845
    m_back = np.pi * 4.0 * 4.0 * 1.0
    assert det.fiducial_mass == approx(m_front + m_back, rel=1e-12)
    assert det.total_mass == approx(360.0, rel=1e-12)
    assert det.centre[2] == approx((489.0 * m_front + 494.0 * m_back) / (m_front + m_back), rel=1e-12)
    assert det.fiducial[1].material.mass_fractions["O"] == approx(15.999 / 18.015, rel=1e-12)


def test_bad_material_reference_names_the_key():
    with pytest.raises(CardError, match=r"fiducial\[0\]\.material = \"steel\""):
        parse_detector({"materials": {"oil": {"formula": "CH2", "density": 0.8}},
                        "fiducial": [{"material": "steel", "shape": {"kind": "sphere", "centre": [0, 0, 1], "radius": 1}}]},
                       "x", "")


def _run(*overrides: str, seed: int = 11) -> bdgen.RunResult:
    base = [] if any(o.startswith("run.precision") for o in overrides) else ["run.events=300"]
    return bdgen.generate(bdgen.load_card(None, [*base, *overrides]), seed=seed)


def test_multi_detector_run_equals_single_runs(det_dir):
    """Without importance sampling the per-detector events are identical to single runs (with
    it, the chi directions are aimed at all detectors of the run, and the results agree within
    statistics: next test)."""
    both = _run('detector.names=["miniboone", "twobox"]', "run.importance_sampling=false")
    assert set(both.per_detector) == {"miniboone", "twobox"}
    assert set(both.summary["detectors"]) == {"miniboone", "twobox"}
    for name in ("miniboone", "twobox"):
        single = _run(f"detector.name={name}", "run.importance_sampling=false")
        got = both.per_detector[name]
        assert got.summary["signal_events"] == single.summary["signal_events"]
        for k in single.events:
            np.testing.assert_array_equal(got.events[k], single.events[k], err_msg=k)


def test_multi_detector_run_agrees_with_single_runs_with_importance_sampling(det_dir):
    both = _run('detector.names=["miniboone", "twobox"]', "run.precision=0.04", seed=3)
    for name in ("miniboone", "twobox"):
        single = _run(f"detector.name={name}", "run.precision=0.04", seed=4).summary
        got = both.per_detector[name].summary
        sigma = np.hypot(got["signal_events_error"], single["signal_events_error"])
        assert abs(got["signal_events"] - single["signal_events"]) < 4 * sigma


def test_composite_vertices_lie_in_their_volume(det_dir):
    r = _run("detector.name=twobox", "run.events=2000")
    ev = r.events
    assert set(np.unique(ev["volume"])) == {0, 1}
    front = ev["volume"] == 0
    assert np.all(np.abs(ev["z"][front] - 489.0) <= 2.0 + 1e-9)
    assert np.all(np.abs(ev["x"][front]) <= 2.0 + 1e-9) and np.all(np.abs(ev["y"][front]) <= 2.0 + 1e-9)
    back = ~front
    assert np.all(np.abs(ev["z"][back] - 494.0) <= 2.0 + 1e-9)
    assert np.all(np.hypot(ev["x"][back], ev["y"][back]) <= 2.0 + 1e-9)


def test_composite_signal_is_the_sum_of_its_volumes(det_dir):
    """The two-volume detector's signal equals the sum of runs with each volume alone
    (inline detectors), within 4 combined standard deviations."""
    comp = _run("detector.name=twobox", "run.precision=0.03", seed=1).summary
    parts = []
    for shape, mat in (('{kind="box", centre=[0.0, 0.0, 489.0], size=[4.0, 4.0, 4.0]}', '{formula="CH2", density=0.845}'),
                       ('{kind="cylinder", centre=[0.0, 0.0, 494.0], radius=2.0, length=4.0}', '{formula="H2O", density=1.0}')):
        parts.append(_run(f"detector.shape={shape}", f"detector.material={mat}", "run.precision=0.03", seed=2).summary)
    total = sum(p["signal_events"] for p in parts)
    err = np.sqrt(comp["signal_events_error"] ** 2 + sum(p["signal_events_error"] ** 2 for p in parts))
    assert abs(comp["signal_events"] - total) < 4 * err


def test_experiment_frame_is_the_documented_transform(det_dir):
    beam = _run("detector.name=twobox")
    exp = _run("detector.name=twobox", 'detector.frame="experiment"')
    r = rotation_matrix((0.0, 90.0, 0.0))
    o = np.array([1.0, -2.0, 487.0])
    xb = np.c_[beam.events["x"], beam.events["y"], beam.events["z"]]
    xe = np.c_[exp.events["x"], exp.events["y"], exp.events["z"]]
    np.testing.assert_allclose(xe, (xb - o) @ r, rtol=0, atol=1e-9)
    pb = np.c_[beam.events["chi_px"], beam.events["chi_py"], beam.events["chi_pz"]]
    pe = np.c_[exp.events["chi_px"], exp.events["chi_py"], exp.events["chi_pz"]]
    np.testing.assert_allclose(pe, pb @ r, rtol=0, atol=1e-12)
    # inverse: x_beam = R x_exp + o
    np.testing.assert_allclose(xe @ r.T + o, xb, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(exp.events["weight"], beam.events["weight"])


def test_experiment_frame_needs_a_frame():
    with pytest.raises(CardError, match="defines no \\[frame\\]"):
        bdgen.generate(bdgen.load_card(None, ['detector.frame="experiment"', "run.events=10"]))


def test_multi_detector_files_round_trip(det_dir, tmp_path):
    r = _run('detector.names=["miniboone", "twobox"]', "run.events=50")
    for suffix in (".root", ".h5"):
        path = tmp_path / f"multi{suffix}"
        bdgen.write(r, path)
        for name in ("miniboone", "twobox"):
            ev, meta = bdgen.io.read(path, detector=name)
            np.testing.assert_array_equal(ev["weight"], r.per_detector[name].events["weight"])
        with pytest.raises(KeyError):
            bdgen.io.read(path, detector="nope")


def test_cli_detectors_list_and_show(det_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["detectors"]) == 0
    out = capsys.readouterr().out
    assert "miniboone" in out and "twobox" in out
    assert cli.main(["detectors", "show", "twobox"]) == 0
    out = capsys.readouterr().out
    assert "front" in out and "back" in out and "hall" in out
    png = tmp_path / "twobox.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # an existing drawing is not replaced without --overwrite
    before = png.read_bytes()
    # a second show prints the detector again and keeps the default drawing; an explicit --png
    # naming an existing file is refused
    assert cli.main(["detectors", "show", "twobox"]) == 0
    assert png.read_bytes() == before
    assert cli.main(["detectors", "show", "twobox", "--png", "twobox.png"]) == 2
    assert cli.main(["detectors", "show", "twobox", "--overwrite", "--png", "-"]) == 0


def test_cli_multi_detector_run(det_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = cli.main(["run", "--set", 'detector.names=["miniboone","twobox"]', "--set", "run.events=30",
                     "-o", "m.root", "--summary", "s.json", "-q"])
    assert code == 0
    import json

    s = json.loads(Path("s.json").read_text())
    assert set(s["detectors"]) == {"miniboone", "twobox"}
    # the plot of one detector's event set quotes that detector's expected count
    capsys.readouterr()
    assert cli.main(["plot", "m.root", "-o", "p.png", "--detector", "twobox"]) == 0
    out = capsys.readouterr().out
    assert f"({s['detectors']['twobox']['signal_events']:.4g} expected)" in out


def _union_length(det, origin, direction, n=200_001):
    """Length of the ray inside the union of the fiducial volumes, by dense sampling (m)."""
    from bdgen.geometry import rotation_matrix as rot

    t = np.linspace(0.0, 600.0, n)
    pts = origin + t[:, None] * direction
    inside = np.zeros(n, dtype=bool)
    for v in det.fiducial:
        sh = v.shape
        loc = (pts - np.asarray(sh.centre)) @ rot(sh.rotation_deg)
        if sh.kind == "box":
            inside |= np.all(np.abs(loc) <= np.asarray(sh.dims) / 2, axis=1)
        elif sh.kind == "cylinder":
            inside |= (np.hypot(loc[:, 0], loc[:, 1]) <= sh.dims[0]) & (np.abs(loc[:, 2]) <= sh.dims[1] / 2)
        else:
            inside |= np.linalg.norm(loc, axis=1) <= sh.dims[0]
    return inside.sum() * (t[1] - t[0])


def test_composite_chords(det_dir, rng):
    """For lines from the origin toward the composite: the sum of the per-volume chords equals
    the length inside the union (dense sampling, 2 steps of 3 mm), is at most the sum of the
    longest chords, and is the same for the reversed line started beyond the far side."""
    det = load_detector("twobox")
    for _ in range(40):
        target = np.array([0.0, 0.0, 491.5]) + rng.uniform(-2.5, 2.5, 3) * [1, 1, 2]
        u = target / np.linalg.norm(target)
        chords = [float(np.subtract(*v.shape.intersect(np.zeros(3), u[None, :])[::-1])[0]) for v in det.fiducial]
        total = sum(chords)
        assert total <= sum(v.shape.max_chord for v in det.fiducial) + 1e-12
        assert total == pytest.approx(_union_length(det, np.zeros(3), u), abs=6e-3)
        far = 600.0 * u
        back = [float(np.subtract(*v.shape.intersect(far, -u[None, :])[::-1])[0]) for v in det.fiducial]
        assert sum(back) == pytest.approx(total, rel=1e-12, abs=1e-12)
