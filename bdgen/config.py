"""Run cards: TOML files validated in one place into frozen dataclasses.

A card has the sections ``[run]``, ``[beam]``, ``[model]``, ``[production]``, ``[detector]``,
``[signal]`` and ``[compat]`` (documented key by key in the README and in :data:`SCHEMA`).
No meaning depends on the order of lines.  Every error names the key path, the value and
what is allowed, e.g. ``model.m_chi = -1: must be > 0``, and is raised before any work.
"""

from __future__ import annotations

import copy
import math
import tomllib
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable

from . import resources
from .errors import CardError, fmt_value

# ---------------------------------------------------------------------------------------------
# Schema: section -> key -> (kind, default, check, help).  ``kind`` is one of "float", "int",
# "bool", "str", "list[str]", "table".  ``check`` returns an error fragment or None.
# ---------------------------------------------------------------------------------------------

Check = Callable[[Any], "str | None"]


def _positive(v: Any) -> str | None:
    return None if v > 0 else "must be > 0"


def _non_negative(v: Any) -> str | None:
    return None if v >= 0 else "must be >= 0"


def _seed(v: Any) -> str | None:
    return None if 0 <= v < 2**63 else "must be an integer with seed >= 0 and seed < 2**63"


def _fraction(v: Any) -> str | None:
    return None if 0 < v <= 1 else "must be in (0, 1]"


def _angle(v: Any) -> str | None:
    return None if 0 <= v <= math.pi else "must be in [0, pi] (radians)"


def _precision(v: Any) -> str | None:
    return None if 0 < v < 1 else "must be in (0, 1) (a relative error, e.g. 0.01)"


def _one_of(*allowed: str) -> Check:
    def check(v: Any) -> str | None:
        return None if v in allowed else f"must be one of {list(allowed)}"

    return check


def _channels(v: Any) -> str | None:
    if not v:
        return "must name at least one channel"
    bad = [c for c in v if c not in PRODUCTION_CHANNELS]
    if bad:
        return f"unknown channel {fmt_value(bad[0])}; allowed: {list(PRODUCTION_CHANNELS)}"
    if len(set(v)) != len(v):
        return "lists a channel twice"
    return None


PRODUCTION_CHANNELS = ("pi0", "eta", "rho", "omega", "phi", "brem", "eta_prime", "eta_prime_rho", "eta_prime_omega",
                       "pi_capture", "drell_yan")
SIGNAL_CHANNELS = ("electron", "nucleon", "coherent", "decay", "pi0_inelastic", "delta_gamma", "dis", "flux")
#: Signal channels with one recoiling target particle (the ones the recoil-angle cut applies to).
ELASTIC_CHANNELS = ("electron", "nucleon", "coherent")

_REQ = object()  # marker: the key is required

