"""Jitted relativistic kinematics helpers.

Units: GeV for energies and momenta.  Four-vectors are ``(E, px, py, pz)``.
The jitted functions are scalar (one particle at a time) so that they can be called from the
event kernels without temporaries; they are also callable from Python for tests.  The two numpy
functions at the end (:func:`boost_many`, :func:`orthonormal_basis`) work on arrays of particles
for the vectorised samplers (Delta, DIS, inelastic DM, neutrinos).
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit


@jit
def two_body_momentum(m_parent, m_a, m_b):  # type: ignore[no-untyped-def]
    """Momentum of either daughter in the rest frame of the parent (GeV).

    p* = lambda^(1/2)(M^2, m_a^2, m_b^2) / (2M), the Kallen function; PDG RPP 2024,
    Kinematics review, eq. (49.17).  Returns 0 below threshold.
    """
    if m_parent <= m_a + m_b:
        return 0.0
    s = m_parent * m_parent
    lam = (s - (m_a + m_b) ** 2) * (s - (m_a - m_b) ** 2)
    if lam <= 0.0:
        return 0.0
    return math.sqrt(lam) / (2.0 * m_parent)


@jit
def unit_from_angles(cos_theta, phi):  # type: ignore[no-untyped-def]
    """Unit vector (x, y, z) with polar angle acos(cos_theta) to z and azimuth phi (rad)."""
    s = math.sqrt(max(0.0, 1.0 - cos_theta * cos_theta))
    return s * math.cos(phi), s * math.sin(phi), cos_theta


@jit
def rotate_to_axis(vx, vy, vz, ax, ay, az):  # type: ignore[no-untyped-def]
    """Rotate vector v, given in a frame whose z axis is the unit vector a, into the lab frame.

    The frame's x axis is chosen perpendicular to a in a fixed, smooth way (the azimuth of
    v is uniform in every use, so the choice does not matter physically).
    """
    # Build an orthonormal basis (e1, e2, a) following Frisvad / Duff et al.,
    # "Building an orthonormal basis, revisited", JCGT 6 (2017) 1, listing 3.
    sign = 1.0 if az >= 0.0 else -1.0
    a = -1.0 / (sign + az)
    b = ax * ay * a
    e1x = 1.0 + sign * ax * ax * a
    e1y = sign * b
    e1z = -sign * ax
    e2x = b
    e2y = sign + ay * ay * a
    e2z = -ay
    return (
        vx * e1x + vy * e2x + vz * ax,
        vx * e1y + vy * e2y + vz * ay,
        vx * e1z + vy * e2z + vz * az,
    )


@jit
def boost(e, px, py, pz, bx, by, bz):  # type: ignore[no-untyped-def]
    """Lorentz-boost four-momentum (e, p) by velocity (bx, by, bz) (units of c).

    The particle is given in a frame moving with velocity b relative to the lab; the result
    is its lab four-momentum.  Jackson, Classical Electrodynamics, 3rd ed., eq. (11.19).
    """
    b2 = bx * bx + by * by + bz * bz
    if b2 <= 0.0:
        return e, px, py, pz
    gamma = 1.0 / math.sqrt(1.0 - b2)
    bp = bx * px + by * py + bz * pz
    g2 = (gamma - 1.0) / b2
    f = g2 * bp + gamma * e
    return gamma * (e + bp), px + f * bx, py + f * by, pz + f * bz


@jit
def decay_two_body(e, px, py, pz, m_parent, m_a, m_b, cos_theta, phi):  # type: ignore[no-untyped-def]
    """Two-body decay M -> a b; returns the lab four-momentum of daughter a.

    Daughter a is emitted in the parent's rest frame at polar angle acos(cos_theta) about
    the parent's flight direction (the helicity axis; the +z axis for a parent at rest) and
    azimuth phi, with energy (M^2 + m_a^2 - m_b^2)/(2M) (PHYSICS.md section 3.4).

    Parameters
    ----------
    e, px, py, pz : float
        Parent lab four-momentum (GeV).
    m_parent, m_a, m_b : float
        Masses (GeV).
    cos_theta, phi : float
        Decay angles of a in the parent rest frame relative to the helicity axis.
    """
    pstar = two_body_momentum(m_parent, m_a, m_b)
    ea = (m_parent * m_parent + m_a * m_a - m_b * m_b) / (2.0 * m_parent)
    ux, uy, uz = unit_from_angles(cos_theta, phi)
    p = math.sqrt(px * px + py * py + pz * pz)
    if p > 0.0:
        ux, uy, uz = rotate_to_axis(ux, uy, uz, px / p, py / p, pz / p)
    return boost(ea, pstar * ux, pstar * uy, pstar * uz, px / e, py / e, pz / e)


def boost_many(p4: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Lorentz boost of four-vectors p4 (n, 4) by velocity beta (n, 3) (|beta| < 1): a particle at
    rest in a frame moving with velocity beta gets momentum gamma m beta (the convention of
    :func:`boost`).  Returns (n, 4)."""
    b2 = np.einsum("ij,ij->i", beta, beta)
    safe = np.where(b2 > 0, b2, 1.0)
    gamma = 1.0 / np.sqrt(1.0 - b2)
    bp = np.einsum("ij,ij->i", beta, p4[:, 1:])
    coef = np.where(b2 > 0, (gamma - 1.0) * bp / safe, 0.0) + gamma * p4[:, 0]
    out = np.empty_like(p4)
    out[:, 0] = gamma * (p4[:, 0] + bp)
    out[:, 1:] = p4[:, 1:] + coef[:, None] * beta
    return out


def orthonormal_basis(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors (e1, e2), each (n, 3), completing the unit vectors a (n, 3) to right-handed
    bases (e1, e2, a), without branches or a singular direction (Duff et al., "Building an
    orthonormal basis, revisited", JCGT 6 (2017) 1, listing 3)."""
    sign = np.where(a[:, 2] >= 0, 1.0, -1.0)
    k = -1.0 / (sign + a[:, 2])
    b = a[:, 0] * a[:, 1] * k
    e1 = np.stack([1.0 + sign * a[:, 0] ** 2 * k, sign * b, -sign * a[:, 0]], axis=1)
    e2 = np.stack([b, sign + a[:, 1] ** 2 * k, -a[:, 1]], axis=1)
    return e1, e2


def in_angle_window(px: np.ndarray, py: np.ndarray, pz: np.ndarray, angle_min: float,
                    angle_max: float) -> np.ndarray:
    """True where the momentum (px, py, pz) (GeV, shape (n,)) makes a polar angle to +z (the beam
    axis) within [angle_min, angle_max] (rad); a zero momentum has angle 0.  The recoil-angle
    window ``signal.angle_min/angle_max`` of the signal and of the neutrino backgrounds."""
    theta = np.arctan2(np.hypot(px, py), pz)
    return (theta >= angle_min) & (theta <= angle_max)
