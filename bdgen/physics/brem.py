"""Proton bremsstrahlung of a dark photon, p p -> p p V, in the Fermi-Weizsaecker-Williams
approximation of Bluemlein and Brunner.

J. Bluemlein and J. Brunner, "New exclusion limits on dark gauge forces from proton
bremsstrahlung in beam-dump data", Phys. Lett. B 731 (2014) 320, arXiv:1311.3870, eqs. (2)-(5),
as implemented in BdNMC (arXiv:1609.01770; PHYSICS.md section 4).  A V carries the momentum
fraction z of the beam momentum P and transverse momentum p_T, p_V = (p_T, z P):

    d^2 N/(dz dp_T^2) = [sigma_pp(s')/sigma_pp(s)] |F1(m_V^2)|^2 w_ba(z, p_T^2),
    H = p_T^2 + (1 - z) m_V^2 + z^2 m_p^2,
    w_ba = eps^2 alpha/(2 pi H) { [1 + (1 - z)^2]/z - 2 z (1 - z) [(2 m_p^2 + m_V^2)/H - 2 z^2 m_p^4/H^2]
           + 2 z (1 - z) [1 + (1 - z)^2] m_p^2 m_V^2/H^2 + 2 z (1 - z)^2 m_V^4/H^2 },
    s = 2 m_p E_p,  s' = 2 m_p (E_p - E_V),  E_V = sqrt(m_V^2 + p_T^2 + z^2 P^2).

The third term's bracket [1 + (1 - z)^2] is the one of the SHiP implementation (FairShip's
proton-bremsstrahlung dark-photon production, where it replaced an earlier [z + (1 - z)^2]) and of
Gorbunov, Makarov and Timiryasov, PRD 91 (2015) 035027, arXiv:1411.4007; BdNMC (and PHYSICS.md
section 4) write [z + (1 - z)^2].  The two agree as m_V -> 0 or z -> 1; for full z and p_T ranges
they differ by 2-5%, in a narrow z window by up to 22%.  The paper itself could not be read here.

|F1|^2 is the timelike proton form factor of vector-meson dominance (Faessler, Fuchs,
Krivoruchenko, PRC 81 (2010) 015203, arXiv:0910.5589, eq. (22) and Table I):
F1(q^2) = sum_i f_i m_i^2 / (m_i^2 - q^2 - i m_i Gamma_i) over rho, rho', rho'', omega, omega',
omega''.  sigma_pp is the PDG fit (PDG RPP, "Plots of cross sections", eq. (52.3)) with the
parameters BdNMC uses (PHYSICS.md section 4).

Under ``compat.bdnmc`` the rate is BdNMC's (PHYSICS.md section 4, deviations 1-2): w_ba with
[z + (1 - z)^2] in the third term, times 1/4, and the second variable x in [0, pt_max] enters the
formula as p_T^2 = x while the kinematics use p_T = x.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate

from .._jit import jit

# (f_i, m_i, Gamma_i) for rho, rho', rho'', omega, omega', omega'' (arXiv:0910.5589 via BdNMC)
_VMD = np.array([
    [0.6165340, 0.77, 0.15],
    [0.2232042, 1.25, 0.3],
    [-0.3397382, 1.45, 0.5],
    [1.0117545, 0.77, 0.0085],
    [-0.8816566, 1.25, 0.3],
    [0.3699021, 1.45, 0.5],
])


@jit
def f1_squared(q2, vmd):  # type: ignore[no-untyped-def]
    """|F1(q^2)|^2 of the timelike proton form factor (q^2 = m_V^2 in GeV^2)."""
    re = 0.0
    im = 0.0
    for i in range(vmd.shape[0]):
        f, m, g = vmd[i, 0], vmd[i, 1], vmd[i, 2]
        a = m * m - q2
        b = -m * g  # denominator a + i b with b = -m Gamma
        d = a * a + b * b
        re += f * m * m * a / d
        im += -f * m * m * b / d
    return re * re + im * im


@jit
def sigma_pp(s):  # type: ignore[no-untyped-def]
    """Total p p cross-section (mb) at centre-of-mass energy squared s (GeV^2)."""
    h, mm, p, r1, r2, e1, e2 = 0.2704, 2.2127, 34.49, 12.98, 7.38, 0.451, 0.549
    mp = 0.93827208943
    sm = (2.0 * mp + mm) ** 2
    x = s / sm
    return h * math.log(x) ** 2 + p + r1 * x ** (-e1) - r2 * x ** (-e2)


@jit
def w_ba(z, pt2, m_v, eps, bdnmc_term=0.0):  # type: ignore[no-untyped-def]
    """The splitting function w_ba(z, p_T^2) of the module docstring (GeV^-2; z, p_T^2 in GeV^2,
    m_V in GeV); ``bdnmc_term`` > 0: BdNMC's [z + (1 - z)^2] in the third term instead of
    [1 + (1 - z)^2]."""
    mp = 0.93827208943
    alpha = 0.0072973525643
    h = pt2 + (1.0 - z) * m_v * m_v + z * z * mp * mp
    mp2 = mp * mp
    mv2 = m_v * m_v
    br = ((1.0 + (1.0 - z) ** 2) / z
          - 2.0 * z * (1.0 - z) * ((2.0 * mp2 + mv2) / h - 2.0 * z * z * mp2 * mp2 / (h * h))
          + 2.0 * z * (1.0 - z) * ((z if bdnmc_term > 0.0 else 1.0) + (1.0 - z) ** 2) * mp2 * mv2 / (h * h)
          + 2.0 * z * (1.0 - z) ** 2 * mv2 * mv2 / (h * h))
    return eps * eps * alpha / (2.0 * math.pi * h) * br


@jit
def brem_d2n(z, pt2, e_p, m_v, eps, vmd, bdnmc_term=0.0):  # type: ignore[no-untyped-def]
    """d^2 N/(dz dp_T^2) in GeV^-2 per proton (beam energy e_p in GeV; ``bdnmc_term`` as in
    :func:`w_ba`)."""
    mp = 0.93827208943
    p_beam = math.sqrt(max(e_p * e_p - mp * mp, 0.0))
    e_v = math.sqrt(m_v * m_v + pt2 + z * z * p_beam * p_beam)
    if e_v >= e_p:
        return 0.0
    s = 2.0 * mp * e_p
    s1 = 2.0 * mp * (e_p - e_v)
    return sigma_pp(s1) / sigma_pp(s) * f1_squared(m_v * m_v, vmd) * w_ba(z, pt2, m_v, eps, bdnmc_term)


@jit
def brem_density(z, x, par):  # type: ignore[no-untyped-def]
    """Density in (z, x) for the samplers; ``par`` = [E_p, m_V, eps, bdnmc, z_min, z_max, bdnmc_term].

    bdgen: x = p_T and the density is 2 p_T d^2N/(dz dp_T^2).  BdNMC: x plays p_T^2 in the rate
    (times 1/4) and p_T in the kinematics.
    """
    if z < par[4] or z > par[5] or z <= 0.0 or z >= 1.0:
        return 0.0
    if par[3] > 0.0:
        return 0.25 * brem_d2n(z, x, par[0], par[1], par[2], _VMD, par[6])
    return 2.0 * x * brem_d2n(z, x * x, par[0], par[1], par[2], _VMD, par[6])


def brem_params(e_p: float, m_v: float, epsilon: float, z_min: float, z_max: float, *, bdnmc: bool,
                bdnmc_term: bool | None = None) -> np.ndarray:
    """Parameter vector for :func:`brem_density` (E_p, m_V in GeV); ``bdnmc_term`` (default:
    ``bdnmc``) selects BdNMC's third term of w_ba."""
    term = bdnmc if bdnmc_term is None else bdnmc_term
    return np.array([e_p, m_v, epsilon, 1.0 if bdnmc else 0.0, z_min, z_max, 1.0 if term else 0.0])


def brem_rate(e_p: float, m_v: float, epsilon: float, z_min: float, z_max: float, pt_max: float,
              *, bdnmc: bool = False, bdnmc_term: bool | None = None) -> float:
    """Dark photons per proton on target, integrated over z_min < z < z_max, p_T < pt_max.

    scipy dblquad of the same density the sampler uses.  (Under ``bdnmc`` pt_max bounds the
    variable that the rate uses as p_T^2.)
    """
    par = brem_params(e_p, m_v, epsilon, z_min, z_max, bdnmc=bdnmc, bdnmc_term=bdnmc_term)
    val, _ = integrate.dblquad(lambda x, z: brem_density(z, x, par), z_min, z_max, 0.0, pt_max,
                               epsabs=0.0, epsrel=1e-8)
    return float(val)
