"""The neutrino source of a beam: the ``[neutrino]`` table at the end of ``fluxes/<beam>.toml``.

Read here with tomllib (not by :mod:`bdgen.beams`, whose beam files it extends).  Two kinds::

    [neutrino]                                 # a stopped-pion (decay-at-rest) source
    kind = "decay_at_rest"
    pi_plus_stopped_per_pot = 0.08             # pi+ decaying at rest per proton on target
    source_position = [0.0, 0.0, 0.0]          # m, beam frame (optional; default the origin)

    [neutrino]                                 # pions decaying in flight (BNB)
    kind = "decay_in_flight"
    sanford_wang_sigma_inel_mb = 192.4         # p-nucleus inelastic cross-section the Sanford-Wang
                                               # pi+/pi- sets of [mesons.pi0] are divided by
    [[neutrino.region]]                        # cylinders about the beam axis, in beam order; a
    name = "Be target"                         # later region may enclose an earlier one
    medium = "target"                          # the beam file's [target] (density, lambda_I, z, length)
    radius = 0.0051                            # m
    pion_interaction_length = 109.9            # g/cm^2
    [[neutrino.region]]
    name = "decay pipe"
    z_start = 4.73                             # m
    z_end = 50.0
    radius = 0.91
    density = 1.205e-3                         # g/cm^3
    interaction_length = 90.1                  # g/cm^2 (protons; 0 or absent: no production)
    pion_interaction_length = 122.0
    [neutrino.absorber]                        # everything downstream of the last region
    density = 7.874
    pion_interaction_length = 160.8
    z_over_a = 0.46557                         # optional, with mean_excitation_ev: pi+/K+ range
    mean_excitation_ev = 286.0                 # out here and decay at rest (any medium)
    mu_minus_decay_fraction = 0.094            # stopped mu- decaying rather than captured
    [neutrino.wall]                            # everything outside a region's radius
    density = 2.3
    pion_interaction_length = 128.6
    mu_minus_decay_fraction = 0.5
    [[neutrino.kaon]]                          # optional: kaons decaying in flight
    name = "K+"                                # "K+" or "K0L"
    model = "feynman_scaling"                  # K+: feynman_scaling (c1..c8); K0L: sanford_wang (c1..c9)
    c = [11.70, 0.88, 4.77, 1.51, 2.21, 2.17, 1.51, 0.0]

Kaons are absorbed with the media's pion interaction lengths (no kaon values are given).

Every number carries its source in the beam file's comments.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import constants as C
from .. import resources
from ..beams import Beam, load_beam
from ..errors import CardError, fmt_value, number_field

DAR = "decay_at_rest"
DIF = "decay_in_flight"


@dataclass(frozen=True)
class Medium:
    """A material for pion absorption and muon stopping (g/cm^3, g/cm^2).  ``z_over_a`` and
    ``mean_excitation_ev`` (I, eV), when given, let charged mesons range out and decay at rest in
    it (:mod:`bdgen.neutrino.stopping`); without them they only decay in flight or are absorbed."""

    name: str
    density: float
    pion_interaction_length: float
    mu_minus_decay_fraction: float = 1.0
    z_over_a: float | None = None
    mean_excitation_ev: float | None = None

    @property
    def stops_mesons(self) -> bool:
        """Whether ranges can be computed in this medium."""
        return self.z_over_a is not None and self.mean_excitation_ev is not None

    def range_m(self, p: np.ndarray, mass: float) -> np.ndarray:
        """CSDA range (m) at momentum p (GeV/c, array) of a charged particle of mass ``mass``
        (GeV); inf where the medium has no stopping data."""
        if not self.stops_mesons:
            return np.full(np.shape(p), np.inf)
        from .stopping import csda_range

        return csda_range(p, mass, self.z_over_a, self.mean_excitation_ev) / self.density / 100.0  # type: ignore[arg-type]

    @property
    def pion_lambda_m(self) -> float:
        """Pion interaction length in metres."""
        return self.pion_interaction_length / self.density / 100.0


@dataclass(frozen=True)
class Region:
    """A cylinder about the beam axis, z_start <= z <= z_end, radius ``radius`` (m)."""

    name: str
    z_start: float
    z_end: float
    radius: float
    medium: Medium
    proton_interaction_length: float  # g/cm^2; inf: protons do not interact here

    @property
    def proton_lambda_m(self) -> float:
        """Proton interaction length in metres (inf without production)."""
        if not math.isfinite(self.proton_interaction_length):
            return math.inf
        return self.proton_interaction_length / self.medium.density / 100.0


@dataclass(frozen=True)
class PionSpectrum:
    """One charged pion's Sanford-Wang set: parameters c1..c9 and its integral (mb)."""

    charge: int
    params: np.ndarray
    integral_mb: float


