"""Thermal relic targets: the couplings for which chi freezes out with the observed abundance.

Method (standard freeze-out of a particle-antiparticle pair in equilibrium with the SM plasma):

- Annihilation chi chibar -> V* -> f fbar through the s-channel V with the resonance formula
  sigma(s) = (4 pi g_s / k^2) s Gamma_in(sqrt s) Gamma_out(sqrt s) / [(s - m_V^2)^2 + Im Pi(s)^2],
  k the CM momentum, g_s = 3/((2s_chi+1)^2) the spin factor, Gamma_in the V* -> chi chibar width
  and Gamma_out = sum_l Gamma(V* -> l+ l-) + Gamma(V* -> mu mu)|_(m->0) R(sqrt s) (PDG RPP 2024,
  "Kinematics", eq. (49.52); it reproduces the s- and p-wave limits of PHYSICS.md section 6).
  Im Pi(s) = sqrt(s) Gamma_V(sqrt s), the running width (the total width of a V* of mass sqrt s:
  DM pair + SM; optical theorem), which is m_V Gamma_V on the pole and vanishes with the DM-pair
  phase space at threshold, as in bdgen's production (bdgen.physics.meson_decays).  The
  fixed-width form m_V^2 Gamma_V^2 (``gamma_v`` of :func:`sigma_annihilation`) puts the on-shell
  width at every s and lowers sigma at threshold by m_V^2 Gamma_V^2/(m_V^2 - 4 m_chi^2)^2: 7.5%
  for Dirac chi at m_V = 3 m_chi, alpha_D = 0.5 (0.1% scalar, 0.4% Majorana), O(alpha_D^2), a
  spurious term of the order of the neglected real part of the self-energy (docs/thermal.md
  section 2).
- Thermal average <sigma v> of Gondolo and Gelmini, Nucl. Phys. B360 (1991) 145, eq. (3.8).
- Boltzmann equation for Y = n_chi/s (Gondolo-Gelmini eq. (4.1); Kolb and Turner, "The Early
  Universe", section 5.2): dY/dx = -sqrt(pi/45) M_Pl m g_*^{1/2} <sigma v> (Y^2 - Y_eq^2)/x^2,
  Y_eq = 45 g_chi x^2 K_2(x)/(4 pi^4 h_eff), integrated with scipy's Radau from x = 1 to 2000.
- Relativistic degrees of freedom g_eff(T), h_eff(T) computed from the SM particle content with
  the exact Bose/Fermi integrals (masses from the ``particle`` package): quarks and gluons above
  T_QCD = 150 MeV, a gas of pi, K, eta, rho, omega below; neutrinos decouple at 2 MeV and keep
  their entropy, so (T_nu/T)^3 = h_pl(T)/h_pl(2 MeV) afterwards, with h_pl the entropy of the
  plasma they leave behind: photons, e+- and chi itself, whose annihilations heat the photons
  until it freezes out (``neutrinos="decoupled"``, the default; ``chi_heating=False`` leaves chi
  out; Kolb and Turner section 3.4); today's s_0 then follows from h_0 = 2 + (21/4)(T_nu/T)^3 and
  the measured photon temperature.  ``neutrinos="coupled"`` keeps them at the photon temperature while Omega still uses
  today's measured entropy, not a consistent cosmology but the convention that reproduces the
  published light-DM target lines below m_chi ~ 3 MeV, docs/thermal.md section 7).  The QCD transition is a step
  (the lattice curve of Borsanyi et al. is smoother; this matters only for 0.5 < m_chi < 5 GeV).
- Omega h^2 = 2 x 2.744e8 (m/GeV) Y_inf (h_0/(43/11)) for chi + chibar (s_0/rho_c h^2 from PDG
  RPP 2024, "Astrophysical constants", for h_0 = 43/11); the target is Omega h^2 = 0.120 (Planck 2018, arXiv:1807.06209).

The target is reported as Y = eps^2 alpha_D (m_chi/m_V)^4 at fixed alpha_D and m_V/m_chi.

Four DM species (``dm``; docs/thermal.md has the derivations and the comparison with published
curves):

- ``scalar``: complex scalar, g_D V_mu i(chi* d chi - chi d chi*); chi and chi* with g = 1 each.
- ``dirac``: g_D V_mu chibar gamma^mu chi; chi and chibar with g = 2 each (4 states in all).
- ``majorana``: (g_D/2) V_mu chibar gamma^mu gamma^5 chi (a Majorana field has no vector
  current; the axial current g_D psibar gamma^mu gamma^5 psi of a Dirac psi = (chi1 + i chi2)/sqrt 2
  is (g_D/2) of each Majorana chi_i's); with it bdgen reproduces the ratio Majorana/scalar ~ 1/2
  of the published target lines (docs/thermal.md; Majorana, pseudo-Dirac and scalar targets as in
  Izaguirre, Krnjaic, Schuster, Toro, PRL 115 (2015) 251301, arXiv:1505.00011, and Berlin et al.,
  arXiv:1807.01730).  Its Feynman rule is g_D gamma^mu gamma^5,
  so sigma(chi chi -> V* -> f fbar) equals the Dirac axial-vector cross-section (no factor for
  identical initial particles), p-wave near threshold; Gamma(V -> chi chi) = (alpha_D/6) m_V beta^3
  (half the Dirac axial width: identical particles).  Self-conjugate, g = 2, and the Boltzmann
  equation is dn/dt = -<sigma v>(n^2 - n_eq^2).
- ``pseudo_dirac``: a Dirac fermion split by small, equal Majorana masses into chi1 (m_chi) and
  chi2 (m_chi + Delta); the vector current becomes off-diagonal, i g_D V_mu chi1bar gamma^mu chi2,
  so chi1 chi2 -> V* -> f fbar is the Dirac (s-wave) process and chi1 chi1, chi2 chi2 do not
  annihilate at tree level.  Coannihilation as in Griest and Seckel, PRD 43 (1991) 3191:
  n = n1 + n2, dn/dt = -<sigma_eff v>(n^2 - n_eq^2), <sigma_eff v> = 2 <sigma_12 v> r1 r2 with
  r_i = n_i,eq/n_eq (chi2 <-> chi1 conversions, chi2 e -> chi1 e, keep the ratio at equilibrium),
  <sigma_12 v> the relativistic average of Edsjo and Gondolo, PRD 56 (1997) 1879,
  arXiv:hep-ph/9704361 (the Gondolo-Gelmini integral for unequal masses), g1 = g2 = 2, and every
  chi2 ends as a chi1 (Omega h^2 from m_chi Y_inf).  As Delta -> 0, r1 = r2 = 1/2 and the equation
  is the Dirac one for n = n_chi + n_chibar with g = 4: the same target.
  The default Delta = ``DEFAULT_SPLITTING`` x m_chi (docs/thermal.md).
"""