SCHEMA: dict[str, dict[str, tuple[str, Any, Check | None, str]]] = {
    "run": {
        "pot": ("float", _REQ, _positive, "protons on target"),
        "events": ("int", None, _positive, "number of scattering events to write (or set precision)"),
        "precision": ("float", None, _precision, "stop at this relative MC error of the signal"),
        "seed": ("int", None, _seed, "random seed; omitted: fresh entropy, recorded in the output"),
        "output": ("str", None, None, "output file (.root, .h5, .hdf5); -o overrides"),
        "unweighted": ("bool", False, None, "write an unweighted sample (equal weights)"),
        "chunk_size": ("int", 125_000, _positive, "trials (meson decays) per chunk"),
        "threads": ("int", 0, _non_negative, "chunks run in parallel on this many threads; 0 = every core"),
        "importance_sampling": ("bool", True, None, "bias chi directions toward the detectors and meson momenta toward the signal, with exact weights"),
        "workers": ("int", 0, _non_negative, "run the chunks on a local Dask cluster of this many processes (0: no)"),
        "scheduler": ("str", None, None, "address of a running Dask scheduler to run the chunks on"),
        "max_trials": ("int", 10_000_000_000, _positive, "stop after this many trials in any case"),
    },
    "beam": {
        "name": ("str", _REQ, None, "beam file in fluxes/"),
        "pi0_per_pot": ("float", None, _positive, "override the beam file's pi0 per POT"),
        "eta_per_pi0": ("float", None, _non_negative, "override the beam file's eta/pi0"),
        "rho_per_pi0": ("float", None, _non_negative, "override the beam file's rho/pi0 (BdNMC meson_per_pi0)"),
        "omega_per_pi0": ("float", None, _non_negative, "override the beam file's omega/pi0 (BdNMC meson_per_pi0)"),
        "phi_per_pi0": ("float", None, _non_negative, "override the beam file's phi/pi0 (BdNMC meson_per_pi0)"),
        "eta_prime_per_pi0": ("float", None, _non_negative, "override the beam file's eta_prime/pi0 (BdNMC meson_per_pi0)"),
        "brem_z_min": ("float", None, lambda v: None if 0 < v < 1 else "must be in (0, 1)",
                       "override the beam file's lowest momentum fraction z = p_z/P of bremsstrahlung V (BdNMC zmin)"),
        "brem_z_max": ("float", None, lambda v: None if 0 < v < 1 else "must be in (0, 1)",
                       "override the highest z of proton bremsstrahlung (BdNMC zmax)"),
        "brem_pt_max": ("float", None, _positive,
                        "override the highest transverse momentum of bremsstrahlung V, GeV (BdNMC ptmax)"),
    },
    "model": {
        "name": ("str", "dark_photon", _one_of("dark_photon", "baryonic", "inelastic"),
                 "the portal: a kinetically mixed dark photon, a leptophobic U(1)_B vector, or the dark "
                 "photon with inelastic (pseudo-Dirac) dark matter chi1, chi2"),
        "dm": ("str", "scalar", _one_of("scalar", "dirac"), "complex scalar or Dirac fermion chi"),
        "m_chi": ("float", _REQ, _positive, "chi mass, GeV"),
        "m_v": ("float", _REQ, _positive, "dark photon mass, GeV"),
        "epsilon": ("float", None, lambda v: None if v >= 0 else "must be > 0 (dark photon) or >= 0 (baryonic)",
                    "kinetic mixing (required for dark_photon, > 0; baryonic: default 0)"),
        "alpha_d": ("float", _REQ, _positive, "dark coupling g_D^2/(4 pi)"),
        "alpha_b": ("float", None, _positive, "baryonic model: U(1)_B coupling g_B^2/(4 pi) per baryon"),
        "delta": ("float", None, _positive, "inelastic model: mass splitting m_chi2 - m_chi1 (GeV)"),
    },
    "production": {
        "channels": ("list[str]", ["pi0", "eta"], _channels, "production channels"),
        "vertex": ("str", "origin", _one_of("origin", "target"),
                   "production point: the origin, or sampled along the beam in the target"),
        "meson_list": ("table", None, None, "a user meson list replacing one meson's spectrum"),
        "spectrum_systematics": ("bool", False, None,
                                 "add per-event weights for the beam file's alternative spectrum models"),
    },
    "detector": {
        "name": ("str", None, None, "detector file in detectors/ (or give names, or shape + material)"),
        "names": ("list[str]", None, None, "several detector files: one event set per detector"),
        "shape": ("table", None, None, "inline shape (see detector files)"),
        "material": ("table", None, None, "inline material (see detector files)"),
        "frame": ("str", "beam", _one_of("beam", "experiment"),
                  "coordinates of the output: the beam frame or the experiment's own"),
    },
    "signal": {
        "channel": ("str", "nucleon", _one_of(*SIGNAL_CHANNELS),
                    "electron, nucleon (incoherent, free p and n), coherent (whole nuclei, Helm), "
                    "decay (visible V -> l+ l- decays in the detector), pi0_inelastic (chi N -> chi Delta, "
                    "Delta -> N pi0), delta_gamma (Delta -> N gamma), dis (deep-inelastic chi N -> chi X) or flux "
                    "(every chi crossing the detector, with its chord length; no scattering)"),
        "channels": ("list[str]", None, None,
                     "several signal channels in one run, sharing one chi sample (replaces channel)"),
        "final_state": ("str", "ee", _one_of("ee", "mumu", "hadrons"),
                        "final state of signal.channel = decay: e+e-, mu+mu-, or hadrons (pi+ pi-, m_V < 1.1 GeV)"),
        "t_min": ("float", 0.0, _non_negative, "lowest recoil kinetic energy, GeV"),
        "t_max": ("float", 1e9, _positive, "highest recoil kinetic energy, GeV"),
        "angle_min": ("float", 0.0, _angle,
                      "smallest lab angle of the recoil to the beam axis (z), rad (electron, nucleon, coherent)"),
        "angle_max": ("float", math.pi, _angle,
                      "largest lab angle of the recoil to the beam axis (z), rad (electron, nucleon, coherent)"),
        "efficiency": ("float", 1.0, _fraction, "detection efficiency multiplying every weight"),
        "timing_cut": ("float", 0.0, _non_negative,
                       "BdNMC's timing cut, ns: every weight times min(1, delay/timing_cut) (0: none)"),
        "form_factors": ("str", "bba03", _one_of("bba03", "dipole"), "nucleon form factors"),
    },
    "compat": {
        "bdnmc": ("bool", False, None, "reproduce BdNMC's conventions (PHYSICS.md section 8)"),
    },
}


