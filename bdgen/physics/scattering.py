"""Elastic chi-target scattering through the dark photon: chi e -> chi e, chi N -> chi N.

Notation (PHYSICS.md section 5): E, p are the incoming chi energy and momentum in the target
rest frame, T the target's recoil kinetic energy, M the target mass, Q^2 = 2 M T,
D = m_V^2 + 2 M T, tau = Q^2/(4 M^2).  Units: GeV; cross-sections in GeV^-2 (GeV^-3 for
dsigma/dT).

The cross-section is written once for every target in structure-function form
(PHYSICS.md section 5.2; the hadronic tensor of a spin-1/2 target with Sachs form factors,
e.g. Halzen & Martin, "Quarks and Leptons", eqs. (8.48)-(8.52), with the photon replaced by
the massive V):

    dsigma/dT = 2 pi eps^2 alpha alpha_D M X / (p^2 D^2),
    W1 = tau G_M^2,    W2 = (G_E^2 + tau G_M^2)/(1 + tau),
    scalar chi:  X = W2 (2E - T)^2 - W1 (4 m_chi^2 + 2 M T),
    Dirac chi:   X = W2 [(2E - T)^2 - 2 M T - T^2] + 4 W1 (M T - m_chi^2).

For a point-like target (the electron, G_E = G_M = 1) this is exactly the chi-e formula of
deNiverville, Pospelov, Ritz, arXiv:1107.4580, and BdNMC's ``dsigmadEe`` (PHYSICS.md 5.1);
for nucleons with BBA03 form factors it agrees with BdNMC's F1/F2 form (``DMNscattering.cpp``)
(both checked in tests/physics/test_scattering.py).

Kinematic limits (PHYSICS.md section 5.4): T_max = 2 M p^2/(m_chi^2 + M^2 + 2 M E).
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit
from .form_factors import HBARC_GEV_FM, HELM, helm, sachs

#: Gauss-Legendre nodes and weights on [-1, 1] used for sigma(E) in the kernels.
GL_NODES, GL_WEIGHTS = np.polynomial.legendre.leggauss(48)


@jit
def t_max(e, m_chi, m_target):  # type: ignore[no-untyped-def]
    """Largest recoil kinetic energy T_max(E) (GeV) for chi energy E on a target at rest."""
    p2 = e * e - m_chi * m_chi
    if p2 <= 0.0:
        return 0.0
    return 2.0 * m_target * p2 / (m_chi * m_chi + m_target * m_target + 2.0 * m_target * e)


@jit
def e_min(t, m_chi, m_target):  # type: ignore[no-untyped-def]
    """Smallest chi energy E (GeV) that can give recoil kinetic energy t (inverse of t_max)."""
    return 0.5 * t + math.sqrt(
        0.25 * t * t + m_chi * m_chi + t * (m_chi * m_chi + m_target * m_target) / (2.0 * m_target)
    )


@jit
def structure_x(e, t, m_chi, m_target, dirac, ge, gm):  # type: ignore[no-untyped-def]
    """The factor X(E, T) of the module docstring (GeV^2), given G_E and G_M at Q^2 = 2 M T."""
    tau = t / (2.0 * m_target)
    w1 = tau * gm * gm
    w2 = (ge * ge + tau * gm * gm) / (1.0 + tau)
    a = 2.0 * e - t
    if dirac:
        return w2 * (a * a - 2.0 * m_target * t - t * t) + 4.0 * w1 * (m_target * t - m_chi * m_chi)
    return w2 * a * a - w1 * (4.0 * m_chi * m_chi + 2.0 * m_target * t)


@jit
def structure_x_nucleus(e, t, m_chi, m_target, dirac, zf):  # type: ignore[no-untyped-def]
    """X(E, T) for coherent scattering on a spin-0 nucleus with charge form factor Z F(q):
    W1 = 0, W2 = (Z F)^2 (PHYSICS.md section 5.3): scalar chi (2E - T)^2 W2, Dirac chi
    [(2E - T)^2 - 2 M T - T^2] W2."""
    a = 2.0 * e - t
    if dirac:
        return zf * zf * (a * a - 2.0 * m_target * t - t * t)
    return zf * zf * a * a


@jit
def dsigma_dt(e, t, m_chi, m_v, coupling, m_target, dirac, ff_model, mu, q2_cut, z_nuc=0.0, a_nuc=0.0,
              hbarc=HBARC_GEV_FM):  # type: ignore[no-untyped-def]
    """dsigma/dT in GeV^-3 for chi energy e and recoil kinetic energy t (both GeV).

    ``coupling`` is eps^2 alpha alpha_D.  Zero outside 0 <= t <= T_max(e).  For ``ff_model`` =
    HELM the target is a nucleus of charge ``z_nuc`` and mass number ``a_nuc`` scattering
    coherently (``mu`` and ``q2_cut`` are then unused).
    """
    if t < 0.0 or t > t_max(e, m_chi, m_target) or e <= m_chi:
        return 0.0
    q2 = 2.0 * m_target * t
    if ff_model == HELM:
        x = structure_x_nucleus(e, t, m_chi, m_target, dirac, z_nuc * helm(math.sqrt(q2), a_nuc, hbarc))
    else:
        ge, gm = sachs(ff_model, q2, m_target, mu, q2_cut)
        x = structure_x(e, t, m_chi, m_target, dirac, ge, gm)
    d = m_v * m_v + q2
    p2 = e * e - m_chi * m_chi
    return 2.0 * math.pi * coupling * m_target * x / (p2 * d * d)


@jit
def t_window(e, m_chi, m_target, t_lo, t_hi):  # type: ignore[no-untyped-def]
    """The recoil window [t_lo, t_hi] clipped to [0, T_max(e)]; empty if hi <= lo."""
    hi = min(t_hi, t_max(e, m_chi, m_target))
    lo = max(t_lo, 0.0)
    return lo, hi


@jit
def sigma(e, m_chi, m_v, coupling, m_target, dirac, ff_model, mu, q2_cut, t_lo, t_hi, nodes, weights,
          z_nuc=0.0, a_nuc=0.0, hbarc=HBARC_GEV_FM):  # type: ignore[no-untyped-def]
    """Cross-section (GeV^-2) for recoils with t_lo <= T <= t_hi at chi energy e (GeV).

    Gauss-Legendre quadrature in x = ln D, D = m_V^2 + 2 M T, in which dsigma/dT dT =
    (2 pi coupling X / (2 p^2)) dx / D ... is smooth (the propagator is absorbed by the
    change of variables).  ``nodes``/``weights`` are Gauss-Legendre on [-1, 1] (48 points give
    a relative accuracy better than 1e-8 for the channels in bdgen; see the tests).
    """
    lo, hi = t_window(e, m_chi, m_target, t_lo, t_hi)
    if hi <= lo:
        return 0.0
    mv2 = m_v * m_v
    x0 = math.log(mv2 + 2.0 * m_target * lo)
    x1 = math.log(mv2 + 2.0 * m_target * hi)
    half = 0.5 * (x1 - x0)
    mid = 0.5 * (x1 + x0)
    acc = 0.0
    for k in range(nodes.shape[0]):
        d = math.exp(mid + half * nodes[k])
        t = (d - mv2) / (2.0 * m_target)
        # dT = D dx / (2M), so dsigma = dsigma/dT * D / (2M) dx
        acc += weights[k] * dsigma_dt(e, t, m_chi, m_v, coupling, m_target, dirac, ff_model, mu, q2_cut,
                                      z_nuc, a_nuc, hbarc) * d
    return acc * half / (2.0 * m_target)


def sigma_electron_scalar_closed(
    e: float, m_chi: float, m_v: float, coupling: float, m_e: float, t_lo: float, t_hi: float
) -> float:
    """Closed-form chi-e cross-section for complex-scalar chi (GeV^-2).

    sigma = pi eps^2 alpha alpha_D [F2(E_e,max) - F2(E_e,min)] with BdNMC's primitive
    (``DMscattering.cpp``, PHYSICS.md section 5.1), E_e = T + m_e.  Used as an independent
    oracle for :func:`sigma`.
    """
    lo, hi = t_window(e, m_chi, m_e, t_lo, t_hi)
    if hi <= lo:
        return 0.0
    p2 = e * e - m_chi * m_chi

    def f2(ee: float) -> float:
        d = 2.0 * m_e * (ee - m_e) + m_v * m_v
        return -(
            (4 * e * e * m_e * m_e + 2 * e * m_e * m_v * m_v + m_v * m_v * m_chi * m_chi) / d
            + (2 * e * m_e + m_chi * m_chi) * math.log(d)
        ) / (m_e * m_e * p2)

    return math.pi * coupling * (f2(hi + m_e) - f2(lo + m_e))


@jit
def recoil_cos_theta(e, t, m_chi, m_target):  # type: ignore[no-untyped-def]
    """Cosine of the recoil angle to the incoming chi direction (PHYSICS.md 5.1, 5.2).

    From four-momentum conservation: cos = (p^2 + p_r^2 - p'^2) / (2 p p_r) with
    p_r^2 = T^2 + 2 M T and p'^2 = (E - T)^2 - m_chi^2; equal to
    sqrt(T/(T + 2M)) (E + M)/p.
    """
    p = math.sqrt(e * e - m_chi * m_chi)
    return min(1.0, math.sqrt(t / (t + 2.0 * m_target)) * (e + m_target) / p)


# ---------------------------------------------------------------------------------------------
# Inelastic dark matter: chi_in T -> chi_out T with m_in != m_out (chi1 <-> chi2)
# ---------------------------------------------------------------------------------------------


@jit
def t_range_inel(e, m_in, m_out, m_target):  # type: ignore[no-untyped-def]
    """Recoil kinetic-energy range [T_min, T_max] (GeV) of chi_in(E) T -> chi_out T on a target
    at rest; (0, -1) below threshold.

    From the c.m. momenta p_i, p_f and energies E_i, E_f at s = m_in^2 + M^2 + 2 M E:
    t_(+-) = m_in^2 + m_out^2 - 2 (E_i E_f -+ p_i p_f) and T = -t/(2M) (PDG RPP 2024,
    "Kinematics", eq. (49.33)).
    """
    s = m_in * m_in + m_target * m_target + 2.0 * m_target * e
    rs = math.sqrt(s)
    if rs <= m_out + m_target or e <= m_in:
        return 0.0, -1.0
    li = (s - (m_in + m_target) ** 2) * (s - (m_in - m_target) ** 2)
    lf = (s - (m_out + m_target) ** 2) * (s - (m_out - m_target) ** 2)
    pi = math.sqrt(max(li, 0.0)) / (2.0 * rs)
    pf = math.sqrt(max(lf, 0.0)) / (2.0 * rs)
    ei = (s + m_in * m_in - m_target * m_target) / (2.0 * rs)
    ef = (s + m_out * m_out - m_target * m_target) / (2.0 * rs)
    t_hi = m_in * m_in + m_out * m_out - 2.0 * (ei * ef - pi * pf)
    t_lo = m_in * m_in + m_out * m_out - 2.0 * (ei * ef + pi * pf)
    return max(-t_hi / (2.0 * m_target), 0.0), -t_lo / (2.0 * m_target)


@jit
def structure_x_inel(e, t, m_in, m_out, m_target, w1, w2):  # type: ignore[no-untyped-def]
    """X(E, T) (GeV^2) of a Dirac-like chi_in -> chi_out vector transition (off-diagonal coupling of
    pseudo-Dirac states), normalised as :func:`structure_x` (which it equals for m_in = m_out):

        X = W2 2[2 (k'.P~)(k.P~) - P~^2 (k.k' - m_in m_out)]/M^2
            + W1 2[k.k' - 3 m_in m_out + 2 (k.k' - m_out^2)(m_in^2 - k.k')/q^2],

    the contraction of Tr[(k' + m_out) g^mu (k + m_in) g^nu]/2 with the target tensor
    W1 (-g + q q/q^2) + (W2/M^2) P~ P~, P~ = P + q/2, q^2 = -2 M T, k.k' = (m_in^2 + m_out^2 + 2 M T)/2
    [derived; the q q terms of the chi tensor drop because the target current is conserved].
    """
    q2 = -2.0 * m_target * t
    kk = 0.5 * (m_in * m_in + m_out * m_out) + m_target * t
    k_p = m_target * e + 0.5 * (m_in * m_in - kk)
    kp_p = m_target * (e - t) + 0.5 * (kk - m_out * m_out)
    pp = m_target * m_target + 0.5 * m_target * t
    a = 2.0 * (2.0 * kp_p * k_p - pp * (kk - m_in * m_out)) / (m_target * m_target)
    if q2 < 0.0:
        b = 2.0 * (kk - 3.0 * m_in * m_out + 2.0 * (kk - m_out * m_out) * (m_in * m_in - kk) / q2)
    else:
        b = 0.0
    return w2 * a + w1 * b


@jit
def target_w(ff_model, q2, m_target, mu, q2_cut, z_nuc, a_nuc, hbarc):  # type: ignore[no-untyped-def]
    """(W1, W2) of a target at Q^2 = q2: nucleons and the electron from the Sachs form factors
    (module docstring), nuclei (HELM) W1 = 0, W2 = (Z F(q))^2."""
    if ff_model == HELM:
        zf = z_nuc * helm(math.sqrt(q2), a_nuc, hbarc)
        return 0.0, zf * zf
    ge, gm = sachs(ff_model, q2, m_target, mu, q2_cut)
    tau = q2 / (4.0 * m_target * m_target)
    return tau * gm * gm, (ge * ge + tau * gm * gm) / (1.0 + tau)


@jit
def dsigma_dt_inel(e, t, m_in, m_out, m_v, coupling, m_target, ff_model, mu, q2_cut, z_nuc=0.0, a_nuc=0.0,
                   hbarc=HBARC_GEV_FM):  # type: ignore[no-untyped-def]
    """dsigma/dT (GeV^-3) of chi_in T -> chi_out T: 2 pi coupling M X/(p^2 D^2) as the elastic
    formula, with :func:`structure_x_inel` and p the incoming momentum; zero outside
    [T_min, T_max]."""
    lo, hi = t_range_inel(e, m_in, m_out, m_target)
    if t < lo or t > hi:
        return 0.0
    q2 = 2.0 * m_target * t
    w1, w2 = target_w(ff_model, q2, m_target, mu, q2_cut, z_nuc, a_nuc, hbarc)
    x = structure_x_inel(e, t, m_in, m_out, m_target, w1, w2)
    d = m_v * m_v + q2
    p2 = e * e - m_in * m_in
    return 2.0 * math.pi * coupling * m_target * x / (p2 * d * d)


@jit
def sigma_inel(e, m_in, m_out, m_v, coupling, m_target, ff_model, mu, q2_cut, t_lo, t_hi, nodes, weights,
               z_nuc=0.0, a_nuc=0.0, hbarc=HBARC_GEV_FM):  # type: ignore[no-untyped-def]
    """Cross-section (GeV^-2) of chi_in T -> chi_out T with t_lo <= T <= t_hi, by the quadrature
    of :func:`sigma` over the window clipped to [T_min, T_max]."""
    t0, t1 = t_range_inel(e, m_in, m_out, m_target)
    lo = max(t_lo, t0)
    hi = min(t_hi, t1)
    if hi <= lo:
        return 0.0
    mv2 = m_v * m_v
    x0 = math.log(mv2 + 2.0 * m_target * lo)
    x1 = math.log(mv2 + 2.0 * m_target * hi)
    half = 0.5 * (x1 - x0)
    mid = 0.5 * (x1 + x0)
    acc = 0.0
    for k in range(nodes.shape[0]):
        d = math.exp(mid + half * nodes[k])
        t = min(max((d - mv2) / (2.0 * m_target), lo), hi)
        acc += weights[k] * dsigma_dt_inel(e, t, m_in, m_out, m_v, coupling, m_target, ff_model, mu, q2_cut,
                                           z_nuc, a_nuc, hbarc) * d
    return acc * half / (2.0 * m_target)
