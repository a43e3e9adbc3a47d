"""Tests of bdgen.kinematics against closed forms (PHYSICS.md section 3.4) and invariants.

References
----------
- Kallen function lambda(a, b, c) = a^2 + b^2 + c^2 - 2ab - 2bc - 2ca and
  p* = lambda^(1/2)(M^2, m_a^2, m_b^2) / (2M): PDG RPP, Kinematics review.
- PHYSICS.md 3.4: pi0 -> gamma V has p* = (m_pi^2 - m_V^2)/(2 m_pi); V -> chi chi has
  p* = sqrt(m_V^2/4 - m_chi^2) and E = m_V/2.
- Boosts are checked against the 1-d boost along z, E' = gamma (E + beta p_z),
  p_z' = gamma (p_z + beta E), conjugated with an independent rotation
  (scipy.spatial.transform.Rotation), and against relativistic velocity addition.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.transform import Rotation

from bdgen.kinematics import boost, decay_two_body, rotate_to_axis, two_body_momentum, unit_from_angles

SETTINGS = settings(max_examples=80, deadline=None)

M_PI0 = 0.1349768  # GeV, PDG
M_ETA = 0.547862


def kallen(a: float, b: float, c: float) -> float:
    return a * a + b * b + c * c - 2 * a * b - 2 * b * c - 2 * c * a


def minkowski2(e, px, py, pz):
    return e * e - px * px - py * py - pz * pz


masses = st.floats(min_value=1e-3, max_value=10.0)
fractions = st.floats(min_value=0.0, max_value=0.49)
unit_floats = st.floats(min_value=-1.0, max_value=1.0)
angles = st.floats(min_value=0.0, max_value=2 * math.pi, exclude_max=True)
# momentum components: 0 or 1e-6 <= |p| <= 20 GeV (avoids meaningless underflow of p^2)
momenta = st.floats(min_value=-20.0, max_value=20.0).filter(lambda x: x == 0.0 or abs(x) >= 1e-6)


@st.composite
def unit_vectors(draw):
    cos_t = draw(unit_floats)
    phi = draw(angles)
    s = math.sqrt(1.0 - cos_t * cos_t)
    return np.array([s * math.cos(phi), s * math.sin(phi), cos_t])


@st.composite
def near_minus_z(draw):
    """Unit vectors within 1e-3 rad of -z (and exactly -z), where naive bases break down."""
    eps = draw(st.floats(min_value=0.0, max_value=1e-3))
    phi = draw(angles)
    return np.array([math.sin(eps) * math.cos(phi), math.sin(eps) * math.sin(phi), -math.cos(eps)])


@st.composite
def velocities(draw, beta_max=0.99):
    u = draw(unit_vectors())
    beta = draw(st.floats(min_value=0.0, max_value=beta_max))
    return u * beta


# ----------------------------------------------------------------------------- two-body momentum


@SETTINGS
@given(m_parent=masses, fa=fractions, fb=fractions)
def test_two_body_momentum_kallen(m_parent, fa, fb):
    m_a, m_b = fa * m_parent, fb * m_parent
    expected = math.sqrt(kallen(m_parent**2, m_a**2, m_b**2)) / (2 * m_parent)
    assert two_body_momentum(m_parent, m_a, m_b) == pytest.approx(expected, rel=1e-10, abs=0.0)
    # symmetric in the daughters
    assert two_body_momentum(m_parent, m_b, m_a) == pytest.approx(expected, rel=1e-12, abs=0.0)


@SETTINGS
@given(m_parent=masses, fa=st.floats(min_value=0.01, max_value=1.0), x=st.floats(min_value=0.0, max_value=1.0))
def test_two_body_momentum_below_threshold_is_zero(m_parent, fa, x):
    # m_a + m_b = M (1 + delta) > M and |m_a - m_b| < M (the region just below threshold),
    # with a margin of 1e-8 M so that rounding cannot put the masses on the boundary
    delta = 1e-8 + x * (2.0 * fa - 2e-8)
    m_a = fa * m_parent
    m_b = (1.0 - fa + delta) * m_parent
    assert two_body_momentum(m_parent, m_a, m_b) == 0.0


@pytest.mark.parametrize(("m_parent", "m_a", "m_b"), [(1.0, 0.0, 2.0), (0.1349768, 0.005, 0.3)])
def test_two_body_momentum_far_below_threshold_is_zero(m_parent, m_a, m_b):
    assert two_body_momentum(m_parent, m_a, m_b) == 0.0


@pytest.mark.parametrize("m_v", [0.0, 0.01, 0.05, 0.1, 0.13])
def test_two_body_momentum_pi0_to_gamma_v(m_v):
    # PHYSICS.md 3.4: p* = (m_pi^2 - m_V^2)/(2 m_pi)
    expected = (M_PI0**2 - m_v**2) / (2 * M_PI0)
    assert two_body_momentum(M_PI0, 0.0, m_v) == pytest.approx(expected, rel=1e-12, abs=0.0)


@pytest.mark.parametrize(("m_v", "m_chi"), [(0.1, 0.005), (0.03, 0.01), (0.3, 0.1), (0.5, 0.2499)])
def test_two_body_momentum_v_to_chi_chi(m_v, m_chi):
    # PHYSICS.md 3.4: p* = sqrt(m_V^2/4 - m_chi^2)
    assert two_body_momentum(m_v, m_chi, m_chi) == pytest.approx(math.sqrt(m_v**2 / 4 - m_chi**2), rel=1e-10, abs=0.0)


def test_two_body_momentum_known_value():
    # pi+ -> mu+ nu: p* = 29.79 MeV (PDG pi+- listing); masses 139.57039, 105.6583755 MeV
    assert two_body_momentum(0.13957039, 0.1056583755, 0.0) == pytest.approx(0.029792, abs=2e-6)


# ----------------------------------------------------------------------------- unit_from_angles


@SETTINGS
@given(cos_t=unit_floats, phi=angles)
def test_unit_from_angles(cos_t, phi):
    x, y, z = unit_from_angles(cos_t, phi)
    assert math.hypot(x, y, z) == pytest.approx(1.0, abs=1e-14)
    assert z == cos_t
    if 1 - abs(cos_t) > 1e-6:
        assert math.atan2(y, x) % (2 * math.pi) == pytest.approx(phi, abs=1e-9)


# ----------------------------------------------------------------------------- boost


def boost_reference(p4, beta_vec):
    """Boost along z, conjugated by an independent rotation taking z to the boost direction."""
    p4 = np.asarray(p4, float)
    beta = float(np.linalg.norm(beta_vec))
    if beta == 0.0:
        return p4.copy()
    n = np.asarray(beta_vec) / beta
    rot, _ = Rotation.align_vectors([n], [[0.0, 0.0, 1.0]])  # rot maps z -> n
    p_loc = rot.inv().apply(p4[1:])
    g = 1.0 / math.sqrt(1.0 - beta * beta)
    e2 = g * (p4[0] + beta * p_loc[2])
    pz2 = g * (p_loc[2] + beta * p4[0])
    p_out = rot.apply([p_loc[0], p_loc[1], pz2])
    return np.array([e2, *p_out])


@st.composite
def four_momenta(draw):
    m = draw(st.floats(min_value=0.0, max_value=5.0))
    p = np.array([draw(momenta), draw(momenta), draw(momenta)])
    return np.array([math.sqrt(m * m + p @ p), *p]), m


@SETTINGS
@given(pm=four_momenta(), b=velocities())
def test_boost_matches_reference(pm, b):
    p4, _ = pm
    got = np.array(boost(*p4, *b))
    ref = boost_reference(p4, b)
    scale = p4[0] / math.sqrt(1 - b @ b)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-11 * scale)


@SETTINGS
@given(pm=four_momenta(), b=velocities())
def test_boost_preserves_invariant_mass(pm, b):
    p4, m = pm
    out = boost(*p4, *b)
    assert minkowski2(*out) == pytest.approx(m * m, abs=1e-11 * out[0] ** 2)


@SETTINGS
@given(pm=four_momenta(), b=velocities())
def test_boost_round_trip(pm, b):
    p4, _ = pm
    there = boost(*p4, *b)
    back = np.array(boost(*there, *(-b)))
    gamma2 = 1.0 / (1.0 - b @ b)
    np.testing.assert_allclose(back, p4, rtol=0, atol=1e-12 * gamma2 * p4[0])


@SETTINGS
@given(m=st.floats(min_value=1e-3, max_value=5.0), b=velocities())
def test_boost_of_particle_at_rest(m, b):
    e, px, py, pz = boost(m, 0.0, 0.0, 0.0, *b)
    gamma = 1.0 / math.sqrt(1.0 - b @ b)
    assert e == pytest.approx(gamma * m, rel=1e-12, abs=0.0)
    np.testing.assert_allclose([px, py, pz], gamma * m * b, rtol=1e-12, atol=1e-15 * gamma * m)


@SETTINGS
@given(b1=st.floats(min_value=-0.95, max_value=0.95), b2=st.floats(min_value=-0.95, max_value=0.95), u=unit_vectors())
def test_boost_collinear_velocity_addition(b1, b2, u):
    m = 1.0
    g1 = 1.0 / math.sqrt(1 - b1 * b1)
    # particle moving with velocity b1 u, boosted by b2 u: velocity (b1 + b2)/(1 + b1 b2) along u
    e, px, py, pz = boost(g1 * m, *(g1 * m * b1 * u), *(b2 * u))
    v = np.array([px, py, pz]) / e
    np.testing.assert_allclose(v, (b1 + b2) / (1 + b1 * b2) * u, atol=1e-12)


def test_boost_zero_velocity_is_identity():
    assert boost(2.0, 0.3, -0.4, 1.1, 0.0, 0.0, 0.0) == (2.0, 0.3, -0.4, 1.1)


# ----------------------------------------------------------------------------- rotate_to_axis


def rotation_columns(axis):
    return np.array([rotate_to_axis(*e, *axis) for e in np.eye(3)]).T


axes = st.one_of(unit_vectors(), near_minus_z())


@SETTINGS
@given(axis=axes)
@example(axis=np.array([0.0, 0.0, -1.0]))
@example(axis=np.array([0.0, 0.0, 1.0]))
@example(axis=np.array([1.0, 0.0, 0.0]))
@example(axis=np.array([0.0, -1.0, 0.0]))
@example(axis=np.array([1e-9, 0.0, -math.sqrt(1 - 1e-18)]))
def test_rotate_to_axis_is_a_rotation(axis):
    m = rotation_columns(axis)
    assert np.all(np.isfinite(m))
    # z -> axis
    np.testing.assert_allclose(m[:, 2], axis, atol=1e-14)
    # orthonormal and proper (det = +1)
    np.testing.assert_allclose(m.T @ m, np.eye(3), atol=1e-12)
    assert np.linalg.det(m) == pytest.approx(1.0, abs=1e-12)


@SETTINGS
@given(axis=axes, v=st.tuples(momenta, momenta, momenta), w=st.tuples(momenta, momenta, momenta))
def test_rotate_to_axis_preserves_lengths_and_angles(axis, v, w):
    rv = np.array(rotate_to_axis(*v, *axis))
    rw = np.array(rotate_to_axis(*w, *axis))
    v, w = np.array(v), np.array(w)
    scale = 1.0 + np.linalg.norm(v) * np.linalg.norm(w)
    assert rv @ rw == pytest.approx(v @ w, abs=1e-12 * scale)
    assert np.linalg.norm(rv) == pytest.approx(np.linalg.norm(v), abs=1e-12 * (1 + np.linalg.norm(v)))
    # the polar angle about the axis is kept: (R v) . a = v_z
    assert rv @ axis == pytest.approx(v[2], abs=1e-12 * (1 + np.linalg.norm(v)))


# ----------------------------------------------------------------------------- decay_two_body


@st.composite
def decays(draw):
    m_parent = draw(st.floats(min_value=0.05, max_value=3.0))
    fa = draw(st.one_of(st.just(0.0), fractions))
    fb = draw(fractions)
    p = np.array([draw(momenta), draw(momenta), draw(momenta)])
    cos_t = draw(unit_floats)
    phi = draw(angles)
    return m_parent, fa * m_parent, fb * m_parent, p, cos_t, phi


def rest_frame(p4, parent_p4):
    """p4 in the parent's rest frame (independent reference boost by -beta)."""
    return boost_reference(p4, -np.asarray(parent_p4[1:]) / parent_p4[0])


