"""Ranges of charged mesons in the beam-line media, for mesons that stop and decay at rest.

Mean rate of ionisation energy loss (Bethe), PDG RPP 2024, "Passage of particles through
matter", eq. (34.5), without the density-effect and shell corrections (a meson that can stop
before a nuclear interaction has beta gamma below about 2, where both are small):

    -<dE/dx> = K (Z/A) (1/beta^2) [ (1/2) ln(2 m_e c^2 beta^2 gamma^2 W_max / I^2) - beta^2 ]
               (MeV cm^2/g),  K = 0.307075 MeV cm^2/mol,
    W_max = 2 m_e c^2 beta^2 gamma^2 / (1 + 2 gamma m_e/M + (m_e/M)^2)   (eq. (34.4)).

The CSDA range R(p) = integral of dT/(-dE/dx) from T = 0 to the kinetic energy T(p), in g/cm^2
(the last MeV is added as 1 MeV/(dE/dx at 1 MeV), a few mg/cm^2), tabulated once per (mass,
medium) in ln p and interpolated.

Media carry ``z_over_a`` and ``mean_excitation_ev`` (I) in the beam file (PDG "Atomic and
nuclear properties" values there).  Units: GeV/c for momenta, g/cm^2 for ranges.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

K_BETHE = 0.307075    # MeV cm^2/mol (PDG RPP 2024, Table 34.1)
M_E_MEV = 0.51099895  # MeV
T_MIN_MEV = 1.0       # MeV: the range below is linear in T (negligible)


def dedx(beta_gamma: np.ndarray | float, mass_gev: float, z_over_a: float, i_ev: float) -> np.ndarray:
    """Mean ionisation loss -<dE/dx> (MeV cm^2/g) of a singly charged particle of mass ``mass_gev``
    at beta gamma ``beta_gamma`` (array) in a medium (Z/A, I in eV): the module docstring's formula."""
    bg = np.asarray(beta_gamma, float)
    m = mass_gev * 1e3
    b2 = bg * bg / (1.0 + bg * bg)
    g = np.sqrt(1.0 + bg * bg)
    w_max = 2.0 * M_E_MEV * bg * bg / (1.0 + 2.0 * g * M_E_MEV / m + (M_E_MEV / m) ** 2)
    i_mev = i_ev * 1e-6
    return K_BETHE * z_over_a / b2 * (0.5 * np.log(2.0 * M_E_MEV * bg * bg * w_max / (i_mev * i_mev)) - b2)


@lru_cache(maxsize=32)
def _range_table(mass_gev: float, z_over_a: float, i_ev: float) -> tuple[np.ndarray, np.ndarray]:
    """(ln p [GeV/c], R [g/cm^2]) on 400 points from T = 1 MeV to p = 20 GeV/c (above, the range is
    that at 20 GeV/c: kilometres of steel, irrelevant for stopping)."""
    m = mass_gev * 1e3
    t = np.geomspace(T_MIN_MEV, math.hypot(20e3, m) - m, 4000)
    bg = np.sqrt((t + m) ** 2 - m * m) / m
    inv = 1.0 / dedx(bg, mass_gev, z_over_a, i_ev)
    r0 = T_MIN_MEV * inv[0]  # the last MeV, with the loss at 1 MeV (linear)
    r = r0 + np.concatenate([[0.0], np.cumsum(0.5 * (inv[1:] + inv[:-1]) * np.diff(t))])
    p = np.sqrt((t + m) ** 2 - m * m) * 1e-3
    pick = np.unique(np.linspace(0, t.size - 1, 400).astype(int))
    return np.log(p[pick]), r[pick]


def csda_range(p: np.ndarray | float, mass_gev: float, z_over_a: float, i_ev: float) -> np.ndarray:
    """CSDA range (g/cm^2) at momentum p (GeV/c, array of any shape) of a particle of mass
    ``mass_gev`` in a medium (Z/A, I in eV); log-log interpolation of :func:`_range_table`, the
    range falling linearly to zero below T = 1 MeV."""
    lp, r = _range_table(float(mass_gev), float(z_over_a), float(i_ev))
    p = np.asarray(p, float)
    out = np.exp(np.interp(np.log(np.maximum(p, 1e-12)), lp, np.log(r)))
    m = mass_gev * 1e3
    t = np.sqrt((p * 1e3) ** 2 + m * m) - m
    return np.where(t < T_MIN_MEV, r[0] * t / T_MIN_MEV, out)
