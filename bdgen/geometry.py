"""Detector shapes and exact chord lengths of straight lines through them.

A shape is a sphere, a finite cylinder or a box, placed with a centre ``c`` (m) and a rotation
``R`` (3x3, local -> beam frame).  A point x of the beam frame has local coordinates
R^T (x - c).  Local axes: a cylinder's axis is its local z; a box's half-lengths are along its
local x, y, z.

The rotation is given in the TOML files as ``rotation_deg = [a_x, a_y, a_z]``: rotations
by a_x about the beam x axis, then a_y about y, then a_z about z (extrinsic), so that
R = R_z(a_z) R_y(a_y) R_x(a_x).

For the kernels a shape is packed into a float64 array of length 16:
``[kind, cx, cy, cz, R (row-major, 9), d0, d1, d2]`` with ``kind`` 0 = sphere (d0 = radius),
1 = cylinder (d0 = radius, d1 = half-length), 2 = box (d0, d1, d2 = half-lengths).

Intersections follow the standard ray/quadric and slab methods (e.g. Ericson, "Real-Time
Collision Detection", sections 5.3.2 (sphere), 5.3.3 (slabs) and 5.3.7 (cylinder)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._jit import jit

SPHERE = 0
CYLINDER = 1
BOX = 2
KINDS = {"sphere": SPHERE, "cylinder": CYLINDER, "box": BOX}


def rotation_matrix(angles_deg: tuple[float, float, float]) -> np.ndarray:
    """R = R_z(a_z) R_y(a_y) R_x(a_x) for angles in degrees; shape (3, 3)."""
    ax, ay, az = np.radians(angles_deg)
    rx = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    ry = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    rz = np.array([[math.cos(az), -math.sin(az), 0], [math.sin(az), math.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


@dataclass(frozen=True)
class Shape:
    """A placed solid.

    Attributes
    ----------
    kind : str
        "sphere", "cylinder" or "box".
    centre : tuple of 3 floats
        Centre in the beam frame (m).
    dims : tuple of floats
        sphere: (radius,); cylinder: (radius, length); box: (width x, height y, length z), all m.
    rotation_deg : tuple of 3 floats
        Extrinsic rotation angles about x, y, z (degrees); see the module docstring.
    """

    kind: str
    centre: tuple[float, float, float]
    dims: tuple[float, ...]
    rotation_deg: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def volume(self) -> float:
        """Volume in m^3."""
        if self.kind == "sphere":
            return 4.0 / 3.0 * math.pi * self.dims[0] ** 3
        if self.kind == "cylinder":
            return math.pi * self.dims[0] ** 2 * self.dims[1]
        return float(np.prod(self.dims))

    @property
    def surface(self) -> float:
        """Surface area in m^2."""
        if self.kind == "sphere":
            return 4.0 * math.pi * self.dims[0] ** 2
        if self.kind == "cylinder":
            r, h = self.dims
            return 2.0 * math.pi * r * (r + h)
        a, b, c = self.dims
        return 2.0 * (a * b + b * c + a * c)

    @property
    def max_chord(self) -> float:
        """The longest chord (m): diameter, cylinder diagonal or box space diagonal."""
        if self.kind == "sphere":
            return 2.0 * self.dims[0]
        if self.kind == "cylinder":
            return math.hypot(2.0 * self.dims[0], self.dims[1])
        return float(np.linalg.norm(self.dims))

    def packed(self) -> np.ndarray:
        """The kernel representation (see module docstring); shape (16,)."""
        out = np.zeros(16)
        out[0] = KINDS[self.kind]
        out[1:4] = self.centre
        out[4:13] = rotation_matrix(self.rotation_deg).ravel()
        if self.kind == "sphere":
            out[13] = self.dims[0]
        elif self.kind == "cylinder":
            out[13] = self.dims[0]
            out[14] = 0.5 * self.dims[1]
        else:
            out[13:16] = 0.5 * np.asarray(self.dims)
        return out

    def intersect(self, origin: np.ndarray, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Entry and exit distances of rays, vectorised over rays.

        Parameters
        ----------
        origin : ndarray, shape (n, 3) or (3,)
            Ray start points (m).
        direction : ndarray, shape (n, 3)
            Unit directions.

        Returns
        -------
        t_in, t_out : ndarray, shape (n,)
            Distances (m) along each ray, clipped to t >= 0; t_in = t_out = 0 for a miss.
            The chord length is t_out - t_in.
        """
        direction = np.atleast_2d(np.asarray(direction, dtype=float))
        origin = np.broadcast_to(np.asarray(origin, dtype=float), direction.shape)
        return _intersect_many(self.packed(), np.ascontiguousarray(origin), np.ascontiguousarray(direction))