from __future__ import annotations

import itertools
import math
import operator
from functools import lru_cache, partial

import numpy as np
from scipy import integrate, optimize, special

from . import constants as C
from .physics.widths import r_ratio, width_to_chi, width_to_fermions

M_PLANCK = 1.220890e19  # GeV (PDG RPP 2024)
OMEGA_H2 = 0.120        # Planck 2018
OMEGA_PER_Y = 2.744e8   # Omega h^2 per (m/GeV) per Y, s_0 h^2/rho_c
T_QCD = 0.150           # GeV
T_NU_DEC = 0.002        # GeV
NEUTRINO_HISTORIES = ("decoupled", "coupled")  # neutrinos decouple at T_NU_DEC / stay at the photon temperature
GEV2_TO_CM3_PER_S = C.GEV2_TO_M2 * 1e4 * 2.99792458e10  # (GeV^-2 -> cm^2) x c in cm/s
DM_KINDS = ("scalar", "dirac", "majorana", "pseudo_dirac")
DEFAULT_SPLITTING = 1e-3  # Delta/m_chi1 of the pseudo-Dirac target: the small-splitting limit (docs/thermal.md)
_M_TAU = 1.77686          # GeV (PDG RPP 2024)


def _dof_species(T: float) -> list[tuple[float, float, int]]:
    """(mass GeV, internal dof, +1 fermion / -1 boson) of the particles in equilibrium at T."""
    from particle import Particle

    def m(pdg: int) -> float:
        return float(Particle.from_pdgid(pdg).mass) * 1e-3  # type: ignore[arg-type]

    sp: list[tuple[float, float, int]] = [(0.0, 2, -1), (m(11), 4, 1), (m(13), 4, 1), (m(15), 4, 1),
                                           (m(24), 6, -1), (m(23), 3, -1), (m(25), 1, -1)]
    if T > T_QCD:
        sp += [(0.0, 16, -1)] + [(m(q), 12, 1) for q in (1, 2, 3, 4, 5, 6)]
    else:
        sp += [(m(211), 2, -1), (m(111), 1, -1), (m(321), 4, -1), (m(221), 1, -1), (m(113), 9, -1), (m(223), 3, -1)]
    return sp


def _rho_s(m: float, g: float, stat: int, T: float) -> tuple[float, float]:
    """Energy density and entropy of one species in units of (pi^2/30) T^4 and (2 pi^2/45) T^3."""
    x = m / T
    if x > 40:
        return 0.0, 0.0
    f = (lambda u: 1.0 / (math.exp(u) + 1.0)) if stat == 1 else (lambda u: 1.0 / math.expm1(u))
    # rho = g/(2 pi^2) T^4 int u^2 E f du, E = sqrt(u^2 + x^2); s = (rho + p)/T
    rho = integrate.quad(lambda u: u * u * math.sqrt(u * u + x * x) * f(math.sqrt(u * u + x * x)), 0, 60)[0]
    p = integrate.quad(lambda u: u**4 / (3 * math.sqrt(u * u + x * x)) * f(math.sqrt(u * u + x * x)), 0, 60)[0]
    norm_rho = g / (2 * math.pi**2) / (math.pi**2 / 30)
    norm_s = g / (2 * math.pi**2) / (2 * math.pi**2 / 45)
    return norm_rho * rho, norm_s * (rho + p)


def _dof_sm(T: float) -> tuple[float, float, float]:
    """(g_eff, h_eff) of the SM plasma at temperature T (GeV) without the neutrinos, and h of the
    photons and electrons alone (the plasma that heats up when the neutrinos have decoupled)."""
    g_eff = h_eff = h_ge = 0.0
    for mass, g, stat in _dof_species(T):
        r, s = _rho_s(mass, g, stat, T)
        g_eff += r
        h_eff += s
        if mass < 0.001:
            h_ge += s
    return g_eff, h_eff, h_ge


ChiStates = tuple[tuple[float, float, int], ...]


def _h_chi(T: float, chi: ChiStates) -> float:
    """Entropy of chi's states ``chi`` = ((mass GeV, internal dof, +1 fermion / -1 boson), ...) in
    equilibrium at T (GeV), in units of (2 pi^2/45) T^3."""
    return sum(_rho_s(m, g, stat, T)[1] for m, g, stat in chi)


