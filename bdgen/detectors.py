"""Detectors: a placed shape filled with a material, read from ``detectors/<name>.toml``.

File format (units: metres, g/cm^3; coordinates in the beam frame, z along the protons,
y up, origin at the production point)::

    name = "miniboone"
    description = "..."
    beam = "bnb"                      # the beam this placement refers to
    [shape]
    kind = "sphere" | "cylinder" | "box"
    centre = [x, y, z]
    radius = R                        # sphere, cylinder
    length = L                        # cylinder (along its local z axis)
    size = [w, h, l]                  # box (local x, y, z)
    rotation_deg = [ax, ay, az]       # optional, see bdgen.geometry
    [material]
    name = "..."
    density = rho                     # g/cm^3
    formula = "CH2"                   # or: mass_fractions = { C = 0.857, H = 0.143 }

Every file cites the sources of its numbers in comments.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from . import resources
from .errors import CardError, fmt_value
from .geometry import KINDS, Shape
from .materials import Material, make_material


@dataclass(frozen=True)
class Detector:
    """A detector volume.

    Attributes
    ----------
    name : str
    description : str
    shape : Shape
    material : Material
    beam : str or None
        Name of the beam file the placement refers to.
    """

    name: str
    description: str
    shape: Shape
    material: Material
    beam: str | None = None

    @property
    def mass_tonnes(self) -> float:
        """Mass of the volume in tonnes (volume x density)."""
        return self.shape.volume * self.material.density  # m^3 x g/cm^3 = t

    def number_densities(self) -> dict[str, float]:
        """Electrons, protons and neutrons per m^3."""
        m = self.material
        return {"electron": m.electron_density, "proton": m.proton_density, "neutron": m.neutron_density}


def _number(d: dict[str, Any], key: str, where: str, *, positive: bool = True) -> float:
    if key not in d:
        raise CardError(f"{where}.{key} is missing")
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise CardError(f"{where}.{key} = {fmt_value(v)}: must be a number")
    if positive and not v > 0:
        raise CardError(f"{where}.{key} = {fmt_value(v)}: must be > 0")
    return float(v)


def _vector(d: dict[str, Any], key: str, where: str, default: list[float] | None = None) -> tuple[float, ...]:
    if key not in d:
        if default is None:
            raise CardError(f"{where}.{key} is missing")
        return tuple(default)
    v = d[key]
    if (
        not isinstance(v, list)
        or len(v) != 3
        or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in v)
    ):
        raise CardError(f"{where}.{key} = {fmt_value(v)}: must be a list of 3 numbers")
    return tuple(float(x) for x in v)


_SHAPE_KEYS = {
    "sphere": {"kind", "centre", "radius", "rotation_deg"},
    "cylinder": {"kind", "centre", "radius", "length", "rotation_deg"},
    "box": {"kind", "centre", "size", "rotation_deg"},
}


def parse_shape(d: Any, where: str) -> Shape:
    """Build a :class:`Shape` from a TOML table; errors name ``where.key``."""
    if not isinstance(d, dict):
        raise CardError(f"{where} = {fmt_value(d)}: must be a table")
    kind = d.get("kind")
    if kind not in KINDS:
        raise CardError(f"{where}.kind = {fmt_value(kind)}: must be one of {sorted(KINDS)}")
    unknown = set(d) - _SHAPE_KEYS[kind]
    if unknown:
        raise CardError(f"{where}.{sorted(unknown)[0]}: unknown key for a {kind}; allowed: {sorted(_SHAPE_KEYS[kind])}")
    centre = _vector(d, "centre", where)
    rot = _vector(d, "rotation_deg", where, [0.0, 0.0, 0.0])
    if kind == "sphere":
        dims: tuple[float, ...] = (_number(d, "radius", where),)
    elif kind == "cylinder":
        dims = (_number(d, "radius", where), _number(d, "length", where))
    else:
        dims = _vector(d, "size", where)
        if min(dims) <= 0:
            raise CardError(f"{where}.size = {list(dims)}: all three lengths must be > 0")
    return Shape(kind=kind, centre=centre, dims=dims, rotation_deg=rot)  # type: ignore[arg-type]


def parse_material(d: Any, where: str) -> Material:
    """Build a :class:`Material` from a TOML table; errors name ``where.key``."""
    if not isinstance(d, dict):
        raise CardError(f"{where} = {fmt_value(d)}: must be a table")
    allowed = {"name", "density", "formula", "mass_fractions"}
    unknown = set(d) - allowed
    if unknown:
        raise CardError(f"{where}.{sorted(unknown)[0]}: unknown key; allowed: {sorted(allowed)}")
    density = _number(d, "density", where)
    name = str(d.get("name", "material"))
    formula = d.get("formula")
    fractions = d.get("mass_fractions")
    if formula is not None and not isinstance(formula, str):
        raise CardError(f"{where}.formula = {fmt_value(formula)}: must be a string such as \"CH2\"")
    if fractions is not None and not isinstance(fractions, dict):
        raise CardError(f"{where}.mass_fractions = {fmt_value(fractions)}: must be a table element = fraction")
    try:
        return make_material(name, density, formula=formula, mass_fractions=fractions)
    except ValueError as exc:
        raise CardError(f"{where}: {exc}") from None


def parse_detector(d: dict[str, Any], name: str, where: str) -> Detector:
    """Build a :class:`Detector` from a detector file's (or an inline card's) tables."""
    return Detector(
        name=name,
        description=str(d.get("description", "")),
        shape=parse_shape(d.get("shape"), f"{where}.shape" if where else "shape"),
        material=parse_material(d.get("material"), f"{where}.material" if where else "material"),
        beam=d.get("beam"),
    )


def load_detector(name: str) -> Detector:
    """Load ``detectors/<name>.toml``.

    Raises
    ------
    CardError
        If there is no such file (the message lists the available detectors) or it is invalid.
    """
    directory = resources.detectors_dir()
    path = directory / f"{name}.toml"
    if not path.is_file():
        raise CardError(
            f"detector.name = {fmt_value(name)}: unknown detector; available: {resources.available(directory)}"
        )
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    try:
        return parse_detector(data, name, "")
    except CardError as exc:
        raise CardError(f"detector file {path.name}: {exc}") from None
