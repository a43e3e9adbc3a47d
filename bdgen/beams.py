"""Beams: proton beam, target and meson yields, read from ``fluxes/<name>.toml``.

File format (units: GeV/c, m, g/cm^3, g/cm^2; yields per proton on target)::

    name = "numi"
    description = "..."
    proton_momentum = 120.0
    [target]
    name = "graphite"
    Z = 6
    A = 12.011
    density = 1.78                # g/cm^3
    interaction_length = 85.8     # nuclear interaction length, g/cm^2 (PDG)
    length = 0.95                 # m
    z_start = 0.0                 # m, upstream face in the beam frame
    [mesons.pi0]
    per_pot = 2.9
    model = "bmpt"                # "sanford_wang" (with a sanford_wang = [...] list),
                                  # "bmpt", or "burman_smith"
    [mesons.eta]
    per_pi0 = 0.114               # every beam file carries its own eta/pi0 (no silent default)
    model = "bmpt"
    [mesons.rho]
    per_pi0 = 0.11
    shape = "pi0"                 # same (p, theta) spectrum as the pi0, with the rho mass
    [mesons.eta_prime]
    per_pi0 = 0.01
    shape = "eta"
    [capture]                     # stopped-pion sources: radiative pi- capture at rest
    pi_minus_per_pi0 = 0.63       # pi- captured at rest per pi0
    radiative_fraction = 0.02     # probability that a capture emits a photon
    [brem]                        # proton bremsstrahlung integration range
    z_min = 0.1
    z_max = 0.9
    pt_max = 1.0                  # GeV

Every file cites the sources of its numbers in comments.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from . import constants as C
from . import resources
from .errors import CardError, fmt_value, number_field
from .production.bmpt import bmpt_params
from .production.burman_smith import bs_params
from .production.sanford_wang import SanfordWang
from .production.spectra import BMPT, BURMAN_SMITH, Spectrum

#: Meson species a beam file may list.
MESON_SPECIES = ("pi0", "eta", "rho", "omega", "phi", "eta_prime")


@dataclass(frozen=True)
class Target:
    """The production target (or dump).

    Attributes
    ----------
    name : str
    Z : int
    A : float
        Mass number used for nuclear scaling (atomic weight).
    density : float
        g/cm^3.
    interaction_length : float
        Nuclear interaction length in g/cm^2.
    length : float
        Length along the beam, m.
    z_start : float
        Position of the upstream face on the beam axis, m.
    """

    name: str
    Z: int
    A: float
    density: float
    interaction_length: float
    length: float
    z_start: float = 0.0

    @property
    def lambda_m(self) -> float:
        """Nuclear interaction length in metres."""
        return self.interaction_length / self.density / 100.0


@dataclass(frozen=True)
class MesonSource:
    """One meson species of a beam.

    Attributes
    ----------
    name : str
        "pi0", "eta", "rho", "omega" or "phi".
    per_pot : float
        Mesons per proton on target.
    spectrum : SanfordWang or Spectrum
        The (p, theta) production spectrum (model-specific object).
    model : str
        The spectrum model's name ("sanford_wang", "bmpt", "burman_smith", or "shape of pi0").
    alternatives : tuple of (name, Spectrum)
        Other models of the same spectrum, for the per-event systematic weights.
    """

    name: str
    per_pot: float
    spectrum: Any
    model: str
    alternatives: tuple[tuple[str, Spectrum], ...] = ()

    def generic(self) -> Spectrum:
        """The spectrum behind the common sampling interface."""
        sp = self.spectrum
        return sp.generic() if isinstance(sp, SanfordWang) else sp  # type: ignore[no-any-return]


@dataclass(frozen=True)
class BremSettings:
    """Integration range of proton bremsstrahlung (z = p_z/P, the V's fraction of the beam momentum
    P along the beam; p_T in GeV)."""

    z_min: float
    z_max: float
    pt_max: float


@dataclass(frozen=True)
class CaptureSource:
    """pi- captured at rest in the target (stopped-pion sources).

    Attributes
    ----------
    per_pot : float
        pi- captures per POT.
    radiative_fraction : float
        Probability R_gamma that a capture emits a photon (pi- p -> n gamma); it scales the
        pi- p -> n V* rate (:func:`bdgen.physics.meson_decays.capture`).
    """

    per_pot: float
    radiative_fraction: float


@dataclass(frozen=True)
class Timing:
    """The time structure of a spill (ns).

    ``structure``: "bunched" (``bunches`` Gaussian bunches of standard deviation ``bunch_sigma``
    every ``bunch_spacing``), "uniform" (flat over ``length``) or "gaussian" (standard deviation
    ``sigma``); ``repetition`` is the spill rate in Hz (information only).
    """

    structure: str
    bunches: int = 1
    bunch_spacing: float = 0.0
    bunch_sigma: float = 0.0
    length: float = 0.0
    sigma: float = 0.0
    repetition: float = 0.0

    def kernel_args(self) -> tuple[int, int, float, float]:
        """(structure code, bunches, spacing, width) for :func:`bdgen.kernels.spill_times`."""
        if self.structure == "bunched":
            return 0, self.bunches, self.bunch_spacing, self.bunch_sigma
        if self.structure == "uniform":
            return 1, 1, 0.0, self.length
        return 2, 1, 0.0, self.sigma


@dataclass(frozen=True)
class Beam:
    """A proton beam, its target, its meson sources and its spill structure."""

    name: str
    description: str
    proton_momentum: float
    target: Target
    mesons: MappingProxyType[str, MesonSource]
    brem: BremSettings | None
    timing: Timing | None = None
    capture: CaptureSource | None = None

    @property
    def proton_energy(self) -> float:
        """Total beam-proton energy, GeV."""
        return math.hypot(self.proton_momentum, C.M_P)

    @property
    def kinetic_energy(self) -> float:
        """Beam-proton kinetic energy, GeV."""
        return self.proton_energy - C.M_P


_num = number_field


def _spectrum(name: str, d: dict[str, Any], beam_p: float, kinetic: float, target: Target, where: str,
              bdnmc: bool) -> tuple[Any, str]:
    model = d.get("model")
    theta_max = float(d.get("theta_max", 0.5 * math.pi))
    if model == "sanford_wang":
        sets = d.get("sanford_wang")
        if not isinstance(sets, list) or not sets:
            raise CardError(f"{where}.sanford_wang: must be a non-empty list of parameter sets")
        params, weights = [], []
        for k, s in enumerate(sets):
            c = s.get("c") if isinstance(s, dict) else None
            if not isinstance(c, list) or len(c) != 9:
                raise CardError(f"{where}.sanford_wang[{k}].c: must be a list of 9 numbers")
            params.append([float(x) for x in c])
            weights.append(float(s.get("weight", 1.0)))
        return SanfordWang(beam_p, np.array(params), np.array(weights), theta_max), "sanford_wang"
    if model == "bmpt":
        if name not in ("pi0", "eta"):
            raise CardError(f"{where}.model = \"bmpt\": BMPT describes pi0 and eta only; use shape = \"pi0\"")
        par = bmpt_params(beam_p, name, target.A, bdnmc=bdnmc)
        # the density vanishes where x_R >= 1, inside p < p_beam
        sp = Spectrum(BMPT, par, beam_p, theta_max, "quadratic", "quadratic", label=f"bmpt {name}")
        return sp, "bmpt"
    if model == "burman_smith":
        par = bs_params(kinetic * 1e3, target.Z)
        p_max = math.sqrt(kinetic * (kinetic + 2 * C.M_PIPM))
        sp = Spectrum(BURMAN_SMITH, par, p_max, float(d.get("theta_max", math.pi)), label=f"burman_smith {name}")
        return sp, "burman_smith"
    if model == "pythia8":
        # tabulated Pythia 8 nucleon-nucleon spectra (bdgen.production.pythia), generated once and
        # cached; optional keys pythia_events and pythia_seed
        from .production import pythia

        if name not in pythia.SPECIES:
            raise CardError(f"{where}.model = \"pythia8\": Pythia tables hold {list(pythia.SPECIES)}; use shape = \"pi0\"")
        n_events = int(_num(d, "pythia_events", where, default=float(pythia.DEFAULT_EVENTS)))
        seed = int(_num(d, "pythia_seed", where, default=float(pythia.DEFAULT_SEED), positive=False))
        try:
            sp = pythia.pythia_spectrum(name, beam_p, target.Z, target.A, n_events=n_events, seed=seed,
                                        theta_max=theta_max)
        except pythia.PythiaUnavailable as exc:
            raise CardError(f"{where}.model = \"pythia8\": pythia8mc is not installed; install bdgen[pythia] "
                            "(pip install 'bdgen[pythia]')") from exc
        except ValueError as exc:
            raise CardError(f"{where}.model = \"pythia8\": {exc}") from exc
        return sp, "pythia8"
    raise CardError(f"{where}.model = {fmt_value(model)}: must be one of [\"sanford_wang\", \"bmpt\", \"burman_smith\","
                    " \"pythia8\"] (or give shape = \"pi0\")")


def pythia8_available() -> bool:
    """True when the optional pythia8mc package (bdgen[pythia]) can be imported."""
    import importlib.util

    return importlib.util.find_spec("pythia8mc") is not None


def _alternatives(name: str, d: dict[str, Any], beam_p: float, kinetic: float, target: Target, where: str,
                  bdnmc: bool) -> tuple[tuple[str, Spectrum], ...]:
    """Alternative spectrum models listed as ``alternatives = ["bmpt", ...]``."""
    alts = d.get("alternatives", [])
    if not isinstance(alts, list) or any(not isinstance(a, str) for a in alts):
        raise CardError(f"{where}.alternatives = {fmt_value(alts)}: must be a list of model names")
    out = []
    for a in alts:
        if a == d.get("model"):
            raise CardError(f"{where}.alternatives: {a!r} is the nominal model")
        if a == "pythia8" and not pythia8_available():
            continue  # an optional extra: the run notes that this systematic was skipped
        sp, _ = _spectrum(name, dict(d, model=a), beam_p, kinetic, target, f"{where}.alternatives", bdnmc)
        out.append((a, sp.generic() if isinstance(sp, SanfordWang) else sp))
    return tuple(out)


def load_beam(name: str, *, pi0_per_pot: float | None = None, eta_per_pi0: float | None = None,
              bdnmc: bool = False, alternatives: bool = False, per_pi0: dict[str, float] | None = None) -> Beam:
    """Load ``fluxes/<name>.toml`` and apply the card's yield overrides.

    ``per_pi0`` maps a meson species (rho, omega, phi, eta_prime; BdNMC's ``meson_per_pi0``) to
    its yield per pi0 in place of the file's; the file must describe that meson's spectrum.

    Only with ``alternatives=True`` are the alternative spectrum models (needed only for
    ``production.spectrum_systematics``) built: a run without systematics never
    generates Pythia tables or needs pythia8mc.

    Raises
    ------
    CardError
        Unknown beam (the message lists the available ones) or an invalid file.
    """
    directory = resources.beams_dir()
    path = resources.data_file(directory, name)
    if not path.is_file():
        if resources.is_user_file(name):
            raise CardError(f"beam.name = {fmt_value(name)}: no such beam file")
        raise CardError(f"beam.name = {fmt_value(name)}: unknown beam; available: {resources.available(directory)} "
                        "(or the path of your own beam file, *.toml)")
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    where = f"beam file {path.name}"
    p_beam = _num(data, "proton_momentum", where)
    t = data.get("target")
    if not isinstance(t, dict):
        raise CardError(f"{where}: [target] is missing")
    tw = f"{where}: target"
    target = Target(
        name=str(t.get("name", "")),
        Z=int(_num(t, "Z", tw)),
        A=_num(t, "A", tw),
        density=_num(t, "density", tw),
        interaction_length=_num(t, "interaction_length", tw),
        length=_num(t, "length", tw),
        z_start=_num(t, "z_start", tw, default=0.0, positive=False),
    )
    kinetic = math.hypot(p_beam, C.M_P) - C.M_P
    mesons_in = data.get("mesons", {})
    if "pi0" not in mesons_in:
        raise CardError(f"{where}: mesons.pi0 is missing")
    unknown = set(mesons_in) - set(MESON_SPECIES)
    if unknown:
        raise CardError(f"{where}: mesons.{sorted(unknown)[0]}: unknown meson; allowed: {list(MESON_SPECIES)}")
    pi0 = mesons_in["pi0"]
    n_pi0 = float(pi0_per_pot if pi0_per_pot is not None else _num(pi0, "per_pot", f"{where}: mesons.pi0"))
    sp, model = _spectrum("pi0", pi0, p_beam, kinetic, target, f"{where}: mesons.pi0", bdnmc)
    alts = _alternatives("pi0", pi0, p_beam, kinetic, target, f"{where}: mesons.pi0", bdnmc) if alternatives else ()
    out = {"pi0": MesonSource("pi0", n_pi0, sp, model, alts)}
    per_pi0 = dict(per_pi0 or {})
    if eta_per_pi0 is not None:
        per_pi0["eta"] = eta_per_pi0
    for species in per_pi0:
        if species not in mesons_in:
            raise CardError(f"beam.{species}_per_pi0: beam {name!r} describes no {species} spectrum (its file has "
                            f"{sorted(mesons_in)}); choose another beam")
    for species in MESON_SPECIES[1:]:
        if species not in mesons_in:
            continue
        d = mesons_in[species]
        mw = f"{where}: mesons.{species}"
        if species in per_pi0:
            ratio = float(per_pi0[species])
        elif "per_pi0" in d:
            ratio = _num(d, "per_pi0", mw, positive=False)
            if ratio < 0:
                raise CardError(f"{mw}.per_pi0 = {ratio}: must be >= 0")
        else:
            raise CardError(f"{mw}.per_pi0 is missing: every beam file must give its own {species}/pi0")
        if "shape" in d:
            if d["shape"] not in out:
                raise CardError(f"{mw}.shape = {fmt_value(d['shape'])}: must name a meson listed before it")
            base = out[d["shape"]]
            out[species] = MesonSource(species, n_pi0 * ratio, base.spectrum, f"{base.model} ({d['shape']} shape)",
                                       base.alternatives)
        else:
            sp, model = _spectrum(species, d, p_beam, kinetic, target, mw, bdnmc)
            alts = _alternatives(species, d, p_beam, kinetic, target, mw, bdnmc) if alternatives else ()
            out[species] = MesonSource(species, n_pi0 * ratio, sp, model, alts)
    brem = None
    if "brem" in data:
        b = data["brem"]
        bw = f"{where}: brem"
        brem = BremSettings(_num(b, "z_min", bw), _num(b, "z_max", bw), _num(b, "pt_max", bw))
        if not brem.z_min < brem.z_max < 1:
            raise CardError(f"{bw}: need 0 < z_min < z_max < 1")
    capture = None
    if "capture" in data:
        cd = data["capture"]
        cw = f"{where}: capture"
        ratio = _num(cd, "pi_minus_per_pi0", cw)
        r_g = _num(cd, "radiative_fraction", cw)
        if r_g > 1:
            raise CardError(f"{cw}.radiative_fraction = {r_g}: must be a probability in (0, 1]")
        capture = CaptureSource(n_pi0 * ratio, r_g)
    timing = None
    if "timing" in data:
        t = data["timing"]
        tw = f"{where}: timing"
        kind = t.get("structure")
        if kind == "bunched":
            timing = Timing("bunched", bunches=int(_num(t, "bunches", tw)), bunch_spacing=_num(t, "bunch_spacing", tw),
                            bunch_sigma=_num(t, "bunch_sigma", tw), repetition=_num(t, "repetition", tw, default=0.0,
                                                                                    positive=False))
        elif kind == "uniform":
            timing = Timing("uniform", length=_num(t, "length", tw),
                            repetition=_num(t, "repetition", tw, default=0.0, positive=False))
        elif kind == "gaussian":
            timing = Timing("gaussian", sigma=_num(t, "sigma", tw),
                            repetition=_num(t, "repetition", tw, default=0.0, positive=False))
        else:
            raise CardError(f"{tw}.structure = {fmt_value(kind)}: must be one of ['bunched', 'uniform', 'gaussian']")
    return Beam(
        name=name,
        description=str(data.get("description", "")),
        proton_momentum=p_beam,
        target=target,
        mesons=MappingProxyType(out),
        brem=brem,
        timing=timing,
        capture=capture,
    )
