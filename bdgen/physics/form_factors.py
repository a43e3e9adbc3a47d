"""Electromagnetic form factors of the nucleon (Sachs G_E, G_M), jitted.

Models (integer codes used by the kernels):

- ``POINT`` (0): a point-like Dirac particle (the electron): G_E = 1, G_M = 1.
- ``BBA03_P`` (1), ``BBA03_N`` (2): Budd, Bodek, Arrington, "Modeling quasi-elastic form factors
  for electron and neutrino scattering", hep-ex/0308005, eqs. (8)-(9) and Table 1 (the
  inverse-polynomial fits; G_E^p for Q^2 > 6 GeV^2 continued as G_M^p times its ratio at 6
  GeV^2, and the Galster-like G_E^n with a = 0.942, b = 4.61).  The G_M^p fit describes data up
  to about 30 GeV^2; its denominator has a zero at Q^2 = 40.82 GeV^2 (the last coefficient is
  negative), so above Q^2 = 30 GeV^2 bdgen continues G_M^p with the dipole fall-off,
  G_M^p(Q^2) = G_M^p(30) G_D(Q^2)/G_D(30).  These are BdNMC's form factors
  (PHYSICS.md section 5.2).
- ``HELM`` (5): a spin-0 nucleus of charge Z and mass number A scattering coherently, with
  the Helm form factor (see :func:`helm`); handled by :func:`bdgen.physics.scattering.dsigma_dt`
  through W1 = 0, W2 = (Z F_Helm)^2 instead of Sachs form factors.
- ``DIPOLE_P`` (3), ``DIPOLE_N`` (4): G_D = (1 + Q^2/0.71 GeV^2)^-2 with G_E^p = G_D,
  G_M = mu G_D and the Galster G_E^n = -mu_n tau G_D/(1 + 5.6 tau) (Galster et al., Nucl. Phys.
  B32 (1971) 221).

Each call takes the magnetic moment ``mu`` (so BdNMC's rounded values can be used under
``compat.bdnmc``) and a cut ``q2_cut`` above which all form factors are set to zero (BdNMC
uses 10 GeV^2; bdgen uses infinity).
"""

from __future__ import annotations

import math

from .._jit import jit

POINT = 0
BBA03_P = 1
BBA03_N = 2
DIPOLE_P = 3
DIPOLE_N = 4
HELM = 5

#: hbar c in GeV fm (CODATA).
HBARC_GEV_FM = 0.1973269804

_Q2_DIPOLE = 0.71  # GeV^2
_Q2_GMP_MAX = 30.0  # GeV^2, end of the BBA03 G_M^p fit range used


@jit
def _inv_poly(q2, a1, a2, a3, a4, a5, a6):  # type: ignore[no-untyped-def]
    return 1.0 / (1.0 + q2 * (a1 + q2 * (a2 + q2 * (a3 + q2 * (a4 + q2 * (a5 + q2 * a6))))))


@jit
def _bba03_gep(q2):  # type: ignore[no-untyped-def]
    return _inv_poly(q2, 3.253, 1.422, 0.08582, 0.3318, -0.09371, 0.01076)


@jit
def _bba03_gmp_over_mu(q2):  # type: ignore[no-untyped-def]
    return _inv_poly(q2, 3.104, 1.428, 0.1112, -0.006981, 0.0003705, -0.7063e-5)


