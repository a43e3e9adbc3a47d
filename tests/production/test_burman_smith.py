"""The Burman-Smith pi+ parametrisation used as the pi0 shape at ~0.8 GeV (bdgen.production.burman_smith).

Independent references:
- PHYSICS.md section 2.4 (LA-11502-MS as implemented in BdNMC BurmanSmith.cpp), transcribed here
  with the angular amplitude built from scipy.interpolate.BSpline on the knots
  {0, 0, 0, 30, 70, 180, 180, 180} instead of bdgen's Cox-de Boor recursion;
- for hydrogen (Z = 1) the Fermi cut-off T_F is the kinematic end point of p p -> d pi+, computed
  here by solving lab-frame energy-momentum conservation for a forward pion with scipy brentq
  (bdgen uses the boost of the CM two-body energy), and cross-checked against BdNMC's closed
  form TF(theta = 0) (BurmanSmith.cpp, typed here);
- the change of variables (T [MeV], theta [deg]) -> (p [GeV], theta [rad]).
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
from scipy import integrate, interpolate, optimize

from bdgen.production import burman_smith as BS

#: pytest.approx without the default abs=1e-12 floor.
approx = partial(pytest.approx, abs=0.0)

KNOTS = np.array([0.0, 0.0, 0.0, 30.0, 70.0, 180.0, 180.0, 180.0])
MP = 938.27208943  # MeV, PDG 2024
MD = 1875.61294257  # MeV, deuteron (CODATA 2018)
MPI = 139.57039  # MeV, charged pion (PDG 2024); bs_params' default
B_FERMI = 25.0


def basis(i: int, x):
    return interpolate.BSpline(KNOTS, np.eye(5)[i], 2, extrapolate=False)(x)


def t_f_hydrogen(tp: float, theta_deg: float = 0.0, mpi: float = MPI) -> float:
    """Largest lab kinetic energy of the pi+ emitted at angle theta in p p -> d pi+ at beam
    kinetic energy tp (MeV), from E_b + m_p = E_pi + E_d and p_d = p_b - p_pi (vectors)."""
    e_b = tp + MP
    p_b = math.sqrt(e_b**2 - MP**2)
    c = math.cos(math.radians(theta_deg))

    def f(q):
        return e_b + MP - math.hypot(q, mpi) - math.sqrt(MD**2 + p_b**2 + q**2 - 2 * p_b * q * c)

    # the larger root: f decreases through zero between the momentum of maximal f and p_max
    qs = np.linspace(0.0, p_b, 20001)
    fs = np.array([f(q) for q in qs])
    i = int(np.argmax(fs))
    j = i + int(np.argmax(fs[i:] < 0))
    q = optimize.brentq(f, qs[i], qs[j], xtol=1e-12, rtol=1e-15)
    return math.hypot(q, mpi) - mpi


def t_f_bdnmc(tp: float, theta_deg: float, mpi: float = MPI) -> float:
    """BdNMC's BurmanSmith::TF for Z = 1 (pion kinetic energy at angle theta), transcribed."""
    ep = tp + MP
    c = math.cos(math.radians(theta_deg))
    root = math.sqrt((ep - MP) * (ep + MP) * c**2 * ((MD**2 - 2 * MP * (ep + MP)) ** 2
                     - 2 * (MD**2 + 2 * ep * (ep + MP)) * mpi**2 + mpi**4 + 4 * (ep - MP) * (ep + MP) * mpi**2 * c**2))
    e_pi = -(((ep + MP) * (-MD**2 + 2 * MP * (ep + MP) + mpi**2) + root)
             / ((ep + MP) * (-ep - 3 * MP + (ep - MP) * math.cos(2 * math.radians(theta_deg)))))
    return e_pi - mpi


