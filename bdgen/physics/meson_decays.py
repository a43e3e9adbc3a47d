"""Meson decays M -> gamma V(*) -> gamma chi chibar, for M = pi0, eta.

The rate is always computed as the three-body decay through the V propagator,

    dBR/ds = 2 eps^2 (1 - s/m_M^2)^3 BR(M -> gamma gamma)
             x (sqrt(s) Gamma_{V* -> chi chi}(s) / pi) / [(s - m_V^2)^2 + (Im Pi(s))^2],   (1)

    Im Pi(s) = sqrt(s) Gamma_{V* -> chi chi}(s) + m_V Gamma_vis,

with s = m^2(chi chibar) in [4 m_chi^2, m_M^2] (PHYSICS.md section 3.2; the on-shell two-body
rate BR(M -> gamma V) = 2 eps^2 (1 - m_V^2/m_M^2)^3 BR(M -> gamma gamma) of Batell, Pospelov,
Ritz, PRD 80 (2009) 095024, arXiv:0906.5614, eq. (2), times the Breit-Wigner line shape of a
V* of mass sqrt(s)).  In the narrow-width limit (1) integrates to the on-shell BR times
BR(V -> chi chi), and it stays valid where that limit fails: m_V > m_M (V only off shell),
m_V < 2 m_chi (V decays to chi only off shell) and broad V.  So every open point of the
(m_V, m_chi) plane has a rate, and a closed one (2 m_chi >= m_M) has exactly zero.

The width term is the imaginary part of the V self-energy.  By the optical theorem its dark part
is sqrt(s) Gamma_{V* -> chi chi}(s), the chi-pair width of a V* of mass sqrt(s) (the running
width; e.g. PDG RPP 2024, "Resonances", section 50.3: energy-dependent widths), which is
m_V Gamma(V -> chi chi) on the pole and vanishes at the chi-pair threshold.  The visible part
(e, mu, hadrons, ~eps^2 alpha, and V_B -> pi0 gamma in the baryonic model) is kept at its
on-shell value m_V Gamma_vis, Gamma_vis = Gamma_V - Gamma(V -> chi chi).  The fixed-width form
m_V Gamma_V (PHYSICS.md section 3.2) puts the full on-shell width at every s: where m_V is at or
just above 2 m_chi for a Dirac chi (Gamma(V -> chi chi) ~ beta -> 0, so Gamma_V -> Gamma_vis ~
eps^2) its integral grows as Gamma_V^{-1/2}, e.g. BR(pi0 -> gamma chi chibar) = 1.3e-4 at
m_V = 2 m_chi = 0.1 GeV, eps = 1e-3, about 65 times the bound 2 eps^2 BR(pi0 -> gamma gamma);
the running width gives 1.6e-7.  Near the pole of a narrow V both forms agree to O(Gamma/m_V)^2;
for the default card they differ by 2e-4 (pi0) and 6e-5 (eta).

For sampling, s is mapped to u = arctan((s - m_V^2)/(m_V Gamma_V)), in which (1) is smooth
(the Breit-Wigner becomes flat); :func:`s_table` tabulates the cumulative distribution in u.

Under ``compat.bdnmc`` the rate is BdNMC's scalar three-body formula (BdNMC
``branchingratios.cpp``, PHYSICS.md section 3.1-3.2): (1) without BR(pi0 -> gamma gamma), the
eta scaled by BR(eta -> gamma gamma)/BR(pi0 -> gamma gamma), and BdNMC's fixed width m_V Gamma_V.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate

from .. import constants as C
from .models import Couplings
from .widths import total_width, width_to_chi, br_to_chi

#: Meson name -> (PDG code, mass in GeV, BR(M -> gamma gamma)); BRs from PDG RPP 2024.
MESONS: dict[str, tuple[int, float, float]] = {
    "pi0": (C.PDG_PI0, C.M_PI0, C.BR_PI0_GG),
    "eta": (C.PDG_ETA, C.M_ETA, C.BR_ETA_GG),
    "eta_prime": (C.PDG_ETAP, C.M_ETAP, C.BR_ETAP_GG),
}


def meson_gg_factor(meson: str, *, bdnmc: bool = False) -> float:
    """The BR(M -> gamma gamma) factor multiplying eq. (1) for ``meson``.

    BdNMC (PHYSICS.md section 3.1 (a), (b)) uses 1 for pi0 and
    BR(eta -> gamma gamma)/BR(pi0 -> gamma gamma) = 0.3941/0.98823 for eta.  For eta' BdNMC's
    rate is not of this form (see :func:`br_eta_prime_bdnmc`); the PDG value is returned.
    """
    if bdnmc and meson in ("pi0", "eta"):
        if meson == "pi0":
            return 1.0
        return C.BDNMC["br_eta_gg"] / C.BDNMC["br_pi0_gg"]
    return MESONS[meson][2]


def meson_mass(meson: str, *, bdnmc: bool = False) -> float:
    """Mass of ``meson`` in GeV (BdNMC's value under ``bdnmc``)."""
    if bdnmc and "m_" + meson in C.BDNMC:
        return float(C.BDNMC["m_" + meson])
    return MESONS[meson][1]


def br_two_body(meson: str, m_v: float, epsilon: float, *, bdnmc: bool = False) -> float:
    """On-shell BR(M -> gamma V) = 2 eps^2 (1 - m_V^2/m_M^2)^3 BR(M -> gamma gamma).

    Batell, Pospelov, Ritz, arXiv:0906.5614, eq. (2); PHYSICS.md section 3.1.  Zero for
    m_V >= m_M.
    """
    m = meson_mass(meson, bdnmc=bdnmc)
    if m_v >= m:
        return 0.0
    return 2.0 * epsilon**2 * (1.0 - m_v**2 / m**2) ** 3 * meson_gg_factor(meson, bdnmc=bdnmc)


@dataclass(frozen=True)
class ThreeBody:
    """Parameters of eq. (1) for one meson and one model point (all GeV).

    ``process`` selects the production factor (:meth:`production_shape`):

    - "anomaly": M -> gamma V*, eq. (1) (pi0, eta, eta'); ``gg_factor`` = BR(M -> gamma gamma).
    - "vmd": M -> X V* with a vector meson X of mass ``m_recoil`` (eta' -> rho0 V*, omega V*,
      :func:`eta_prime_vector`); ``gg_factor`` = BR(M -> X gamma).
    - "capture": radiative pi- capture at rest, pi- p -> n V* (:func:`capture`); ``m_meson`` is
      sqrt(S) = m_pi- + m_p, ``m_recoil`` = m_n and ``gg_factor`` the probability R_gamma.
    """

    m_meson: float
    m_v: float
    m_chi: float
    epsilon: float
    alpha_d: float
    dirac: bool
    gamma_v: float
    gg_factor: float
    m_recoil: float = 0.0
    process: str = "anomaly"
    m_chi2: float | None = None
    #: Im Pi(s) = sqrt(s) Gamma_{V* -> dark}(s) + m_V Gamma_vis (True, eq. (1)) or the fixed
    #: m_V Gamma_V (False: BdNMC's form, ``compat.bdnmc``).
    running_width: bool = True

    @property
    def s_min(self) -> float:
        if self.m_chi2 is not None:
            return (self.m_chi + self.m_chi2) ** 2
        return 4.0 * self.m_chi**2

    @property
    def s_max(self) -> float:
        return (self.m_meson - self.m_recoil) ** 2

    def production_shape(self, s: np.ndarray) -> np.ndarray:
        """Rate of M -> X V* (V* of mass^2 s) relative to M -> X gamma, times eps^2 BR(M -> X gamma).

        Anomaly (pi0, eta, eta'): 2 eps^2 (1 - s/m_M^2)^3 BR(M -> gamma gamma), eq. (1).
        VMD: eps^2 BR(M -> X gamma) (p_V/p_gamma)^3, see :func:`eta_prime_vector`.
        Capture: eps^2 R_gamma (p_V/p_gamma)(1 + kappa^2 s/(2 E_V^2)), see :func:`capture`.
        """
        if self.process == "anomaly":
            return 2.0 * self.epsilon**2 * self.gg_factor * (1.0 - s / self.m_meson**2) ** 3
        big = self.m_meson**2
        mr2 = self.m_recoil**2
        lam = np.maximum((big - mr2 - s) ** 2 - 4.0 * mr2 * s, 0.0)
        p_v = np.sqrt(lam) / (2.0 * self.m_meson)
        e_v = (big + s - mr2) / (2.0 * self.m_meson)
        p_g = (big - mr2) / (2.0 * self.m_meson)
        if self.process == "vmd":
            return self.epsilon**2 * self.gg_factor * (p_v / p_g) ** 3
        kap = capture_kappa(e_v, s)
        return self.epsilon**2 * self.gg_factor * (p_v / p_g) * (1.0 + kap * kap * s / (2.0 * e_v**2))

    @property
    def open(self) -> bool:
        """True when 2 m_chi < m_M (the decay is kinematically allowed)."""
        return self.s_min < self.s_max

    @property
    def mg(self) -> float:
        """Width of the arctan map (GeV^2): m_V Gamma_V, or the distance from the pole to
        [s_min, s_max] when that is larger (a pole outside the interval needs no resolving)."""
        d = max(self.s_min - self.m_v**2, self.m_v**2 - self.s_max, 0.0)
        return max(self.m_v * self.gamma_v, d, 1e-30 * self.m_v**2)

    def dbr_ds(self, s: float | np.ndarray) -> float | np.ndarray:
        """dBR/ds of eq. (1) in GeV^-2 (s in GeV^2); zero outside [s_min, s_max]."""
        s = np.asarray(s, dtype=float)
        if not self.open:
            return np.zeros_like(s)
        ok = (s > self.s_min) & (s < self.s_max)
        ss = np.where(ok, s, 0.5 * (self.s_min + self.s_max))
        root = np.sqrt(ss)
        g_chi = self.dark_width(root)
        if self.running_width:
            im = root * g_chi + self.m_v * self.visible_width
        else:
            im = self.m_v * self.gamma_v
        bw = (root * g_chi / math.pi) / ((ss - self.m_v**2) ** 2 + im * im)
        out = self.production_shape(ss) * bw
        return np.where(ok, out, 0.0)

    def dark_width(self, m: float | np.ndarray) -> np.ndarray:
        """Gamma(V* of mass m (GeV) -> the dark pair) in GeV, zero below threshold; shape of m.

        Dirac: (alpha_D/3) m (1 + 2 r) beta; complex scalar: (alpha_D/12) m beta^3
        (r = m_chi^2/m^2, beta = (1 - 4 r)^{1/2}; PHYSICS.md section 3.3); chi1 chi2 for
        inelastic dark matter (:func:`bdgen.physics.inelastic_dm.width_v_to_pair`).
        """
        m = np.asarray(m, dtype=float)
        if self.m_chi2 is not None:  # inelastic dark matter: V* -> chi1 chi2
            from .inelastic_dm import width_v_to_pair

            return np.asarray(width_v_to_pair(m, self.m_chi, self.m_chi2, self.alpha_d))
        r = self.m_chi**2 / np.maximum(m * m, 1e-300)
        b2 = np.maximum(1.0 - 4.0 * r, 0.0)
        if self.dirac:
            return self.alpha_d * m / 3.0 * (1.0 + 2.0 * r) * np.sqrt(b2)
        return self.alpha_d * m / 12.0 * b2**1.5

    @property
    def visible_width(self) -> float:
        """Gamma_vis = Gamma_V - Gamma(V -> dark pair) at m_V (GeV): the part of the width kept
        fixed in Im Pi(s) of eq. (1)."""
        return max(self.gamma_v - float(self.dark_width(self.m_v)), 0.0)

    def u_of_s(self, s: float | np.ndarray) -> float | np.ndarray:
        """The Breit-Wigner-flattening variable u(s) = arctan((s - m_V^2)/(m_V Gamma_V))."""
        return np.arctan((np.asarray(s) - self.m_v**2) / self.mg)

    def s_of_u(self, u: float | np.ndarray) -> float | np.ndarray:
        """Inverse of :meth:`u_of_s`."""
        return self.m_v**2 + self.mg * np.tan(u)

    def dbr_du(self, u: float | np.ndarray) -> float | np.ndarray:
        """dBR/du = dBR/ds x ds/du, smooth in u."""
        s = self.s_of_u(u)
        return self.dbr_ds(s) * self.mg / np.cos(u) ** 2

    #: Half-width of the core region integrated in u, in units of m_V Gamma_V.
    CORE = 200.0
    #: Relative tolerance of the quadratures in :meth:`branching_ratio`: near a threshold or a
    #: very narrow V the integrand's rounding (1 - 4 m_chi^2/s, s - m_V^2) limits them to about
    #: 1e-8 (scipy then warns of roundoff at 1e-10).
    EPSREL = 1e-8

    def _split(self) -> tuple[float, float]:
        """[s_lo, s_hi]: the part of [s_min, s_max] within CORE m_V Gamma_V of the pole."""
        w = self.CORE * self.mg
        m2 = self.m_v**2
        lo = min(max(self.s_min, m2 - w), self.s_max)
        hi = max(min(self.s_max, m2 + w), self.s_min)
        return lo, hi

    def branching_ratio(self) -> float:
        """BR(M -> gamma chi chibar): eq. (1) integrated over s.

        scipy's adaptive quadrature in u near the pole (|s - m_V^2| < 200 m_V Gamma_V, where u
        flattens the Breit-Wigner) and in ln|s - m_V^2| on the tails (where u would squeeze
        them into slivers near +-pi/2).
        """
        if not self.open:
            return 0.0
        lo, hi = self._split()
        total = 0.0
        if hi > lo and self.running_width and lo <= self.s_min:
            # the pole within CORE widths of the threshold: with the running width the density
            # goes as (s - s_min)^{-1/2} there when the pair width ~ beta (Dirac, chi1 chi2), so
            # integrate in v = (s - s_min)^{1/2}, in which it is finite
            def f(v: float) -> float:
                return float(self.dbr_ds(self.s_min + v * v)) * 2.0 * v

            v1 = math.sqrt(hi - self.s_min)
            vp = math.sqrt(max(self.m_v**2 - self.s_min, 0.0))
            pts = [vp] if 0.0 < vp < v1 else None
            # absolute tolerance: 1e-5 of the integrand's scale over the range (s_min + v^2
            # cannot resolve v below ~1e-8 sqrt(s_min) in double precision, so a purely
            # relative tolerance would chase rounding there, as would beta = (1 - s_min/s)^{1/2})
            scale = v1 * max(f(v1), f(vp) if pts else 0.0)
            total += _quad(f, 0.0, v1, points=pts, limit=400, epsabs=1e-5 * scale, epsrel=self.EPSREL)[0]
        elif hi > lo:
            u0, u1 = float(self.u_of_s(lo)), float(self.u_of_s(hi))
            total += _quad(self.dbr_du, u0, u1, limit=400, epsabs=0.0, epsrel=self.EPSREL)[0]
        m2 = self.m_v**2
        for a, b in ((self.s_min, lo), (hi, self.s_max)):
            if b <= a:
                continue
            if a >= m2:  # upper tail: x = ln(s - m_V^2)
                f = lambda x: float(self.dbr_ds(m2 + math.exp(x))) * math.exp(x)  # noqa: E731
                total += _quad(f, math.log(a - m2), math.log(b - m2), limit=400, epsabs=0.0, epsrel=self.EPSREL)[0]
            elif b <= m2:  # lower tail: x = ln(m_V^2 - s)
                f = lambda x: float(self.dbr_ds(m2 - math.exp(x))) * math.exp(x)  # noqa: E731
                total += _quad(f, math.log(m2 - b), math.log(m2 - a), limit=400, epsabs=0.0, epsrel=self.EPSREL)[0]
            else:  # cannot happen: the core contains the pole when it is inside [s_min, s_max]
                total += _quad(self.dbr_ds, a, b, limit=400, epsabs=0.0, epsrel=self.EPSREL)[0]
        return float(total)

    def s_table(self, n: int = 4097) -> tuple[np.ndarray, np.ndarray]:
        """Inverse-CDF table for sampling s.

        Nodes: n points equally spaced in u over the core (see :meth:`branching_ratio`) and
        n/4 points on each tail, geometrically spaced in |s - m_V^2|.  The probability of each
        interval is integrated in s with 8-point Gauss-Legendre quadrature; a sampled s is the
        inverse of the cumulative distribution interpolated linearly in u between nodes (the
        density in u is approximated by a step function).

        Returns
        -------
        u : ndarray, shape (m,)
            Increasing nodes in u = arctan((s - m_V^2)/mg).
        cdf : ndarray, shape (m,)
            The cumulative distribution at the nodes (cdf[0] = 0, cdf[-1] = 1).
        """
        lo, hi = self._split()
        m2 = self.m_v**2
        parts = []
        if hi > lo:
            parts.append(np.asarray(self.s_of_u(np.linspace(self.u_of_s(lo), self.u_of_s(hi), n))))
        k = max(n // 4, 16)
        if lo > self.s_min:
            d = np.geomspace(m2 - lo, m2 - self.s_min, k) if m2 > lo else None
            parts.append(m2 - d if d is not None else np.linspace(self.s_min, lo, k))
        if hi < self.s_max:
            d = np.geomspace(hi - m2, self.s_max - m2, k) if hi > m2 else None
            parts.append(m2 + d if d is not None else np.linspace(hi, self.s_max, k))
        s_nodes = np.unique(np.clip(np.concatenate(parts + [[self.s_min, self.s_max]]), self.s_min, self.s_max))
        # nodes closer than the resolution of u collapse to one (u must increase strictly)
        _, keep = np.unique(np.asarray(self.u_of_s(s_nodes)), return_index=True)
        s_nodes = s_nodes[np.sort(keep)]
        x, w = np.polynomial.legendre.leggauss(8)
        a, b = s_nodes[:-1], s_nodes[1:]
        mid, half = 0.5 * (a + b), 0.5 * (b - a)
        pts = mid[:, None] + half[:, None] * x[None, :]
        seg = half * (np.asarray(self.dbr_ds(pts)) @ w)
        cdf = np.concatenate([[0.0], np.cumsum(seg)])
        cdf /= cdf[-1]
        return np.asarray(self.u_of_s(s_nodes)), cdf


def _quad(f, a: float, b: float, **kw) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """scipy.integrate.quad, quiet about roundoff when the error it reaches is below 1e-5 of the result.

    Near a threshold or a very narrow V the rounding of the integrand (1 - 4 m_chi^2/s,
    s - m_V^2, whose resolution is ~1e-16 m_V^2) stops quad short of EPSREL; a BR known to 1e-5
    is still ample (far below any Monte Carlo error), so the
    IntegrationWarning is passed on only when the reached error is larger than that.
    """
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", integrate.IntegrationWarning)
        y, err = integrate.quad(f, a, b, **kw)
    for w in caught:
        if not (issubclass(w.category, integrate.IntegrationWarning) and err <= 1e-5 * abs(y)):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return y, err


def three_body(
    meson: str,
    m_v: float,
    m_chi: float,
    epsilon: float,
    alpha_d: float,
    dirac: bool,
    *,
    bdnmc: bool = False,
    couplings: Couplings | None = None,
) -> ThreeBody:
    """Build :class:`ThreeBody` for ``meson`` with bdgen's or BdNMC's conventions.

    With ``couplings`` (:class:`bdgen.physics.models.Couplings`) the model's effective mixing
    of this meson replaces ``epsilon`` and its total mediator width is used (baryonic model).
    """
    eps = epsilon if couplings is None else couplings.meson_epsilon(meson)
    g_v = (total_width(m_v, m_chi, epsilon, alpha_d, dirac, bdnmc=bdnmc) if couplings is None
           else couplings.total_width())
    m2 = couplings.m_chi2 if (couplings is not None and couplings.name == "inelastic") else None
    return ThreeBody(
        m_chi2=m2,
        m_meson=meson_mass(meson, bdnmc=bdnmc),
        m_v=m_v,
        m_chi=m_chi,
        epsilon=eps,
        alpha_d=alpha_d,
        dirac=dirac,
        gamma_v=g_v,
        gg_factor=meson_gg_factor(meson, bdnmc=bdnmc),
        running_width=not bdnmc,
    )


def capture_kappa(e_v: float | np.ndarray, s: float | np.ndarray) -> float | np.ndarray:
    """Longitudinal factor kappa = E_V (2 m_pi - E_V)/(2 m_pi E_V - s) of pi- p -> n V* at threshold
    (Kroll-Ruderman plus pion-pole current; :func:`capture`).  E_V in GeV, s in GeV^2."""
    return e_v * (2.0 * C.M_PIPM - e_v) / (2.0 * C.M_PIPM * e_v - s)


#: BdNMC's radiative pi- capture: a pseudo-meson of mass 0.129 GeV (the pi- p -> n gamma line)
#: decaying like the pi0 with the rate x 0.25 (BdNMC ``piminus_capture_gen.cpp``).
BDNMC_CAPTURE_MASS = 0.129
BDNMC_CAPTURE_FACTOR = 0.25


def capture(m_v: float, m_chi: float, epsilon: float, alpha_d: float, dirac: bool, radiative_fraction: float,
            *, bdnmc: bool = False) -> ThreeBody:
    """Radiative pi- capture at rest, pi- p -> n V* -> n chi chibar, per stopped pi-.

    At threshold the pi- p -> n gamma amplitude is the s-wave electric-dipole (Kroll-Ruderman)
    term proportional to sigma . eps (Kroll and Ruderman, Phys. Rev. 93 (1954) 233; Ericson and
    Weise, "Pions and Nuclei" (1988), ch. 10), made gauge invariant by the pion-pole term
    (2 p_pi - q).eps sigma.(p_pi - q)/(s - 2 m_pi E_V).  For a real transverse photon the pole term
    vanishes (eps^0 = 0, q.eps = 0).  For a V* of mass^2 s the transverse amplitudes are unchanged
    and the longitudinal one is (sqrt(s)/E_V) kappa times the transverse, with
    kappa = E_V (2 m_pi - E_V)/(2 m_pi E_V - s) (:func:`capture_kappa`) [derived; the Kroll-Ruderman
    term alone, kappa = 1, is not a conserved current].  So the spin sum is 2 + kappa^2 s/E_V^2
    against 2 for the photon and, with the two-body phase space p_V/p_gamma [derived],

        dBR/ds = eps^2 R_gamma (p_V/p_gamma)(1 + kappa^2 s/(2 E_V^2)) sqrt(s) Gamma_{V*->chi chi}(s)/pi / BW(s),

    with p_V, E_V the V* momentum and energy in the pi- p rest frame (sqrt(S) = m_pi + m_p,
    recoil m_n; E_gamma = 129.4 MeV) and R_gamma the probability that a capture emits a photon
    (a property of the target: 0.39 on hydrogen from the Panofsky ratio, about 0.02 in complex
    nuclei; see the beam files).  The V* carries longitudinal fraction kappa^2 x/(2 + kappa^2 x),
    x = s/E_V^2 (kernel decay modes 3 and 4).  Bound-nucleon effects (binding, Fermi motion, the continuum of
    the nuclear photon spectrum) are not modelled: every V* is made at the free-nucleon energy.

    Under ``compat.bdnmc`` BdNMC's model: a pseudo-meson of mass 0.129 GeV decaying as
    eq. (1) with BR(M -> gamma gamma) = 1, times 0.25, whatever the target.
    """
    gamma_v = total_width(m_v, m_chi, epsilon, alpha_d, dirac, bdnmc=bdnmc)
    if bdnmc:
        return ThreeBody(BDNMC_CAPTURE_MASS, m_v, m_chi, epsilon, alpha_d, dirac, gamma_v, BDNMC_CAPTURE_FACTOR,
                         running_width=False)
    return ThreeBody(C.M_PIPM + C.M_P, m_v, m_chi, epsilon, alpha_d, dirac, gamma_v, radiative_fraction,
                     m_recoil=C.M_N, process="capture")


#: eta' -> X gamma with a vector meson X (PDG RPP 2024): rho0 gamma (incl. non-resonant pi+ pi-
#: gamma) (28.9 +- 0.5)%, omega gamma (2.62 +- 0.13)%.
ETA_PRIME_VECTOR = {"rho": (113, 0.289), "omega": (223, 0.0262)}


def eta_prime_vector(vector: str, m_v: float, m_chi: float, epsilon: float, alpha_d: float, dirac: bool,
                     *, bdnmc: bool = False) -> ThreeBody:
    """eta' -> X V* -> X chi chibar for X = rho0 or omega.

    eta' -> X gamma is a magnetic-dipole (P -> V V') transition, amplitude
    eps^{mu nu a b} eps*_X eps*_gamma k_X k_gamma, so its rate grows as the cube of the final
    momentum and only transverse helicities appear (PDG RPP 2024 review "Quark model"; Landsberg,
    Phys. Rep. 128 (1985) 301, section 3).  Replacing the photon by a V* of mass^2 s and
    coupling eps e [derived]:

        dBR/ds = eps^2 BR(eta' -> X gamma) (p_V(s)/p_gamma)^3 sqrt(s) Gamma_{V*->chi chi}(s)/pi / BW(s),

    p_V(s) = lambda^{1/2}(m_eta'^2, m_X^2, s)/(2 m_eta'), p_gamma = p_V(0).  The V* is
    transversely polarised, as in eq. (1).  The vector meson is taken as narrow (PDG mass).
    BdNMC's counterpart is the phase-space factor (1 - m_V^2/(m_eta' - m_X)^2)^{3/2} in
    :func:`br_eta_prime_bdnmc`.
    """
    from particle import Particle

    pdg, br = ETA_PRIME_VECTOR[vector]
    m_x = float(Particle.from_pdgid(pdg).mass) * 1e-3
    gamma_v = total_width(m_v, m_chi, epsilon, alpha_d, dirac, bdnmc=bdnmc)
    return ThreeBody(C.M_ETAP, m_v, m_chi, epsilon, alpha_d, dirac, gamma_v, br, m_recoil=m_x, process="vmd",
                     running_width=not bdnmc)


def br_eta_prime_bdnmc(m_v: float, epsilon: float) -> float:
    """BdNMC's on-shell BR(eta' -> gamma V) (PHYSICS.md section 3.1, BdNMC ``branchingratios.cpp``):

        eps^2 [2 (1 - m_V^2/m^2)^3 0.022 + (1 - m_V^2/(m - m_rho)^2)^{3/2} 0.291
               + (1 - m_V^2/(m - m_omega)^2)^{3/2} 0.0275],  m = 0.95778 GeV,

    each term only where it is open.  The second and third terms stand for eta' -> rho V and
    omega V (the photon of eta' -> rho gamma, omega gamma replaced by V); bdgen's own eta' rate
    keeps only the anomaly term, with the PDG BR(eta' -> gamma gamma), and differs here.
    """
    m = 0.95778
    m_rho, m_omega = 0.77526, 0.78265
    out = 0.0
    if m_v < m:
        out += 2.0 * (1.0 - m_v**2 / m**2) ** 3 * 0.022
    if m_v < m - m_rho:
        out += (1.0 - m_v**2 / (m - m_rho) ** 2) ** 1.5 * 0.291
    if m_v < m - m_omega:
        out += (1.0 - m_v**2 / (m - m_omega) ** 2) ** 1.5 * 0.0275
    return epsilon**2 * out


def bdnmc_uses_on_shell(tb: ThreeBody) -> bool:
    """BdNMC's choice between on-shell and off-shell kinematics (PHYSICS.md section 3.2).

    BdNMC samples the off-shell three-body decay when its integrated rate exceeds 1.3 times
    the on-shell two-body rate times BR(V -> chi chi), or when 2 m_chi >= 0.97 m_V; otherwise
    it decays an on-shell V of mass m_V, isotropically.
    """
    if 2.0 * tb.m_chi >= 0.97 * tb.m_v or tb.m_v >= tb.m_meson:
        return False
    on = (
        2.0 * tb.epsilon**2 * (1.0 - tb.m_v**2 / tb.m_meson**2) ** 3 * tb.gg_factor
        * float(width_to_chi(tb.m_v, tb.alpha_d, tb.m_chi, tb.dirac)) / tb.gamma_v
    )
    return tb.branching_ratio() <= 1.3 * on




#: Vector mesons: name -> (PDG code, BR(V -> e+ e-)), PDG RPP 2024 (rho0 (4.72 +- 0.05)e-5,
#: omega (7.38 +- 0.22)e-5, phi (2.979 +- 0.033)e-4).  Masses from the ``particle`` package.
VECTOR_MESONS: dict[str, tuple[int, float]] = {
    "rho": (113, 4.72e-5),
    "omega": (223, 7.38e-5),
    "phi": (333, 2.979e-4),
}


def vector_meson_mass(meson: str) -> float:
    """PDG mass of the vector meson (GeV)."""
    from particle import Particle

    m = Particle.from_pdgid(VECTOR_MESONS[meson][0]).mass
    assert m is not None
    return float(m) * 1e-3


def br_vector_mixing(meson: str, m_v: float, m_chi: float, epsilon: float, alpha_d: float, dirac: bool,
                     *, bdnmc: bool = False, couplings: Couplings | None = None) -> float:
    """BR(M -> V* -> chi chibar) for a vector meson M = rho, omega, phi mixing with V.

    The meson couples to the photon with the strength fixed by its e+e- width; replacing the
    photon by V (coupling eps e, propagator 1/(m_M^2 - m_V^2 + i Im Pi(m_M^2))) and e+e- by chi
    chibar (coupling g_D) gives

        Gamma(M -> chi chibar)/Gamma(M -> e+e-) = (3 eps^2/alpha) m_M^3 Gamma_{V*->chi chi}(m_M)
                                                   / [(m_M^2 - m_V^2)^2 + Im Pi(m_M^2)^2],

    with Gamma_{V*->chi chi}(m_M) the chi-pair width of a V of mass m_M (BdNMC
    ``branchingratios.cpp``, PHYSICS.md section 3.1, with the full propagator at every m_V
    instead of BdNMC's mass windows and step functions; cf. Fabbrichesi, Gabrielli, Lanfranchi,
    "The dark photon", arXiv:2005.01515, section 6.2).  The meson is taken as narrow (the
    rho line shape is not folded in).  With ``couplings`` the model's effective mixing of the
    meson (:meth:`bdgen.physics.models.Couplings.meson_epsilon`) replaces eps and its width
    Gamma_V is used.  Im Pi(s) = sqrt(s) Gamma_{V*->chi chi}(sqrt(s)) + m_V Gamma_vis, the running
    width of :class:`ThreeBody` (module docstring); BdNMC's fixed m_V Gamma_V under ``bdnmc``.
    """
    m = vector_meson_mass(meson)
    if 2.0 * m_chi >= m:
        return 0.0
    alpha = C.BDNMC["alpha"] if bdnmc else C.ALPHA
    if couplings is not None:
        epsilon = couplings.meson_epsilon(meson)
        g_v = couplings.total_width()
        if m <= m_chi + couplings.m_chi2:
            return 0.0
        g_chi = couplings.width_to_dark(m)
        g_chi_pole = couplings.width_to_dark(m_v)
    else:
        g_v = total_width(m_v, m_chi, epsilon, alpha_d, dirac, bdnmc=bdnmc)
        g_chi = float(width_to_chi(m, alpha_d, m_chi, dirac))
        g_chi_pole = float(width_to_chi(m_v, alpha_d, m_chi, dirac))
    im = m_v * g_v if bdnmc else m * g_chi + m_v * max(g_v - g_chi_pole, 0.0)
    br_ee = VECTOR_MESONS[meson][1]
    return 3.0 * epsilon**2 / alpha * br_ee * m**3 * g_chi / ((m * m - m_v * m_v) ** 2 + im * im)


__all__ = [
    "MESONS",
    "ThreeBody",
    "br_to_chi",
    "br_two_body",
    "bdnmc_uses_on_shell",
    "br_vector_mixing",
    "br_eta_prime_bdnmc",
    "capture",
    "capture_kappa",
    "eta_prime_vector",
    "ETA_PRIME_VECTOR",
    "VECTOR_MESONS",
    "vector_meson_mass",
    "meson_gg_factor",
    "meson_mass",
    "three_body",
]
