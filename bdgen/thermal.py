"""Thermal relic targets: the couplings for which chi freezes out with the observed abundance.

Method (standard freeze-out of a particle-antiparticle pair in equilibrium with the SM plasma):

- Annihilation chi chibar -> V* -> f fbar through the s-channel V with the resonance formula
  sigma(s) = (4 pi g_s / k^2) s Gamma_in(sqrt s) Gamma_out(sqrt s) / [(s - m_V^2)^2 + m_V^2 Gamma_V^2],
  k the CM momentum, g_s = 3/((2s_chi+1)^2) the spin factor, Gamma_in the V* -> chi chibar width
  and Gamma_out = sum_l Gamma(V* -> l+ l-) + Gamma(V* -> mu mu)|_(m->0) R(sqrt s) (PDG RPP 2024,
  "Kinematics", eq. (49.52); it reproduces the s- and p-wave limits of PHYSICS.md section 6).
- Thermal average <sigma v> of Gondolo and Gelmini, Nucl. Phys. B360 (1991) 145, eq. (3.8).
- Boltzmann equation for Y = n_chi/s (Gondolo-Gelmini eq. (4.1); Kolb and Turner, "The Early
  Universe", section 5.2): dY/dx = -sqrt(pi/45) M_Pl m g_*^{1/2} <sigma v> (Y^2 - Y_eq^2)/x^2,
  Y_eq = 45 g_chi x^2 K_2(x)/(4 pi^4 h_eff), integrated with scipy's Radau from x = 1 to 2000.
- Relativistic degrees of freedom g_eff(T), h_eff(T) computed from the SM particle content with
  the exact Bose/Fermi integrals (masses from the ``particle`` package): quarks and gluons above
  T_QCD = 150 MeV, a gas of pi, K, eta, rho, omega below; neutrinos decouple at 2 MeV and keep
  their entropy, so (T_nu/T)^3 = h_(gamma,e)(T)/5.5 afterwards.  The QCD transition is a step
  (the lattice curve of Borsanyi et al. is smoother; this matters only for 0.5 < m_chi < 5 GeV).
- Omega h^2 = 2 x 2.744e8 (m/GeV) Y_inf for chi + chibar (s_0/rho_c h^2 from PDG RPP 2024,
  "Astrophysical constants"); the target is Omega h^2 = 0.120 (Planck 2018, arXiv:1807.06209).

The target is reported as Y = eps^2 alpha_D (m_chi/m_V)^4 at fixed alpha_D and m_V/m_chi.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import integrate, optimize, special

from . import constants as C
from .physics.widths import r_ratio, width_to_chi, width_to_fermions

M_PLANCK = 1.220890e19  # GeV (PDG RPP 2024)
OMEGA_H2 = 0.120        # Planck 2018
OMEGA_PER_Y = 2.744e8   # Omega h^2 per (m/GeV) per Y, s_0 h^2/rho_c
T_QCD = 0.150           # GeV
T_NU_DEC = 0.002        # GeV
GEV2_TO_CM3_PER_S = C.GEV2_TO_M2 * 1e4 * 2.99792458e10  # (GeV^-2 -> cm^2) x c in cm/s


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


def _dof_exact(T: float) -> tuple[float, float]:
    """(g_eff, h_eff) at temperature T (GeV), from the Bose/Fermi integrals."""
    g_eff = h_eff = 0.0
    g_ge = h_ge = 0.0  # photons and electrons alone (for the neutrino temperature)
    for mass, g, stat in _dof_species(T):
        r, s = _rho_s(mass, g, stat, T)
        g_eff += r
        h_eff += s
        if mass < 0.001:
            g_ge += r
            h_ge += s
    if T >= T_NU_DEC:
        return g_eff + 6 * 7 / 8, h_eff + 6 * 7 / 8
    ratio3 = h_ge / 5.5  # (T_nu/T)^3 from separate entropy conservation
    return g_eff + 6 * 7 / 8 * ratio3 ** (4 / 3), h_eff + 6 * 7 / 8 * ratio3


@lru_cache(maxsize=1)
def _dof_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ln T, g_eff, h_eff on 600 points from 10 keV to 10 TeV (computed once)."""
    ln_t = np.linspace(math.log(1e-5), math.log(1e4), 600)
    vals = np.array([_dof_exact(math.exp(v)) for v in ln_t])
    return ln_t, vals[:, 0], vals[:, 1]