def _check_type(kind: str, value: Any, path: str) -> Any:
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CardError(f"{path} = {fmt_value(value)}: must be a number")
        value = float(value)
        if not math.isfinite(value):
            raise CardError(f"{path} = {fmt_value(value)}: must be finite")
        return value
    if kind == "int":
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
            value = int(value)  # allow 1e6-style counts
        if isinstance(value, bool) or not isinstance(value, int):
            raise CardError(f"{path} = {fmt_value(value)}: must be an integer")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise CardError(f"{path} = {fmt_value(value)}: must be true or false")
        return value
    if kind == "str":
        if not isinstance(value, str):
            raise CardError(f"{path} = {fmt_value(value)}: must be a string")
        return value
    if kind == "list[str]":
        if not isinstance(value, list) or any(not isinstance(x, str) for x in value):
            raise CardError(f"{path} = {fmt_value(value)}: must be a list of strings")
        return tuple(value)
    if kind == "table":
        if not isinstance(value, dict):
            raise CardError(f"{path} = {fmt_value(value)}: must be a table")
        return value
    raise AssertionError(kind)


# ---------------------------------------------------------------------------------------------
# The resolved configuration
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunConfig:
    pot: float
    events: int | None
    precision: float | None
    seed: int | None
    output: str | None
    unweighted: bool
    chunk_size: int
    threads: int
    importance_sampling: bool
    workers: int
    scheduler: str | None
    max_trials: int


@dataclass(frozen=True)
class BeamConfig:
    name: str
    pi0_per_pot: float | None
    eta_per_pi0: float | None
    brem_z_min: float | None = None
    brem_z_max: float | None = None
    brem_pt_max: float | None = None
    rho_per_pi0: float | None = None
    omega_per_pi0: float | None = None
    phi_per_pi0: float | None = None
    eta_prime_per_pi0: float | None = None

    def per_pi0(self) -> dict[str, float]:
        """The card's meson/pi0 overrides besides eta (species -> yield per pi0)."""
        return {m: v for m in ("rho", "omega", "phi", "eta_prime")
                if (v := getattr(self, f"{m}_per_pi0")) is not None}


@dataclass(frozen=True)
class ModelParams:
    name: str
    dm: str
    m_chi: float
    m_v: float
    epsilon: float
    alpha_d: float
    alpha_b: float | None = None
    delta: float | None = None

    @property
    def dirac(self) -> bool:
        return self.dm == "dirac"


@dataclass(frozen=True)
class ProductionConfig:
    channels: tuple[str, ...]
    vertex: str
    meson_list: dict[str, Any] | None
    spectrum_systematics: bool


@dataclass(frozen=True)
class DetectorConfig:
    name: str | None
    names: tuple[str, ...] | None
    shape: dict[str, Any] | None
    material: dict[str, Any] | None
    frame: str

    @property
    def all_names(self) -> tuple[str, ...]:
        """The detector files of the run (empty for an inline detector)."""
        if self.names is not None:
            return self.names
        return (self.name,) if self.name is not None else ()


@dataclass(frozen=True)
class SignalConfig:
    channel: str
    final_state: str
    t_min: float
    t_max: float
    efficiency: float
    form_factors: str
    channels: tuple[str, ...] | None = None
    angle_min: float = 0.0
    angle_max: float = math.pi
    timing_cut: float = 0.0

    @property
    def angle_cut(self) -> bool:
        """True if the recoil-angle window is narrower than [0, pi]."""
        return self.angle_min > 0.0 or self.angle_max < math.pi