#: Kaon species of [[neutrino.kaon]]: name -> production model.
KAON_MODELS = {"K+": "feynman_scaling", "K0L": "sanford_wang"}


@dataclass(frozen=True)
class KaonSpectrum:
    """One kaon species' production model: ``name`` ("K+" or "K0L"), ``model``
    ("feynman_scaling" or "sanford_wang"), its parameters (c1..c8 or c1..c9, shape (8,) or (9,))
    and its integral (mb) over the sampled range (theta < pi/2)."""

    name: str
    model: str
    params: np.ndarray
    integral_mb: float


@dataclass(frozen=True)
class NeutrinoSource:
    """A beam's neutrino source (see module docstring).

    Attributes
    ----------
    beam : Beam
        The beam (timing, target, proton momentum).
    kind : str
        ``"decay_at_rest"`` or ``"decay_in_flight"``.
    stopped_pi_plus : float
        pi+ decaying at rest per POT (decay at rest).
    position : tuple of 3 floats
        Source point of a stopped-pion source, m.
    regions : tuple of Region
        Decay-in-flight geometry, in beam order.
    absorber, wall : Medium or None
    pions : tuple of PionSpectrum
        The pi+ and pi- Sanford-Wang sets (decay in flight).
    kaons : tuple of KaonSpectrum
        The kaon species decaying in flight (may be empty).
    sigma_inel_mb : float
        Cross-section the Sanford-Wang integrals are divided by (multiplicity per inelastic collision).
    notes : tuple of str
    """

    beam: Beam
    kind: str
    stopped_pi_plus: float = 0.0
    position: tuple[float, float, float] = (0.0, 0.0, 0.0)
    regions: tuple[Region, ...] = ()
    absorber: Medium | None = None
    wall: Medium | None = None
    pions: tuple[PionSpectrum, ...] = ()
    sigma_inel_mb: float = 0.0
    kaons: tuple[KaonSpectrum, ...] = ()

    def multiplicity(self, charge: int) -> float:
        """pi+ (charge 1) or pi- (-1) per inelastic proton collision: Sanford-Wang integral / sigma_inel."""
        for p in self.pions:
            if p.charge == charge:
                return p.integral_mb / self.sigma_inel_mb
        return 0.0

    def axis_ranges(self) -> list[tuple[float, float]]:
        """The z interval of the beam axis inside each region: a region may enclose an earlier one
        (the target inside the horn aperture), and the axis belongs to the first region listed."""
        out = []
        covered = -math.inf
        for r in self.regions:
            lo = max(r.z_start, covered)
            out.append((lo, max(lo, r.z_end)))
            covered = max(covered, r.z_end)
        return out

    def interaction_fractions(self) -> np.ndarray:
        """Fraction of the beam protons interacting in each region (attenuated in sequence along
        the axis)."""
        out = []
        surviving = 1.0
        for r, (lo, hi) in zip(self.regions, self.axis_ranges()):
            lam = r.proton_lambda_m
            f = 0.0 if not math.isfinite(lam) else 1.0 - math.exp(-(hi - lo) / lam)
            out.append(surviving * f)
            surviving *= 1.0 - f
        return np.array(out)

    def pions_per_pot(self, charge: int) -> float:
        """Charged pions produced per POT in all regions (primary production only)."""
        return float(self.multiplicity(charge) * self.interaction_fractions().sum())

    def kaon_multiplicity(self, name: str) -> float:
        """Kaons ``name`` per inelastic proton collision (integral / sigma_inel); 0 if absent."""
        for k in self.kaons:
            if k.name == name:
                return k.integral_mb / self.sigma_inel_mb
        return 0.0

    def kaons_per_pot(self, name: str) -> float:
        """Kaons ``name`` produced per POT in all regions (primary production only)."""
        return float(self.kaon_multiplicity(name) * self.interaction_fractions().sum())