@SETTINGS
@given(d=decays())
@example(d=(M_PI0, 0.0, 0.1, np.array([0.0, 0.0, 1.0]), 0.3, 1.0))
@example(d=(0.1, 0.005, 0.005, np.array([0.0, 0.0, -2.0]), -0.7, 4.0))
def test_decay_two_body_conserves_four_momentum(d):
    m_parent, m_a, m_b, p, cos_t, phi = d
    e = math.sqrt(m_parent**2 + p @ p)
    a = np.array(decay_two_body(e, *p, m_parent, m_a, m_b, cos_t, phi))
    b = np.array([e, *p]) - a
    scale = e * e
    assert minkowski2(*a) == pytest.approx(m_a**2, abs=1e-11 * scale)
    assert minkowski2(*b) == pytest.approx(m_b**2, abs=1e-11 * scale)
    assert a[0] > 0 and b[0] > 0


@SETTINGS
@given(d=decays())
def test_decay_two_body_rest_frame_angles(d):
    m_parent, m_a, m_b, p, cos_t, phi = d
    e = math.sqrt(m_parent**2 + p @ p)
    a = np.array(decay_two_body(e, *p, m_parent, m_a, m_b, cos_t, phi))
    a_star = rest_frame(a, np.array([e, *p]))
    p_star = math.sqrt(kallen(m_parent**2, m_a**2, m_b**2)) / (2 * m_parent)
    e_star = (m_parent**2 + m_a**2 - m_b**2) / (2 * m_parent)
    gamma = e / m_parent
    tol = 1e-11 * gamma * e
    assert a_star[0] == pytest.approx(e_star, abs=tol)
    assert np.linalg.norm(a_star[1:]) == pytest.approx(p_star, abs=tol)
    # polar angle about the helicity axis (the parent's flight direction)
    pn = np.linalg.norm(p)
    axis = p / pn if pn > 0 else np.array([0.0, 0.0, 1.0])
    assert a_star[1:] @ axis / p_star == pytest.approx(cos_t, abs=tol / p_star + 1e-12)
    # lab energy: E_a = gamma (E* + beta p* cos theta)
    beta = pn / e
    assert a[0] == pytest.approx(gamma * (e_star + beta * p_star * cos_t), abs=tol)