@dataclass(frozen=True)
class CompatConfig:
    bdnmc: bool


@dataclass(frozen=True)
class Config:
    """A validated run card.  Build with :func:`load_card` or :func:`config_from_dict`."""

    run: RunConfig
    beam: BeamConfig
    model: ModelParams
    production: ProductionConfig
    detector: DetectorConfig
    signal: SignalConfig
    compat: CompatConfig

    def to_dict(self) -> dict[str, Any]:
        """The resolved card as plain TOML-compatible data (None values dropped)."""

        def clean(x: Any) -> Any:
            if isinstance(x, dict):
                return {k: clean(v) for k, v in x.items() if v is not None}
            if isinstance(x, tuple):
                return [clean(v) for v in x]
            return x

        return clean(asdict(self))  # type: ignore[no-any-return]


_SECTIONS = {
    "run": RunConfig,
    "beam": BeamConfig,
    "model": ModelParams,
    "production": ProductionConfig,
    "detector": DetectorConfig,
    "signal": SignalConfig,
    "compat": CompatConfig,
}


def config_from_dict(card: dict[str, Any]) -> Config:
    """Validate a card given as nested dicts (as parsed from TOML).

    Raises
    ------
    CardError
        For unknown sections or keys, wrong types, out-of-range values, unknown beams,
        detectors or channels, and inconsistent combinations.
    """
    if not isinstance(card, dict):
        raise CardError("the card must be a TOML document with tables")
    for section in card:
        if section not in SCHEMA:
            raise CardError(f"[{section}]: unknown section; allowed: {list(SCHEMA)}")
    resolved: dict[str, Any] = {}
    for section, keys in SCHEMA.items():
        given = card.get(section, {})
        if not isinstance(given, dict):
            raise CardError(f"{section} = {fmt_value(given)}: must be a table [{section}]")
        for key in given:
            if key not in keys:
                raise CardError(
                    f"{section}.{key} = {fmt_value(given[key])}: unknown key; allowed: {list(keys)}"
                )
        values: dict[str, Any] = {}
        for key, (kind, default, check, _help) in keys.items():
            path = f"{section}.{key}"
            if key in given:
                value = _check_type(kind, given[key], path)
                if check is not None:
                    problem = check(value)
                    if problem:
                        raise CardError(f"{path} = {fmt_value(given[key])}: {problem}")
            elif default is _REQ:
                raise CardError(f"{path} is missing (required: {_help})")
            else:
                value = copy.deepcopy(default)
                if kind == "list[str]" and value is not None:
                    value = tuple(value)
            values[key] = value
        resolved[section] = _SECTIONS[section](**values)
    model = resolved["model"]
    if model.name != "inelastic" and model.delta is not None:
        raise CardError(f"model.delta = {model.delta}: only for model.name = \"inelastic\"")
    if model.name == "inelastic":
        if model.delta is None:
            raise CardError("model.delta is missing (required for model.name = \"inelastic\": m_chi2 - m_chi1, GeV)")
        if model.dm != "dirac":
            raise CardError(f"model.dm = {fmt_value(model.dm)}: inelastic dark matter is a pseudo-Dirac fermion; "
                            "use dm = \"dirac\"")
        if model.delta is not None and model.m_v is not None and model.delta >= model.m_v:
            raise CardError(f"model.delta = {model.delta} with model.m_v = {model.m_v}: bdgen treats chi2 -> chi1 "
                            "l+ l- through an off-shell V and needs delta < m_v (for delta >= m_v the chi2 decays "
                            "promptly to chi1 V)")
    if model.name in ("dark_photon", "inelastic"):
        if model.epsilon is None:
            raise CardError("model.epsilon is missing (required: kinetic mixing)")
        if model.epsilon <= 0:
            raise CardError(f"model.epsilon = {model.epsilon}: must be > 0 for the dark photon")
        if model.alpha_b is not None:
            raise CardError(f"model.alpha_b = {model.alpha_b}: only for model.name = \"baryonic\"")
    else:
        if model.alpha_b is None:
            raise CardError("model.alpha_b is missing (required for model.name = \"baryonic\": g_B^2/(4 pi))")
        if model.epsilon is None:
            resolved["model"] = replace(model, epsilon=0.0)
    cfg = Config(**resolved)
    _cross_checks(cfg)
    return _absolute_data_files(cfg)