def _stopping_data(d: dict[str, Any], where: str) -> tuple[float | None, float | None]:
    """The optional (z_over_a, mean_excitation_ev) of a medium table: both or neither."""
    has = [k in d for k in ("z_over_a", "mean_excitation_ev")]
    if not any(has):
        return None, None
    if not all(has):
        missing = "z_over_a" if not has[0] else "mean_excitation_ev"
        raise CardError(f"{where}.{missing} is missing: give z_over_a and mean_excitation_ev together")
    za = number_field(d, "z_over_a", where)
    if za > 1:
        raise CardError(f"{where}.z_over_a = {za}: must be in (0, 1]")
    return za, number_field(d, "mean_excitation_ev", where)


def _medium(d: Any, where: str, name: str = "") -> Medium:
    if not isinstance(d, dict):
        raise CardError(f"{where} = {fmt_value(d)}: must be a table")
    frac = number_field(d, "mu_minus_decay_fraction", where, default=1.0)
    if frac > 1:
        raise CardError(f"{where}.mu_minus_decay_fraction = {frac}: must be in (0, 1]")
    return Medium(str(d.get("name", name)), number_field(d, "density", where),
                  number_field(d, "pion_interaction_length", where), frac, *_stopping_data(d, where))


_SPECTRA: dict[Any, Any] = {}


def _sw_spectrum(p_beam: float, params: np.ndarray, label: str) -> Any:
    """The sampling :class:`bdgen.production.spectra.Spectrum` of one Sanford-Wang set c1..c9 (shape
    (9,)) at beam momentum ``p_beam`` (GeV/c) over p < p_B - c9, theta < pi/2 (cached per process)."""
    from ..production.spectra import SANFORD_WANG, Spectrum, sw_flat_params

    key = ("sw", p_beam, tuple(float(x) for x in params))
    if key not in _SPECTRA:
        _SPECTRA[key] = Spectrum(SANFORD_WANG, sw_flat_params(p_beam, np.asarray(params)[None, :], np.array([1.0])),
                                 p_beam - float(params[8]), 0.5 * math.pi, "quadratic", "quadratic", label=label)
    return _SPECTRA[key]


def pion_spectrum(p_beam: float, params: np.ndarray, charge: int) -> Any:
    """The sampling Spectrum of the pi+ (``charge`` 1) or pi- (-1) Sanford-Wang set ``params``
    (c1..c9, shape (9,)) at ``p_beam`` (GeV/c) (:func:`_sw_spectrum`)."""
    return _sw_spectrum(p_beam, params, f"sanford_wang pi{'+' if charge > 0 else '-'}")