def ref_weight(t_pi: float, th_deg: float, tp: float, z: int, mpi: float = MPI) -> float:
    """w(T_pi, theta)/sin(theta) of PHYSICS.md 2.4 (bs_weight leaves the sin(theta) out)."""
    if t_pi <= 0 or t_pi > tp - mpi:
        return 0.0
    if z == 1:
        ta730, ta585, sa730, sa585, zf, z1c = 53.0, 64.5, 127.0, 155.0, 2.0, 0.7
        t_f = t_f_hydrogen(tp, th_deg, mpi)
    elif z <= 8:
        ta730, ta585, sa730, sa585, zf, z1c = 34.2, 28.9, 150.0, 130.0, 1.0, 1.0
        t_f = tp - 140.0 - 2 * B_FERMI
    else:
        ta730, ta585, sa730, sa585, zf, z1c = 29.9, 26.0, 166.0, 135.0, 1.0, 1.0
        t_f = tp - 140.0 - 2 * B_FERMI
    lam = (tp - 585.0) / (730.0 - 585.0)  # linear in T_p through the 585 and 730 MeV values
    t_a = ta585 + lam * (ta730 - ta585)
    s_a = sa585 + lam * (sa730 - sa585)
    t_bar = 48.0 + 330.0 * math.exp(-th_deg / t_a)
    sigma = s_a * math.exp(-th_deg / 85.0)
    lz = math.log(z)
    norm = z ** (1 / 3) * sum(n * lz**k for k, n in enumerate((0.8851, -0.1015, 0.1459, -0.0265)))
    ampz = zf * np.array([min(27 - 4 * ((730 - tp) / 145) ** 2, 27), 18.2, 8.0, 13 + (z - 12) / 10,
                          9 + (z - 12) / 10 - (tp - 685) / 20])
    amp = norm * float(interpolate.BSpline(KNOTS, ampz, 2, extrapolate=False)(th_deg))
    gauss = math.exp(-(((t_bar - t_pi) / (math.sqrt(2) * sigma)) ** 2))
    return z1c * amp * gauss / (1 + math.exp((t_pi - t_f) / B_FERMI))


# --- B-spline basis ---------------------------------------------------------------------------


def test_knots():
    np.testing.assert_array_equal(BS._KNOTS, KNOTS)


