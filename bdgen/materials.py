"""Materials: number densities of electrons, protons, neutrons and nuclei from composition.

A material is a mass density (g/cm^3) and a composition, given either as a chemical formula
(``"CH2"``, ``"C3H8O"``) or as element mass fractions.  Number densities follow from
n_i = rho w_i N_A / A_i (per element i with mass fraction w_i and standard atomic weight A_i);
electrons and protons per atom are Z, neutrons per atom are A_i - Z (the mean nucleon number
approximated by the atomic weight in u, good to 0.1% from binding and isotope mass defects),
except hydrogen, whose mean neutron number is the deuterium abundance 1.15e-4.

Standard atomic weights: IUPAC CIAAW, "Standard atomic weights of the elements 2021",
Pure Appl. Chem. 94 (2022) 573 (abridged values).  Deuterium abundance: IUPAC isotopic
compositions 2013 (Meija et al., Pure Appl. Chem. 88 (2016) 293), 0.0115%.

Output number densities are in m^-3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType

from .constants import N_A

#: symbol -> (Z, standard atomic weight in u)
ELEMENTS = MappingProxyType(
    {
        "H": (1, 1.008), "He": (2, 4.0026), "Li": (3, 6.94), "Be": (4, 9.0122),
        "B": (5, 10.81), "C": (6, 12.011), "N": (7, 14.007), "O": (8, 15.999),
        "F": (9, 18.998), "Ne": (10, 20.180), "Na": (11, 22.990), "Mg": (12, 24.305),
        "Al": (13, 26.982), "Si": (14, 28.085), "P": (15, 30.974), "S": (16, 32.06),
        "Cl": (17, 35.45), "Ar": (18, 39.95), "K": (19, 39.098), "Ca": (20, 40.078),
        "Ti": (22, 47.867), "Cr": (24, 51.996), "Mn": (25, 54.938), "Fe": (26, 55.845),
        "Ni": (28, 58.693), "Cu": (29, 63.546), "Zn": (30, 65.38), "Ge": (32, 72.630),
        "Br": (35, 79.904), "Mo": (42, 95.95), "Ag": (47, 107.87), "Sn": (50, 118.71),
        "I": (53, 126.90), "Xe": (54, 131.29), "Cs": (55, 132.91), "Gd": (64, 157.25),
        "W": (74, 183.84), "Hg": (80, 200.59), "Pb": (82, 207.2),
    }
)
_DEUTERIUM_FRACTION = 1.15e-4

_TOKEN = re.compile(r"([A-Z][a-z]?)(\d*\.?\d*)")


def parse_formula(formula: str) -> dict[str, float]:
    """Atom counts of a simple chemical formula such as ``"CH2"`` or ``"C9H12"``.

    Raises ``ValueError`` naming the formula for unknown elements or stray characters.
    """
    pos = 0
    counts: dict[str, float] = {}
    for m in _TOKEN.finditer(formula):
        if m.start() != pos:
            break
        sym, num = m.group(1), m.group(2)
        if sym not in ELEMENTS:
            raise ValueError(f"unknown element {sym!r} in formula {formula!r}")
        try:
            n = float(num) if num else 1.0
        except ValueError:
            raise ValueError(f"cannot parse the count {num!r} of {sym} in chemical formula {formula!r}") from None
        if not n > 0:
            raise ValueError(f"count of {sym} in chemical formula {formula!r} must be > 0")
        counts[sym] = counts.get(sym, 0.0) + n
        pos = m.end()
    if pos != len(formula) or not counts:
        raise ValueError(f"cannot parse chemical formula {formula!r}")
    return counts


def formula_mass_fractions(formula: str) -> dict[str, float]:
    """Element mass fractions of ``formula`` (summing to 1)."""
    counts = parse_formula(formula)
    masses = {el: n * ELEMENTS[el][1] for el, n in counts.items()}
    total = sum(masses.values())
    return {el: m / total for el, m in masses.items()}


@dataclass(frozen=True)
class Material:
    """A homogeneous material.

    Attributes
    ----------
    name : str
    density : float
        Mass density in g/cm^3.
    mass_fractions : mapping element symbol -> mass fraction (sums to 1).
    """

    name: str
    density: float
    mass_fractions: MappingProxyType[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def atom_densities(self) -> dict[str, float]:
        """Number density of atoms of each element, m^-3."""
        return {
            el: self.density * w * N_A / ELEMENTS[el][1] * 1e6 for el, w in self.mass_fractions.items()
        }

    @property
    def electron_density(self) -> float:
        """Electrons per m^3."""
        return sum(n * ELEMENTS[el][0] for el, n in self.atom_densities().items())

    @property
    def proton_density(self) -> float:
        """Protons (free and bound) per m^3."""
        return self.electron_density

    @property
    def neutron_density(self) -> float:
        """Neutrons per m^3 (see module docstring for the neutron count per atom)."""
        total = 0.0
        for el, n in self.atom_densities().items():
            z, a = ELEMENTS[el]
            total += n * (_DEUTERIUM_FRACTION if el == "H" else a - z)
        return total


def make_material(name: str, density: float, *, formula: str | None = None,
                  mass_fractions: dict[str, float] | None = None) -> Material:
    """Build a :class:`Material` from a formula or from mass fractions (exactly one)."""
    if (formula is None) == (mass_fractions is None):
        raise ValueError(f"material {name!r}: give exactly one of 'formula' or 'mass_fractions'")
    if density <= 0:
        raise ValueError(f"material {name!r}: density = {density!r}: must be > 0 (g/cm^3)")
    if formula is not None:
        fr = formula_mass_fractions(formula)
    else:
        assert mass_fractions is not None
        for el, w in mass_fractions.items():
            if el not in ELEMENTS:
                raise ValueError(f"material {name!r}: unknown element {el!r}")
            if not 0 < w <= 1:
                raise ValueError(f"material {name!r}: mass fraction of {el} = {w!r}: must be in (0, 1]")
        total = sum(mass_fractions.values())
        if abs(total - 1.0) > 5e-3:
            raise ValueError(f"material {name!r}: mass fractions sum to {total:.6g}: must sum to 1")
        fr = {el: w / total for el, w in mass_fractions.items()}
    return Material(name=name, density=float(density), mass_fractions=MappingProxyType(fr))
