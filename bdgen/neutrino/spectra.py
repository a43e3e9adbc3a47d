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

**Kaons** (PDG RPP 2024 masses, lifetimes, branching ratios and form-factor slopes):
K+ -> mu+ nu_mu (two-body, 235.5 MeV line, the muon fully polarised as in pi decay), and the
K_l3 decays K+ -> pi0 l+ nu, K0_L -> pi-+ l+- nu.  The K_l3 Dalitz-plot density in the kaon
rest frame (energies E_pi, E_l; E_nu = m_K - E_pi - E_l) is, with the vector form factor
f+(t) = f+(0)(1 + lambda+ t/m_pi+^2), t = (p_K - p_pi)^2 = m_K^2 + m_pi^2 - 2 m_K E_pi, and
xi = f-/f+ = 0 (the scalar form factor f0 taken equal to f+: the K_mu3/K_e3 rate ratio is then
0.683 against the measured 0.661; the PDG branching ratios are used, so only the K_mu3 neutrino
spectrum is affected, its mean by about 1%):

    rho(E_pi, E_l) ~ f+(t)^2 [m_K (2 E_l E_nu - m_K E'_pi) + m_l^2 (E'_pi/4 - E_nu)],
    E'_pi = (m_K^2 + m_pi^2 - m_l^2)/(2 m_K) - E_pi

(L.-M. Chounet, J.-M. Gaillard, M. K. Gaillard, Phys. Rep. 4 (1972) 199; the form quoted in the
PDG review "K_l3 form factors"; phase space is flat in (E_pi, E_l)).  A spin-0 parent emits the
neutrino isotropically, so its lab distribution is that of a two-body decay with a rest-frame
energy drawn from the marginal of rho (:func:`kl3_neutrino_energies`).
"""

from __future__ import annotations

from functools import lru_cache

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

#: Kaon masses (GeV, via ``particle``), lifetimes (ns) and c tau (m) (PDG RPP 2024).
M_KPM = C._mass(321)
M_KL = C._mass(130)
TAU_KPM = 12.380
TAU_KL = 51.16
CTAU_KPM = TAU_KPM * C.C_M_PER_NS
CTAU_KL = TAU_KL * C.C_M_PER_NS
#: K+ branching ratios (PDG RPP 2024): mu+ nu_mu, pi0 e+ nu_e (K+e3), pi0 mu+ nu_mu (K+mu3).
BR_K_MUNU = 0.6356
BR_K_E3 = 0.0507
BR_K_MU3 = 0.03352
#: K0_L branching ratios (PDG RPP 2024): pi+- e-+ nu (K_Le3), pi+- mu-+ nu (K_Lmu3); half of each
#: gives a neutrino, half an antineutrino.
BR_KL_E3 = 0.4055
BR_KL_MU3 = 0.2704
#: Linear slopes lambda+ of f+(t) (PDG RPP 2024 K+e3 and K0e3 linear fits).
LAMBDA_PLUS_KPM = 0.0297
LAMBDA_PLUS_KL = 0.0282


def two_body_energy(m_parent: float, m_lepton: float) -> float:
    """Neutrino energy (GeV) in the rest frame of a two-body decay parent -> lepton + nu."""
    return (m_parent**2 - m_lepton**2) / (2.0 * m_parent)


#: The pi -> mu nu line, (m_pi^2 - m_mu^2)/(2 m_pi) = 29.79 MeV.
E_PI_MU = two_body_energy(C.M_PIPM, C.M_MU)
#: The pi -> e nu line, 69.8 MeV.
E_PI_E = two_body_energy(C.M_PIPM, C.M_E)
#: The K+ -> mu+ nu line, 235.5 MeV.
E_K_MU = two_body_energy(M_KPM, C.M_MU)
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


def kl3_density(e_pi: np.ndarray, e_l: np.ndarray, m_k: float, m_pi: float, m_l: float,
                lambda_plus: float) -> np.ndarray:
    """K_l3 Dalitz-plot density rho(E_pi, E_l) of the module docstring (arbitrary normalisation;
    energies in GeV in the kaon rest frame, arrays of one shape); 0 outside the Dalitz region."""
    e_pi = np.asarray(e_pi, float)
    e_l = np.asarray(e_l, float)
    e_nu = m_k - e_pi - e_l
    p_pi = np.sqrt(np.maximum(e_pi * e_pi - m_pi * m_pi, 0.0))
    p_l = np.sqrt(np.maximum(e_l * e_l - m_l * m_l, 0.0))
    inside = (e_pi >= m_pi) & (e_l >= m_l) & (e_nu >= 0) & (e_nu >= np.abs(p_pi - p_l)) & (e_nu <= p_pi + p_l)
    t = m_k * m_k + m_pi * m_pi - 2.0 * m_k * e_pi
    f_plus = 1.0 + lambda_plus * t / C.M_PIPM**2
    e_pi_prime = (m_k * m_k + m_pi * m_pi - m_l * m_l) / (2.0 * m_k) - e_pi
    a = m_k * (2.0 * e_l * e_nu - m_k * e_pi_prime) + m_l * m_l * (0.25 * e_pi_prime - e_nu)
    return np.where(inside, f_plus * f_plus * np.maximum(a, 0.0), 0.0)


def kl3_ranges(m_k: float, m_pi: float, m_l: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """(E_pi range, E_l range) (GeV) enclosing the K_l3 Dalitz region."""
    return ((m_pi, (m_k * m_k + m_pi * m_pi - m_l * m_l) / (2.0 * m_k)),
            (m_l, (m_k * m_k + m_l * m_l - m_pi * m_pi) / (2.0 * m_k)))


@lru_cache(maxsize=16)
def _kl3_bound(m_k: float, m_pi: float, m_l: float, lambda_plus: float) -> float:
    """1.2 x the largest K_l3 density on a 201 x 201 grid of the Dalitz box (the rejection bound)."""
    (a0, a1), (b0, b1) = kl3_ranges(m_k, m_pi, m_l)
    g_pi, g_l = np.meshgrid(np.linspace(a0, a1, 201), np.linspace(b0, b1, 201), indexing="ij")
    return 1.2 * float(kl3_density(g_pi, g_l, m_k, m_pi, m_l, lambda_plus).max())


def kl3_neutrino_energies(n: int, m_k: float, m_pi: float, m_l: float, lambda_plus: float,
                          rng: np.random.Generator) -> np.ndarray:
    """n neutrino energies (GeV, kaon rest frame) of K_l3 decays: (E_pi, E_l) drawn from
    :func:`kl3_density` by rejection from the uniform distribution on its bounding box (the
    phase space is flat in (E_pi, E_l)), E_nu = m_K - E_pi - E_l.  Returns shape (n,)."""
    (a0, a1), (b0, b1) = kl3_ranges(m_k, m_pi, m_l)
    bound = _kl3_bound(m_k, m_pi, m_l, lambda_plus)
    out = np.empty(0)
    while out.size < n:
        k = max(2 * (n - out.size), 1024)
        e_pi = rng.uniform(a0, a1, k)
        e_l = rng.uniform(b0, b1, k)
        keep = rng.uniform(0.0, bound, k) < kl3_density(e_pi, e_l, m_k, m_pi, m_l, lambda_plus)
        out = np.concatenate([out, (m_k - e_pi - e_l)[keep]])
    return out[:n]