def _absolute_data_files(cfg: Config) -> Config:
    """The user's own beam and detector files (names ending in .toml) as absolute paths, so the
    stored card (summary, files) finds them again from any working directory (reweighting)."""
    def absolute(name: str | None) -> str | None:
        return str(Path(name).expanduser().resolve()) if name is not None and resources.is_user_file(name) else name

    det = cfg.detector
    beam = replace(cfg.beam, name=absolute(cfg.beam.name))
    det = replace(det, name=absolute(det.name),
                  names=tuple(absolute(n) for n in det.names) if det.names is not None else None)
    return replace(cfg, beam=beam, detector=det)


def _cross_checks(cfg: Config) -> None:
    run = cfg.run
    if run.events is not None and run.precision is not None:
        raise CardError(
            f"run.events = {run.events} and run.precision = {run.precision}: give only one stopping rule"
        )
    if run.events is None and run.precision is None:
        raise CardError("run.events or run.precision is missing: give one stopping rule")
    sig = cfg.signal
    if sig.channels is not None:
        bad = [c for c in sig.channels if c not in SIGNAL_CHANNELS]
        if bad:
            raise CardError(f"signal.channels: unknown channel {fmt_value(bad[0])}; allowed: {list(SIGNAL_CHANNELS)}")
        if len(set(sig.channels)) != len(sig.channels) or not sig.channels:
            raise CardError(f"signal.channels = {list(sig.channels)}: must list at least one channel, each once")
        if "decay" in sig.channels and len(sig.channels) > 1:
            raise CardError("signal.channels: \"decay\" follows the V, not the chi; run it on its own")
        if cfg.detector.names is not None and len(cfg.detector.names) > 1 and len(sig.channels) > 1:
            raise CardError("signal.channels with several detector.names: run one detector per run, "
                            "or one channel per run")
        for c in sig.channels:  # every channel must be valid on its own
            try:
                _cross_checks(replace(cfg, signal=replace(sig, channel=c, channels=None)))
            except CardError as exc:  # a channel's own problem: name the key the user set
                if "signal.channel " in str(exc) or "signal.channel=" in str(exc):
                    raise CardError(f"signal.channels = {list(sig.channels)}: {exc}") from None
                raise
        return
    if sig.channel == "decay" and sig.final_state == "hadrons":
        if cfg.model.name == "inelastic":
            raise CardError("signal.final_state = \"hadrons\": chi2 -> chi1 decays are generated to e+e- or mu+mu- only")
        if cfg.model.m_v >= 1.1:
            raise CardError(f"signal.final_state = \"hadrons\" with model.m_v = {cfg.model.m_v}: hadronic V decays "
                            "are generated as pi+ pi- (R below 1.1 GeV); heavier V need hadronisation, not modelled")
    if cfg.model.name == "inelastic" and sig.channel not in ("decay", "electron", "nucleon", "coherent"):
        raise CardError(f"signal.channel = {fmt_value(sig.channel)}: for model.name = \"inelastic\" the signals are "
                        "\"decay\" (chi2 -> chi1 l+ l- in the detector) and chi1 <-> chi2 scattering on "
                        "\"electron\", \"nucleon\" or \"coherent\" targets")
    if cfg.model.name == "baryonic" and sig.channel in ("decay", "pi0_inelastic", "delta_gamma", "dis"):
        why = {"decay": "visible decays are not modelled",
               "dis": "deep-inelastic scattering through the baryon current is not modelled"}.get(
            sig.channel, "the isoscalar baryon current cannot excite the isospin-3/2 Delta")
        raise CardError(f"signal.channel = \"{sig.channel}\": {why} for model.name = \"baryonic\" "
                        "(allowed: electron, nucleon, coherent)")
    b = cfg.beam
    if b.brem_z_min is not None and b.brem_z_max is not None and b.brem_z_min >= b.brem_z_max:
        raise CardError(f"beam.brem_z_min = {b.brem_z_min} >= beam.brem_z_max = {b.brem_z_max}: need z_min < z_max")
    brem_set = [k for k in ("brem_z_min", "brem_z_max", "brem_pt_max") if getattr(b, k) is not None]
    if brem_set and "brem" not in cfg.production.channels:
        raise CardError(f"beam.{brem_set[0]}: sets the bremsstrahlung range, but production.channels = "
                        f"{list(cfg.production.channels)} has no \"brem\"")
    if sig.t_min >= sig.t_max:
        raise CardError(f"signal.t_min = {sig.t_min} >= signal.t_max = {sig.t_max}: need t_min < t_max")
    if sig.angle_min >= sig.angle_max:
        raise CardError(f"signal.angle_min = {sig.angle_min} >= signal.angle_max = {sig.angle_max}: "
                        "need angle_min < angle_max (radians)")
    if sig.angle_cut and sig.channel not in ELASTIC_CHANNELS:
        raise CardError(f"signal.angle_min/angle_max with signal.channel = {fmt_value(sig.channel)}: the recoil-angle "
                        f"cut applies to the elastic channels {list(ELASTIC_CHANNELS)}, whose recoil is one "
                        "particle (cut on the output columns instead)")
    det = cfg.detector
    inline = det.shape is not None or det.material is not None
    given = [k for k, v in (("detector.name", det.name), ("detector.names", det.names)) if v is not None]
    if inline:
        given.append("detector.shape/material")
    if len(given) > 1:
        raise CardError(f"{' and '.join(given)}: give one of a detector name, a list of names or an inline detector")
    if not given:
        raise CardError("detector.name is missing (or give detector.names, or detector.shape and detector.material)")
    if inline and not (det.shape is not None and det.material is not None):
        raise CardError("detector.shape and detector.material: an inline detector needs both")
    if det.names is not None:
        if not det.names:
            raise CardError("detector.names = []: must list at least one detector")
        if len(set(det.names)) != len(det.names):
            raise CardError(f"detector.names = {list(det.names)}: lists a detector twice")
    known = resources.available(resources.detectors_dir())
    for key, names in (("detector.name", (det.name,) if det.name else ()), ("detector.names", det.names or ())):
        for n in names:
            if resources.is_user_file(n):
                if not Path(n).expanduser().is_file():
                    raise CardError(f"{key} = {fmt_value(n)}: no such detector file")
            elif n not in known:
                raise CardError(f"{key} = {fmt_value(n)}: unknown detector; available: {known} "
                                "(or the path of your own detector file, *.toml)")
    if det.frame == "experiment" and inline:
        raise CardError("detector.frame = \"experiment\": an inline detector has no experiment frame")
    if resources.is_user_file(cfg.beam.name):
        if not Path(cfg.beam.name).expanduser().is_file():
            raise CardError(f"beam.name = {fmt_value(cfg.beam.name)}: no such beam file")
    elif cfg.beam.name not in resources.available(resources.beams_dir()):
        raise CardError(
            f"beam.name = {fmt_value(cfg.beam.name)}: unknown beam; "
            f"available: {resources.available(resources.beams_dir())} (or the path of your own beam file, *.toml)"
        )
    if run.output is not None:
        output_format(run.output, "run.output")
    ml = cfg.production.meson_list
    if ml is not None:
        allowed = {"file", "meson", "per_pot"}
        for key in ml:
            if key not in allowed:
                raise CardError(f"production.meson_list.{key} = {fmt_value(ml[key])}: unknown key; allowed: {sorted(allowed)}")
        if not isinstance(ml.get("file"), str):
            raise CardError(f"production.meson_list.file = {fmt_value(ml.get('file'))}: must be a file name")
        if ml.get("meson", "pi0") not in ("pi0", "eta"):
            raise CardError(f"production.meson_list.meson = {fmt_value(ml.get('meson'))}: must be one of ['pi0', 'eta']")
        per_pot = ml.get("per_pot")
        if per_pot is not None and (isinstance(per_pot, bool) or not isinstance(per_pot, (int, float)) or not per_pot > 0):
            raise CardError(f"production.meson_list.per_pot = {fmt_value(per_pot)}: must be a number > 0")
        if not Path(ml["file"]).is_file():
            raise CardError(f"production.meson_list.file = {fmt_value(ml['file'])}: no such file")


