"""Tests of bdgen.geometry: chords of straight lines through spheres, cylinders and boxes.

References
----------
- Sphere chord from an outside point (PHYSICS.md 5.5, BdNMC detector.cpp): b = u.c,
  Delta = b^2 - |c|^2 + R^2, L = 2 sqrt(Delta) if Delta > 0 and b > 0.
- Cauchy's mean-chord formula for a convex body K in a uniform isotropic ("mu-random")
  field of lines: <L> = 4 V / S over the lines that hit, and the mean projected area is S/4,
  so a fraction (S/4) / (pi rho^2) of lines through a disc of radius rho (perpendicular to
  each line's direction, centred on K and covering it) hit K.  Santalo, "Integral Geometry
  and Geometric Probability" (1976), chapter 4; Kellerer, Radiat. Res. 47 (1971) 359.
- Rotations: scipy.spatial.transform.Rotation.from_euler("xyz", angles, degrees=True)
  is the extrinsic x-then-y-then-z rotation R_z R_y R_x of the bdgen.geometry docstring.
- Point-inside tests are written here from the shape definitions (local coordinates
  R^T (x - c)), independently of the ray code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from bdgen.geometry import Shape, rotation_matrix

SETTINGS = settings(max_examples=80, deadline=None)


def scipy_rotation(angles_deg) -> np.ndarray:
    return Rotation.from_euler("xyz", angles_deg, degrees=True).as_matrix()


def local_coords(shape: Shape, x: np.ndarray) -> np.ndarray:
    r = scipy_rotation(shape.rotation_deg)
    return (np.atleast_2d(x) - np.asarray(shape.centre)) @ r  # rows: R^T (x - c)


def signed_depth(shape: Shape, x: np.ndarray) -> np.ndarray:
    """> 0 inside, < 0 outside, about the distance to the surface (m)."""
    loc = local_coords(shape, x)
    if shape.kind == "sphere":
        return shape.dims[0] - np.linalg.norm(loc, axis=1)
    if shape.kind == "cylinder":
        r, h = shape.dims
        return np.minimum(r - np.hypot(loc[:, 0], loc[:, 1]), 0.5 * h - np.abs(loc[:, 2]))
    half = 0.5 * np.asarray(shape.dims)
    return np.min(half - np.abs(loc), axis=1)


def chord(shape: Shape, origin, direction) -> tuple[float, float, float]:
    t_in, t_out = shape.intersect(np.asarray(origin, float), np.asarray(direction, float))
    return float(t_in[0]), float(t_out[0]), float(t_out[0] - t_in[0])


def bounding_radius(shape: Shape) -> float:
    return 0.5 * shape.max_chord


# ----------------------------------------------------------------------------- strategies

lengths = st.floats(min_value=0.2, max_value=5.0)
coords = st.floats(min_value=-10.0, max_value=10.0)
rot_angles = st.floats(min_value=-180.0, max_value=180.0)


@st.composite
def shapes(draw, rotated=True):
    kind = draw(st.sampled_from(["sphere", "cylinder", "box"]))
    centre = (draw(coords), draw(coords), draw(coords))
    if kind == "sphere":
        dims = (draw(lengths),)
    elif kind == "cylinder":
        dims = (draw(lengths), draw(lengths))
    else:
        dims = (draw(lengths), draw(lengths), draw(lengths))
    rot = (draw(rot_angles), draw(rot_angles), draw(rot_angles)) if rotated else (0.0, 0.0, 0.0)
    return Shape(kind, centre, dims, rot)


@st.composite
def unit_vectors(draw):
    cos_t = draw(st.floats(min_value=-1.0, max_value=1.0))
    phi = draw(st.floats(min_value=0.0, max_value=2 * math.pi))
    s = math.sqrt(1 - cos_t * cos_t)
    return np.array([s * math.cos(phi), s * math.sin(phi), cos_t])


@st.composite
def outside_rays(draw, shape_strategy=None):
    """A shape and a ray from outside its bounding sphere aimed near it (most hit, some miss)."""
    shape = draw(shape_strategy if shape_strategy is not None else shapes())
    rb = bounding_radius(shape)
    c = np.asarray(shape.centre)
    u0 = draw(unit_vectors())
    dist = draw(st.floats(min_value=1.05, max_value=20.0)) * rb
    origin = c + dist * u0
    # aim at a point within 1.2 bounding radii of the centre
    target = c + 1.2 * rb * draw(st.floats(min_value=0.0, max_value=1.0)) * draw(unit_vectors())
    d = target - origin
    return shape, origin, d / np.linalg.norm(d)


# ----------------------------------------------------------------------------- formulas


@pytest.mark.parametrize(
    ("shape", "volume", "surface", "max_chord"),
    [
        (Shape("sphere", (0, 0, 0), (5.0,)), 4 / 3 * math.pi * 125, 4 * math.pi * 25, 10.0),
        (Shape("sphere", (1, 2, 3), (0.5,)), 0.5235987755982988, 3.141592653589793, 1.0),
        # cylinder radius 2, length 3: V = 12 pi, S = 2 pi r^2 + 2 pi r h = 8 pi + 12 pi, diag = 5
        (Shape("cylinder", (0, 0, 0), (2.0, 3.0)), 12 * math.pi, 20 * math.pi, 5.0),
        # box 1 x 2 x 2: V = 4, S = 2 (2 + 4 + 2) = 16, diag = 3
        (Shape("box", (0, 0, 0), (1.0, 2.0, 2.0)), 4.0, 16.0, 3.0),
    ],
)
def test_volume_surface_max_chord(shape, volume, surface, max_chord):
    assert shape.volume == pytest.approx(volume, rel=1e-14, abs=0.0)
    assert shape.surface == pytest.approx(surface, rel=1e-14, abs=0.0)
    assert shape.max_chord == pytest.approx(max_chord, rel=1e-14, abs=0.0)


@pytest.mark.parametrize(
    "shape",
    [
        Shape("sphere", (0.3, -0.2, 5.0), (1.3,)),
        Shape("cylinder", (1.0, 0.0, -2.0), (0.7, 2.5), (20.0, -35.0, 60.0)),
        Shape("box", (0.0, 4.0, 1.0), (0.5, 1.5, 3.0), (10.0, 80.0, -30.0)),
    ],
)
def test_volume_matches_monte_carlo(shape):
    # fraction of uniform points of the bounding cube that the independent inside test accepts
    gen = np.random.default_rng(11)
    n = 200_000
    rb = bounding_radius(shape)
    x = np.asarray(shape.centre) + gen.uniform(-rb, rb, size=(n, 3))
    frac = np.mean(signed_depth(shape, x) > 0)
    cube = (2 * rb) ** 3
    sigma = cube * math.sqrt(frac * (1 - frac) / n)
    assert abs(frac * cube - shape.volume) < 4 * sigma


def test_rotation_matrix_matches_scipy():
    gen = np.random.default_rng(3)
    for angles in gen.uniform(-180, 180, size=(20, 3)):
        np.testing.assert_allclose(rotation_matrix(tuple(angles)), scipy_rotation(angles), atol=1e-14)
    # 90 degrees about z takes x to y
    np.testing.assert_allclose(rotation_matrix((0, 0, 90)) @ [1, 0, 0], [0, 1, 0], atol=1e-15)


def test_packed_layout():
    s = Shape("box", (1.0, 2.0, 3.0), (4.0, 6.0, 8.0), (10.0, 20.0, 30.0))
    p = s.packed()
    assert p.shape == (16,)
    assert p[0] == 2
    np.testing.assert_array_equal(p[1:4], [1, 2, 3])
    np.testing.assert_allclose(p[4:13].reshape(3, 3), scipy_rotation((10, 20, 30)), atol=1e-14)
    np.testing.assert_array_equal(p[13:16], [2, 3, 4])
    c = Shape("cylinder", (0, 0, 0), (1.5, 7.0)).packed()
    assert (c[0], c[13], c[14]) == (1, 1.5, 3.5)
    assert Shape("sphere", (0, 0, 0), (2.5,)).packed()[[0, 13]].tolist() == [0, 2.5]


# ----------------------------------------------------------------------------- central chords


def test_sphere_chord_through_centre_is_diameter():
    s = Shape("sphere", (0.0, -1.9, 491.0), (5.0,))
    gen = np.random.default_rng(5)
    for _ in range(20):
        u = gen.normal(size=3)
        u /= np.linalg.norm(u)
        origin = np.asarray(s.centre) - 30.0 * u
        t_in, t_out, length = chord(s, origin, u)
        assert length == pytest.approx(10.0, rel=1e-12)
        assert t_in == pytest.approx(25.0, rel=1e-12)


@pytest.mark.parametrize("rot", [(0.0, 0.0, 0.0), (0.0, 90.0, 0.0), (33.0, -71.0, 140.0)])
def test_cylinder_central_chords(rot):
    s = Shape("cylinder", (2.0, -1.0, 7.0), (1.5, 4.0), rot)
    r = scipy_rotation(rot)
    axis, perp = r[:, 2], r[:, 0]
    c = np.asarray(s.centre)
    assert chord(s, c - 10 * axis, axis)[2] == pytest.approx(4.0, rel=1e-12)
    assert chord(s, c - 10 * perp, perp)[2] == pytest.approx(3.0, rel=1e-12)
    # rim to opposite rim through the centre: the longest chord
    diag = (1.5 * perp + 2.0 * axis) / math.hypot(1.5, 2.0)
    assert chord(s, c - 10 * diag, diag)[2] == pytest.approx(s.max_chord, rel=1e-9)


@pytest.mark.parametrize("rot", [(0.0, 0.0, 0.0), (90.0, 0.0, 0.0), (-20.0, 45.0, 75.0)])
def test_box_central_chords(rot):
    size = (1.0, 2.0, 5.0)
    s = Shape("box", (0.0, 3.0, 50.0), size, rot)
    r = scipy_rotation(rot)
    c = np.asarray(s.centre)
    for k in range(3):
        assert chord(s, c - 20 * r[:, k], r[:, k])[2] == pytest.approx(size[k], rel=1e-12, abs=0.0)
    diag = r @ np.asarray(size) / np.linalg.norm(size)
    assert chord(s, c - 20 * diag, diag)[2] == pytest.approx(s.max_chord, rel=1e-9)


def test_axis_parallel_rays():
    # directions with exactly zero components exercise the parallel-slab and a == 0 branches
    cyl = Shape("cylinder", (0.0, 0.0, 10.0), (1.0, 4.0))
    assert chord(cyl, (0.5, -0.5, 0.0), (0.0, 0.0, 1.0)) == pytest.approx((8.0, 12.0, 4.0))
    assert chord(cyl, (1.5, 0.0, 0.0), (0.0, 0.0, 1.0)) == (0.0, 0.0, 0.0)  # parallel, outside
    assert chord(cyl, (0.0, 0.0, 11.0), (1.0, 0.0, 0.0)) == pytest.approx((0.0, 1.0, 1.0))
    box = Shape("box", (0.0, 0.0, 0.0), (2.0, 4.0, 6.0))
    assert chord(box, (0.9, 1.9, -10.0), (0.0, 0.0, 1.0)) == pytest.approx((7.0, 13.0, 6.0))
    assert chord(box, (1.1, 0.0, -10.0), (0.0, 0.0, 1.0)) == (0.0, 0.0, 0.0)
    assert chord(box, (0.0, -10.0, 2.9), (0.0, 1.0, 0.0)) == pytest.approx((8.0, 12.0, 4.0))


@pytest.mark.parametrize(
    "shape",
    [
        Shape("sphere", (0.0, -1.9, 491.0), (5.0,)),
        Shape("cylinder", (0.0, 0.0, 30.0), (2.5, 8.3), (0.0, 90.0, 0.0)),
        Shape("box", (0.457, 0.0, 110.0), (4.0, 4.0, 5.0), (0.0, 0.0, 15.0)),
    ],
)
def test_misses_give_zero(shape):
    c = np.asarray(shape.centre)
    rb = bounding_radius(shape)
    origin = c + np.array([0.0, 0.0, -3.0 * rb - 1.0])
    # pointing away
    assert chord(shape, origin, (0.0, 0.0, -1.0)) == (0.0, 0.0, 0.0)
    # passing beside: offset more than the bounding radius from the centre
    assert chord(shape, origin + np.array([rb * 1.01, 0.0, 0.0]), (0.0, 0.0, 1.0)) == (0.0, 0.0, 0.0)
    # starting beyond the far side, moving on
    assert chord(shape, c + np.array([0.0, 0.0, 2 * rb]), (0.0, 0.0, 1.0)) == (0.0, 0.0, 0.0)


# ----------------------------------------------------------------------------- properties


@SETTINGS
@given(ray=outside_rays())
def test_chord_bounded_and_on_the_surface(ray):
    shape, origin, u = ray
    t_in, t_out, length = chord(shape, origin, u)
    assert 0.0 <= t_in <= t_out
    assert length <= shape.max_chord * (1 + 1e-12)
    if length == 0.0:
        # a miss: no point of the line is inside (sampled densely along the segment near K)
        d = np.linalg.norm(np.asarray(shape.centre) - origin)
        ts = np.linspace(max(0.0, d - 2 * bounding_radius(shape)), d + 2 * bounding_radius(shape), 2001)
        assert np.all(signed_depth(shape, origin + ts[:, None] * u) < 1e-6 * shape.max_chord)
        assert t_in == t_out == 0.0
        return
    tol = 1e-9 * (1 + t_out)
    # entry and exit lie on the surface; the midpoint is inside; just outside the
    # interval is outside
    ends = origin + np.array([t_in, t_out])[:, None] * u
    np.testing.assert_allclose(signed_depth(shape, ends), 0.0, atol=tol)
    assert signed_depth(shape, origin + 0.5 * (t_in + t_out) * u)[0] > -tol
    eps = 1e-6 * shape.max_chord
    assert signed_depth(shape, origin + (t_in - eps) * u)[0] < 0
    assert signed_depth(shape, origin + (t_out + eps) * u)[0] < 0


@SETTINGS
@given(ray=outside_rays(), extra=st.floats(min_value=0.0, max_value=50.0))
def test_chord_symmetric_under_reversal(ray, extra):
    shape, origin, u = ray
    t_in, t_out, length = chord(shape, origin, u)
    if length == 0.0:
        return  # a miss may be a body behind the start; "beyond the far side" is undefined
    # start the reversed ray beyond the far side of the same line
    start = origin + (t_out + extra + 1e-3) * u
    r_in, r_out, r_len = chord(shape, start, -u)
    assert r_len == pytest.approx(length, abs=1e-9 * (1 + t_out + extra))
    # the same segment: reversed entry is the original exit
    assert r_in == pytest.approx(extra + 1e-3, abs=1e-9 * (1 + t_out + extra))
    np.testing.assert_allclose(start - r_out * u, origin + t_in * u, atol=1e-8 * (1 + t_out + extra))


@SETTINGS
@given(ray=outside_rays(), f=st.floats(min_value=0.01, max_value=0.99))
def test_chord_from_inside(ray, f):
    # from a point inside, the forward and backward chords add up to the full chord
    shape, origin, u = ray
    t_in, t_out, length = chord(shape, origin, u)
    if length < 1e-6:
        return
    inside = origin + (t_in + f * length) * u
    a_in, a_out, _ = chord(shape, inside, u)
    b_in, b_out, _ = chord(shape, inside, -u)
    assert a_in == 0.0 and b_in == 0.0
    assert a_out + b_out == pytest.approx(length, abs=1e-9 * (1 + t_out))
    assert a_out == pytest.approx((1 - f) * length, abs=1e-9 * (1 + t_out))


@SETTINGS
@given(ray=outside_rays(shapes(rotated=True)))
def test_rotated_shape_equals_transformed_ray(ray):
    shape, origin, u = ray
    r = scipy_rotation(shape.rotation_deg)
    plain = Shape(shape.kind, (0.0, 0.0, 0.0), shape.dims)
    got = chord(shape, origin, u)
    ref = chord(plain, r.T @ (origin - np.asarray(shape.centre)), r.T @ u)
    np.testing.assert_allclose(got, ref, atol=1e-9 * (1 + got[1] + ref[1]))


@SETTINGS
@given(
    centre=st.tuples(coords, coords, st.floats(min_value=-600.0, max_value=600.0)),
    radius=lengths,
    aim=unit_vectors(),
    spread=st.floats(min_value=0.0, max_value=1.5),
    backwards=st.booleans(),
)
def test_sphere_chord_closed_form(centre, radius, aim, spread, backwards):
    # PHYSICS.md 5.5 (BdNMC detector.cpp), ray from the origin aimed near the sphere
    c = np.asarray(centre)
    if np.linalg.norm(c) <= radius * 1.001:
        return  # the closed form is for an origin outside the sphere
    u = c + spread * radius * aim
    u = (-1.0 if backwards else 1.0) * u / np.linalg.norm(u)
    s = Shape("sphere", centre, (radius,))
    b = u @ c
    delta = b * b - c @ c + radius * radius
    expected = 2 * math.sqrt(delta) if (delta > 0 and b > 0) else 0.0
    _, t_out, length = chord(s, np.zeros(3), u)
    # compare (L/2)^2 with Delta: both carry a rounding error ~ eps |c|^2, which does not blow
    # up for near-tangent lines as a comparison of L itself would
    assert (length / 2) ** 2 == pytest.approx((expected / 2) ** 2, abs=1e-12 * (1 + c @ c))
    if delta > 1e-6 * (1 + c @ c) and b > 0:
        assert length == pytest.approx(expected, rel=1e-6)


def test_vectorised_intersect_matches_single_rays():
    s = Shape("cylinder", (0.0, 1.0, 20.0), (2.0, 5.0), (10.0, 20.0, 30.0))
    gen = np.random.default_rng(8)
    u = gen.normal(size=(50, 3)) * [0.05, 0.05, 1.0]
    u[:, 2] = np.abs(u[:, 2])
    u /= np.linalg.norm(u, axis=1)[:, None]
    t_in, t_out = s.intersect(np.zeros(3), u)
    assert t_in.shape == t_out.shape == (50,)
    assert np.count_nonzero(t_out > t_in) > 5
    for i in range(50):
        a, b = s.intersect(np.zeros(3), u[i])
        assert (a[0], b[0]) == (t_in[i], t_out[i])


# ----------------------------------------------------------------------------- Cauchy


def isotropic_lines(shape: Shape, n: int, gen: np.random.Generator, rho: float):
    """Uniform isotropic lines through the disc of radius rho about the shape's centre."""
    u = gen.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=1)[:, None]
    # an orthonormal pair perpendicular to each u
    helper = np.where(np.abs(u[:, [0]]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    e1 = np.cross(u, helper)
    e1 /= np.linalg.norm(e1, axis=1)[:, None]
    e2 = np.cross(u, e1)
    r = rho * np.sqrt(gen.uniform(size=n))
    psi = gen.uniform(0, 2 * math.pi, size=n)
    point = np.asarray(shape.centre) + (r * np.cos(psi))[:, None] * e1 + (r * np.sin(psi))[:, None] * e2
    origin = point - (rho + 1.0) * u  # outside the bounding sphere
    return origin, u


@pytest.mark.parametrize(
    "shape",
    [
        Shape("sphere", (0.0, -1.9, 491.0), (5.0,)),
        Shape("cylinder", (1.0, 2.0, 3.0), (1.0, 6.0), (25.0, 40.0, -10.0)),
        Shape("cylinder", (0.0, 0.0, 0.0), (3.0, 0.5)),
        Shape("box", (-3.0, 0.5, 60.0), (1.0, 2.0, 5.0), (0.0, 30.0, 70.0)),
        Shape("box", (0.0, 0.0, 0.0), (2.0, 2.0, 2.0)),
    ],
)
def test_cauchy_mean_chord(shape):
    gen = np.random.default_rng(20261125)
    n = 200_000
    rho = bounding_radius(shape) * 1.001
    origin, u = isotropic_lines(shape, n, gen, rho)
    t_in, t_out = shape.intersect(origin, u)
    lengths_ = t_out - t_in
    hit = lengths_ > 0
    n_hit = int(hit.sum())
    # mean projected area S/4: hit fraction (S/4)/(pi rho^2), binomial error
    p_expected = shape.surface / 4 / (math.pi * rho**2)
    assert abs(n_hit / n - p_expected) < 4 * math.sqrt(p_expected * (1 - p_expected) / n)
    # mean chord over hitting lines: 4 V / S, with the sample's own standard error
    mean = lengths_[hit].mean()
    err = lengths_[hit].std(ddof=1) / math.sqrt(n_hit)
    assert abs(mean - 4 * shape.volume / shape.surface) < 4 * err
    assert err / mean < 3e-3  # the test resolves 4V/S to about 1%
