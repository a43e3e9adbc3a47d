"""Physical constants and particle masses used throughout bdgen.

Units: GeV for energies and masses, metres for lengths, nanoseconds for times.

Particle masses come from the PDG tables shipped with the ``particle`` package
(PDG Review of Particle Physics, as packaged by scikit-hep/particle); physical
constants from CODATA through :mod:`scipy.constants` (CODATA 2022 with scipy >= 1.15).  The BdNMC values
(PHYSICS.md section 1, ``constants.h`` of BdNMC) are kept separately in
:data:`BDNMC` for the ``compat.bdnmc`` switch.
"""

from __future__ import annotations

from types import MappingProxyType

import scipy.constants as _sc
from particle import Particle

#: Fine-structure constant at Q^2 = 0 (CODATA, via scipy.constants).
ALPHA: float = _sc.fine_structure
#: hbar*c in GeV*m (CODATA, via scipy.constants).
HBARC_GEV_M: float = _sc.hbar * _sc.c / _sc.e * 1e-9
#: Conversion factor GeV^-2 -> m^2: (hbar c)^2.
GEV2_TO_M2: float = HBARC_GEV_M**2
#: hbar in GeV*s.
HBAR_GEV_S: float = _sc.hbar / _sc.e * 1e-9
#: Speed of light in m/ns.
C_M_PER_NS: float = _sc.c * 1e-9
#: Atomic mass unit in GeV (CODATA, via scipy.constants).
ATOMIC_MASS_UNIT: float = _sc.physical_constants["atomic mass constant energy equivalent in MeV"][0] * 1e-3
#: Avogadro's number (1/mol).
N_A: float = _sc.Avogadro

PDG_PI0 = 111
PDG_ETA = 221
PDG_ETAP = 331
PDG_PI_MINUS = -211
PDG_ELECTRON = 11
PDG_PROTON = 2212
PDG_NEUTRON = 2112
PDG_PHOTON = 22
#: Monte Carlo codes for the dark sector, from the PDG numbering scheme (RPP 2024, "Monte
#: Carlo particle numbering scheme", item 14: 51-60 for dark-matter candidates and mediators,
#: as also used by Pythia 8's DM module): 51 scalar DM, 52 spin-1/2 DM, 55 spin-1 mediator.
PDG_DARK_PHOTON = 55
PDG_CHI_SCALAR = 51
PDG_CHI_DIRAC = 52
#: The heavier state chi2 of inelastic dark matter: 58, the fermionic dark-matter partner of the
#: PDG Monte Carlo numbering scheme (RPP 2024, "Monte Carlo particle numbering scheme", item 12).
PDG_CHI2 = 58


def _mass(pdgid: int) -> float:
    """PDG mass of ``pdgid`` in GeV (the ``particle`` package stores MeV)."""
    m = Particle.from_pdgid(pdgid).mass
    assert m is not None
    return float(m) * 1e-3


M_E = _mass(11)
M_MU = _mass(13)
M_PI0 = _mass(111)
M_PIPM = _mass(211)
M_ETA = _mass(221)
M_ETAP = _mass(331)
M_P = _mass(2212)
M_N = _mass(2112)

#: Branching ratios of the two-photon decays (PDG 2024 averages, via ``particle`` is not
#: possible: the package carries no branching ratios).  PDG RPP 2024: pi0 -> gamma gamma
#: (98.823 +- 0.034)%, eta -> gamma gamma (39.36 +- 0.18)%, eta' -> gamma gamma (2.307 +- 0.040)%.
BR_PI0_GG = 0.98823
BR_ETA_GG = 0.3936
BR_ETAP_GG = 0.02307

#: Magnetic moments in nuclear magnetons (PDG RPP 2024).
MU_P = 2.79284734
MU_N = -1.91304276

#: BdNMC's own constants (PHYSICS.md section 1, BdNMC ``constants.h``), used only under
#: ``compat.bdnmc = true``.
BDNMC = MappingProxyType(
    {
        "alpha": 1.0 / 137.035999074,
        "m_e": 0.5109989461e-3,
        "m_mu": 0.10576583745,
        "m_pi0": 0.1349766,
        "m_eta": 0.547862,
        "m_p": 0.938272,
        "m_n": 0.939565,
        "br_pi0_gg": 0.98823,
        "br_eta_gg": 0.3941,
        "mu_p": 2.793,
        "mu_n": -1.913,
    }
)
