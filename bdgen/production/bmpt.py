"""The BMPT parametrisation of pi and K production by protons on nuclei.

Bonesini, Marchionni, Pietropaolo, Tabarelli de Fatis, "On particle production for high energy
neutrino beams", Eur. Phys. J. C20 (2001) 13, hep-ph/0101163, eqs. (2)-(5), fitted to p-Be data
(SPY/NA56 and Atherton et al.) with the parameters of its Table 2 (PHYSICS.md section 2.3):

    E d^3 sigma/dp^3 = A (1 - x_R)^alpha (1 + B x_R) x_R^-beta (1 + a' p_T + b' p_T^2) exp(-a' p_T),
    a' = a / x_R^gamma,   b' = a^2 / (2 x_R^delta)                                   (mb/GeV^2)

with x_R = E*/E*_max the CM energy over its kinematic maximum, E*_max = (s - M_X,min^2 + m^2)/(2 sqrt s)
for the smallest missing mass M_X,min = 1.88 GeV (two nucleons; baryon number).  Charge ratios
(BMPT eqs. (6), (7)): pi+/pi- = r0 (1 + x_R)^r1 and K+/K- = r0 (1 - x_R)^r1.  Neutral mesons:
pi0 = (pi+ + pi-)/2 (isospin), and the eta is given the K0 = (K+ + 3 K-)/4 shape (quark counting:
the K0_S,L mix d s-bar and s d-bar, with K+ ~ u s-bar and K- ~ s u-bar, as in the NuMI/MINOS beam
simulations; BdNMC uses the K0 for the eta, PHYSICS.md 2.3).

Other nuclei: the cross-section scales as (A/A_Be)^alpha(x_F, p_T) with
alpha = (0.74 - 0.55 x_F + 0.26 x_F^2)(0.98 + 0.21 p_T^2) (Barton et al., PRD 27 (1983) 2580, as
used in BMPT section 3), x_F = 2 p_L*/sqrt(s), with p_T frozen at 2 GeV in alpha (the end of
the data it was fitted to).  Under compat.bdnmc BdNMC's variants are used
(PHYSICS.md section 8 item 6): reference A = 8, linear p_T in alpha (not frozen), x_F = p_L*/sqrt(s),
and a K0 weight K+ (1 + 3/R)/2 with R the pion ratio 1.05 (1 + x_R)^2.65 (BdNMC's BMPT_dist.cpp).

Parameter vector for the kernels (float64):
    [p_beam, m_meson, species (0 pion, 1 kaon), A_target, A_ref, pt_power (2 or 1),
     kaon_ratio_sign (-1 BMPT, +1 BdNMC), A, B, alpha, beta, a, gamma, delta, r0, r1]
"""

from __future__ import annotations

import math

import numpy as np

from .. import constants as C
from .._jit import jit

#: Table 2 of hep-ph/0101163 (p-Be); order A, B, alpha, beta, a, gamma, delta, r0, r1.
PI_PLUS = (62.3, 1.57, 3.45, 0.517, 6.10, 0.153, 0.478, 1.05, 2.65)
K_PLUS = (7.74, 0.0, 2.45, 0.444, 5.04, 0.121, 0.242, 1.15, -3.17)

M_X_MIN = 1.88  # GeV, smallest missing mass (BMPT section 2)
#: p_T (GeV) above which the exponent alpha(x_F, p_T) is frozen: the Barton et al. data end near
#: 2 GeV and the quadratic form grows without bound (at 400 GeV on Mo it would reach A^60).
PT_ALPHA_MAX = 2.0
N_PARAMS = 16


def bmpt_params(p_beam: float, species: str, a_target: float, *, bdnmc: bool = False,
                m_meson: float | None = None) -> np.ndarray:
    """Parameter vector for ``species`` "pi0" or "eta" (see module docstring)."""
    if species == "pi0":
        fit, code, m = PI_PLUS, 0.0, C.M_PIPM
    elif species == "eta":
        fit, code, m = K_PLUS, 1.0, 0.493677
    else:
        raise ValueError(f"BMPT has no parametrisation for {species!r}; allowed: pi0, eta")
    if m_meson is not None:
        m = m_meson
    a_ref = 8.0 if bdnmc else 9.012182 / 1.0  # Be: BdNMC uses 8
    head = [p_beam, m, code, a_target, a_ref, 1.0 if bdnmc else 2.0, 1.0 if bdnmc else -1.0]
    return np.array(head + list(fit), dtype=np.float64)


@jit
def bmpt_invariant(p, theta, par):  # type: ignore[no-untyped-def]
    """E d^3 sigma/dp^3 (mb/GeV^2) of the neutral meson at lab momentum p (GeV), angle theta."""
    p_beam = par[0]
    m = par[1]
    mp = 0.93827208943
    e_beam = math.sqrt(p_beam * p_beam + mp * mp)
    s = 2.0 * mp * mp + 2.0 * mp * e_beam
    rs = math.sqrt(s)
    e = math.sqrt(p * p + m * m)
    pt = p * math.sin(theta)
    pl = p * math.cos(theta)
    beta = p_beam / (e_beam + mp)
    gamma = (e_beam + mp) / rs
    e_star = gamma * (e - beta * pl)
    e_max = (s - M_X_MIN * M_X_MIN + m * m) / (2.0 * rs)
    xr = e_star / e_max
    if xr >= 1.0 or xr <= 0.0:
        return 0.0
    A = par[7]
    B = par[8]
    al = par[9]
    be = par[10]
    a = par[11]
    ga = par[12]
    de = par[13]
    r0 = par[14]
    r1 = par[15]
    ap = a / xr**ga
    bp = a * a / (2.0 * xr**de)
    inv = A * (1.0 - xr) ** al * (1.0 + B * xr) * xr ** (-be) * (1.0 + ap * pt + bp * pt * pt) * math.exp(-ap * pt)
    if par[2] == 0.0:
        ratio = r0 * (1.0 + xr) ** r1  # pi+/pi-
        inv *= 0.5 * (1.0 + 1.0 / ratio)
    elif par[6] < 0.0:
        ratio = r0 * (1.0 - xr) ** r1  # K+/K-
        inv *= 0.25 * (1.0 + 3.0 / ratio)
    else:
        # BdNMC's K0 weight K+ (1 + 3/ratio)/2 evaluates the *pion* ratio 1.05 (1 + x_R)^2.65
        # (BMPT_dist.cpp calls pratio, not pratio_Kaon)
        ratio = PI_PLUS[7] * (1.0 + xr) ** PI_PLUS[8]
        inv *= 0.5 * (1.0 + 3.0 / ratio)
    if par[3] != par[4]:
        if par[5] == 2.0:
            xf = 2.0 * gamma * (pl - beta * e) / rs
            ptc = min(pt, PT_ALPHA_MAX)
            ptp = ptc * ptc
        else:  # BdNMC: x_F = p_L*/sqrt(s), linear p_T, no freeze
            xf = gamma * (pl - beta * e) / rs
            ptp = pt
        alpha = (0.74 - 0.55 * xf + 0.26 * xf * xf) * (0.98 + 0.21 * ptp)
        inv *= (par[3] / par[4]) ** alpha
    return inv


@jit
def bmpt_density(p, theta, par):  # type: ignore[no-untyped-def]
    """Density in (p, theta): d^2 sigma/(dp dtheta) = 2 pi sin(theta) p^2/E x E d^3 sigma/dp^3."""
    if p <= 0.0:
        return 0.0
    m = par[1]
    e = math.sqrt(p * p + m * m)
    return 2.0 * math.pi * math.sin(theta) * p * p / e * bmpt_invariant(p, theta, par)