def kaon_spectrum(p_beam: float, name: str, params: np.ndarray) -> Any:
    """The sampling Spectrum of a kaon species at ``p_beam`` (GeV/c) over theta < pi/2: K+ from
    Feynman scaling (``params`` c1..c8, shape (8,); p up to the x_F = 1 momentum), K0L from
    Sanford-Wang (c1..c9, shape (9,)) (cached per process)."""
    if name != "K+":
        return _sw_spectrum(p_beam, params, f"sanford_wang {name}")
    from ..production.feynman_scaling import M_THRESHOLD_KPLUS, fs_p_max, fs_params
    from ..production.spectra import FEYNMAN_SCALING, Spectrum
    from .spectra import M_KPM

    key = ("fs", p_beam, tuple(float(x) for x in params))
    if key not in _SPECTRA:
        par = fs_params(p_beam, M_KPM, M_THRESHOLD_KPLUS, params)
        _SPECTRA[key] = Spectrum(FEYNMAN_SCALING, par, fs_p_max(par), 0.5 * math.pi, "quadratic", "quadratic",
                                 label="feynman_scaling K+")
    return _SPECTRA[key]


_KAON_KEYS = {"name", "model", "c"}


def _kaon_sets(nu: dict[str, Any], beam: Beam, where: str) -> tuple[KaonSpectrum, ...]:
    """The [[neutrino.kaon]] tables, validated (name, model, parameters; unknown keys refused)."""
    items = nu.get("kaon", [])
    if not isinstance(items, list):
        raise CardError(f"{where}.kaon: must be an array of tables [[neutrino.kaon]]")
    out: list[KaonSpectrum] = []
    for i, k in enumerate(items):
        kw = f"{where}.kaon[{i}]"
        name = k.get("name") if isinstance(k, dict) else None
        if name not in KAON_MODELS:
            raise CardError(f"{kw}.name = {fmt_value(name)}: must be one of {list(KAON_MODELS)}")
        if any(o.name == name for o in out):
            raise CardError(f"{kw}.name = {fmt_value(name)}: given twice")
        unknown = sorted(set(k) - _KAON_KEYS)
        if unknown:
            raise CardError(f"{kw}: unknown key {unknown[0]!r}; allowed: {sorted(_KAON_KEYS)}")
        model = KAON_MODELS[name]
        if k.get("model") != model:
            raise CardError(f"{kw}.model = {fmt_value(k.get('model'))}: {name} uses \"{model}\"")
        c = k.get("c")
        n_par = (7, 8) if model == "feynman_scaling" else (9,)
        if (not isinstance(c, list) or len(c) not in n_par
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in c)):
            raise CardError(f"{kw}.c = {fmt_value(c)}: must be a list of {' or '.join(map(str, n_par))} finite numbers")
        if not c[0] > 0:
            raise CardError(f"{kw}.c = {fmt_value(c)}: the normalisation c1 must be > 0")
        if model == "sanford_wang" and not c[8] < beam.proton_momentum:
            raise CardError(f"{kw}.c = {fmt_value(c)}: c9 = {c[8]} must be below the beam momentum "
                            f"{beam.proton_momentum} GeV/c")
        params = np.array([float(x) for x in c] + ([0.0] if len(c) == 7 else []))
        integral = kaon_spectrum(beam.proton_momentum, name, params).integral()
        if not (math.isfinite(integral) and integral > 0):
            raise CardError(f"{kw}.c = {fmt_value(c)}: the production cross-section integrates to {integral} mb")
        out.append(KaonSpectrum(name, model, params, integral))
    return tuple(out)


def _sanford_wang_sets(data: dict[str, Any], beam: Beam, where: str) -> tuple[PionSpectrum, ...]:
    sets = data.get("mesons", {}).get("pi0", {}).get("sanford_wang")
    if not isinstance(sets, list):
        raise CardError(f"{where}: decay in flight needs the pi+ and pi- Sanford-Wang sets in [mesons.pi0]")
    out = []
    for label, charge in (("pi+", 1), ("pi-", -1)):
        found = [s for s in sets if isinstance(s, dict) and s.get("label") == label]
        if len(found) != 1:
            raise CardError(f"{where}: [mesons.pi0].sanford_wang must hold exactly one set labelled {label!r}")
        c = np.array([float(x) for x in found[0]["c"]])
        out.append(PionSpectrum(charge, c, pion_spectrum(beam.proton_momentum, c, charge).integral()))
    return tuple(out)


