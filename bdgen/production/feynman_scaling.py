"""Feynman-scaling parametrisation of K+ production in p-Be collisions (the BNB's K+ model).

    d^2 sigma/(dp dOmega) = (p^2/E) c1 (1 - |x_F|)^c8
                            exp[-c3 |x_F|^c4 - c7 |p_T x_F|^c6 - c2 p_T - c5 p_T^2]   (mb/(GeV/c sr))

(the invariant cross-section E d^3sigma/dp^3 as a function of x_F and p_T, times p^2/E), with p,
E, p_T the kaon's lab momentum, energy and transverse momentum (GeV), and Feynman's
x_F = p_L*/p*_max: p_L* the longitudinal momentum in the proton-nucleon centre-of-mass frame
(s = 2 m_p (m_p + E_beam), nucleon at rest) and p*_max the largest CM momentum the kaon can
have, that of the exclusive reaction p N -> K + (threshold system), E*_max =
(s + m_K^2 - M_thr^2)/(2 sqrt s), M_thr = m_Lambda + m_p for K+.  Zero for |x_F| > 1.

Source: MiniBooNE collaboration, "The neutrino flux prediction at MiniBooNE", PRD 79 (2009)
072002, arXiv:0806.1449 (section on K+ production; the form is that of C. Mariani, G. Cheng,
J. M. Conrad, M. H. Shaevitz, PRD 84 (2011) 114021, arXiv:1110.0417, which describes it).
The parameters (c1..c7 = 11.70, 0.88, 4.77, 1.51, 2.21, 2.17, 1.51; c8 = 0) are the defaults of
the BooNE Geant4 beam simulation, which cite MiniBooNE Technical Note 209 (G4BNB,
``src/BooNEpBeInteractionMessenger.cc``, command ``/boone/physics/FSKaonPlusPar``); the same
x_F definition and threshold (m_Lambda + m_p = 2.053 GeV) are used by the SBN flux-weight code
(``PrimaryHadronFeynmanScalingWeightCalc``).

Parameter vector of :func:`fs_single` / :func:`fs_density`:
``[p_beam, m_hadron, m_threshold, c1, ..., c8]`` (GeV, GeV, GeV, ...).
"""

from __future__ import annotations

import math

import numpy as np

from .. import constants as C
from .._jit import jit

#: m_Lambda + m_p (GeV): the lightest system recoiling against a K+ in p N -> K+ X (PDG masses
#: via ``particle``).
M_THRESHOLD_KPLUS = C._mass(3122) + C.M_P
_M_P = C.M_P  # a global: a compile-time constant for numba


@jit
def _cm(p_beam, m, m_thr):  # type: ignore[no-untyped-def]
    """(gamma, gamma beta, E*_max, p*_max) (GeV) of the proton-nucleon CM frame (nucleon at rest)
    and of the hadron of mass m at the threshold of p N -> hadron + (mass m_thr); p*_max = -1
    below threshold."""
    e_beam = math.sqrt(p_beam * p_beam + _M_P * _M_P)
    s = 2.0 * _M_P * (_M_P + e_beam)
    rs = math.sqrt(s)
    e_max = (s + m * m - m_thr * m_thr) / (2.0 * rs)
    p_max = math.sqrt(e_max * e_max - m * m) if e_max > m else -1.0
    return (e_beam + _M_P) / rs, p_beam / rs, e_max, p_max


@jit
def fs_single(p, theta, par):  # type: ignore[no-untyped-def]
    """d^2 sigma/(dp dOmega) (mb/(GeV/c sr)) at lab momentum p (GeV/c) and angle theta (rad)
    (module docstring); ``par`` = [p_beam, m_hadron, m_threshold, c1..c8] (GeV, GeV, GeV, ...)."""
    if p <= 0.0:
        return 0.0
    m = par[1]
    gamma, gbeta, _e_max, p_max = _cm(par[0], m, par[2])
    if p_max <= 0.0:
        return 0.0
    e = math.sqrt(p * p + m * m)
    pt = p * math.sin(theta)
    pl = p * math.cos(theta)
    xf = (gamma * pl - gbeta * e) / p_max
    axf = abs(xf)
    if axf > 1.0:
        return 0.0
    c1, c2, c3, c4, c5, c6, c7, c8 = par[3], par[4], par[5], par[6], par[7], par[8], par[9], par[10]
    arg = -c3 * axf**c4 - c7 * (pt * axf) ** c6 - c2 * pt - c5 * pt * pt
    return p * p / e * c1 * (1.0 - axf) ** c8 * math.exp(arg)


@jit
def fs_density(p, theta, par):  # type: ignore[no-untyped-def]
    """Density in (p, theta): 2 pi sin(theta) d^2 sigma/(dp dOmega) (mb/(GeV/c rad))."""
    return 2.0 * math.pi * math.sin(theta) * fs_single(p, theta, par)


def fs_params(p_beam: float, m_hadron: float, m_threshold: float, c: np.ndarray) -> np.ndarray:
    """The parameter vector [p_beam (GeV/c), m_hadron (GeV), m_threshold (GeV), c1..c8], shape (11,)
    (``c`` of length 7 or 8; c8 = 0 when absent)."""
    c = np.asarray(c, float)
    if c.size == 7:
        c = np.append(c, 0.0)
    if c.size != 8:
        raise ValueError(f"Feynman-scaling parameters: {c.size} values, need c1..c7 or c1..c8")
    return np.concatenate([[p_beam, m_hadron, m_threshold], c])


def fs_p_max(par: np.ndarray) -> float:
    """The kaon's lab momentum (GeV/c) at x_F = 1 along the beam: the sampling range in p (kaons
    off the axis can reach slightly higher momenta at |x_F| <= 1; the weight lost is ~1e-4)."""
    gamma, gbeta, e_max, p_max = _cm(float(par[0]), float(par[1]), float(par[2]))
    return max(gamma * p_max + gbeta * e_max, 0.0)