def dof(T: float) -> tuple[float, float]:
    """(g_eff, h_eff) at temperature T (GeV): the exact values tabulated in ln T and interpolated
    linearly (the QCD step is kept sharp by the table's resolution, 1.5% in T)."""
    ln_t, g, h = _dof_table()
    lt = math.log(T)
    return float(np.interp(lt, ln_t, g)), float(np.interp(lt, ln_t, h))


def _g_half(T: float) -> float:
    """g_*^{1/2} = h_eff/sqrt(g_eff) (1 + (1/3) dln h_eff/dln T) (Gondolo-Gelmini eq. (2.5))."""
    g, h = dof(T)
    ln_t, _g, hh = _dof_table()
    dlnh = float(np.interp(math.log(T), 0.5 * (ln_t[1:] + ln_t[:-1]), np.diff(np.log(hh)) / np.diff(ln_t)))
    return h / math.sqrt(g) * (1 + dlnh / 3)


def sigma_annihilation(s: float, m_chi: float, m_v: float, epsilon: float, alpha_d: float, dirac: bool) -> float:
    """sigma(chi chibar -> V* -> SM) in GeV^-2 at CM energy^2 s (resonance formula, docstring)."""
    if s <= 4 * m_chi**2:
        return 0.0
    rs = math.sqrt(s)
    g_in = float(width_to_chi(rs, alpha_d, m_chi, dirac))
    a = C.ALPHA * epsilon**2
    g_out = sum(float(width_to_fermions(rs, a, ml)) for ml in (C.M_E, C.M_MU, 1.77686))
    g_out += float(width_to_fermions(rs, a, 0.0)) * r_ratio(rs)
    g_tot = float(width_to_chi(m_v, alpha_d, m_chi, dirac))
    g_tot += sum(float(width_to_fermions(m_v, a, ml)) for ml in (C.M_E, C.M_MU, 1.77686))
    g_tot += float(width_to_fermions(m_v, a, 0.0)) * r_ratio(m_v)
    k2 = s / 4 - m_chi**2
    spin = 3.0 / 4.0 if dirac else 3.0
    return 4 * math.pi * spin / k2 * s * g_in * g_out / ((s - m_v**2) ** 2 + m_v**2 * g_tot**2)


def sigma_v_thermal(x: float, m: float, sigma: "callable", resonance: float | None = None) -> float:  # type: ignore[valid-type]
    """<sigma v> (GeV^-2) at x = m/T (Gondolo-Gelmini eq. (3.8)):

        <sigma v> = 1/(8 m^4 T K_2(x)^2) int_{4m^2} sigma(s) (s - 4m^2) sqrt(s) K_1(sqrt(s)/T) ds,

    evaluated in t = s/(4 m^2) - 1 with the Bessel functions' exponentials scaled out.
    ``resonance`` (GeV^2) is a pole of sigma to split the integral at.
    """
    T = m / x
    k2 = special.kve(2, x)

    def integrand(t: float) -> float:
        s = 4 * m * m * (1 + t)
        z = math.sqrt(s) / T
        return sigma(s) * (s - 4 * m * m) * math.sqrt(s) * special.k1e(z) * math.exp(-(z - 2 * x)) * 4 * m * m

    t_max = 60.0 / x + 60.0 / x**0.5 if x > 1 else 60.0
    pts = []
    if resonance is not None:
        t_r = resonance / (4 * m * m) - 1
        if 0 < t_r < t_max:
            pts.append(t_r)
    val = integrate.quad(integrand, 0.0, t_max, limit=400, points=pts or None, epsrel=1e-7)[0]
    return val / (8 * m**4 * T * k2 * k2)