def _nu_ratio3(T: float, t_nu_dec: float, h_ge: float, chi: ChiStates = ()) -> float:
    """(T_nu/T)^3 at T (GeV) for neutrinos decoupled at ``t_nu_dec``: separate entropy conservation
    of the neutrinos and of the plasma they leave behind (photons, e+-, and chi's states ``chi``,
    in equilibrium with the photons until they freeze out),
    (T_nu/T)^3 = h_pl(T)/h_pl(T_dec), h_pl = h_(gamma,e) + h_chi, with h_(gamma,e)(T_dec) = 11/2
    (e+- relativistic at decoupling; Kolb and Turner, "The Early Universe", section 3.4)."""
    if T >= t_nu_dec:
        return 1.0
    return (h_ge + _h_chi(T, chi)) / (5.5 + _h_chi(t_nu_dec, chi))


def neutrino_history(neutrinos: str) -> float:
    """The neutrino decoupling temperature (GeV) of a history in NEUTRINO_HISTORIES (0 for "coupled");
    ValueError naming the value otherwise."""
    if neutrinos not in NEUTRINO_HISTORIES:
        raise ValueError(f"neutrinos = {neutrinos!r}: must be one of {', '.join(NEUTRINO_HISTORIES)}")
    return T_NU_DEC if neutrinos == "decoupled" else 0.0


@lru_cache(maxsize=1)
def _sm_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ln T, g_eff and h_eff without neutrinos, h_(gamma,e) on 600 points from 10 keV to 10 TeV
    (:func:`_dof_sm`, computed once)."""
    ln_t = np.linspace(math.log(1e-5), math.log(1e4), 600)
    vals = np.array([_dof_sm(math.exp(v)) for v in ln_t])
    return ln_t, vals[:, 0], vals[:, 1], vals[:, 2]


@lru_cache(maxsize=8)
def _dof_table(t_nu_dec: float = T_NU_DEC, chi: ChiStates = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ln T, g_eff, h_eff on the points of :func:`_sm_table` (computed once per t_nu_dec and chi):
    the SM plasma from the Bose/Fermi integrals plus the neutrinos, at the photon temperature above
    ``t_nu_dec`` (GeV; 0: always) and below it with their own entropy, (T_nu/T)^3 from
    :func:`_nu_ratio3` with chi's states ``chi`` in the plasma they leave behind.  chi's own g, h
    are left out: by freeze-out they are a few 1e-4 of the total or less, and including them moves
    the target by ~3e-5 (docs/thermal.md section 4)."""
    ln_t, g0, h0, hge = _sm_table()
    ratio3 = [_nu_ratio3(math.exp(v), t_nu_dec, he, chi) for v, he in zip(ln_t.tolist(), hge.tolist(), strict=True)]
    # element by element in Python floats (numpy's array power can differ in the last bit)
    g = np.array([a + 6 * 7 / 8 * r ** (4 / 3) for a, r in zip(g0.tolist(), ratio3, strict=True)])
    h = np.array([a + 6 * 7 / 8 * r for a, r in zip(h0.tolist(), ratio3, strict=True)])
    return ln_t, g, h


def dof(T: float, neutrinos: str = "decoupled", chi: ChiStates = ()) -> tuple[float, float]:
    """(g_eff, h_eff) at temperature T (GeV): the exact values tabulated in ln T and interpolated
    linearly (the QCD step is kept sharp by the table's resolution, 1.5% in T).  ``neutrinos``:
    "decoupled" (at 2 MeV, the default) or "coupled" (at the photon temperature throughout);
    ``chi``: ((mass GeV, internal dof, +1 fermion / -1 boson), ...) of chi's states, whose entropy
    goes to the photons after neutrino decoupling and so cools the neutrinos relative to them
    (only for "decoupled"; default none, the SM plasma alone)."""
    t_dec = neutrino_history(neutrinos)
    ln_t, g, h = _dof_table(t_dec, chi if t_dec > 0 else ())
    lt = math.log(T)
    return float(np.interp(lt, ln_t, g)), float(np.interp(lt, ln_t, h))


def h_today(neutrinos: str = "decoupled", chi: ChiStates = ()) -> float:
    """h_eff today, 2 + (21/4)(T_nu/T)^3 with (T_nu/T)^3 = 2/(11/2 + h_chi(T_dec)): 43/11 for the SM
    plasma alone, less when chi's states ``chi`` (:func:`dof`) heat the photons after neutrino
    decoupling; for "coupled", 43/11 (the measured s_0, docs/thermal.md section 7)."""
    t_dec = neutrino_history(neutrinos)
    if t_dec <= 0 or not chi:
        return 43 / 11
    return 2.0 + 6 * 7 / 8 * 2.0 / (5.5 + _h_chi(t_dec, chi))


@lru_cache(maxsize=8)
def _dlnh_table(t_nu_dec: float = T_NU_DEC, chi: ChiStates = ()) -> tuple[np.ndarray, np.ndarray]:
    """d ln h_eff/d ln T at the midpoints of the ln T table (computed once per t_nu_dec and chi)."""
    ln_t, _g, hh = _dof_table(t_nu_dec, chi)
    return 0.5 * (ln_t[1:] + ln_t[:-1]), np.diff(np.log(hh)) / np.diff(ln_t)