@jit
def _slab(o, u, h):  # type: ignore[no-untyped-def]
    """Parameter interval of the line o + t u inside |x| <= h."""
    if u == 0.0:
        if abs(o) <= h:
            return -math.inf, math.inf
        return math.inf, -math.inf
    a = (-h - o) / u
    b = (h - o) / u
    if a > b:
        return b, a
    return a, b


@jit
def intersect(shape, ox, oy, oz, ux, uy, uz):  # type: ignore[no-untyped-def]
    """Entry and exit distances (m) of the ray o + t u (t >= 0, |u| = 1) through ``shape``.

    ``shape`` is the packed array of :meth:`Shape.packed`.  Returns (t_in, t_out) with
    0 <= t_in <= t_out; (0, 0) for a miss.  The chord length is t_out - t_in.
    """
    dx = ox - shape[1]
    dy = oy - shape[2]
    dz = oz - shape[3]
    # local = R^T (x - c): R is row-major in shape[4:13], R^T row i = column i of R.
    lx = shape[4] * dx + shape[7] * dy + shape[10] * dz
    ly = shape[5] * dx + shape[8] * dy + shape[11] * dz
    lz = shape[6] * dx + shape[9] * dy + shape[12] * dz
    vx = shape[4] * ux + shape[7] * uy + shape[10] * uz
    vy = shape[5] * ux + shape[8] * uy + shape[11] * uz
    vz = shape[6] * ux + shape[9] * uy + shape[12] * uz
    kind = int(shape[0])
    if kind == SPHERE:
        r = shape[13]
        b = lx * vx + ly * vy + lz * vz
        c = lx * lx + ly * ly + lz * lz - r * r
        disc = b * b - c
        if disc <= 0.0:
            return 0.0, 0.0
        sq = math.sqrt(disc)
        t0 = -b - sq
        t1 = -b + sq
    elif kind == CYLINDER:
        r = shape[13]
        a = vx * vx + vy * vy
        b = lx * vx + ly * vy
        c = lx * lx + ly * ly - r * r
        if a == 0.0:
            if c > 0.0:
                return 0.0, 0.0
            t0 = -math.inf
            t1 = math.inf
        else:
            disc = b * b - a * c
            if disc <= 0.0:
                return 0.0, 0.0
            sq = math.sqrt(disc)
            t0 = (-b - sq) / a
            t1 = (-b + sq) / a
        z0, z1 = _slab(lz, vz, shape[14])
        t0 = max(t0, z0)
        t1 = min(t1, z1)
    else:
        x0, x1 = _slab(lx, vx, shape[13])
        y0, y1 = _slab(ly, vy, shape[14])
        z0, z1 = _slab(lz, vz, shape[15])
        t0 = max(x0, y0, z0)
        t1 = min(x1, y1, z1)
    t0 = max(t0, 0.0)
    if t1 <= t0:
        return 0.0, 0.0
    return t0, t1


@jit
def _intersect_many(shape, origin, direction):  # type: ignore[no-untyped-def]
    n = direction.shape[0]
    t_in = np.zeros(n)
    t_out = np.zeros(n)
    for i in range(n):
        a, b = intersect(
            shape, origin[i, 0], origin[i, 1], origin[i, 2], direction[i, 0], direction[i, 1], direction[i, 2]
        )
        t_in[i] = a
        t_out[i] = b
    return t_in, t_out