@jit
def sachs(model, q2, m_nucleon, mu, q2_cut):  # type: ignore[no-untyped-def]
    """Sachs form factors (G_E, G_M) at space-like Q^2 = q2 >= 0 (GeV^2).

    Parameters
    ----------
    model : int
        One of POINT, BBA03_P, BBA03_N, DIPOLE_P, DIPOLE_N.
    q2 : float
        Q^2 = -t in GeV^2.
    m_nucleon : float
        Nucleon mass (GeV), for tau = Q^2/(4 M^2).
    mu : float
        Magnetic moment G_M(0) in nuclear magnetons.
    q2_cut : float
        Above this Q^2 both form factors are zero.
    """
    if model == POINT:
        return 1.0, 1.0
    if q2 > q2_cut:
        return 0.0, 0.0
    tau = q2 / (4.0 * m_nucleon * m_nucleon)
    gd = 1.0 / (1.0 + q2 / _Q2_DIPOLE) ** 2
    if model == BBA03_P:
        if q2 <= _Q2_GMP_MAX:
            gm = mu * _bba03_gmp_over_mu(q2)
        else:
            gd0 = 1.0 / (1.0 + _Q2_GMP_MAX / _Q2_DIPOLE) ** 2
            gm = mu * _bba03_gmp_over_mu(_Q2_GMP_MAX) * gd / gd0
        if q2 <= 6.0:
            ge = _bba03_gep(q2)
        else:
            ge = gm * _bba03_gep(6.0) / (mu * _bba03_gmp_over_mu(6.0))
        return ge, gm
    if model == BBA03_N:
        gm = mu * _inv_poly(q2, 3.043, 0.8548, 0.6806, -0.1287, 0.008912, 0.0)
        ge = -mu * 0.942 * tau / (1.0 + 4.61 * tau) * gd
        return ge, gm
    if model == DIPOLE_P:
        return gd, mu * gd
    if model == DIPOLE_N:
        return -mu * tau * gd / (1.0 + 5.6 * tau), mu * gd
    return math.nan, math.nan


@jit
def helm(q, a_nuc, hbarc):  # type: ignore[no-untyped-def]
    """Helm form factor F(q) of a nucleus with mass number ``a_nuc`` at momentum transfer q (GeV).

    F(q) = 3 j1(qR)/(qR) exp(-q^2 s^2/2), j1(x) = (sin x - x cos x)/x^2, with
    R^2 = c^2 + (7/3) pi^2 a^2 - 5 s^2, c = 1.23 A^(1/3) - 0.60 fm, a = 0.52 fm, s = 0.9 fm:
    Lewin and Smith, Astropart. Phys. 6 (1996) 87, eqs. (4.7)-(4.11) (PHYSICS.md section 5.3).
    ``hbarc`` (GeV fm) converts q to fm^-1 (BdNMC uses 0.197).
    """
    c = 1.23 * a_nuc ** (1.0 / 3.0) - 0.60
    a = 0.52
    s = 0.9
    r = math.sqrt(c * c + 7.0 / 3.0 * math.pi * math.pi * a * a - 5.0 * s * s)
    qf = q / hbarc
    x = qf * r
    if x < 1e-4:
        j = 1.0 - x * x / 10.0  # 3 j1(x)/x near 0
    else:
        j = 3.0 * (math.sin(x) - x * math.cos(x)) / (x * x * x)
    return j * math.exp(-0.5 * qf * qf * s * s)


def helm_bound(q: float, a_nuc: float, hbarc: float) -> float:
    """An upper bound on |F_Helm(q')| for every q' >= q (GeV), with R, s and hbarc as in :func:`helm`.

    |3 j1(x)/x| = 3 |sin x - x cos x|/x^3 <= min(1, 3/x^3 + 3/x^2) and exp(-q^2 s^2/2) are both
    non-increasing in q, so their product at q bounds |F| above q.  Used to bound the nuclear
    recoil density on a window T >= t_min (where F can be far below F(0) = 1).
    """
    c = 1.23 * a_nuc ** (1.0 / 3.0) - 0.60
    r = math.sqrt(c * c + 7.0 / 3.0 * math.pi * math.pi * 0.52 * 0.52 - 5.0 * 0.9 * 0.9)
    qf = q / hbarc
    x = qf * r
    env = 1.0 if x <= 0.0 else min(1.0, 3.0 / x**3 + 3.0 / x**2)
    return env * math.exp(-0.5 * qf * qf * 0.9 * 0.9)