@SETTINGS
@given(m_parent=st.floats(min_value=0.05, max_value=3.0), fa=fractions, fb=fractions, cos_t=unit_floats, phi=angles)
def test_decay_two_body_parent_at_rest(m_parent, fa, fb, cos_t, phi):
    m_a, m_b = fa * m_parent, fb * m_parent
    a = decay_two_body(m_parent, 0.0, 0.0, 0.0, m_parent, m_a, m_b, cos_t, phi)
    p_star = two_body_momentum(m_parent, m_a, m_b)
    s = math.sqrt(1 - cos_t**2)
    expected = [
        (m_parent**2 + m_a**2 - m_b**2) / (2 * m_parent),
        p_star * s * math.cos(phi),
        p_star * s * math.sin(phi),
        p_star * cos_t,
    ]
    np.testing.assert_allclose(a, expected, rtol=0, atol=1e-14 * m_parent)


def test_decay_two_body_isotropic_in_rest_frame():
    # uniform cos(theta) and phi about any helicity axis give an isotropic rest-frame
    # direction: each Cartesian component of the unit vector is uniform on [-1, 1]
    # (Archimedes), checked with a KS test at a fixed seed.
    gen = np.random.default_rng(31)
    n = 20_000
    m_parent, m_a, m_b = 0.5, 0.0, 0.2
    p = np.array([0.7, -1.3, 2.2])
    e = math.sqrt(m_parent**2 + p @ p)
    beta = p / e
    cos_t = gen.uniform(-1, 1, n)
    phi = gen.uniform(0, 2 * math.pi, n)
    dirs = np.empty((n, 3))
    for i in range(n):
        a = decay_two_body(e, *p, m_parent, m_a, m_b, cos_t[i], phi[i])
        a_star = boost(*a, *(-beta))
        dirs[i] = np.array(a_star[1:]) / math.sqrt(a_star[1] ** 2 + a_star[2] ** 2 + a_star[3] ** 2)
    for k in range(3):
        res = stats.kstest(dirs[:, k], stats.uniform(loc=-1, scale=2).cdf)
        assert res.pvalue > 1e-3, (k, res)