def _g_half(T: float, neutrinos: str = "decoupled", chi: ChiStates = ()) -> float:
    """g_*^{1/2} = h_eff/sqrt(g_eff) (1 + (1/3) dln h_eff/dln T) (Gondolo-Gelmini eq. (2.5))."""
    g, h = dof(T, neutrinos, chi)
    t_dec = neutrino_history(neutrinos)
    mid, dlnh_dlnt = _dlnh_table(t_dec, chi if t_dec > 0 else ())
    dlnh = float(np.interp(math.log(T), mid, dlnh_dlnt))
    return h / math.sqrt(g) * (1 + dlnh / 3)


def dm_kind(dm: str | bool) -> str:
    """The species name for ``dm`` (one of DM_KINDS; True/False, the old ``dirac`` flag, map to
    "dirac"/"scalar")."""
    if isinstance(dm, (bool, np.bool_)):
        return "dirac" if dm else "scalar"
    if dm not in DM_KINDS:
        raise ValueError(f"dm = {dm!r}: one of {', '.join(DM_KINDS)}")
    return str(dm)


def _kallen(a: float, b: float, c: float) -> float:
    return a * a + b * b + c * c - 2 * (a * b + a * c + b * c)


def width_vector_pair(m_v: float, alpha: float, m1: float, m2: float) -> float:
    """Gamma(V -> f1 fbar2) (GeV) for a vector coupling g = sqrt(4 pi alpha) between two fermions
    of masses m1, m2 (V polarisations summed with -g + q q/m_V^2, averaged over 3):

        Gamma = (alpha/3) m_V lambda^(1/2)(1, r1, r2) [1 - (r1 + r2)/2 + 3 sqrt(r1 r2) - (r1 - r2)^2/2],

    r_i = m_i^2/m_V^2 (derived in docs/thermal.md; m1 = m2 gives the Dirac width
    (alpha/3) m_V (1 + 2r) sqrt(1 - 4r) of bdgen.physics.widths).  Zero below threshold."""
    if m1 + m2 >= m_v:
        return 0.0
    r1, r2 = (m1 / m_v) ** 2, (m2 / m_v) ** 2
    lam = max(_kallen(1.0, r1, r2), 0.0)
    return alpha / 3.0 * m_v * math.sqrt(lam) * (1 - 0.5 * (r1 + r2) + 3 * math.sqrt(r1 * r2) - 0.5 * (r1 - r2) ** 2)


def width_axial_majorana(m_v: float, alpha_d: float, m_chi: float) -> float:
    """Gamma(V -> chi chi) (GeV) for a Majorana chi with (g_D/2) V_mu chibar gamma^mu gamma^5 chi:
    (alpha_D/6) m_V beta^3, beta = sqrt(1 - 4 m^2/m_V^2), half the Dirac axial-vector width
    (alpha_D/3) m_V beta^3 because the two chi are identical (docs/thermal.md)."""
    r = (m_chi / m_v) ** 2
    if 4 * r >= 1:
        return 0.0
    return alpha_d / 6.0 * m_v * (1 - 4 * r) ** 1.5


def width_v_to_dm(m_v: float, alpha_d: float, dm: str | bool, m_chi: float, m_chi2: float | None = None) -> float:
    """Gamma(V -> DM pair) (GeV) for the species ``dm``; for pseudo-Dirac chi1 chi2 with
    m_chi2 (default m_chi) the mass of chi2."""
    kind = dm_kind(dm)
    if kind == "majorana":
        return width_axial_majorana(m_v, alpha_d, m_chi)
    if kind == "pseudo_dirac":
        return width_vector_pair(m_v, alpha_d, m_chi, m_chi if m_chi2 is None else m_chi2)
    return float(width_to_chi(m_v, alpha_d, m_chi, kind == "dirac"))


def _width_sm(m_v: float, epsilon: float) -> float:
    """Gamma(V* -> e e, mu mu, tau tau, hadrons) at mass m_v (hadrons via R, as in the docstring)."""
    a = C.ALPHA * epsilon**2
    g = sum(float(width_to_fermions(m_v, a, ml)) for ml in (C.M_E, C.M_MU, _M_TAU))
    return g + float(width_to_fermions(m_v, a, 0.0)) * r_ratio(m_v)


def total_width_v(m_chi: float, m_v: float, epsilon: float, alpha_d: float, dirac: str | bool,
                  *, m_chi2: float | None = None) -> float:
    """Gamma_V (GeV) at m_V: the DM pair of species ``dirac`` (pseudo_dirac: chi1 chi2, m_chi2
    default m_chi) plus e, mu, tau and hadrons (via R), as in the propagator of
    :func:`sigma_annihilation`."""
    kind = dm_kind(dirac)
    m2 = m_chi if (kind != "pseudo_dirac" or m_chi2 is None) else m_chi2
    return width_v_to_dm(m_v, alpha_d, kind, m_chi, m2) + _width_sm(m_v, epsilon)


