"""Dark-photon decay widths (GeV).

References
----------
- Leptons: Batell, Pospelov, Ritz, PRD 79 (2009) 115008, arXiv:0903.0363, eq. (7) (with the
  kinetic-mixing coupling eps*e); PHYSICS.md section 3.3.
- chi pairs: the same vector-current widths with the coupling g_D; complex scalar and
  Dirac fermion as in deNiverville, Pospelov, Ritz, PRD 84 (2011) 075020, arXiv:1107.4580,
  and PHYSICS.md section 3.3.
- Hadrons: Gamma(V -> mu mu)|_(m_mu -> 0) x R(m_V) (Buschmann, Kopp, Liu, Machado, JHEP 07 (2015) 045,
  arXiv:1505.07459, eq. (2.3)).  R is the measured one at 0.3-3 GeV (PDG compilation), a model
  outside (:func:`r_ratio`, see there).
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

import numpy as np

from .. import constants as C
from .._jit import jit


@jit
def width_to_fermions(m_v, coupling_alpha, m_f):  # type: ignore[no-untyped-def]
    """Gamma(V -> f fbar) for a vector coupling g = sqrt(4 pi coupling_alpha) (GeV).

    Gamma = (coupling_alpha/3) m_V (1 + 2 m_f^2/m_V^2) sqrt(1 - 4 m_f^2/m_V^2), zero below
    threshold.  With coupling_alpha = eps^2 alpha it is Gamma(V -> l+ l-); with alpha_D the
    Dirac-DM width.
    """
    r = m_f * m_f / (m_v * m_v)
    if 4.0 * r >= 1.0:
        return 0.0
    return coupling_alpha / 3.0 * m_v * (1.0 + 2.0 * r) * math.sqrt(1.0 - 4.0 * r)


@jit
def width_to_scalars(m_v, coupling_alpha, m_s):  # type: ignore[no-untyped-def]
    """Gamma(V -> phi phi*) for a complex scalar with charge g (GeV).

    Gamma = (coupling_alpha/12) m_V (1 - 4 m_s^2/m_V^2)^(3/2), zero below threshold.
    """
    r = m_s * m_s / (m_v * m_v)
    if 4.0 * r >= 1.0:
        return 0.0
    return coupling_alpha / 12.0 * m_v * (1.0 - 4.0 * r) ** 1.5


@jit
def width_to_chi(m_v, alpha_d, m_chi, dirac):  # type: ignore[no-untyped-def]
    """Gamma(V -> chi chibar) (GeV) for Dirac (``dirac=True``) or complex-scalar chi."""
    if dirac:
        return width_to_fermions(m_v, alpha_d, m_chi)
    return width_to_scalars(m_v, alpha_d, m_chi)


# omega(782), phi(1020): PDG RPP 2024 listings (mass, width, B_ee, B_pipi, B_mumu).
_M_OMEGA, _G_OMEGA, _BEE_OMEGA, _BPIPI_OMEGA = 0.78266, 8.68e-3, 7.38e-5, 1.53e-2
_M_PHI, _G_PHI, _BEE_PHI, _BMUMU_PHI = 1.019461, 4.249e-3, 2.979e-4, 2.86e-4
# Kuehn-Santamaria pion form factor: rho and rho' masses, widths and the rho' weight beta
# (J. H. Kuehn and A. Santamaria, Z. Phys. C 48 (1990) 445, fit to e+e- -> pi+ pi-).
_KS_RHO = (0.773, 0.145)
_KS_RHOP = (1.370, 0.510)
_KS_BETA = -0.145


def _pion_k(s: float) -> float:
    """Pion momentum in the pi pi rest frame, k = sqrt(s - 4 m_pi+^2)/2 (GeV), s in GeV^2."""
    return 0.5 * math.sqrt(s - 4.0 * C.M_PIPM**2)


def _ks_bw(s: float, m: float, g: float) -> complex:
    """m^2/(m^2 - s - i sqrt(s) Gamma(s)), Gamma(s) = Gamma (m^2/s) (k(s)/k(m^2))^3 (P wave, the form
    with which Kuehn and Santamaria fitted their parameters)."""
    w = math.sqrt(s)
    g_s = g * (m / w) ** 2 * (_pion_k(s) / _pion_k(m * m)) ** 3
    return m * m / complex(m * m - s, -w * g_s)


def pion_form_factor_sq(sqrt_s: float) -> float:
    """|F_pi(s)|^2 for sqrt(s) > 2 m_pi+ (GeV): rho(770) and rho(1450) Breit-Wigners with P-wave widths,
    F = (BW_rho + beta BW_rho')/(1 + beta), F(0) = 1 (Kuehn and Santamaria, Z. Phys. C 48 (1990)
    445, eqs. (8)-(9), their parameters).  No omega interference (it moves |F|^2 only within
    about 10 MeV of the omega).  Checked against the measured two-pion contribution to the muon
    g - 2 (tests/physics/test_widths.py).
    """
    s = sqrt_s * sqrt_s
    f = (_ks_bw(s, *_KS_RHO) + _KS_BETA * _ks_bw(s, *_KS_RHOP)) / (1.0 + _KS_BETA)
    return f.real * f.real + f.imag * f.imag


def r_pipi(sqrt_s: float) -> float:
    """R_pipi = sigma(e+e- -> pi+ pi-)/sigma(e+e- -> mu+ mu-) = beta_pi^3 |F_pi(s)|^2 / 4 at sqrt(s) (GeV).

    The P-wave two-pion cross-section (e.g. Jegerlehner and Nyffeler, Phys. Rept. 477 (2009) 1,
    eq. (4.10)) with :func:`pion_form_factor_sq`; zero at and below 2 m_pi+ and above 1.1 GeV
    (where :func:`r_ratio_model` is the parton model).
    """
    if sqrt_s <= 2.0 * C.M_PIPM or sqrt_s >= 1.1:
        return 0.0
    beta = math.sqrt(1.0 - 4.0 * C.M_PIPM**2 / (sqrt_s * sqrt_s))
    return 0.25 * beta**3 * pion_form_factor_sq(sqrt_s)


def _r_narrow(sqrt_s: float, m: float, g: float, b_ee: float, b_f: float) -> float:
    """R of a narrow vector meson V -> f: sigma = (12 pi/m^2) B_ee B_f m^2 Gamma^2/((s - m^2)^2 + m^2 Gamma^2)
    (the spin-1 Breit-Wigner in e+e-, PDG RPP 2024 "Kinematics", eq. (49.53)) over
    sigma_mumu = 4 pi alpha^2/(3 s): R = 9 s B_ee B_f Gamma^2 / (alpha^2 ((s - m^2)^2 + m^2 Gamma^2))."""
    s = sqrt_s * sqrt_s
    return 9.0 * s * b_ee * b_f * g * g / (C.ALPHA**2 * ((s - m * m) ** 2 + m * m * g * g))


def r_ratio_model(sqrt_s: float) -> float:
    """The model R = sigma(e+e- -> hadrons)/sigma(e+e- -> mu+mu-) at sqrt(s) (GeV), without data.

    Below 1.1 GeV: pi+ pi- through the rho and rho' (:func:`r_pipi`), plus the omega(782)
    and phi(1020) in all their other hadronic modes (omega -> 3 pi, pi0 gamma: B_f = 1 - B_pipi;
    phi -> K Kbar, 3 pi, eta gamma: B_f = 1 - B_ee - B_mumu) as Breit-Wigners of their PDG masses,
    widths and B_ee (:func:`_r_narrow`), above the 3-pion threshold (the omega peak gives
    sigma(e+e- -> 3 pi) = 1.58 mu b, the phi peak R = 50).  Not included: the pi0 gamma tail below
    2 m_pi+, omega-rho interference in pi pi, 4 pi and K Kbar pi.  Above 1.1 GeV: the parton
    model, :func:`r_parton`.  Against the measured R (:func:`r_measured`) it is 0-6% low at
    0.3-1 GeV (0.1-0.2 GeV windows), but 0.5-0.7 times the data at 1.03-1.1 GeV and 2-2.5 times
    at 1.1-1.3 GeV, where the data (R ~ 0.9-1) lie far below the parton model
    (tests/physics/test_widths.py); hence :func:`r_ratio` uses the data there.
    """
    if sqrt_s <= 2.0 * C.M_PIPM:
        return 0.0
    if sqrt_s >= 1.1:
        return r_parton(sqrt_s)
    r = r_pipi(sqrt_s)
    if sqrt_s > 2.0 * C.M_PIPM + C.M_PI0:
        r += _r_narrow(sqrt_s, _M_OMEGA, _G_OMEGA, _BEE_OMEGA, 1.0 - _BPIPI_OMEGA - _BEE_OMEGA)
        r += _r_narrow(sqrt_s, _M_PHI, _G_PHI, _BEE_PHI, 1.0 - _BEE_PHI - _BMUMU_PHI)
    return r


# open-charm and open-bottom thresholds 2 m_D0, 2 m_B+ (GeV, PDG RPP 2024)
_CHARM_THRESHOLD, _BOTTOM_THRESHOLD = 2 * 1.86484, 2 * 5.27934


def r_parton(sqrt_s: float) -> float:
    """The parton-model R = 3 sum_q e_q^2 (1 + alpha_s/pi) with a fixed alpha_s/pi = 0.1 (alpha_s = 0.31,
    its value at 2-3 GeV; at 10 GeV, alpha_s = 0.18, this is 4% high): the quarks u, d, s
    (R = 2.2), plus c above the open-charm threshold 2 m_D (R = 3.67) and b above 2 m_B (4.03)
    (the first QCD correction to R in e+e- annihilation, PDG RPP 2024 review "Quantum
    Chromodynamics"; no narrow charmonium or bottomonium peaks).  The measured R is 2.2 +- 0.1 at 2-3.7 GeV and 3.4-3.6 at
    5-6 GeV."""
    charges2 = 2.0 / 3.0
    if sqrt_s >= _CHARM_THRESHOLD:
        charges2 += 4.0 / 9.0
    if sqrt_s >= _BOTTOM_THRESHOLD:
        charges2 += 1.0 / 9.0
    return 3.0 * charges2 * 1.1


#: sqrt(s) range (GeV) of the measured R table used by :func:`r_ratio`
R_MEASURED_RANGE = (0.3, 3.0)


@lru_cache(maxsize=1)
def _r_table() -> tuple[np.ndarray, np.ndarray]:
    """The measured R (bdgen/physics/r_ratio_pdg2020.txt): sqrt(s) (GeV) and R, shape (n,), sorted,
    measurements at the same sqrt(s) averaged (unweighted: at 2.6 GeV 2.51 against 2.53 weighted)."""
    path = resources.files("bdgen.physics").joinpath("r_ratio_pdg2020.txt")
    with resources.as_file(path) as f:
        data = np.loadtxt(f, usecols=(0, 1))
    data = data[np.argsort(data[:, 0], kind="stable")]
    x, inverse, counts = np.unique(data[:, 0], return_inverse=True, return_counts=True)
    r = np.bincount(inverse, weights=data[:, 1]) / counts
    return x, r


def r_measured(sqrt_s: float) -> float:
    """The measured R at R_MEASURED_RANGE[0] <= sqrt(s) <= R_MEASURED_RANGE[1] (GeV), interpolated
    linearly between the measurements of the PDG compilation (PTEP 2020 083C01, "Plots of cross
    sections and related quantities", R in e+e-; 898 measurements, tabulated in
    bdgen/physics/r_ratio_pdg2020.txt with its source); ValueError outside that range."""
    lo, hi = R_MEASURED_RANGE
    if not lo <= sqrt_s <= hi:
        raise ValueError(f"sqrt_s = {sqrt_s} GeV: the measured R covers {lo}-{hi} GeV")
    x, r = _r_table()
    return float(np.interp(sqrt_s, x, r))


def r_ratio(sqrt_s: float) -> float:
    """R = sigma(e+e- -> hadrons)/sigma(e+e- -> mu+mu-) at sqrt(s) (GeV).

    At 0.3-3 GeV the measured R (:func:`r_measured`, the PDG compilation): it includes the rho-omega
    interference, the omega and phi peaks, 4 pi, K Kbar pi and every other channel between the phi and
    2 GeV, which no simple model covers; below 0.3 GeV the model (:func:`r_ratio_model`: pi+ pi-
    only, R < 0.02, zero below 2 m_pi+; it meets the data at 0.3 GeV within 0.003), above 3 GeV the
    parton model (:func:`r_parton`, 2.2 against the measured 2.21 at 3 GeV).  R enters the V width
    (hadrons are suppressed there by eps^2 alpha/alpha_D relative to V -> chi chi), the thermal
    targets (docs/thermal.md) and V -> hadrons decays.
    """
    lo, hi = R_MEASURED_RANGE
    if lo <= sqrt_s <= hi:
        return r_measured(sqrt_s)
    return r_ratio_model(sqrt_s)


def total_width(
    m_v: float, m_chi: float, epsilon: float, alpha_d: float, dirac: bool, *, bdnmc: bool = False
) -> float:
    """Total dark-photon width (GeV): chi chibar + e+e- + mu+mu- + hadrons.

    With ``bdnmc=True`` the width BdNMC uses (``GammaV``, PHYSICS.md section 3.2): chi pairs
    plus e and mu pairs, no hadrons, and BdNMC's constants.
    """
    if bdnmc:
        a = C.BDNMC["alpha"] * epsilon**2
        return (
            width_to_chi(m_v, alpha_d, m_chi, dirac)
            + width_to_fermions(m_v, a, C.BDNMC["m_e"])
            + width_to_fermions(m_v, a, C.BDNMC["m_mu"])
        )
    a = C.ALPHA * epsilon**2
    g_mumu = width_to_fermions(m_v, a, C.M_MU)
    return (
        width_to_chi(m_v, alpha_d, m_chi, dirac)
        + width_to_fermions(m_v, a, C.M_E)
        + g_mumu
        + width_to_fermions(m_v, a, 0.0) * r_ratio(m_v)
    )


def br_to_chi(
    m_v: float, m_chi: float, epsilon: float, alpha_d: float, dirac: bool, *, bdnmc: bool = False
) -> float:
    """Branching ratio BR(V -> chi chibar) for an on-shell V."""
    g = total_width(m_v, m_chi, epsilon, alpha_d, dirac, bdnmc=bdnmc)
    if g <= 0.0:
        return 0.0
    return float(width_to_chi(m_v, alpha_d, m_chi, dirac)) / g
