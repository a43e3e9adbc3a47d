"""The Burman-Smith parametrisation of pi+ production by 585-730 MeV protons.

R.L. Burman and E.S. Smith, "Parametrization of pion production by protons in the energy range
500-800 MeV", Los Alamos report LA-11502-MS (1989); the form and constants as implemented in
BdNMC ``BurmanSmith.cpp`` (PHYSICS.md section 2.4).  T_p and T_pi are kinetic energies in MeV,
theta in degrees:

    w(T_pi, theta) = Z1c Amp(theta) exp{-[(Tbar(theta) - T_pi)/(sqrt2 sigma(theta))]^2}
                     / (1 + exp[(T_pi - T_F(theta))/B]),                      B = 25 MeV
    Tbar = 48 + 330 exp(-theta/T_A),   sigma = sigma_A exp(-theta/85)
    T_A, sigma_A interpolated linearly in T_p between the 585 and 730 MeV values of the target group
    Amp = NormZ sum_i ampz_i B_{i,2}(theta)   (quadratic B-splines, knots {0,0,0,30,70,180,180,180})
    NormZ = Z^(1/3) sum_k n_k (ln Z)^k,  n = (0.8851, -0.1015, 0.1459, -0.0265)
    ampz = Zf (min[27 - 4((730 - T_p)/145)^2, 27], 18.2, 8.0, 13 + (Z - 12)/10,
              9 + (Z - 12)/10 - (T_p - 685)/20)
    Zf = 2, Z1c = 0.7 for Z = 1 (hydrogen); 1 otherwise.  T_F = T_p - 140 - 2B for Z > 1 and, for
    Z = 1, the kinematic endpoint of p p -> d pi+ at the pion's angle theta (as in BdNMC's TF).
    T_pi <= T_p - m_pi.

It is the pi+ spectrum; as in BdNMC bdgen uses it as the pi0 shape at the stopped-pion sources.
Outside 585 <= T_p <= 730 MeV the fit is extrapolated linearly (BdNMC does the same at 800 MeV).
The density returned is per (p, theta) with theta in radians: w dT/dp (180/pi) sin(theta),
with dT/dp = p/E.

Parameter vector: [T_p (MeV), Z, m_pi (GeV)].
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit

_B = 25.0
_KNOTS = np.array([0.0, 0.0, 0.0, 30.0, 70.0, 180.0, 180.0, 180.0])
N_PARAMS = 3


def bs_params(t_p_mev: float, z: int, m_pi: float = 0.13957039) -> np.ndarray:
    """Parameter vector for beam kinetic energy ``t_p_mev`` (MeV) on a target of charge ``z``."""
    if z < 1:
        raise ValueError(f"Burman-Smith: target Z = {z}: must be >= 1")
    return np.array([t_p_mev, float(z), m_pi])


@jit
def _bspline2(i, x, knots):  # type: ignore[no-untyped-def]
    """Quadratic B-spline basis function B_{i,2}(x) on ``knots`` (Cox-de Boor recursion)."""
    # degree 0
    b0 = np.zeros(7)
    for j in range(7):
        lo = knots[j]
        hi = knots[j + 1]
        if (lo <= x < hi) or (x == knots[-1] and hi == knots[-1] and lo < hi):
            b0[j] = 1.0
    b1 = np.zeros(6)
    for j in range(6):
        v = 0.0
        d1 = knots[j + 1] - knots[j]
        d2 = knots[j + 2] - knots[j + 1]
        if d1 > 0:
            v += (x - knots[j]) / d1 * b0[j]
        if d2 > 0:
            v += (knots[j + 2] - x) / d2 * b0[j + 1]
        b1[j] = v
    d1 = knots[i + 2] - knots[i]
    d2 = knots[i + 3] - knots[i + 1]
    v = 0.0
    if d1 > 0:
        v += (x - knots[i]) / d1 * b1[i]
    if d2 > 0:
        v += (knots[i + 3] - x) / d2 * b1[i + 1]
    return v


@jit
def bs_weight(t_pi, theta_deg, par, knots):  # type: ignore[no-untyped-def]
    """w(T_pi, theta) of the module docstring (T in MeV, theta in degrees), without sin(theta)."""
    tp = par[0]
    z = par[1]
    m_pi = par[2] * 1e3
    if t_pi <= 0.0 or t_pi > tp - m_pi:
        return 0.0
    if z == 1.0:
        ta730, ta585, sa730, sa585 = 53.0, 64.5, 127.0, 155.0
        zf, z1c = 2.0, 0.7
        # endpoint of p p -> d pi+ at this angle: two-body kinematics in the lab,
        # p_pi = [A P c + E sqrt(A^2 - m^2 (E^2 - P^2 c^2))] / (E^2 - P^2 c^2),
        # A = (s + m_pi^2 - m_d^2)/2, E, P the total lab energy and momentum, c = cos(theta)
        mp = 938.27208943
        md = 1875.61294257
        e_tot = tp + 2.0 * mp
        p_tot = math.sqrt(tp * (tp + 2.0 * mp))
        s = e_tot * e_tot - p_tot * p_tot
        a = 0.5 * (s + m_pi * m_pi - md * md)
        c = math.cos(theta_deg * math.pi / 180.0)
        den = e_tot * e_tot - p_tot * p_tot * c * c
        disc = a * a - m_pi * m_pi * den
        p_pi = (a * p_tot * c + e_tot * math.sqrt(max(disc, 0.0))) / den
        t_f = math.sqrt(p_pi * p_pi + m_pi * m_pi) - m_pi
    elif z <= 8.0:
        ta730, ta585, sa730, sa585 = 34.2, 28.9, 150.0, 130.0
        zf, z1c = 1.0, 1.0
        t_f = tp - 140.0 - 2.0 * _B
    else:
        ta730, ta585, sa730, sa585 = 29.9, 26.0, 166.0, 135.0
        zf, z1c = 1.0, 1.0
        t_f = tp - 140.0 - 2.0 * _B
    ta = (ta730 * (tp - 585.0) - ta585 * (tp - 730.0)) / 145.0
    sa = (sa730 * (tp - 585.0) - sa585 * (tp - 730.0)) / 145.0
    tbar = 48.0 + 330.0 * math.exp(-theta_deg / ta)
    sig = sa * math.exp(-theta_deg / 85.0)
    lz = math.log(z)
    normz = z ** (1.0 / 3.0) * (0.8851 - 0.1015 * lz + 0.1459 * lz * lz - 0.0265 * lz * lz * lz)
    a0 = min(27.0 - 4.0 * ((730.0 - tp) / 145.0) ** 2, 27.0)
    amps = (a0, 18.2, 8.0, 13.0 + (z - 12.0) / 10.0, 9.0 + (z - 12.0) / 10.0 - (tp - 685.0) / 20.0)
    amp = 0.0
    for i in range(5):
        amp += zf * amps[i] * _bspline2(i, theta_deg, knots)
    amp *= normz
    arg = (tbar - t_pi) / (math.sqrt(2.0) * sig)
    return z1c * amp * math.exp(-arg * arg) / (1.0 + math.exp((t_pi - t_f) / _B))


@jit
def bs_density(p, theta, par):  # type: ignore[no-untyped-def]
    """Density in (p [GeV], theta [rad]) for 0 <= theta <= pi (arbitrary normalisation)."""
    if p <= 0.0:
        return 0.0
    m = par[2]
    e = math.sqrt(p * p + m * m)
    t_mev = (e - m) * 1e3
    th_deg = theta * 180.0 / math.pi
    w = bs_weight(t_mev, th_deg, par, _KNOTS)
    if w <= 0.0:
        return 0.0
    # dT(MeV)/dp(GeV) = 1e3 p/E ; dtheta_deg/dtheta_rad = 180/pi
    return w * 1e3 * p / e * (180.0 / math.pi) * math.sin(theta)
