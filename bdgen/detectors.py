"""Detectors: one or more placed volumes of material, read from ``detectors/<name>.toml``.

File format (units: metres, g/cm^3, tonnes; coordinates in the beam frame of the named beam
file: z along the protons, y up, origin at the production point)::

    name = "sbnd"
    description = "..."
    beam = "bnb"                      # the beam this placement refers to

    [materials.lar]                   # materials by density and composition
    name = "liquid argon"
    formula = "Ar"                    # or: mass_fractions = { C = 0.857, H = 0.143 }
    density = 1.3954                  # g/cm^3

    [[fiducial]]                      # non-overlapping volumes in which events are generated
    name = "TPC"
    material = "lar"                  # a key of [materials]
    shape = { kind = "box", centre = [x, y, z], size = [w, h, l], rotation_deg = [0, 0, 0] }

    [[outer]]                         # optional: the whole detector (total mass, drawings)
    name = "cryostat"
    material = "lar"
    shape = { kind = "cylinder", centre = [...], radius = R, length = L }

    [frame]                           # optional: the experiment's coordinate system
    origin = [x, y, z]                # its origin in beam coordinates
    rotation_deg = [ax, ay, az]       # x_exp = R^T (x_beam - origin)

    [published]                       # published masses, checked by the tests (3%)
    fiducial_mass = 112.0
    total_mass = 112.0
    source = "..."

Shapes: ``sphere`` (radius), ``cylinder`` (radius, length along its local z), ``box``
(size = [w, h, l] along its local x, y, z), each with an optional rotation (see
:mod:`bdgen.geometry`).  The older single-volume form, a ``[shape]`` table (with the shape
keys at top level) and a ``[material]`` table, is read as one fiducial volume; it is also the
form of an inline detector in a run card.

Every file cites the sources of its numbers in comments.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import resources
from .errors import CardError, fmt_value, number_field
from .geometry import KINDS, Shape, rotation_matrix
from .materials import Material, make_material


@dataclass(frozen=True)
class Volume:
    """A named shape filled with one material."""

    name: str
    shape: Shape
    material: Material

    @property
    def mass_tonnes(self) -> float:
        """Volume x density in tonnes (1 g/cm^3 x 1 m^3 = 1 t)."""
        return self.shape.volume * self.material.density


@dataclass(frozen=True)
class Frame:
    """An experiment's coordinate system: x_exp = R^T (x_beam - origin).

    Attributes
    ----------
    origin : tuple of 3 floats
        The experiment's origin in beam coordinates (m).
    rotation_deg : tuple of 3 floats
        Its axes as a rotation of the beam axes (see :func:`bdgen.geometry.rotation_matrix`).
    description : str
    """

    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rotation_deg: tuple[float, float, float] = (0.0, 0.0, 0.0)
    description: str = ""

    def points(self, xyz: np.ndarray) -> np.ndarray:
        """Positions (n, 3) from the beam frame to the experiment frame (m)."""
        r = rotation_matrix(self.rotation_deg)
        return (np.asarray(xyz, float) - np.asarray(self.origin)) @ r

    def vectors(self, v: np.ndarray) -> np.ndarray:
        """Directions or momenta (n, 3) from the beam frame to the experiment frame."""
        return np.asarray(v, float) @ rotation_matrix(self.rotation_deg)


@dataclass(frozen=True)
class Detector:
    """A detector placement.

    Attributes
    ----------
    name, description : str
    fiducial : tuple of Volume
        Volumes in which interactions are generated.
    outer : tuple of Volume
        The whole detector (may be empty).
    beam : str or None
        Name of the beam file the placement refers to.
    frame : Frame or None
        The experiment's own coordinates.
    published : dict
        Published masses (``fiducial_mass``, ``total_mass`` in t) and their ``source``.
    """

    name: str
    description: str
    fiducial: tuple[Volume, ...]
    outer: tuple[Volume, ...] = ()
    beam: str | None = None
    frame: Frame | None = None
    published: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> Shape:
        """The first fiducial volume's shape (the only one for simple detectors)."""
        return self.fiducial[0].shape

    @property
    def material(self) -> Material:
        """The first fiducial volume's material."""
        return self.fiducial[0].material

    @property
    def mass_tonnes(self) -> float:
        """Fiducial mass in tonnes."""
        return self.fiducial_mass

    @property
    def fiducial_mass(self) -> float:
        """Sum of the fiducial volumes' masses, tonnes."""
        return math.fsum(v.mass_tonnes for v in self.fiducial)

    @property
    def total_mass(self) -> float:
        """Sum of the outer volumes' masses (the fiducial mass if none), tonnes."""
        return math.fsum(v.mass_tonnes for v in self.outer) if self.outer else self.fiducial_mass

    @property
    def centre(self) -> np.ndarray:
        """Mass-weighted centre of the fiducial volumes in the beam frame (m), shape (3,)."""
        w = np.array([v.mass_tonnes for v in self.fiducial])
        c = np.array([v.shape.centre for v in self.fiducial])
        return (w[:, None] * c).sum(axis=0) / w.sum()

    @property
    def distance(self) -> float:
        """Distance from the beam-frame origin to :attr:`centre`, m."""
        return float(np.linalg.norm(self.centre))

    @property
    def off_axis_angle(self) -> float:
        """Angle between the beam axis and the direction to :attr:`centre`, rad."""
        c = self.centre
        return float(math.atan2(math.hypot(c[0], c[1]), c[2]))

    def number_densities(self) -> dict[str, float]:
        """Electrons, protons and neutrons per m^3 of the first fiducial volume."""
        m = self.material
        return {"electron": m.electron_density, "proton": m.proton_density, "neutron": m.neutron_density}