def sigma_annihilation(s: float, m_chi: float, m_v: float, epsilon: float, alpha_d: float, dirac: str | bool,
                       *, m_chi2: float | None = None, gamma_v: float | None = None) -> float:
    """sigma(chi chi' -> V* -> SM) in GeV^-2 at CM energy^2 s (resonance formula, module docstring).

    ``dirac``: the species, one of DM_KINDS (or the old flag: True = Dirac, False = scalar).
    pseudo_dirac is chi1 chi2 with m_chi2 (default m_chi) the mass of chi2.  In
    sigma = (4 pi g_s/k^2) s Gamma_in Gamma_out / [(s - m_V^2)^2 + m_V^2 Gamma_V^2], g_s = 3/4 for
    fermions and 3 for scalars, k the CM momentum, and for Majorana (identical initial particles)
    Gamma_in = 2 Gamma(V* -> chi chi), the Dirac axial-vector width (docs/thermal.md).
    The width term is the running sqrt(s) Gamma_V(sqrt s) (module docstring); ``gamma_v``
    (GeV, e.g. :func:`total_width_v`) selects the fixed-width form m_V^2 Gamma_V^2 instead (a
    diagnostic: the convention of a constant-width Breit-Wigner).
    """
    kind = dm_kind(dirac)
    m2 = m_chi if (kind != "pseudo_dirac" or m_chi2 is None) else m_chi2
    if s <= (m_chi + m2) ** 2:
        return 0.0
    rs = math.sqrt(s)
    g_dm = width_v_to_dm(rs, alpha_d, kind, m_chi, m2)
    g_in = 2.0 * g_dm if kind == "majorana" else g_dm
    g_out = _width_sm(rs, epsilon)
    im = rs * (g_dm + g_out) if gamma_v is None else m_v * gamma_v
    k2 = _kallen(s, m_chi**2, m2**2) / (4 * s)
    spin = 3.0 if kind == "scalar" else 3.0 / 4.0
    return 4 * math.pi * spin / k2 * s * g_in * g_out / ((s - m_v**2) ** 2 + im * im)


def sigma_v_thermal(x: float, m: float, sigma: callable, resonance: float | None = None,  # type: ignore[valid-type]
                    *, m2: float | None = None) -> float:
    """<sigma v> (GeV^-2) at x = m/T (Gondolo-Gelmini eq. (3.8)):

        <sigma v> = 1/(8 m^4 T K_2(x)^2) int_{4m^2} sigma(s) (s - 4m^2) sqrt(s) K_1(sqrt(s)/T) ds,

    evaluated in t = s/(m + m2)^2 - 1 with the Bessel functions' exponentials scaled out.
    ``resonance`` (GeV^2) is a pole of sigma to split the integral at.

    With ``m2`` (a second species of mass m2 != m) it is the average over the two Maxwell-Boltzmann
    distributions, normalised to n_1,eq n_2,eq (Edsjo-Gondolo, PRD 56 (1997) 1879; the general
    collision term of Gondolo-Gelmini):

        <sigma_12 v> = 1/(2 m^2 m2^2 T K_2(m/T) K_2(m2/T)) int_{(m+m2)^2} sigma(s) p_12^2 sqrt(s) K_1(sqrt(s)/T) ds,

    p_12 = lambda^(1/2)(s, m^2, m2^2)/(2 sqrt s) the CM momentum; m2 = m gives the formula above.
    """
    mb = m if m2 is None else m2
    T = m / x
    xb = mb / T
    msum2 = (m + mb) ** 2
    z0 = x + xb
    denom = 2 * m * m * mb * mb * T * special.kve(2, x) * special.kve(2, xb)

    def integrand(t: float) -> float:
        s = msum2 * (1 + t)
        z = math.sqrt(s) / T
        p2 = _kallen(s, m * m, mb * mb) / (4 * s)
        return sigma(s) * p2 * math.sqrt(s) * special.k1e(z) * math.exp(-(z - z0)) * msum2

    t_max = 60.0 / x + 60.0 / x**0.5 if x > 1 else 60.0
    # the Boltzmann factor is exp(-(x + xb)(sqrt(1 + t) - 1)) ~ exp(-t/tau): break the range at
    # multiples of tau so that quad resolves the peak at t ~ tau << t_max when x >> 1
    # and a resonance, of unknown width, is the common end of sub-ranges shrinking geometrically
    # towards it (down to 1e-6 t_r) so that Gauss-Kronrod nodes fall inside even a narrow peak
    tau = 2.0 / z0
    edges = [0.0] + [f * tau for f in (0.5, 2.0, 8.0, 30.0) if f * tau < t_max] + [t_max]
    if resonance is not None:
        t_r = resonance / msum2 - 1
        if 0 < t_r < t_max:
            edges += [t_r] + [t_r + sg * t_r * 10.0 ** (-k / 2) for k in range(2, 13) for sg in (-1, 1)]
    edges = sorted(e for e in edges if 0.0 <= e <= t_max)
    val = sum(integrate.quad(integrand, a, b, limit=200, epsrel=1e-7)[0] for a, b in itertools.pairwise(edges) if b > a)
    return val / denom


def equilibrium_fractions(x: float, states: tuple[tuple[float, float], ...]) -> np.ndarray:
    """r_i = n_i,eq/sum_j n_j,eq at x = m/T for states (g_i, m_i/m) (Maxwell-Boltzmann,
    n_i,eq = g_i m_i^2 T K_2(m_i/T)/(2 pi^2); Griest-Seckel's r_i with the exact K_2)."""
    w = np.array([g * q * q * special.kve(2, x * q) * math.exp(-x * (q - 1.0)) for g, q in states])
    return w / w.sum()


def _y_eq(x: float, h: float, states: tuple[tuple[float, float], ...]) -> float:
    """Y_eq = n_eq/s = sum_i 45 g_i (x q_i)^2 K_2(x q_i)/(4 pi^4 h_eff), states (g_i, q_i = m_i/m)."""
    return sum(45 * g / (4 * math.pi**4 * h) * (x * q) ** 2 * special.kn(2, x * q) for g, q in states)