def test_basis_matches_scipy_and_partition_of_unity():
    x = np.concatenate([np.linspace(0.0, 180.0, 3601)[:-1], [29.999999, 30.0, 30.000001, 70.0, 179.9999999]])
    mine = np.array([[BS._bspline2(i, xx, BS._KNOTS) for i in range(5)] for xx in x])
    ref = np.stack([basis(i, x) for i in range(5)], axis=1)
    np.testing.assert_allclose(mine, ref, rtol=0, atol=1e-14)
    np.testing.assert_allclose(mine.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    assert np.all(mine >= 0.0)


def test_basis_closed_at_180_and_zero_outside():
    at_end = [BS._bspline2(i, 180.0, BS._KNOTS) for i in range(5)]
    assert at_end == [0.0, 0.0, 0.0, 0.0, 1.0]
    assert all(BS._bspline2(i, 180.5, BS._KNOTS) == 0.0 for i in range(5))
    assert all(BS._bspline2(i, -0.5, BS._KNOTS) == 0.0 for i in range(5))


def test_basis_hand_values():
    # on [0, 30): B0 = (1 - x/30)^2, so B0(15) = 1/4
    assert BS._bspline2(0, 15.0, BS._KNOTS) == approx(0.25, rel=1e-14)
    # B4 on [70, 180): ((x - 70)/110)^2
    assert BS._bspline2(4, 125.0, BS._KNOTS) == approx(0.25, rel=1e-14)


# --- hydrogen end point -------------------------------------------------------------------------


@pytest.mark.parametrize("tp", [585.0, 650.0, 730.0, 800.0])
def test_hydrogen_endpoint_two_body(tp):
    """T_F(Z = 1) in bs_weight: recovered from its Fermi factor near T_F and compared with the
    pion end point of p p -> d pi+ at that angle (and BdNMC's TF at several angles)."""
    th = 20.0
    ref = t_f_hydrogen(tp, th)
    assert t_f_hydrogen(tp, 0.0) == approx(t_f_bdnmc(tp, 0.0), rel=1e-10)
    for a in (0.0, 30.0, 60.0, 90.0):
        assert t_f_hydrogen(tp, a) == approx(t_f_bdnmc(tp, a), rel=1e-8)
    par = BS.bs_params(tp, 1)
    t_pi = ref - 10.0  # inside the cut-off region, below T_p - m_pi
    w = BS.bs_weight(t_pi, th, par, BS._KNOTS)
    no_fermi = ref_weight(t_pi, th, tp, 1) * (1 + math.exp((t_pi - ref) / B_FERMI))
    fermi = w / no_fermi
    t_f_code = t_pi - B_FERMI * math.log(1.0 / fermi - 1.0)
    assert t_f_code == approx(ref, abs=1e-6)  # MeV


def test_hydrogen_endpoint_value():
    # T_p = 730 MeV: sqrt(s) = 2 m_p sqrt(1 + T/(2 m_p)) and the CM pion energy (s + m_pi^2 - m_d^2)/(2 sqrt s)
    tp = 730.0
    s = 2 * MP**2 + 2 * MP * (tp + MP)
    e_cm = (s + MPI**2 - MD**2) / (2 * math.sqrt(s))
    p_cm = math.sqrt(e_cm**2 - MPI**2)
    y = math.acosh((tp + 2 * MP) / math.sqrt(s))
    assert math.cosh(y) * e_cm + math.sinh(y) * p_cm - MPI == approx(t_f_hydrogen(tp), rel=1e-11)
    assert t_f_hydrogen(tp) == approx(407.6067, abs=1e-3)


# --- the weight --------------------------------------------------------------------------------


@pytest.mark.parametrize("z", [1, 6, 74])
@pytest.mark.parametrize("tp", [585.0, 650.0, 730.0, 800.0, 984.0])
def test_weight_matches_transcription(z, tp):
    par = BS.bs_params(tp, z)
    g = np.random.default_rng(int(tp) + z)
    t_pi = np.concatenate([g.uniform(0.0, tp - MPI, 150), [1.0, tp - MPI - 1e-6]])
    th = np.concatenate([g.uniform(0.0, 180.0, 150), [0.0, 179.9]])
    got = np.array([BS.bs_weight(a, b, par, BS._KNOTS) for a, b in zip(t_pi, th)])
    ref = np.array([ref_weight(a, b, tp, z) for a, b in zip(t_pi, th)])
    assert np.count_nonzero(ref) > 100
    np.testing.assert_allclose(got, ref, rtol=1e-11, atol=0)


def test_weight_single_point_by_hand():
    # Z = 6 (2 <= Z <= 8 group), T_p = 730 MeV, T_pi = 100 MeV, theta = 30 deg (a knot: only B1, B2 live)
    tp, z, t_pi, th = 730.0, 6, 100.0, 30.0
    t_a, s_a = 34.2, 150.0
    t_bar = 48 + 330 * math.exp(-30 / t_a)
    sig = s_a * math.exp(-30 / 85)
    lz = math.log(6)
    norm = 6 ** (1 / 3) * (0.8851 - 0.1015 * lz + 0.1459 * lz**2 - 0.0265 * lz**3)
    # at the knot x = 30 only B1 = 4/7 and B2 = 3/7 are non-zero (scipy's basis, checked below)
    b = [float(basis(i, th)) for i in range(5)]
    amp = norm * (27 * b[0] + 18.2 * b[1] + 8.0 * b[2] + (13 - 0.6) * b[3] + (9 - 0.6 - 45 / 20) * b[4])
    w = amp * math.exp(-(((t_bar - t_pi) / (math.sqrt(2) * sig)) ** 2)) / (1 + math.exp((t_pi - (730 - 190)) / 25))
    assert b[0] == 0.0 and b[3] == 0.0 and b[4] == 0.0
    assert b[1] == approx(4 / 7, rel=1e-14) and b[2] == approx(3 / 7, rel=1e-14)
    assert BS.bs_weight(t_pi, th, BS.bs_params(tp, z), BS._KNOTS) == approx(w, rel=1e-12)


@pytest.mark.parametrize("z", [1, 6, 74])
def test_weight_zero_above_kinematic_limit(z):
    tp = 800.0
    par = BS.bs_params(tp, z)
    t_max = tp - MPI
    assert BS.bs_weight(t_max * (1 - 1e-9), 40.0, par, BS._KNOTS) > 0.0
    for t in (t_max * (1 + 1e-9), t_max + 5.0, tp, tp + 100.0):
        assert BS.bs_weight(t, 40.0, par, BS._KNOTS) == 0.0
    assert BS.bs_weight(0.0, 40.0, par, BS._KNOTS) == 0.0
    assert BS.bs_weight(-1.0, 40.0, par, BS._KNOTS) == 0.0
    # in (p, theta): zero for p above the pion momentum at T_p - m_pi
    m = par[2]
    p_lim = math.sqrt((t_max * 1e-3 + m) ** 2 - m**2)
    assert BS.bs_density(p_lim * (1 + 1e-7), 0.7, par) == 0.0
    assert BS.bs_density(p_lim * (1 - 1e-4), 0.7, par) > 0.0


def test_params_and_validation():
    par = BS.bs_params(800.0, 74)
    np.testing.assert_array_equal(par, [800.0, 74.0, 0.13957039])
    with pytest.raises(ValueError, match="Z = 0"):
        BS.bs_params(800.0, 0)


# --- the density in (p, theta) ----------------------------------------------------------------------


@pytest.mark.parametrize("z", [1, 8, 74])
def test_density_is_weight_times_jacobian(z):
    """density(p [GeV], theta [rad]) = w(T, theta_deg) (dT/dp) (180/pi) sin(theta), dT/dp = 1e3 p/E MeV/GeV."""
    tp = 800.0
    par = BS.bs_params(tp, z)
    m = 0.13957039
    g = np.random.default_rng(z)
    p = g.uniform(1e-3, 0.7, 300)
    th = g.uniform(0.0, math.pi, 300)
    e = np.sqrt(p**2 + m**2)
    t_mev = (e - m) * 1e3
    w = np.array([ref_weight(a, b, tp, z) for a, b in zip(t_mev, np.degrees(th))])
    expected = w * (1e3 * p / e) * (180 / math.pi) * np.sin(th)
    got = np.array([BS.bs_density(a, b, par) for a, b in zip(p, th)])
    assert np.count_nonzero(expected) > 200
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=0)
    assert BS.bs_density(0.0, 0.5, par) == 0.0


def test_density_jacobian_numerically():
    """The (p, theta_rad) density integrates like w over (T, theta_deg) on a patch (trapezoid)."""
    tp, z = 800.0, 8
    par = BS.bs_params(tp, z)
    m = par[2]
    # patch T in [50, 150] MeV, theta in [20, 60] deg
    t = np.linspace(50.0, 150.0, 801)
    thd = np.linspace(20.0, 60.0, 401)
    w = np.array([[BS.bs_weight(a, b, par, BS._KNOTS) * math.sin(math.radians(b)) for b in thd] for a in t])
    int_t = integrate.trapezoid(integrate.trapezoid(w, thd, axis=1), t)
    p = np.sqrt((t * 1e-3 + m) ** 2 - m**2)
    thr = np.radians(thd)
    d = np.array([[BS.bs_density(a, b, par) for b in thr] for a in p])
    int_p = integrate.trapezoid(integrate.trapezoid(d, thr, axis=1), p)
    assert int_p == approx(int_t, rel=2e-5)