def output_format(path: str | Path, key: str = "-o") -> str:
    """``"root"``, ``"hdf5"`` or ``"hepmc3"`` from the file suffix; CardError naming ``key`` otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix == ".root":
        return "root"
    if suffix in (".h5", ".hdf5"):
        return "hdf5"
    if suffix in (".hepmc", ".hepmc3"):
        return "hepmc3"
    raise CardError(f"{key} = {fmt_value(str(path))}: unknown output format; use a .root, .h5, .hdf5 or .hepmc3 file")


# ---------------------------------------------------------------------------------------------
# Cards from files and overrides
# ---------------------------------------------------------------------------------------------


def read_card(path: str | Path) -> dict[str, Any]:
    """Parse a card file into nested dicts (no validation)."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise CardError(f"card {str(p)!r}: no such file") from None
    except IsADirectoryError:
        raise CardError(f"card {str(p)!r}: is a directory, not a card file") from None
    except PermissionError:
        raise CardError(f"card {str(p)!r}: not readable (permission denied)") from None
    except UnicodeDecodeError:
        raise CardError(f"card {str(p)!r}: not a text (UTF-8 TOML) file") from None
    except tomllib.TOMLDecodeError as exc:
        raise CardError(f"card {str(p)!r}: invalid TOML: {exc}") from None