def relic_abundance(m: float, sigma_v: callable, *, g_chi: float, self_conjugate: bool = False,  # type: ignore[valid-type]
                    states: tuple[tuple[float, float], ...] | None = None, neutrinos: str = "decoupled",
                    chi: ChiStates = ()) -> float:
    """Omega h^2 of chi (plus chibar unless ``self_conjugate``) for <sigma v>(x) in GeV^-2.

    ``neutrinos``: the history of the neutrino temperature in g_eff, h_eff (:func:`dof`).
    ``chi``: ((mass GeV, internal dof, +1 fermion / -1 boson), ...) of all of chi's states, whose
    entropy goes to the photons after neutrino decoupling (:func:`dof`, :func:`chi_plasma_states`);
    default none.  Omega h^2 = s_0 m Y_inf/rho_c with today's s_0 = (2 pi^2/45) h_0 T_0^3,
    h_0 = :func:`h_today`: the measured s_0 (h_0 = 43/11) without ``chi``, consistent for "decoupled",
    whose h_eff ends at 43/11, and scaled by h_0/(43/11) with ``chi`` (cooler neutrinos, the same
    measured photon temperature T_0); "coupled" ends at 7.25 and is the convention of
    published lines, not a consistent history (docs/thermal.md section 7).

    ``states``: (g_i, m_i/m) of several states in chemical equilibrium with each other that all end
    as the lightest one, of mass m (coannihilation, Griest-Seckel): Y counts them all and
    <sigma v> is then <sigma_eff v>; the default is the single state (g_chi, 1).
    """
    sts = ((g_chi, 1.0),) if states is None else tuple(states)

    chi = tuple((float(mc), float(gc), int(sc)) for mc, gc, sc in chi)

    def rhs(x: float, w: np.ndarray) -> np.ndarray:
        T = m / x
        _g, h = dof(T, neutrinos, chi)
        lam = math.sqrt(math.pi / 45) * M_PLANCK * m * _g_half(T, neutrinos, chi) * sigma_v(x) / x**2
        y = math.exp(min(max(w[0], -300.0), 50.0))
        yeq = _y_eq(x, h, sts)
        return np.array([-lam * (y * y - yeq * yeq) / y])

    x0 = 1.0
    _g0, h0 = dof(m / x0, neutrinos, chi)
    y0 = _y_eq(x0, h0, sts)
    sol = integrate.solve_ivp(rhs, (x0, 2000.0), [math.log(y0)], method="Radau", rtol=1e-6, atol=1e-9)
    y_inf = math.exp(sol.y[0, -1])
    s0_scale = h_today(neutrinos, chi) / (43 / 11)
    return OMEGA_PER_Y * s0_scale * m * y_inf * (1.0 if self_conjugate else 2.0)


def min_ratio(dm: str | bool, splitting: float = DEFAULT_SPLITTING) -> float:
    """Smallest m_V/m_chi for which V -> chi chi' is open: 2, or 2 + splitting (Delta/m_chi1)
    for pseudo_dirac."""
    return 2.0 + (splitting if dm_kind(dm) == "pseudo_dirac" else 0.0)


def species(dm: str | bool, splitting: float = DEFAULT_SPLITTING) -> dict:
    """Degrees of freedom of the species ``dm`` for :func:`relic_abundance`: {"g_chi",
    "self_conjugate", "states"} (module docstring; ``splitting`` = Delta/m_chi1 for pseudo_dirac)."""
    kind = dm_kind(dm)
    if kind == "scalar":
        return {"g_chi": 1.0, "self_conjugate": False, "states": None}
    if kind == "dirac":
        return {"g_chi": 2.0, "self_conjugate": False, "states": None}
    if kind == "majorana":
        return {"g_chi": 2.0, "self_conjugate": True, "states": None}
    return {"g_chi": 2.0, "self_conjugate": True, "states": ((2.0, 1.0), (2.0, 1.0 + splitting))}


def chi_plasma_states(dm: str | bool, m_chi: float, splitting: float = DEFAULT_SPLITTING) -> ChiStates:
    """((mass GeV, internal dof, +1 fermion / -1 boson), ...) of all of chi's states, particles and
    antiparticles, for :func:`relic_abundance`'s ``chi``: scalar (m, 2, boson: chi and chi*), Dirac
    (m, 4, fermion), Majorana (m, 2, fermion), pseudo-Dirac (m, 2) and ((1 + splitting) m, 2), fermions."""
    kind = dm_kind(dm)
    if kind == "scalar":
        return ((m_chi, 2.0, -1),)
    if kind == "dirac":
        return ((m_chi, 4.0, 1),)
    if kind == "majorana":
        return ((m_chi, 2.0, 1),)
    return ((m_chi, 2.0, 1), ((1.0 + splitting) * m_chi, 2.0, 1))


def sigma_v_effective(x: float, m_chi: float, m_v: float, eps: float, alpha_d: float, dm: str | bool,
                      splitting: float = DEFAULT_SPLITTING) -> float:
    """The <sigma v> (GeV^-2) of the Boltzmann equation at x = m_chi/T: <sigma v> of chi chibar
    (scalar, Dirac) or chi chi (Majorana), and for pseudo_dirac the Griest-Seckel
    <sigma_eff v> = 2 <sigma_12 v> r1 r2 with m_chi2 = (1 + splitting) m_chi."""
    kind = dm_kind(dm)
    if kind != "pseudo_dirac":
        sig = lambda s: sigma_annihilation(s, m_chi, m_v, eps, alpha_d, kind)
        return sigma_v_thermal(x, m_chi, sig, m_v**2)
    m2 = (1.0 + splitting) * m_chi
    sig = lambda s: sigma_annihilation(s, m_chi, m_v, eps, alpha_d, kind, m_chi2=m2)
    r1, r2 = equilibrium_fractions(x, species(kind, splitting)["states"])
    if r2 < 1e-280:
        return 0.0
    return 2.0 * r1 * r2 * sigma_v_thermal(x, m_chi, sig, m_v**2, m2=m2)


