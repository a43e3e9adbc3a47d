"""The shipped detector files: published masses (3%), containment, non-overlap, drawings."""

from __future__ import annotations

import numpy as np
import pytest

from bdgen import resources
from bdgen.beams import load_beam
from bdgen.detectors import Detector, Volume, load_detector
from bdgen.geometry import rotation_matrix

NAMES = resources.available(resources.detectors_dir())


def _inside(vol: Volume, pts: np.ndarray) -> np.ndarray:
    sh = vol.shape
    local = (pts - np.asarray(sh.centre)) @ rotation_matrix(sh.rotation_deg)
    if sh.kind == "sphere":
        return np.linalg.norm(local, axis=1) <= sh.dims[0]
    if sh.kind == "cylinder":
        return (np.hypot(local[:, 0], local[:, 1]) <= sh.dims[0]) & (np.abs(local[:, 2]) <= sh.dims[1] / 2)
    return np.all(np.abs(local) <= np.asarray(sh.dims) / 2, axis=1)


def _points_in(vol: Volume, n: int, rng: np.random.Generator) -> np.ndarray:
    sh = vol.shape
    half = sh.max_chord / 2 + 1e-9
    pts = np.asarray(sh.centre) + rng.uniform(-half, half, size=(n, 3))
    return pts[_inside(vol, pts)]


def test_library_is_complete():
    wanted = {"miniboone", "miniboone_target", "miniboone_numi", "microboone", "microboone_numi", "sbnd",
              "icarus", "icarus_numi", "minos_nd", "nova_nd", "t2k_nd280", "dune_nd", "dune_nd_offaxis",
              "ship", "lsnd", "ccm", "coherent_csi", "coherent_lar"}
    assert wanted <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_published_masses_within_3_percent(name):
    det = load_detector(name)
    pub = det.published
    assert "source" in pub, f"{name}: [published] must cite its source"
    assert "fiducial_mass" in pub or "total_mass" in pub
    if "fiducial_mass" in pub:
        assert det.fiducial_mass == pytest.approx(pub["fiducial_mass"], rel=0.03, abs=0.0), name
    if "total_mass" in pub:
        assert det.total_mass == pytest.approx(pub["total_mass"], rel=0.03, abs=0.0), name


@pytest.mark.parametrize("name", NAMES)
def test_fiducial_inside_outer_and_disjoint(name, rng):
    det = load_detector(name)
    for i, v in enumerate(det.fiducial):
        pts = _points_in(v, 40000, rng)
        assert pts.shape[0] > 100
        if det.outer:
            inside_outer = np.any([_inside(o, pts) for o in det.outer], axis=0)
            assert np.all(inside_outer), f"{name}: fiducial {v.name!r} leaves the outer volume"
        for j, w in enumerate(det.fiducial):
            if j != i:
                assert not np.any(_inside(w, pts)), f"{name}: fiducial volumes {i} and {j} overlap"


@pytest.mark.parametrize("name", NAMES)
def test_beam_exists_and_sources_cited(name):
    det: Detector = load_detector(name)
    assert det.beam is not None
    load_beam(det.beam)
    text = (resources.detectors_dir() / f"{name}.toml").read_text()
    assert "Sources" in text and ("arXiv" in text or "doi" in text.lower() or "http" in text or "www" in text)