def load_source(beam_name: str) -> NeutrinoSource:
    """Read the ``[neutrino]`` table of ``fluxes/<beam_name>.toml``.

    Raises
    ------
    CardError
        Unknown beam, or a beam file without (or with an invalid) ``[neutrino]`` table; the
        message lists the beams that have one.
    """
    beam = load_beam(beam_name)  # validates the name and the rest of the file
    path = resources.data_file(resources.beams_dir(), beam_name)
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    nu = data.get("neutrino")
    where = f"beam file {path.name}: neutrino"
    if not isinstance(nu, dict):
        raise CardError(f"beam.name = {fmt_value(beam_name)}: {path.name} has no [neutrino] table; neutrino fluxes "
                        f"are available for {available_sources()}")
    kind = nu.get("kind")
    if kind == DAR:
        pos = nu.get("source_position", [0.0, 0.0, 0.0])
        if not isinstance(pos, list) or len(pos) != 3:
            raise CardError(f"{where}.source_position = {fmt_value(pos)}: must be a list of 3 numbers")
        return NeutrinoSource(beam, DAR, stopped_pi_plus=number_field(nu, "pi_plus_stopped_per_pot", where),
                              position=tuple(float(x) for x in pos))  # type: ignore[arg-type]
    if kind != DIF:
        raise CardError(f"{where}.kind = {fmt_value(kind)}: must be one of [\"{DAR}\", \"{DIF}\"]")
    regions = []
    items = nu.get("region")
    if not isinstance(items, list) or not items:
        raise CardError(f"{where}.region: give at least one [[neutrino.region]]")
    for i, r in enumerate(items):
        rw = f"{where}.region[{i}]"
        if r.get("medium") == "target":
            t = beam.target
            med = Medium(t.name, t.density, number_field(r, "pion_interaction_length", rw), 1.0,
                         *_stopping_data(r, rw))
            regions.append(Region(str(r.get("name", t.name)), t.z_start, t.z_start + t.length,
                                  number_field(r, "radius", rw), med, t.interaction_length))
            continue
        med = _medium(r, rw, str(r.get("name", f"region {i}")))
        lam_p = number_field(r, "interaction_length", rw, default=0.0, positive=False)
        z0 = number_field(r, "z_start", rw, positive=False)
        z1 = number_field(r, "z_end", rw, positive=False)
        if not z1 > z0:
            raise CardError(f"{rw}: need z_end > z_start")
        regions.append(Region(med.name, z0, z1, number_field(r, "radius", rw), med, lam_p if lam_p > 0 else math.inf))
    for a, b in itertools.pairwise(regions):
        if b.z_start < a.z_start - 1e-9 or b.z_end < a.z_end - 1e-9:
            raise CardError(f"{where}.region: {b.name!r} before {a.name!r}: regions must be in beam order")
    return NeutrinoSource(
        beam, DIF, regions=tuple(regions),
        absorber=_medium(nu.get("absorber"), f"{where}.absorber", "absorber"),
        wall=_medium(nu.get("wall"), f"{where}.wall", "wall"),
        pions=_sanford_wang_sets(data, beam, f"beam file {path.name}"),
        sigma_inel_mb=number_field(nu, "sanford_wang_sigma_inel_mb", where),
        kaons=_kaon_sets(nu, beam, where),
    )


def available_sources() -> list[str]:
    """Names of the beam files with a ``[neutrino]`` table."""
    out = []
    for name in resources.available(resources.beams_dir()):
        with (resources.beams_dir() / f"{name}.toml").open("rb") as fh:
            if "neutrino" in tomllib.load(fh):
                out.append(name)
    return out


def proton_sigma_inel_mb(a: float, interaction_length: float) -> float:
    """sigma_inel = A / (N_A lambda_I) in mb for a nuclear interaction length in g/cm^2."""
    return a / (C.N_A * interaction_length) * 1e27