def _sigma_v_table(m_chi: float, m_v: float, eps: float, alpha_d: float, dm: str | bool,
                   splitting: float = DEFAULT_SPLITTING) -> callable:  # type: ignore[valid-type]
    """<sigma v>(x) tabulated on 120 points in ln x from 1 to 2000 and interpolated (log-log)."""
    lx = np.linspace(0.0, math.log(2000.0), 120)
    sv = np.array([sigma_v_effective(math.exp(v), m_chi, m_v, eps, alpha_d, dm, splitting) for v in lx])
    lsv = np.log(np.maximum(sv, 1e-300))
    return lambda x: math.exp(float(np.interp(math.log(x), lx, lsv)))


def check_target_args(m_chi: float, *, ratio: float = 3.0, alpha_d: float = 0.5, dm: str = "scalar",
                      splitting: float | None = None, neutrinos: str = "decoupled", chi_heating: bool = True) -> float:
    """Check the arguments of :func:`thermal_target` before any work; returns the splitting to use
    (Delta/m_chi1; DEFAULT_SPLITTING when None).  ValueError naming the argument, its value and what
    is allowed: m_chi (GeV) finite and above m_e (below it chi chibar -> e+ e- is closed at rest and
    the target would rest on the thermal tail alone), ratio finite and above :func:`min_ratio`,
    alpha_d finite and > 0, dm one of DM_KINDS, splitting only for pseudo_dirac and in [0, 1),
    neutrinos one of NEUTRINO_HISTORIES, chi_heating=False only with "decoupled"."""
    kind = dm_kind(dm)
    if not (math.isfinite(m_chi) and m_chi > C.M_E):
        raise ValueError(f"m_chi = {m_chi}: must be a finite mass above m_e = {C.M_E:.6g} GeV "
                         "(below it chi chibar -> e+ e- is closed at rest)")
    if splitting is not None and kind != "pseudo_dirac":
        raise ValueError(f"splitting = {splitting}: the pseudo-Dirac mass splitting; dm is {kind!r} "
                         "(use dm pseudo_dirac)")
    split = DEFAULT_SPLITTING if splitting is None else splitting
    if not 0.0 <= split < 1.0:
        raise ValueError(f"splitting = {split}: Delta/m_chi1 must be in [0, 1)")
    if not (math.isfinite(ratio) and ratio > min_ratio(kind, split)):
        raise ValueError(f"ratio = {ratio}: m_V/m_chi must be finite and > {min_ratio(kind, split):g} "
                         "(V -> chi chi' open)")
    if not (math.isfinite(alpha_d) and alpha_d > 0):
        raise ValueError(f"alpha_d = {alpha_d}: must be finite and > 0")
    neutrino_history(neutrinos)
    if not chi_heating and neutrinos != "decoupled":
        raise ValueError(f"chi_heating = False: only with neutrinos = 'decoupled' (with {neutrinos!r} neutrinos "
                         "chi's heat is shared with them and there is nothing to switch off)")
    return split