_number = number_field


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
        k = sorted(unknown)[0]
        raise CardError(f"{where}.{k} = {fmt_value(d[k])}: unknown key for a {kind}; allowed: {sorted(_SHAPE_KEYS[kind])}")
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
        k = sorted(unknown)[0]
        raise CardError(f"{where}.{k} = {fmt_value(d[k])}: unknown key; allowed: {sorted(allowed)}")
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


def _volumes(items: Any, materials: dict[str, Material], where: str) -> tuple[Volume, ...]:
    if not isinstance(items, list) or not items:
        raise CardError(f"{where}: must be a non-empty list of volumes ([[{where.split('.')[-1]}]] tables)")
    out = []
    for i, v in enumerate(items):
        w = f"{where}[{i}]"
        if not isinstance(v, dict):
            raise CardError(f"{w}: must be a table")
        allowed = {"name", "material", "shape"}
        unknown = set(v) - allowed
        if unknown:
            k = sorted(unknown)[0]
            raise CardError(f"{w}.{k} = {fmt_value(v[k])}: unknown key; allowed: {sorted(allowed)}")
        mat = v.get("material")
        if isinstance(mat, dict):
            material = parse_material(mat, f"{w}.material")
        elif mat in materials:
            material = materials[mat]
        else:
            raise CardError(f"{w}.material = {fmt_value(mat)}: must name one of [materials] {sorted(materials)}")
        out.append(Volume(str(v.get("name", f"volume {i}")), parse_shape(v.get("shape"), f"{w}.shape"), material))
    return tuple(out)


def parse_detector(d: dict[str, Any], name: str, where: str) -> Detector:
    """Build a :class:`Detector` from a detector file's (or an inline card's) tables."""
    pre = f"{where}." if where else ""
    if "fiducial" not in d:
        volume = Volume("fiducial", parse_shape(d.get("shape"), f"{pre}shape"),
                        parse_material(d.get("material"), f"{pre}material"))
        fiducial: tuple[Volume, ...] = (volume,)
        outer: tuple[Volume, ...] = ()
    else:
        mats_in = d.get("materials", {})
        if not isinstance(mats_in, dict):
            raise CardError(f"{pre}materials: must be a table of materials")
        materials = {k: parse_material(v, f"{pre}materials.{k}") for k, v in mats_in.items()}
        fiducial = _volumes(d["fiducial"], materials, f"{pre}fiducial")
        outer = _volumes(d["outer"], materials, f"{pre}outer") if "outer" in d else ()
    frame = None
    if "frame" in d:
        f = d["frame"]
        if not isinstance(f, dict):
            raise CardError(f"{pre}frame: must be a table")
        frame = Frame(_vector(f, "origin", f"{pre}frame", [0.0, 0.0, 0.0]),  # type: ignore[arg-type]
                      _vector(f, "rotation_deg", f"{pre}frame", [0.0, 0.0, 0.0]),  # type: ignore[arg-type]
                      str(f.get("description", "")))
    published = d.get("published", {})
    return Detector(
        name=name,
        description=str(d.get("description", "")),
        fiducial=fiducial,
        outer=outer,
        beam=d.get("beam"),
        frame=frame,
        published=dict(published) if isinstance(published, dict) else {},
    )


def load_detector(name: str) -> Detector:
    """Load ``detectors/<name>.toml``.

    Raises
    ------
    CardError
        If there is no such file (the message lists the available detectors) or it is invalid.
    """
    directory = resources.detectors_dir()
    path = resources.data_file(directory, name)
    if not path.is_file():
        if resources.is_user_file(name):
            raise CardError(f"detector.name = {fmt_value(name)}: no such detector file")
        raise CardError(
            f"detector.name = {fmt_value(name)}: unknown detector; available: {resources.available(directory)} "
            "(or the path of your own detector file, *.toml)"
        )
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    label = path.stem if resources.is_user_file(name) else name  # event sets and summaries use the stem
    try:
        return parse_detector(data, label, "")
    except CardError as exc:
        raise CardError(f"detector file {path.name}: {exc}") from None
