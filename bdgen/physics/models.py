"""The portal models and their couplings, in one place.

Every coupling of a model that enters production, the mediator width or scattering is derived
here from the card's ``[model]`` table, so the three stay consistent.

``dark_photon``: a kinetically mixed U(1)' (mixing eps, dark coupling alpha_D); the mediator
couples to the electromagnetic current with strength eps e (PHYSICS.md section 1).

``inelastic``: the dark photon with pseudo-Dirac chi1, chi2 = chi1 + delta coupled
off-diagonally (:mod:`bdgen.physics.inelastic_dm`): V -> chi1 chi2, chi2 -> chi1 l+ l-.

``baryonic``: a leptophobic U(1)_B vector V_B coupled to baryon number, g_B/3 per quark
(alpha_B = g_B^2/(4 pi) per baryon), to chi with alpha_D, plus an optional kinetic mixing eps
(generated at one loop; 0 by default).  References: Tulin, PRD 89 (2014) 114008,
arXiv:1404.4370 ("Hadronic decays of a light U(1)_B boson"); Batell, deNiverville, McKeen,
Pospelov, Ritz, PRD 90 (2014) 115014, arXiv:1405.7049 ("Leptophobic dark matter at neutrino
factories"); BdNMC ``branchingratios.cpp`` (baryonic section) for the same couplings.

- Meson production.  A meson M couples to the mediator through the same quark current as to
  the photon, with each quark's electric charge Q_q replaced by its coupling to the mediator.
  The amplitude relative to the photon's is the effective mixing

      eps_M = r_M sqrt(alpha_B/alpha) - eps,

  which replaces eps in every meson formula (eq. (1) of :mod:`meson_decays` and the
  vector-meson mixing).  r_M is the ratio of baryon-number to electric-charge traces of the
  meson's quark content: pi0 (uu - dd): Tr[tau3 Q B]/Tr[tau3 Q^2] = 1; rho0 (isovector): 0;
  omega (uu + dd): (B_u + B_d)/(Q_u + Q_d) = 2; phi (ss): B_s/Q_s = -1 [derived, as in
  Tulin section II]; eta: 0.61, BdNMC's ``etafactor``, which stands for the eta-eta' mixing (with
  eta = cos(theta) eta_8 - sin(theta) eta_1, equal decay constants and theta = -15 to -20 deg
  the same trace ratio gives 0.56 to 0.49 [derived]; the singlet has Tr[Q B] = 0).  So pi0 -> gamma V_B is not
  suppressed for alpha_B ~ alpha, the rho does not mix with V_B at all, and for the dark photon
  (alpha_B = 0) eps_M^2 = eps^2 for every meson.
- Width: Gamma(V_B -> chi chi) + the eps-induced lepton and hadron widths +
  Gamma(V_B -> pi0 gamma) = alpha alpha_B m_V^3 (1 - m_pi^2/m_V^2)^3/(96 pi^3 f_pi^2) [derived
  by crossing from Gamma(pi0 -> gamma V_B) = 2 (alpha_B/alpha)(1 - m_V^2/m_pi^2)^3
  Gamma(pi0 -> gamma gamma) with Gamma(pi0 -> gamma gamma) = alpha^2 m_pi^3/(64 pi^3 f_pi^2)].
  The 3 pi channels that open near the omega are not included (they matter only when
  V_B -> chi chi is closed, i.e. for visible decays, which this model does not offer).
- Scattering: the nucleon matrix element of the baryon current has F1^B = F1^p + F1^n and
  F2^B = F2^p + F2^n (the u, d vector currents summed with weight 1/3 each [derived]), so
  G_E^B(0) = 1 and G_M^B(0) = mu_p + mu_n = 0.880 on protons and neutrons alike; the Q^2
  dependence is taken as the dipole.  Nuclei: coherent charge A instead of Z.  Electrons:
  only through eps (no events for eps = 0).  The eps admixture in nucleon scattering,
  relative size eps sqrt(alpha/alpha_B), is neglected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import constants as C
from .widths import r_ratio, total_width, width_to_chi, width_to_fermions

#: Models a card may name.
MODEL_NAMES = ("dark_photon", "baryonic", "inelastic")

#: r_M: baryon-number coupling of meson M's quark current relative to its electric one.
BARYONIC_RATIO = {"pi0": 1.0, "eta": 0.61, "rho": 0.0, "omega": 2.0, "phi": -1.0}

#: Pion decay constant (GeV), f_pi = 92.07 MeV (PDG RPP 2024, f_pi+ = 130.2 MeV / sqrt 2).
F_PI = 0.13020 / math.sqrt(2.0)


@dataclass(frozen=True)
class Couplings:
    """The couplings of one model point (masses in GeV).

    Attributes
    ----------
    name : str
        "dark_photon" or "baryonic".
    m_v, m_chi : float
    epsilon : float
        Kinetic mixing (may be 0 for the baryonic model).
    alpha_d : float
        chi coupling g_D^2/(4 pi).
    alpha_b : float
        Baryonic coupling g_B^2/(4 pi) per baryon (0 for the dark photon).
    dirac : bool
    bdnmc : bool
        BdNMC's widths (``compat.bdnmc``).
    """

    name: str
    m_v: float
    m_chi: float
    epsilon: float
    alpha_d: float
    alpha_b: float
    dirac: bool
    bdnmc: bool = False
    delta: float = 0.0

    @classmethod
    def from_config(cls, cfg: object) -> Couplings:
        """From a :class:`bdgen.config.Config`."""
        m = cfg.model  # type: ignore[attr-defined]
        return cls(m.name, m.m_v, m.m_chi, m.epsilon, m.alpha_d, m.alpha_b or 0.0, m.dirac,
                   cfg.compat.bdnmc, m.delta or 0.0)  # type: ignore[attr-defined]

    @property
    def m_chi2(self) -> float:
        """Mass of the second dark daughter of V: m_chi, or m_chi + delta (inelastic)."""
        return self.m_chi + self.delta if self.name == "inelastic" else self.m_chi

    def width_to_dark(self, m: float) -> float:
        """Gamma(V(*) of mass m -> the dark pair) in GeV: chi chibar, or chi1 chi2 (inelastic)."""
        if self.name == "inelastic":
            from .inelastic_dm import width_v_to_pair

            return float(width_v_to_pair(m, self.m_chi, self.m_chi2, self.alpha_d))
        return float(width_to_chi(m, self.alpha_d, self.m_chi, self.dirac))

    @property
    def baryonic(self) -> bool:
        return self.name == "baryonic"

    def meson_epsilon(self, meson: str) -> float:
        """|eps_M|: the mixing that replaces eps in meson M's production formula."""
        if not self.baryonic:
            return self.epsilon
        return abs(BARYONIC_RATIO[meson] * math.sqrt(self.alpha_b / C.ALPHA) - self.epsilon)

    def width_pi0_gamma(self, m_v: float | None = None) -> float:
        """Gamma(V_B -> pi0 gamma) (GeV); zero for the dark photon and below threshold."""
        m = self.m_v if m_v is None else m_v
        if not self.baryonic or m <= C.M_PI0:
            return 0.0
        return C.ALPHA * self.alpha_b * m**3 * (1.0 - C.M_PI0**2 / m**2) ** 3 / (96.0 * math.pi**3 * F_PI**2)

    def total_width(self) -> float:
        """Total width of the mediator (GeV)."""
        if self.name == "inelastic":
            return total_width(self.m_v, self.m_chi, self.epsilon, 0.0, self.dirac) + self.width_to_dark(self.m_v)
        if not self.baryonic:
            return total_width(self.m_v, self.m_chi, self.epsilon, self.alpha_d, self.dirac, bdnmc=self.bdnmc)
        a = C.ALPHA * self.epsilon**2
        return float(
            width_to_chi(self.m_v, self.alpha_d, self.m_chi, self.dirac)
            + width_to_fermions(self.m_v, a, C.M_E)
            + width_to_fermions(self.m_v, a, C.M_MU)
            + width_to_fermions(self.m_v, a, 0.0) * r_ratio(self.m_v)
            + self.width_pi0_gamma()
        )

    def br_to_chi(self) -> float:
        """BR(mediator -> chi chibar) on shell."""
        g = self.total_width()
        return self.width_to_dark(self.m_v) / g if g > 0 else 0.0

    def chi2_decay(self) -> tuple[float, float]:
        """(total width of chi2, BR(chi2 -> chi1 e+ e-)) for inelastic dark matter (GeV)."""
        from .inelastic_dm import chi2_total_width, chi2_width

        g_v = self.total_width()
        tot = chi2_total_width(self.m_chi, self.m_chi2, self.m_v, self.epsilon, self.alpha_d, g_v)
        ee = chi2_width(self.m_chi, self.m_chi2, self.m_v, self.epsilon, self.alpha_d, g_v, C.M_E)
        return tot, (ee / tot if tot > 0 else 0.0)

    def scatter_alpha(self, target: str) -> float:
        """The product of couplings (alpha-like, dimensionless) multiplying dsigma/dT of the
        scattering kernel for ``target`` in "electron", "nucleon", "coherent": eps^2 alpha alpha_D
        for the dark photon; alpha_B alpha_D on nucleons and nuclei and eps^2 alpha alpha_D on
        electrons for the baryonic model."""
        if self.baryonic and target != "electron":
            return self.alpha_b * self.alpha_d
        return self.epsilon**2 * C.ALPHA * self.alpha_d


__all__ = ["BARYONIC_RATIO", "F_PI", "MODEL_NAMES", "Couplings"]