def thermal_target(m_chi: float, *, ratio: float = 3.0, alpha_d: float = 0.5, dirac: bool = False,
                   dm: str | None = None, splitting: float | None = None,
                   neutrinos: str = "decoupled", chi_heating: bool = True) -> dict[str, float]:
    """The eps (and Y) giving Omega h^2 = 0.120 for chi chi' -> V* -> SM at m_V = ratio x m_chi.

    ``m_chi`` (GeV, above m_e); ``dm``: one of DM_KINDS (default from the old flag: "dirac" if
    ``dirac`` else "scalar"); ``splitting``: Delta/m_chi of pseudo_dirac only (default
    DEFAULT_SPLITTING; m_chi is the lighter state, chi1, and Y uses it);
    ``neutrinos``: "decoupled" (at 2 MeV, the physical history and the default) or "coupled"
    (at the photon temperature in g_eff, h_eff, with today's measured s_0 for Omega: inconsistent,
    but the convention of the published lines, docs/thermal.md section 7; it matters only for
    m_chi below ~30 MeV);
    ``chi_heating``: with "decoupled", chi's own entropy goes to the photons after neutrino
    decoupling, cooling the neutrinos relative to them (:func:`chi_plasma_states`; the default;
    False leaves chi out of that plasma, the SM-only history; it matters only below m_chi ~ 10 MeV).
    Bad arguments raise ValueError before any work (:func:`check_target_args`).
    <sigma v> is proportional to eps^2 (Gamma_V is dominated by V -> chi chi for alpha_D >> eps^2
    alpha), so it is tabulated once at a reference eps and scaled; the scaling is re-checked by
    recomputing the table at the final eps (and the solution repeated from that table while the
    check is off by more than 1%, as when alpha_D is so small that Gamma_V is not V -> chi chi).  Returns {"m_chi", "m_v" (GeV), "epsilon", "y",
    "sigma_v_cm3_s"} (<sigma v> of the Boltzmann equation at x = 20 in cm^3/s,
    :func:`sigma_v_effective`) and "omega_h2_check" (Omega h^2 with the recomputed table).
    ValueError if no eps in [1e-9, 1] gives Omega h^2 = 0.120.
    """
    kind = dm_kind(dirac if dm is None else dm)
    splitting = check_target_args(m_chi, ratio=ratio, alpha_d=alpha_d, dm=kind, splitting=splitting,
                                  neutrinos=neutrinos, chi_heating=chi_heating)
    m_v = ratio * m_chi
    sp = species(kind, splitting)
    kw = {"g_chi": sp["g_chi"], "self_conjugate": sp["self_conjugate"], "states": sp["states"],
          "neutrinos": neutrinos, "chi": chi_plasma_states(kind, m_chi, splitting) if chi_heating else ()}
    eps_tab = 1e-4
    table = _sigma_v_table(m_chi, m_v, eps_tab, alpha_d, kind, splitting)
    lo, hi = math.log(1e-9), math.log(1.0)
    for _ in range(4):
        # <sigma v> scaled as eps^2 from the table made at eps_tab; re-tabulated at the solution
        # while that scaling is off by more than 1% in Omega (Gamma_V not dominated by V -> chi chi)
        @lru_cache(maxsize=None)
        def f(log_eps: float, table=table, eps_tab=eps_tab) -> float:
            scale = (math.exp(log_eps) / eps_tab) ** 2
            return math.log(relic_abundance(m_chi, lambda x: scale * table(x), **kw) / OMEGA_H2)

        if not f(lo) > 0 > f(hi):
            raise ValueError(f"m_chi = {m_chi} GeV ({kind}, m_V/m_chi = {ratio}, alpha_D = {alpha_d}): no eps in "
                             f"[1e-9, 1] gives Omega h^2 = {OMEGA_H2} (Omega h^2 = {math.exp(f(lo)) * OMEGA_H2:.3g} at "
                             f"eps = 1e-9, {math.exp(f(hi)) * OMEGA_H2:.3g} at eps = 1)")
        eps = math.exp(optimize.brentq(f, lo, hi, xtol=1e-5))
        check = _sigma_v_table(m_chi, m_v, eps, alpha_d, kind, splitting)
        omega_check = relic_abundance(m_chi, check, **kw)
        if abs(omega_check / OMEGA_H2 - 1) < 0.01:
            break
        table, eps_tab = check, eps
    else:
        raise ValueError(f"m_chi = {m_chi} GeV ({kind}, m_V/m_chi = {ratio}, alpha_D = {alpha_d}): <sigma v> does "
                         f"not scale as eps^2 (Omega h^2 = {omega_check:.3g} at eps = {eps:.3g} after 4 re-tabulations): "
                         "Gamma_V is not dominated by V -> chi chi at this alpha_D; use a larger alpha_D")
    return {"m_chi": m_chi, "m_v": m_v, "epsilon": eps, "y": eps**2 * alpha_d / ratio**4,
            "sigma_v_cm3_s": check(20.0) * GEV2_TO_CM3_PER_S, "omega_h2_check": omega_check}


def thermal_targets(masses, *, workers: int = 1, **kwargs) -> list[dict[str, float]]:
    """:func:`thermal_target` at each m_chi of ``masses`` (GeV, any iterable), in order (each dict
    carries its "m_chi"); the other keywords are passed on.  ``workers`` > 1 spreads the masses
    over that many processes, started with "spawn" (safe beside threads).  As with any spawned
    pool, a script calling this at its top level needs the ``if __name__ == "__main__":`` guard,
    and the workers import bdgen afresh: changes made to the module at run time (monkeypatching)
    do not reach them.  Otherwise the results equal those of one process exactly.  ``workers`` 0 or
    1: all in this process (as ``bdgen thermal --workers``); ValueError for workers < 0 (TypeError if
    not an integer), and for any bad mass or keyword (:func:`check_target_args`), before any work."""
    return list(iter_thermal_targets(masses, workers=workers, **kwargs))


def iter_thermal_targets(masses, *, workers: int = 1, **kwargs):
    """:func:`thermal_targets` as an iterator: each result as soon as it and those before it are
    done (for progress output).  The arguments are checked at the call; closing the iterator
    early still waits for the masses already handed to the workers."""
    ms = [float(m) for m in masses]
    if isinstance(workers, bool):
        raise TypeError(f"workers = {workers!r}: must be an integer >= 0")
    w = operator.index(workers)
    if w < 0:
        raise ValueError(f"workers = {workers!r}: must be an integer >= 0 (0 or 1: no extra processes)")
    n = max(w, 1)
    unknown = sorted(set(kwargs) - {"ratio", "alpha_d", "dirac", "dm", "splitting", "neutrinos", "chi_heating"})
    if unknown:
        raise TypeError(f"thermal_targets: unexpected keyword argument(s) {', '.join(unknown)} (those of thermal_target)")
    check = {k: v for k, v in kwargs.items() if k != "dirac"}
    check["dm"] = dm_kind(kwargs.get("dirac", False) if kwargs.get("dm") is None else kwargs["dm"])
    for m in ms:
        check_target_args(m, **check)
    job = partial(thermal_target, **kwargs)
    if n == 1 or len(ms) < 2:
        return (job(m) for m in ms)
    return _pool_map(job, ms, min(n, len(ms)))


def _pool_map(job, ms: list[float], n: int):
    """job over ms on n spawned processes, in order (a generator)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn")) as ex:
        yield from ex.map(job, ms)