def builtin_card_path(name: str) -> Path:
    """Path of the built-in card ``name`` (e.g. "miniboone")."""
    path = resources.cards_dir() / f"{name}.toml"
    if not path.is_file():
        raise CardError(f"built-in card {name!r} not found; available: {resources.available(resources.cards_dir())}")
    return path


def parse_override(item: str) -> tuple[list[str], Any]:
    """Split ``"a.b=value"`` into (["a", "b"], parsed value).

    The value is read as a TOML value (numbers, booleans, quoted strings, arrays, inline
    tables); a bare word that is not valid TOML is taken as a string.
    """
    if "=" not in item:
        raise CardError(f"--set {item!r}: expected KEY=VALUE, e.g. model.m_v=0.03")
    key, raw = item.split("=", 1)
    key = key.strip()
    parts = key.split(".")
    if len(parts) < 2 or any(not p for p in parts):
        raise CardError(f"--set {item!r}: the key must be a dotted path such as model.m_v")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return parts, value


def apply_overrides(card: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a copy of ``card`` with ``--set`` overrides applied.

    Setting ``run.events`` removes the card's ``run.precision`` and vice versa (an override
    replaces the card's stopping rule), unless both are set by overrides; likewise an inline
    ``detector.shape``/``detector.material`` replaces the card's ``detector.name`` and the reverse.
    """
    out = copy.deepcopy(card)
    set_keys = set()
    for item in overrides:
        parts, value = parse_override(item)
        node = out
        for p in parts[:-1]:
            nxt = node.setdefault(p, {})
            if not isinstance(nxt, dict):
                raise CardError(f"--set {item!r}: {'.'.join(parts[:-1])} is not a table")
            node = nxt
        node[parts[-1]] = value
        set_keys.add(".".join(parts))
    run = out.get("run")
    if isinstance(run, dict):
        if "run.events" in set_keys and "run.precision" not in set_keys:
            run.pop("precision", None)
        if "run.precision" in set_keys and "run.events" not in set_keys:
            run.pop("events", None)
    det = out.get("detector")
    if isinstance(det, dict):
        chosen = {k for k in ("name", "names", "shape", "material")
                  if any(sk == f"detector.{k}" or sk.startswith(f"detector.{k}.") for sk in set_keys)}
        if chosen:
            group = {"shape", "material"} if chosen & {"shape", "material"} else chosen
            for k in ("name", "names", "shape", "material"):
                if k not in group and k not in chosen:
                    det.pop(k, None)
    return out


def load_card(path: str | Path | None = None, overrides: list[str] | None = None) -> Config:
    """Read, override and validate a card.

    Parameters
    ----------
    path : str, Path or None
        Card file; None means the built-in MiniBooNE card.
    overrides : list of "key.path=value" strings, optional
        Applied as by ``bdgen run --set``.
    """
    card = read_card(builtin_card_path("miniboone") if path is None else path)
    return config_from_dict(apply_overrides(card, overrides or []))
