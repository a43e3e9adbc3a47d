"""Vectorised kinematics and detector-volume sampling for the neutrino fluxes (numpy).

Four-vectors are arrays of shape (n, 4) = (E, px, py, pz); directions are unit vectors (n, 3).
Positions in the beam frame (m): z along the protons, y up, origin at the beam file's origin.
"""

from __future__ import annotations

import math

import numpy as np

from ..detectors import Detector
from ..geometry import Shape, rotation_matrix
from ..kinematics import boost_many as boost  # noqa: F401  (re-exported for the neutrino modules)


def isotropic(n: int, rng: np.random.Generator) -> np.ndarray:
    """n unit vectors uniform on the sphere, shape (n, 3)."""
    c = rng.uniform(-1.0, 1.0, n)
    phi = rng.uniform(0.0, 2.0 * math.pi, n)
    s = np.sqrt(1.0 - c * c)
    return np.stack([s * np.cos(phi), s * np.sin(phi), c], axis=1)


def from_angles(theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Unit vectors with polar angle theta to +z and azimuth phi, shape (n, 3)."""
    st = np.sin(theta)
    return np.stack([st * np.cos(phi), st * np.sin(phi), np.cos(theta)], axis=1)


def norm(v: np.ndarray) -> np.ndarray:
    """Euclidean norms of the rows of v."""
    return np.sqrt(np.einsum("ij,ij->i", v, v))


# ------------------------------------------------------------------------------------------
# points in a detector
# ------------------------------------------------------------------------------------------


def _local_points(shape: Shape, n: int, rng: np.random.Generator) -> np.ndarray:
    if shape.kind == "sphere":
        r = shape.dims[0] * rng.uniform(0.0, 1.0, n) ** (1.0 / 3.0)
        return r[:, None] * isotropic(n, rng)
    if shape.kind == "cylinder":
        rad, length = shape.dims
        r = rad * np.sqrt(rng.uniform(0.0, 1.0, n))
        phi = rng.uniform(0.0, 2.0 * math.pi, n)
        z = rng.uniform(-0.5 * length, 0.5 * length, n)
        return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)
    half = 0.5 * np.asarray(shape.dims, float)
    return rng.uniform(-half, half, (n, 3))


def sample_points(detector: Detector, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n points uniform in the union of the detector's fiducial volumes (volumes chosen in
    proportion to their size; they do not overlap).

    Returns
    -------
    points : ndarray, shape (n, 3)
        Beam-frame positions (m).
    volume : ndarray of int, shape (n,)
        Index of the fiducial volume of each point.
    """
    sizes = np.array([v.shape.volume for v in detector.fiducial])
    volume = rng.choice(len(sizes), size=n, p=sizes / sizes.sum())
    out = np.empty((n, 3))
    for k, vol in enumerate(detector.fiducial):
        sel = np.flatnonzero(volume == k)
        if sel.size == 0:
            continue
        sh = vol.shape
        local = _local_points(sh, sel.size, rng)
        out[sel] = local @ rotation_matrix(sh.rotation_deg).T + np.asarray(sh.centre)
    return out, volume


def total_volume(detector: Detector) -> float:
    """Sum of the fiducial volumes (m^3)."""
    return float(sum(v.shape.volume for v in detector.fiducial))