@SETTINGS
@given(pm=four_momenta(), b=velocities())
def test_boost_many_matches_the_scalar_boost(pm, b):
    """The array boost equals the jitted scalar one row by row (and so the independent reference)."""
    from bdgen.kinematics import boost_many

    p4, _ = pm
    got = boost_many(np.array([p4, 2.0 * p4]), np.array([b, b]))
    scale = p4[0] / math.sqrt(1 - b @ b)
    np.testing.assert_allclose(got[0], boost(*p4, *b), rtol=0, atol=1e-11 * scale)
    np.testing.assert_allclose(got[1], 2.0 * np.array(boost(*p4, *b)), rtol=0, atol=2e-11 * scale)


@SETTINGS
@given(c=st.floats(min_value=-1.0, max_value=1.0), phi=st.floats(min_value=0.0, max_value=2 * math.pi))
@example(c=-1.0, phi=0.0)
@example(c=1.0, phi=0.0)
def test_orthonormal_basis_is_right_handed(c, phi):
    """(e1, e2, a) is orthonormal and right-handed for every unit a, including a = -z (to 1e-12)."""
    from bdgen.kinematics import orthonormal_basis

    a = np.array([unit_from_angles(c, phi)])
    e1, e2 = orthonormal_basis(a)
    m = np.stack([e1[0], e2[0], a[0]])
    np.testing.assert_allclose(m @ m.T, np.eye(3), rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.cross(e1[0], e2[0]), a[0], rtol=0, atol=1e-12)