def relic_abundance(m: float, sigma_v: "callable", *, g_chi: float, self_conjugate: bool = False) -> float:  # type: ignore[valid-type]
    """Omega h^2 of chi (plus chibar unless ``self_conjugate``) for <sigma v>(x) in GeV^-2."""

    def rhs(x: float, w: np.ndarray) -> np.ndarray:
        T = m / x
        g, h = dof(T)
        lam = math.sqrt(math.pi / 45) * M_PLANCK * m * _g_half(T) * sigma_v(x) / x**2
        y = math.exp(min(max(w[0], -300.0), 50.0))
        yeq = 45 * g_chi / (4 * math.pi**4 * h) * x * x * special.kn(2, x)
        return np.array([-lam * (y * y - yeq * yeq) / y])

    x0 = 1.0
    _g0, h0 = dof(m / x0)
    y0 = 45 * g_chi / (4 * math.pi**4 * h0) * x0 * x0 * special.kn(2, x0)
    sol = integrate.solve_ivp(rhs, (x0, 2000.0), [math.log(y0)], method="Radau", rtol=1e-6, atol=1e-9)
    y_inf = math.exp(sol.y[0, -1])
    return OMEGA_PER_Y * m * y_inf * (1.0 if self_conjugate else 2.0)


def _sigma_v_table(m_chi: float, m_v: float, eps: float, alpha_d: float, dirac: bool) -> "callable":  # type: ignore[valid-type]
    """<sigma v>(x) tabulated on 120 points in ln x from 1 to 2000 and interpolated (log-log)."""
    sig = lambda s: sigma_annihilation(s, m_chi, m_v, eps, alpha_d, dirac)  # noqa: E731
    lx = np.linspace(0.0, math.log(2000.0), 120)
    sv = np.array([sigma_v_thermal(math.exp(v), m_chi, sig, m_v**2) for v in lx])
    lsv = np.log(np.maximum(sv, 1e-300))
    return lambda x: math.exp(float(np.interp(math.log(x), lx, lsv)))


def thermal_target(m_chi: float, *, ratio: float = 3.0, alpha_d: float = 0.5, dirac: bool = False) -> dict[str, float]:
    """The eps (and Y) giving Omega h^2 = 0.120 for chi chibar -> V* -> SM at m_V = ratio x m_chi.

    <sigma v> is proportional to eps^2 (Gamma_V is dominated by V -> chi chi for alpha_D >> eps^2
    alpha), so it is tabulated once at a reference eps and scaled; the scaling is re-checked by
    recomputing the table at the final eps.  Returns {"epsilon", "y", "sigma_v_cm3_s"}
    (<sigma v> at x = 20).
    """
    m_v = ratio * m_chi
    g_chi = 2.0 if dirac else 1.0  # internal states of chi (chibar counted by relic_abundance)
    eps_ref = 1e-4
    table = _sigma_v_table(m_chi, m_v, eps_ref, alpha_d, dirac)

    def omega(log_eps: float) -> float:
        scale = (math.exp(log_eps) / eps_ref) ** 2
        return relic_abundance(m_chi, lambda x: scale * table(x), g_chi=g_chi)

    f = lambda le: math.log(omega(le) / OMEGA_H2)  # noqa: E731
    log_eps = optimize.brentq(f, math.log(1e-9), math.log(0.1), xtol=1e-5)
    eps = math.exp(log_eps)
    check = _sigma_v_table(m_chi, m_v, eps, alpha_d, dirac)
    return {"epsilon": eps, "y": eps**2 * alpha_d / ratio**4,
            "sigma_v_cm3_s": check(20.0) * GEV2_TO_CM3_PER_S,
            "omega_h2_check": relic_abundance(m_chi, check, g_chi=g_chi)}
