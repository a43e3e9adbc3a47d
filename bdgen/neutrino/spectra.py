"""Neutrino spectra of pion and muon decays, in the parent's rest frame.

Units: GeV, ns.  Flavours are PDG codes (12 nu_e, -12 anti-nu_e, 14 nu_mu, -14 anti-nu_mu).

**pi -> mu nu** (and pi -> e nu): a two-body line at E* = (m_pi^2 - m_l^2)/(2 m_pi), 29.79 MeV for
the muon channel; isotropic (spin-0 parent).  The muon is fully polarised: in the pion rest frame
the mu+ has helicity -1 and the mu- helicity +1 (V-A; the neutrino is left-handed).
Branching ratios (PDG RPP 2024): BR(pi+ -> mu+ nu_mu) = 0.999877, BR(pi+ -> e+ nu_e) = 1.230e-4.

**mu -> e nu nu** with massless electron and no radiative corrections (the Michel spectra):
with x = 2E/m_mu in [0, 1] and theta the angle between the neutrino and the muon spin (polarisation
P along the spin), the rest-frame distributions per decay are

    mu+ -> e+ nu_e anti-nu_mu:
        anti-nu_mu:  dN/dx dcos = x^2 [(3 - 2x) + P cos (2x - 1)]       (the same as the e+)
        nu_e:        dN/dx dcos = 6 x^2 (1 - x) (1 - P cos)
    mu- -> e- anti-nu_e nu_mu:  the same with P -> -P (nu_mu like anti-nu_mu, anti-nu_e like nu_e).

Unpolarised, dN/dx = 2 x^2 (3 - 2x) for the muon-type and 12 x^2 (1 - x) for the electron-type
neutrino; with E = x m_mu/2 these are the decay-at-rest spectra of K. Scholberg, PRD 73 (2006)
033005, arXiv:hep-ex/0511042, eqs. (2)-(3) (f_nubar_mu = 64 E^2/m^3 (3/4 - E/m),
f_nu_e = 192 E^2/m^3 (1/2 - E/m)); means <E> = 7/20 m_mu = 36.98 MeV and 3/10 m_mu = 31.70 MeV.
The angular terms follow from the V-A matrix element |M|^2 ~ (p_mu - m s).p_nue p_e.p_numubar
(e.g. L. Michel, Proc. Phys. Soc. A63 (1950) 514; the polarised form as in S. Geer, PRD 57
(1998) 6989, eqs. (1)-(2)); the tests check them against momentum conservation.
"""

from __future__ import annotations

import numpy as np

from .. import constants as C

#: Lifetimes (PDG RPP 2024), ns.
TAU_PI = 26.033
TAU_MU = 2196.9811
#: c tau, m.
CTAU_PI = TAU_PI * C.C_M_PER_NS
CTAU_MU = TAU_MU * C.C_M_PER_NS
#: Branching ratios of the charged pion (PDG RPP 2024).
BR_PI_MUNU = 0.999877
BR_PI_ENU = 1.230e-4


def two_body_energy(m_parent: float, m_lepton: float) -> float:
    """Neutrino energy (GeV) in the rest frame of a two-body decay parent -> lepton + nu."""
    return (m_parent**2 - m_lepton**2) / (2.0 * m_parent)


#: The pi -> mu nu line, (m_pi^2 - m_mu^2)/(2 m_pi) = 29.79 MeV.
E_PI_MU = two_body_energy(C.M_PIPM, C.M_MU)
#: The pi -> e nu line, 69.8 MeV.
E_PI_E = two_body_energy(C.M_PIPM, C.M_E)
#: Michel endpoint m_mu/2, GeV.
E_MICHEL_MAX = 0.5 * C.M_MU


def is_electron_type(flavour: int) -> bool:
    """True for nu_e / anti-nu_e."""
    return abs(flavour) == 12


def michel_pdf(e: np.ndarray | float, flavour: int) -> np.ndarray:
    """Unpolarised muon-decay-at-rest spectrum dN/dE (GeV^-1, normalised to 1) of ``flavour``:
    12 x^2 (1 - x) for nu_e (mu+) and anti-nu_e (mu-), 2 x^2 (3 - 2x) for anti-nu_mu (mu+) and
    nu_mu (mu-), x = 2E/m_mu."""
    x = 2.0 * np.asarray(e, float) / C.M_MU
    inside = (x >= 0) & (x <= 1)
    shape = 12.0 * x * x * (1.0 - x) if is_electron_type(flavour) else 2.0 * x * x * (3.0 - 2.0 * x)
    return np.where(inside, shape * 2.0 / C.M_MU, 0.0)


def michel_mean_energy(flavour: int) -> float:
    """Exact mean energy (GeV) of :func:`michel_pdf`: 3/10 m_mu (electron type), 7/20 m_mu."""
    return (0.3 if is_electron_type(flavour) else 0.35) * C.M_MU


def michel_cdf(x: np.ndarray, flavour: int) -> np.ndarray:
    """Cumulative distribution in x = 2E/m_mu: 4x^3 - 3x^4 (electron type), 2x^3 - x^4."""
    x = np.clip(np.asarray(x, float), 0.0, 1.0)
    return 4.0 * x**3 - 3.0 * x**4 if is_electron_type(flavour) else 2.0 * x**3 - x**4


def sample_michel_x(u: np.ndarray, flavour: int) -> np.ndarray:
    """x = 2E/m_mu with the unpolarised Michel distribution, from uniforms ``u`` (inverse CDF by
    bisection to machine precision; the CDF is monotonic on [0, 1])."""
    u = np.asarray(u, float)
    lo = np.zeros_like(u)
    hi = np.ones_like(u)
    for _ in range(55):
        mid = 0.5 * (lo + hi)
        below = michel_cdf(mid, flavour) < u
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def polarisation_factor(x: np.ndarray, cos_spin: np.ndarray, flavour: int, muon_charge: int) -> np.ndarray:
    """Ratio of the polarised to the unpolarised rest-frame distribution (module docstring) for a
    fully polarised muon; ``cos_spin`` is the cosine between the neutrino and the muon spin.

    ``muon_charge`` is +1 (mu+ -> e+ nu_e anti-nu_mu) or -1 (mu- -> e- anti-nu_e nu_mu).  The
    factor averages to 1 over cos_spin at fixed x, so the energy spectrum is unchanged."""
    x = np.asarray(x, float)
    c = np.asarray(cos_spin, float) * (1.0 if muon_charge > 0 else -1.0)
    if is_electron_type(flavour):
        return 1.0 - c + 0.0 * x
    return 1.0 + c * (2.0 * x - 1.0) / (3.0 - 2.0 * x)


def decay_length(p: np.ndarray, mass: float, ctau: float) -> np.ndarray:
    """Mean decay length (m) beta gamma c tau of a particle of momentum p (GeV)."""
    return np.asarray(p, float) / mass * ctau
