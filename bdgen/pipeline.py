"""The run: configuration -> weighted (or unweighted) events and a summary.

Estimator (PHYSICS.md section 5.5).  Each trial is one meson decay M -> gamma chi chibar of a
production channel c chosen with probability q_c = Y_c BR_c / R, where Y_c is the meson yield
per POT, BR_c = BR(M -> gamma chi chibar) and R = sum_c Y_c BR_c.  A chi crossing the detector
scatters with probability P = sum_i n_i sigma_i(E) L.  The expected number of signal events is

    N_sig = POT x R x efficiency x E[sum over the trial's two chi of P],

estimated by the sample mean over N trials.  With ``run.importance_sampling`` the chi
directions are aimed at the detectors and the mesons are drawn with a momentum bias q(p) set by
a pilot (:func:`_momentum_bias`); each trial carries the product of the exact weights, so the
estimator stays the unbiased sample mean.  Each written event carries the weight
POT R efficiency P / N, its expected number of events for the run's POT, so the weights sum to
the estimate.  The MC error is the standard error of the mean over trials (the two chi of a
trial are correlated and are summed before squaring).

Stopping rules: ``run.precision`` runs whole chunks until the relative error is at most the
target *and* the variance of the variance (VOV) of the per-trial scores is at most 0.1 (MCNP's
check that the error estimate itself is reliable; without it a loose target such as 0.3 could
stop after a handful of lucky trials, with a true spread well above the quoted error);
``run.events = K`` stops at the K-th event, counted chi by chi in trial order, and normalises by
the number of chi examined up to it (2N for N trials), so exactly K events are written.  Both
rules bias the estimate by O(1/K_eff) relative, K_eff = (sum w)^2 / sum w^2 the effective number
of events, below its statistical error O(1/sqrt(K_eff)).  Weighted events can have very unequal
weights, so K_eff can be far below K: K = 20 raw events at the built-in card are about one
effective event.  The summary gives ``variance_of_variance`` and a note when it exceeds 0.1.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import constants as C
from .beams import Beam, load_beam
from .config import PRODUCTION_CHANNELS, Config
from .detectors import Detector, load_detector, parse_detector
from .errors import CardError
from .physics import form_factors as FF
from .physics.meson_decays import bdnmc_uses_on_shell, three_body
from .physics.models import Couplings
from .physics.scattering import GL_NODES, GL_WEIGHTS, e_min
from .physics.widths import br_to_chi
from .rng import STAGE_SCATTER, STAGE_SPILL, STAGE_UNWEIGHT, key_from_seed, uniforms_for
from ._version import __version__

#: Stable integer codes of the production channels written to the output.
CHANNEL_CODES = {name: i for i, name in enumerate(PRODUCTION_CHANNELS)}

#: Inelastic signal channels: (module, final state, extra output columns).  The module gives
#: ``sigma`` (GeV^-2), ``sample`` (final-state four-vectors) and optionally ``branching``.
INELASTIC = {
    "pi0_inelastic": ("bdgen.physics.delta", "pi0"),
    "delta_gamma": ("bdgen.physics.delta", "gamma"),
    "dis": ("bdgen.physics.dis", None),
}

#: Extra output columns of the inelastic channels: name -> (dtype, description).
_P4 = ("E", "px", "py", "pz")
INELASTIC_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "pi0_inelastic": {
        **{f"nucleon_{c}": ("f8", f"outgoing nucleon {c} (GeV)") for c in _P4},
        **{f"pi0_{c}": ("f8", f"pi0 from Delta -> N pi0, {c} (GeV)") for c in _P4},
        **{f"gamma1_{c}": ("f8", f"first photon of pi0 -> gamma gamma, {c} (GeV)") for c in _P4},
        **{f"gamma2_{c}": ("f8", f"second photon of pi0 -> gamma gamma, {c} (GeV)") for c in _P4},
        "W": ("f8", "invariant mass of the Delta (GeV)"),
        "Q2": ("f8", "four-momentum transfer squared Q^2 (GeV^2)"),
    },
    "delta_gamma": {
        **{f"nucleon_{c}": ("f8", f"outgoing nucleon {c} (GeV)") for c in _P4},
        **{f"gamma_{c}": ("f8", f"photon from Delta -> N gamma, {c} (GeV)") for c in _P4},
        "W": ("f8", "invariant mass of the Delta (GeV)"),
        "Q2": ("f8", "four-momentum transfer squared Q^2 (GeV^2)"),
    },
    "dis": {
        "quark_pdg": ("i4", "PDG code of the struck quark"),
        **{f"quark_{c}": ("f8", f"struck quark after the scattering, {c} (GeV)") for c in _P4},
        "x_bj": ("f8", "Bjorken x"),
        "y_inel": ("f8", "inelasticity y = (E - E')/E"),
        "W": ("f8", "invariant mass of the hadronic system (GeV)"),
        "Q2": ("f8", "four-momentum transfer squared Q^2 (GeV^2)"),
    },
}

#: Extra output columns of chi2 -> chi1 l+ l- decays (inelastic dark matter).
IDM_COLUMNS: dict[str, tuple[str, str]] = {f"chi1_{c}": ("f8", f"chi1 from the chi2 decay, {c} (GeV)") for c in _P4}


#: Extra output columns of chi1 -> chi2 upscattering: where and into what the outgoing chi2 decays.
IDM_UPSCATTER_COLUMNS: dict[str, tuple[str, str]] = {
    "chi2_decays": ("i1", "1 if the outgoing state is a chi2 (upscattering), whose decay is given; else 0"),
    **{f"chi2_decay_{c}": ("f8", f"chi2 -> chi1 l+ l- decay vertex {c} (m, ns; beam frame)") for c in ("x", "y", "z", "t")},
    "chi2_decay_lepton_pdg": ("i4", "PDG code of the l- of the chi2 decay (11 or 13)"),
    **{f"chi2_lm_{c}": ("f8", f"l- of the chi2 decay, {c} (GeV)") for c in _P4},
    **{f"chi2_lp_{c}": ("f8", f"l+ of the chi2 decay, {c} (GeV)") for c in _P4},
    **{f"chi2_chi1_{c}": ("f8", f"chi1 of the chi2 decay, {c} (GeV)") for c in _P4},
}


#: Extra output column of signal.channel = "flux".
FLUX_COLUMNS: dict[str, tuple[str, str]] = {
    "chord_length": ("f8", "length of the chi's straight line inside the fiducial volume, m"),
}


def extra_columns(cfg: Config) -> dict[str, tuple[str, str]]:
    """The output columns a run adds to :data:`EVENT_COLUMNS` (name -> (dtype, description))."""
    if cfg.signal.channel == "flux":
        return FLUX_COLUMNS
    if cfg.model.name == "inelastic" and cfg.signal.channel == "decay":
        return IDM_COLUMNS
    if cfg.model.name == "inelastic":
        return IDM_UPSCATTER_COLUMNS
    return INELASTIC_COLUMNS.get(cfg.signal.channel, {})


#: Mixture fraction of the importance sampling of chi directions toward the detectors.
IMPORTANCE_FRACTION = 0.5

#: Trials after which a precision run with no event at all gives up; after as many, a precision
#: run also stops if reaching its target would take more than OUT_OF_REACH x run.max_trials.
NO_EVENT_LIMIT = 20_000_000
OUT_OF_REACH = 10.0

#: Trials of the pilot that sets the momentum importance sampling (its own random numbers; the
#: pilot's events are not kept).  0 switches it off.
MOMENTUM_PILOT = 50_000
#: Momentum bins, of equal probability under the production spectrum, of the bias function.
MOMENTUM_BINS = 20
#: Fewest scoring pilot trials a channel needs for a momentum bias (fewer: that channel is unbiased).
MOMENTUM_MIN_TRIALS = 50
#: The bias is used only if the pilot predicts a second moment below this fraction of the analog one.
MOMENTUM_MIN_GAIN = 0.9

#: Largest variance of the variance (VOV) of the per-trial scores at which a precision run may
#: stop: MCNP's statistical check for a reliable error estimate (X-5 Monte Carlo Team, MCNP
#: manual vol. I, LA-UR-03-1987, section 2.VI.D: "VOV < 0.1").
VOV_MAX = 0.1


@dataclass(frozen=True)
class ChannelSetup:
    """One production channel of a run.

    ``per_pot`` is the yield of the parent per POT (mesons, or 1 proton for bremsstrahlung) and
    ``branching_ratio`` the number of chi pairs per parent, so that ``rate`` = pairs per POT.
    """

    name: str
    pdg: int
    mass: float
    per_pot: float
    branching_ratio: float
    on_shell: bool
    closed_reason: str | None
    kind: int = 0
    spectrum: Any = None
    three_body: Any = None
    spectrum_model: str = ""
    m_recoil: float = 0.0
    process: str = ""

    def __post_init__(self) -> None:
        if self.three_body is not None:  # the recoil and process of the decay, for the kernel tables
            object.__setattr__(self, "m_recoil", self.three_body.m_recoil)
            object.__setattr__(self, "process", self.three_body.process)

    @property
    def rate(self) -> float:
        """chi pairs per POT from this channel: Y_c BR_c."""
        return self.per_pot * self.branching_ratio


@dataclass(frozen=True)
class Target:
    """A scattering target species (electron, proton, neutron, or a nucleus) and its form factors."""

    name: str
    pdg: int
    mass: float
    ff_model: int
    mu: float
    q2_cut: float
    z: float = 0.0
    a: float = 0.0

    def density(self, material: Any) -> float:
        """Number density of this target in ``material``, m^-3."""
        if self.name == "lepton":
            return 0.0
        if self.name in ("electron", "proton", "neutron"):
            return float({"electron": material.electron_density, "proton": material.proton_density,
                          "neutron": material.neutron_density}[self.name])
        return float(material.atom_densities().get(self.name, 0.0))


@dataclass
class RunSetup:
    """Everything derived from the configuration before the first trial."""

    config: Config
    beam: Beam
    detectors: list[Detector]
    channels: list[ChannelSetup]
    targets: list[Target]
    tables: dict[str, Any]
    t_window: tuple[float, float]
    notes: list[str] = field(default_factory=list)

    @property
    def detector(self) -> Detector:
        """The first (often the only) detector."""
        return self.detectors[0]

    @property
    def volumes(self) -> list[tuple[int, int, Any]]:
        """(detector index, volume index within it, Volume) for every fiducial volume."""
        return [(d, v, vol) for d, det in enumerate(self.detectors) for v, vol in enumerate(det.fiducial)]

    @property
    def open_channels(self) -> list[ChannelSetup]:
        return [c for c in self.channels if c.closed_reason is None]

    @property
    def rate(self) -> float:
        return sum(c.rate for c in self.open_channels)


def _resolve_detectors(cfg: Config) -> list[Detector]:
    if cfg.detector.all_names:
        dets = [load_detector(n) for n in cfg.detector.all_names]
        names = [d.name for d in dets]
        if len(set(names)) != len(names):  # a user file named like another detector
            raise CardError(f"detector.names = {list(cfg.detector.all_names)}: two detectors are both called "
                            f"{next(n for n in names if names.count(n) > 1)!r} (a file's name is its stem); "
                            "rename one file")
        if cfg.detector.frame == "experiment":
            for d in dets:
                if d.frame is None:
                    raise CardError(f"detector.frame = \"experiment\": detector {d.name!r} defines no [frame]")
        return dets
    return [parse_detector({"shape": cfg.detector.shape, "material": cfg.detector.material}, "inline", "detector")]


def _targets(cfg: Config, detectors: list[Detector] | None = None) -> list[Target]:
    bdnmc = cfg.compat.bdnmc
    q2_cut = 10.0 if bdnmc else math.inf
    if cfg.signal.channel == "decay":
        lep = {"ee": (C.PDG_ELECTRON, C.M_E), "mumu": (13, C.M_MU), "hadrons": (-211, C.M_PIPM)}[
            cfg.signal.final_state]
        return [Target("lepton", lep[0], lep[1], FF.POINT, 1.0, math.inf)]
    if cfg.signal.channel == "coherent":
        from .materials import ELEMENTS

        elements = sorted({el for d in detectors or [] for v in d.fiducial for el in v.material.mass_fractions},
                          key=lambda el: ELEMENTS[el][0])
        out = []
        for el in elements:
            z, a_r = ELEMENTS[el]
            a = round(a_r)
            if bdnmc:  # BdNMC: M = Z m_p + (A - Z) m_n (PHYSICS.md 5.3)
                mass = z * C.BDNMC["m_p"] + (a - z) * C.BDNMC["m_n"]
            else:  # atomic mass (standard atomic weight x u) less the electrons
                mass = a_r * C.ATOMIC_MASS_UNIT - z * C.M_E
            charge = float(a) if cfg.model.name == "baryonic" else float(z)  # V_B couples to baryon number
            out.append(Target(el, 1000000000 + z * 10000 + a * 10, mass, FF.HELM, 0.0, math.inf, charge, float(a)))
        return out
    if cfg.signal.channel in INELASTIC:
        return [Target("proton", C.PDG_PROTON, C.M_P, FF.POINT, 0.0, math.inf),
                Target("neutron", C.PDG_NEUTRON, C.M_N, FF.POINT, 0.0, math.inf)]
    if cfg.signal.channel == "electron":
        m_e = C.BDNMC["m_e"] if bdnmc else C.M_E
        return [Target("electron", C.PDG_ELECTRON, m_e, FF.POINT, 1.0, math.inf)]
    dip = cfg.signal.form_factors == "dipole" and not bdnmc
    m_p = C.BDNMC["m_p"] if bdnmc else C.M_P
    m_n = C.BDNMC["m_n"] if bdnmc else C.M_N
    mu_p = C.BDNMC["mu_p"] if bdnmc else C.MU_P
    mu_n = C.BDNMC["mu_n"] if bdnmc else C.MU_N
    if cfg.model.name == "baryonic":
        # the baryon current: G_E^B = G_D, G_M^B = (mu_p + mu_n) G_D on p and n (bdgen.physics.models)
        return [Target("proton", C.PDG_PROTON, m_p, FF.DIPOLE_P, mu_p + mu_n, q2_cut),
                Target("neutron", C.PDG_NEUTRON, m_n, FF.DIPOLE_P, mu_p + mu_n, q2_cut)]
    return [
        Target("proton", C.PDG_PROTON, m_p, FF.DIPOLE_P if dip else FF.BBA03_P, mu_p, q2_cut),
        Target("neutron", C.PDG_NEUTRON, m_n, FF.DIPOLE_N if dip else FF.BBA03_N, mu_n, q2_cut),
    ]


def _g2max(t: Target, t_lo: float, q2_hi: float, hbarc: float) -> float:
    """Bound on max(G_E^2, G_M^2) (Z^2 F^2 for a nucleus) over the window's Q^2 = 2 m_T T >=
    2 m_T t_lo, up to q2_hi (GeV^2; ``hbarc`` in GeV fm as in the Helm F): for Helm the envelope of :func:`FF.helm_bound` at the window's
    lowest Q (with t_min well above 0 the nuclear F is far below F(0) = 1, and a bound at Q = 0
    would make the recoil rejection sampling practically never accept); otherwise a dense scan
    from that Q^2 with a 2% margin."""
    if t.ff_model == FF.POINT:
        return 1.0
    q2_lo = 2.0 * t.mass * max(t_lo, 0.0)
    if t.ff_model == FF.HELM:
        return 1.0001 * t.z * t.z * FF.helm_bound(math.sqrt(q2_lo), t.a, hbarc) ** 2
    q2 = np.concatenate([[q2_lo], np.geomspace(max(q2_lo, 1e-6), max(q2_hi, q2_lo, 1e-5), 4000)])
    best = 0.0
    for q in q2:
        ge, gm = FF.sachs(t.ff_model, q, t.mass, t.mu, t.q2_cut)
        best = max(best, ge * ge, gm * gm)
    return 1.02 * best


def brem_range(cfg: Config, beam: Beam) -> Any:
    """The (z_min, z_max, pt_max) range of proton bremsstrahlung (:class:`bdgen.beams.BremSettings`):
    the beam file's ``[brem]`` with the card's ``beam.brem_z_min/brem_z_max/brem_pt_max`` in its
    place where given (BdNMC's zmin, zmax, ptmax); None if neither gives a complete range.

    Raises CardError if the merged range is not 0 < z_min < z_max < 1.
    """
    from .beams import BremSettings

    over = {k: v for k, v in (("z_min", cfg.beam.brem_z_min), ("z_max", cfg.beam.brem_z_max),
                              ("pt_max", cfg.beam.brem_pt_max)) if v is not None}
    if beam.brem is None:
        if not over:
            return None
        if len(over) < 3:
            missing = [f"beam.brem_{k}" for k in ("z_min", "z_max", "pt_max") if k not in over]
            raise CardError(f"beam {beam.name!r} gives no [brem] range: the card must then set all of "
                            f"beam.brem_z_min, brem_z_max and brem_pt_max (missing: {', '.join(missing)})")
        b = BremSettings(**over)
    else:
        b = replace(beam.brem, **over)
    if over and not 0.0 < b.z_min < b.z_max < 1.0:
        raise CardError(f"beam.brem_z_min/brem_z_max: the range {b.z_min} < z < {b.z_max} (the beam file's "
                        f"values where the card sets none) is empty; need 0 < z_min < z_max < 1")
    return b


def _channel(name: str, cfg: Config, beam: Beam) -> ChannelSetup:
    """Rate, kinematics and spectrum of production channel ``name``, or why it is closed."""
    from .kernels import KIND_BREM, KIND_MESON_GAMMA, KIND_MIXING
    from .physics.brem import brem_params, brem_rate
    from .physics.meson_decays import MESONS, VECTOR_MESONS, br_eta_prime_bdnmc, br_vector_mixing, vector_meson_mass
    from .production.spectra import BREM, Spectrum

    m = cfg.model
    bdnmc = cfg.compat.bdnmc
    if cfg.signal.channel == "decay" and m.name != "inelastic":
        return _channel_visible(name, cfg, beam)
    cp = Couplings.from_config(cfg) if m.name in ("baryonic", "inelastic") else None
    if m.name == "baryonic" and name in _NOT_BARYONIC:
        return ChannelSetup(name, 0, 0.0, 0.0, 0.0, False, f"model.name = \"baryonic\": {_NOT_BARYONIC[name]}")
    pair = "chi pairs" if m.name != "inelastic" else "chi1 chi2"
    if name == "brem":
        br_chi = (br_to_chi(m.m_v, m.m_chi, m.epsilon, m.alpha_d, m.dirac, bdnmc=bdnmc) if cp is None
                  else cp.br_to_chi())
        b = brem_range(cfg, beam)
        if b is None:
            return ChannelSetup(name, C.PDG_PROTON, C.M_P, 1.0, 0.0, True, f"beam {beam.name!r} gives no [brem] range", KIND_BREM)
        if br_chi <= 0.0:
            return ChannelSetup(name, C.PDG_PROTON, C.M_P, 1.0, 0.0, True,
                                f"m_V = {m.m_v:.6g} GeV <= {'2 m_chi' if m.name != 'inelastic' else 'm_chi1 + m_chi2'}: "
                                f"an on-shell V cannot decay to {pair}", KIND_BREM)
        e_p = beam.proton_energy
        n_v = brem_rate(e_p, m.m_v, m.epsilon, b.z_min, b.z_max, b.pt_max, bdnmc=bdnmc)
        # BdNMC counts every V as a chi pair (PHYSICS.md section 8, item 14)
        br = n_v * (1.0 if bdnmc else br_chi)
        sp = Spectrum(BREM, brem_params(e_p, m.m_v, m.epsilon, b.z_min, b.z_max, bdnmc=bdnmc), b.z_max, b.pt_max,
                      p_min=b.z_min, label="brem")
        return ChannelSetup(name, C.PDG_PROTON, C.M_P, 1.0, br, True, None, KIND_BREM, sp, None, "blumlein_brunner")
    if name in _SPECIAL_SOURCES:
        return _channel_special(name, cfg, beam)
    if name == "drell_yan":
        return _channel_drell_yan(cfg, beam, cp)
    if name not in beam.mesons:
        return ChannelSetup(name, 0, 0.0, 0.0, 0.0, False, f"beam {beam.name!r} has no {name} source")
    src = beam.mesons[name]
    if name in VECTOR_MESONS:
        mass = vector_meson_mass(name)
        pdg = VECTOR_MESONS[name][0]
        m_pair = m.m_chi + (cp.m_chi2 if cp is not None else m.m_chi)
        if m_pair >= mass:
            what = "2 m_chi" if cp is None or m.name != "inelastic" else "m_chi1 + m_chi2"
            return ChannelSetup(name, pdg, mass, src.per_pot, 0.0, False,
                                f"{what} = {m_pair:.6g} GeV >= m_{name} = {mass:.6g} GeV", KIND_MIXING)
        br = br_vector_mixing(name, m.m_v, m.m_chi, m.epsilon, m.alpha_d, m.dirac, bdnmc=bdnmc, couplings=cp)
        if br <= 0.0 and m.name == "baryonic":
            return ChannelSetup(name, pdg, mass, src.per_pot, 0.0, False,
                                f"the {name} does not mix with V_B (isovector) and model.epsilon = 0", KIND_MIXING)
        return ChannelSetup(name, pdg, mass, src.per_pot, br, True, None, KIND_MIXING, src.generic(), None, src.model)
    tb = three_body(name, m.m_v, m.m_chi, m.epsilon, m.alpha_d, m.dirac, bdnmc=bdnmc, couplings=cp)
    pdg = MESONS[name][0]
    ml = cfg.production.meson_list
    spectrum, model_name, per_pot = src.generic(), src.model, src.per_pot
    if ml is not None and ml.get("meson", "pi0") == name:
        from .production.meson_list import check_mass, read_meson_list

        mesons = read_meson_list(ml["file"])
        check_mass(mesons, name, tb.m_meson)
        spectrum = _ListSpectrum(mesons)
        model_name = f"list {ml['file']}"
        per_pot = float(ml.get("per_pot", src.per_pot))
        src = type(src)(name, per_pot, src.spectrum, model_name)
    if not tb.open:
        return ChannelSetup(name, pdg, tb.m_meson, src.per_pot, 0.0, False,
                            (f"2 m_chi = {2 * m.m_chi:.6g} GeV >= m_{name} = {tb.m_meson:.6g} GeV"
                             if tb.m_chi2 is None else f"m_chi1 + m_chi2 = {math.sqrt(tb.s_min):.6g} GeV >= "
                             f"m_{name} = {tb.m_meson:.6g} GeV"), KIND_MESON_GAMMA)
    if src.per_pot <= 0:
        return ChannelSetup(name, pdg, tb.m_meson, 0.0, 0.0, False, f"{name} yield per POT is 0", KIND_MESON_GAMMA)
    if bdnmc and name == "eta_prime":
        # BdNMC's eta' rate (with its rho and omega terms), on shell (PHYSICS.md section 3.1)
        br = br_eta_prime_bdnmc(m.m_v, m.epsilon) * br_to_chi(m.m_v, m.m_chi, m.epsilon, m.alpha_d, m.dirac,
                                                                bdnmc=True)
        if br <= 0.0:
            return ChannelSetup(name, pdg, tb.m_meson, src.per_pot, 0.0, True,
                                "compat.bdnmc: BdNMC's eta' rate is zero here", KIND_MESON_GAMMA)
        return ChannelSetup(name, pdg, tb.m_meson, per_pot, br, True, None, KIND_MESON_GAMMA, spectrum, tb, model_name)
    on_shell = bool(bdnmc and bdnmc_uses_on_shell(tb))
    return ChannelSetup(name, pdg, tb.m_meson, per_pot, tb.branching_ratio(), on_shell, None, KIND_MESON_GAMMA,
                        spectrum, tb, model_name)


def _channel_drell_yan(cfg: Config, beam: Beam, cp: Any) -> ChannelSetup:
    """q qbar -> V at leading order (:mod:`bdgen.physics.drell_yan`), V -> dark pair on shell."""
    from .beams import pythia8_available
    from .kernels import KIND_MIXING
    from .physics import drell_yan as DY
    from .production.spectra import table_params, table_spectrum

    m = cfg.model
    name = "drell_yan"
    if m.m_v < DY.M_V_MIN:
        return ChannelSetup(name, C.PDG_DARK_PHOTON, m.m_v, 0.0, 0.0, False,
                            f"m_V = {m.m_v:.6g} GeV < {DY.M_V_MIN} GeV: the parton picture is not trusted "
                            "(the meson and bremsstrahlung channels cover light V)", KIND_MIXING)
    if not pythia8_available():
        return ChannelSetup(name, C.PDG_DARK_PHOTON, m.m_v, 0.0, 0.0, False,
                            "needs the parton densities of Pythia 8: pip install 'bdgen[pythia]'", KIND_MIXING)
    br = cp.br_to_chi() if cp is not None else br_to_chi(m.m_v, m.m_chi, m.epsilon, m.alpha_d, m.dirac,
                                                           bdnmc=cfg.compat.bdnmc)
    t = beam.target
    if br <= 0.0:
        return ChannelSetup(name, C.PDG_DARK_PHOTON, m.m_v, 0.0, 0.0, False,
                            "the on-shell V cannot decay to the dark pair", KIND_MIXING)
    eps = cp.meson_epsilon("pi0") if cp is not None and cp.baryonic else m.epsilon
    if cp is not None and cp.baryonic:
        return ChannelSetup(name, C.PDG_DARK_PHOTON, m.m_v, 0.0, 0.0, False,
                            "model.name = \"baryonic\": q qbar -> V_B is not modelled", KIND_MIXING)
    per_pot = DY.v_per_pot(beam.proton_momentum, m.m_v, eps, t.Z, t.A, t.interaction_length)
    if per_pot <= 0.0:
        return ChannelSetup(name, C.PDG_DARK_PHOTON, m.m_v, 0.0, 0.0, False,
                            f"sqrt(s) of the beam is below m_V = {m.m_v:.6g} GeV", KIND_MIXING)
    _edges, dens = DY.lab_momentum_density(beam.proton_momentum, m.m_v, eps, t.Z, t.A)
    # the V flies along the beam: one angular cell [0, 1e-9] rad
    sp = table_spectrum(table_params(dens[:, None] / max(dens.max(), 1e-300), beam.proton_momentum, 1e-9),
                        label="drell_yan")
    return ChannelSetup(name, C.PDG_DARK_PHOTON, m.m_v, per_pot, br, True, None, KIND_MIXING, sp, None,
                        "leading-order Drell-Yan (NNPDF2.3 LO)")


#: Channels the baryonic model does not offer, and why.
_NOT_BARYONIC = {
    "brem": "proton bremsstrahlung of V_B is not modelled (it needs the timelike baryon-current form factor)",
    "eta_prime": "the eta' coupling to V_B is not modelled",
    "eta_prime_rho": "the eta' coupling to V_B is not modelled",
    "eta_prime_omega": "the eta' coupling to V_B is not modelled",
    "pi_capture": "pi- p -> n V_B vanishes at threshold (the Kroll-Ruderman term needs the pion's electric charge)",
}

#: Channels whose parent is not a meson species of the beam file's own name.
_SPECIAL_SOURCES = ("eta_prime_rho", "eta_prime_omega", "pi_capture")


def _special_three_body(name: str, cfg: Config, beam: Beam) -> tuple[Any, float, Any, str, str | None]:
    """(ThreeBody, parents per POT, spectrum, model name, why closed) of eta' -> rho V*, omega V*
    and pi- capture at rest."""
    from .physics.meson_decays import capture, eta_prime_vector

    m = cfg.model
    bdnmc = cfg.compat.bdnmc
    if name == "pi_capture":
        cap = beam.capture
        if cap is None:
            return None, 0.0, None, "", f"beam {beam.name!r} has no [capture] source (stopped-pion beams only)"
        tb = capture(m.m_v, m.m_chi, m.epsilon, m.alpha_d, m.dirac, cap.radiative_fraction, bdnmc=bdnmc)
        return tb, cap.per_pot, _AtRest(), "at rest", None
    if "eta_prime" not in beam.mesons:
        return None, 0.0, None, "", f"beam {beam.name!r} has no eta_prime source"
    if bdnmc:
        return None, 0.0, None, "", "compat.bdnmc: BdNMC folds eta' -> rho V, omega V into its eta_prime rate"
    src = beam.mesons["eta_prime"]
    tb = eta_prime_vector(name.removeprefix("eta_prime_"), m.m_v, m.m_chi, m.epsilon, m.alpha_d, m.dirac)
    return tb, src.per_pot, src.generic(), src.model, None


def _channel_special(name: str, cfg: Config, beam: Beam) -> ChannelSetup:
    from .kernels import KIND_MESON_GAMMA
    from .physics.meson_decays import ETA_PRIME_VECTOR

    m = cfg.model
    pdg = C.PDG_PI_MINUS if name == "pi_capture" else C.PDG_ETAP
    tb, per_pot, spectrum, model_name, closed = _special_three_body(name, cfg, beam)
    if closed is not None:
        return ChannelSetup(name, pdg, 0.0, per_pot, 0.0, False, closed, KIND_MESON_GAMMA)
    if m.name == "inelastic":  # V* -> chi1 chi2 and the inelastic model's width
        cp = Couplings.from_config(cfg)
        tb = replace(tb, m_chi2=cp.m_chi2, gamma_v=cp.total_width())
    if not tb.open:
        what = "m_pi- + m_p - m_n" if name == "pi_capture" else f"m_eta' - m_{name.removeprefix('eta_prime_')}"
        return ChannelSetup(name, pdg, tb.m_meson, per_pot, 0.0, False,
                            f"m_chi1 + m_chi2 = {math.sqrt(tb.s_min):.6g} GeV >= {what} = "
                            f"{tb.m_meson - tb.m_recoil:.6g} GeV" if tb.m_chi2 is not None else
                            f"2 m_chi = {2 * m.m_chi:.6g} GeV >= {what} = {tb.m_meson - tb.m_recoil:.6g} GeV",
                            KIND_MESON_GAMMA)
    if per_pot <= 0:
        return ChannelSetup(name, pdg, tb.m_meson, 0.0, 0.0, False, f"{name} yield per POT is 0", KIND_MESON_GAMMA)
    assert name == "pi_capture" or name.removeprefix("eta_prime_") in ETA_PRIME_VECTOR
    on_shell = bool(cfg.compat.bdnmc and bdnmc_uses_on_shell(tb))
    return ChannelSetup(name, pdg, tb.m_meson, per_pot, tb.branching_ratio(), on_shell, None, KIND_MESON_GAMMA,
                        spectrum, tb, model_name)


def _channel_visible(name: str, cfg: Config, beam: Beam) -> ChannelSetup:
    """Production of an on-shell V for visible decays: ``branching_ratio`` is V per parent."""
    from .kernels import KIND_BREM, KIND_MESON_GAMMA, KIND_MIXING
    from .physics.brem import brem_params, brem_rate
    from .physics.meson_decays import MESONS, VECTOR_MESONS, br_eta_prime_bdnmc, br_two_body, meson_mass
    from .production.spectra import BREM, Spectrum

    m = cfg.model
    bdnmc = cfg.compat.bdnmc
    if name in VECTOR_MESONS:
        return ChannelSetup(name, VECTOR_MESONS[name][0], 0.0, 0.0, 0.0, False,
                            "vector-meson mixing makes an off-shell V* (no long-lived V)", KIND_MIXING)
    if name == "brem":
        b = brem_range(cfg, beam)
        if b is None:
            return ChannelSetup(name, C.PDG_PROTON, C.M_P, 1.0, 0.0, True, f"beam {beam.name!r} gives no [brem] range",
                                KIND_BREM)
        e_p = beam.proton_energy
        n_v = brem_rate(e_p, m.m_v, m.epsilon, b.z_min, b.z_max, b.pt_max, bdnmc=bdnmc)
        sp = Spectrum(BREM, brem_params(e_p, m.m_v, m.epsilon, b.z_min, b.z_max, bdnmc=bdnmc), b.z_max, b.pt_max,
                      p_min=b.z_min, label="brem")
        return ChannelSetup(name, C.PDG_PROTON, C.M_P, 1.0, n_v, True, None, KIND_BREM, sp, None, "blumlein_brunner")
    if name in _SPECIAL_SOURCES:
        pdg = C.PDG_PI_MINUS if name == "pi_capture" else C.PDG_ETAP
        tb, per_pot, spectrum, model_name, closed = _special_three_body(name, cfg, beam)
        if closed is not None:
            return ChannelSetup(name, pdg, 0.0, per_pot, 0.0, False, closed, KIND_MESON_GAMMA)
        if m.m_v >= tb.m_meson - tb.m_recoil:
            return ChannelSetup(name, pdg, tb.m_meson, per_pot, 0.0, True,
                                f"m_V = {m.m_v:.6g} GeV above the end point {tb.m_meson - tb.m_recoil:.6g} GeV: "
                                "no on-shell V", KIND_MESON_GAMMA)
        br_v = float(tb.production_shape(np.array(m.m_v**2)))
        return ChannelSetup(name, pdg, tb.m_meson, per_pot, br_v, True, None, KIND_MESON_GAMMA, spectrum, None,
                            model_name, tb.m_recoil, tb.process)
    if name not in beam.mesons:
        return ChannelSetup(name, 0, 0.0, 0.0, 0.0, False, f"beam {beam.name!r} has no {name} source")
    src = beam.mesons[name]
    mass = meson_mass(name, bdnmc=bdnmc)
    pdg = MESONS[name][0]
    if m.m_v >= mass:
        return ChannelSetup(name, pdg, mass, src.per_pot, 0.0, True,
                            f"m_V = {m.m_v:.6g} GeV >= m_{name} = {mass:.6g} GeV: no on-shell V", KIND_MESON_GAMMA)
    br_v = br_eta_prime_bdnmc(m.m_v, m.epsilon) if (bdnmc and name == "eta_prime") else br_two_body(
        name, m.m_v, m.epsilon, bdnmc=bdnmc)
    return ChannelSetup(name, pdg, mass, src.per_pot, br_v, True, None, KIND_MESON_GAMMA, src.generic(), None,
                        src.model)


@dataclass(frozen=True)
class _AtRest:
    """A parent at rest (radiative pi- capture) behind the spectrum interface (model AT_REST)."""

    @property
    def model(self) -> int:
        from .kernels import MODEL_AT_REST

        return MODEL_AT_REST

    @property
    def params(self) -> np.ndarray:
        return np.zeros(1)

    def envelope(self) -> Any:
        return _ListSpectrum(None).envelope()


@dataclass(frozen=True)
class _ListSpectrum:
    """A meson list behind the spectrum interface of the kernel tables (model LIST)."""

    mesons: Any

    @property
    def model(self) -> int:
        from .production.spectra import LIST

        return LIST

    @property
    def params(self) -> np.ndarray:
        return np.zeros(1)

    def envelope(self) -> Any:
        from .production.spectra import Envelope

        n_p = n_t = 160
        return Envelope(np.zeros(n_p + 1), np.zeros(n_t + 1), np.zeros((n_p, n_t)), np.ones(n_p * n_t), 1.0)


_BEAM_CACHE: dict[tuple[Any, ...], Beam] = {}
_BEAM_CACHE_LOCK = threading.Lock()


def _load_beam_cached(name: str, pi0_per_pot: float | None, eta_per_pi0: float | None, bdnmc: bool,
                      alternatives: bool, per_pi0: dict[str, float] | None = None) -> Beam:
    """:func:`bdgen.beams.load_beam`, kept for the process while the file is unchanged.

    A mass scan prepares one run per grid point; the beam, and with it every spectrum's
    rejection envelope and integrals (cached inside the Spectrum objects), is then built once
    and shared by all points.  The key includes the file's path and modification time.
    """
    from . import resources

    path = resources.data_file(resources.beams_dir(), name)
    stamp = path.stat().st_mtime_ns if path.is_file() else None
    key = (str(path), stamp, pi0_per_pot, eta_per_pi0, bdnmc, alternatives, tuple(sorted((per_pi0 or {}).items())))
    with _BEAM_CACHE_LOCK:
        hit = _BEAM_CACHE.get(key)
    if hit is not None:
        return hit
    beam = load_beam(name, pi0_per_pot=pi0_per_pot, eta_per_pi0=eta_per_pi0, bdnmc=bdnmc, alternatives=alternatives,
                     per_pi0=per_pi0)
    with _BEAM_CACHE_LOCK:
        if len(_BEAM_CACHE) >= 16:
            _BEAM_CACHE.clear()
        _BEAM_CACHE[key] = beam
    return beam


def prepare(cfg: Config) -> RunSetup:
    """Load the beam and detector and build every table the kernels need.

    Raises
    ------
    CardError
        For problems only visible in the beam or detector files.
    """
    bdnmc = cfg.compat.bdnmc
    beam = _load_beam_cached(cfg.beam.name, cfg.beam.pi0_per_pot, cfg.beam.eta_per_pi0, bdnmc,
                             cfg.production.spectrum_systematics, cfg.beam.per_pi0())
    dets = _resolve_detectors(cfg)
    m = cfg.model
    notes: list[str] = []
    channels = [_channel(name, cfg, beam) for name in cfg.production.channels]
    targets = _targets(cfg, dets)
    t_lo, t_hi = cfg.signal.t_min, cfg.signal.t_max
    if bdnmc and cfg.signal.channel == "electron":
        # BdNMC cuts on the electron's total energy (PHYSICS.md section 8, item 13).
        t_lo, t_hi = max(t_lo - targets[0].mass, 0.0), t_hi - targets[0].mass
    for d in dets:
        if d.beam is not None and d.beam != beam.name and not {d.beam, beam.name} <= {"bnb", "bnb_dump"}:
            notes.append(f"detector {d.name!r} is placed in the frame of beam {d.beam!r}, but the run uses "
                         f"beam {beam.name!r}")
    if cfg.production.spectrum_systematics:
        from . import resources
        from .beams import pythia8_available

        text = resources.data_file(resources.beams_dir(), cfg.beam.name).read_text()
        if '"pythia8"' in text and not pythia8_available():
            notes.append("production.spectrum_systematics: the beam file's pythia8 alternative was skipped "
                         "(pythia8mc is not installed; pip install 'bdgen[pythia]')")
        used = [src for name, src in beam.mesons.items() if name in cfg.production.channels]
        if not any(getattr(src, "alternatives", ()) for src in used):
            notes.append(f"production.spectrum_systematics: beam {beam.name!r} gives no alternative spectrum "
                         "model for the run's channels; no weight_<model> columns")
    if cfg.signal.channel == "decay" and (cfg.signal.t_min != 0.0 or cfg.signal.t_max != 1e9):
        notes.append("signal.t_min/t_max do not apply to signal.channel = decay: every decay inside the "
                     "fiducial volume is kept (cut on the lepton energies of the output instead)")
    if cfg.signal.channel in ("electron", "coherent"):
        from .config import builtin_card_path, read_card

        card_window = read_card(builtin_card_path("miniboone")).get("signal", {})
        if (cfg.signal.t_min, cfg.signal.t_max) == (card_window.get("t_min"), card_window.get("t_max")):
            notes.append(f"signal.t_min/t_max = {cfg.signal.t_min}/{cfg.signal.t_max} GeV is the built-in card's "
                         f"window for nucleon recoils; set your {cfg.signal.channel} analysis window")
    setup = RunSetup(cfg, beam, dets, channels, targets, {}, (t_lo, t_hi), notes)
    if setup.open_channels:
        setup.tables = _tables(setup)
    # the highest chi energy is below the beam energy: a window out of reach is closed
    e_need = (min(e_min(t_lo, m.m_chi, t.mass) for t in targets) if cfg.signal.channel not in ("decay", "flux")
              else 0.0)
    if e_need >= beam.proton_energy:
        notes.append(
            f"signal window closed: recoils above t_min = {t_lo} GeV need E_chi >= {e_need:.4g} GeV, "
            f"above the beam energy {beam.proton_energy:.4g} GeV"
        )
    return setup


def _aims(detectors: list[Detector]) -> np.ndarray:
    """Bounding sphere [cx, cy, cz, radius] (m) of each detector's fiducial volumes; shape (nd, 4)."""
    out = []
    for d in detectors:
        centres = np.array([v.shape.centre for v in d.fiducial])
        c = centres.mean(axis=0)
        r = max(float(np.linalg.norm(np.asarray(v.shape.centre) - c)) + 0.5 * v.shape.max_chord for v in d.fiducial)
        out.append([c[0], c[1], c[2], r])
    return np.array(out)


def _tables(setup: RunSetup) -> dict[str, Any]:
    cfg = setup.config
    m = cfg.model
    open_ch = setup.open_channels
    nc = len(open_ch)
    rates = np.array([c.rate for c in open_ch])
    envs = [c.spectrum.envelope() for c in open_ch]
    kpar = max(c.spectrum.params.size for c in open_ch)
    params = np.zeros((nc, kpar))
    for i, c in enumerate(open_ch):
        params[i, : c.spectrum.params.size] = c.spectrum.params
    s_list = [c.three_body.s_table() if c.three_body is not None else (np.zeros(2), np.array([0.0, 1.0]))
              for c in open_ch]
    ns = max(u.size for u, _ in s_list)
    # pad to a common length by repeating the last node (cdf = 1 there, never selected)
    s_u = np.array([np.pad(u, (0, ns - u.size), mode="edge") for u, _ in s_list])
    s_cdf = np.array([np.pad(cd, (0, ns - cd.size), mode="edge") for _, cd in s_list])
    s_mg = np.array([c.three_body.mg if c.three_body is not None else 0.0 for c in open_ch])
    s_fixed = np.zeros(nc)
    decay_mode = np.zeros(nc, dtype=np.int64)
    visible = _one_v_per_trial(cfg)
    for i, c in enumerate(open_ch):
        if visible:
            s_fixed[i] = m.m_v**2  # an on-shell V
            decay_mode[i] = 0
            continue
        if c.three_body is None:
            s_fixed[i] = m.m_v**2 if c.name == "brem" else 0.0
            # a Drell-Yan V is transversely polarised about the beam (its flight direction)
            decay_mode[i] = (2 if m.dirac else 1) if (c.name == "drell_yan" and not cfg.compat.bdnmc) else 0
            continue
        if c.on_shell:
            s_fixed[i] = m.m_v**2
        # BdNMC decays an on-shell V isotropically (PHYSICS.md section 8, item 3)
        decay_mode[i] = 0 if (cfg.compat.bdnmc and c.on_shell) else (2 if m.dirac else 1)
        if c.process == "capture" and decay_mode[i] in (1, 2):  # E1 capture also makes longitudinal V*
            decay_mode[i] += 2
    lists = [c.spectrum.mesons if isinstance(c.spectrum, _ListSpectrum) else None for c in open_ch]
    list_off = np.zeros(nc + 1, dtype=np.int64)
    for i, ml in enumerate(lists):
        list_off[i + 1] = list_off[i] + (len(ml) if ml is not None else 0)
    list_data = np.concatenate([ml.data for ml in lists if ml is not None] + [np.zeros((1, 8))])
    list_pos = np.array([1 if (ml is not None and ml.has_positions) else 0 for ml in lists], dtype=np.int64)
    tgt = setup.beam.target
    vtx = np.array([1.0 if cfg.production.vertex == "target" else 0.0, tgt.z_start, tgt.length, tgt.lambda_m])
    q2_hi = 2.0 * max(t.mass for t in setup.targets) * min(cfg.signal.t_max, 2.0 * setup.beam.proton_energy)
    tg = setup.targets
    hbarc = 0.197 if cfg.compat.bdnmc else FF.HBARC_GEV_FM
    out = {
        "chan_cdf": np.cumsum(rates) / rates.sum(),
        "kind": np.array([c.kind for c in open_ch], dtype=np.int64),
        "model": np.array([c.spectrum.model for c in open_ch], dtype=np.int64),
        "params": params,
        "env_p": np.array([e.p_edges for e in envs]),
        "env_t": np.array([e.theta_edges for e in envs]),
        "env_bound": np.array([e.bound for e in envs]),
        "env_cdf": np.array([e.cdf for e in envs]),
        "row_w": np.ones((nc, envs[0].bound.shape[0])),  # momentum importance weights (_momentum_bias)
        "m_parent": np.array([c.mass for c in open_ch]),
        "m_recoil": np.array([c.m_recoil for c in open_ch]),
        "capture": np.array([1 if c.process == "capture" else 0 for c in open_ch], dtype=np.int64),
        "m_chi2": Couplings.from_config(cfg).m_chi2,
        "p_parent": np.array([setup.beam.proton_momentum for _ in open_ch]),
        "s_u": s_u,
        "s_cdf": s_cdf,
        "s_mv2": m.m_v**2,
        "s_mg": s_mg,
        "s_fixed": s_fixed,
        "decay_mode": decay_mode,
        "vtx": vtx,
        "shapes": np.array([vol.shape.packed() for _, _, vol in setup.volumes]),
        "vol_det": np.array([d for d, _, _ in setup.volumes], dtype=np.int64),
        "vol_local": np.array([v for _, v, _ in setup.volumes], dtype=np.int64),
        "list_off": list_off,
        "list_data": np.ascontiguousarray(list_data),
        "list_pos": list_pos,
        "aims": _aims(setup.detectors),
        "lam": IMPORTANCE_FRACTION if (cfg.run.importance_sampling and not visible) else 0.0,
        "visible": 1 if visible else 0,
        "tg_mass": np.array([t.mass for t in tg]),
        "tg_density": np.array([[t.density(vol.material) for t in tg] for _, _, vol in setup.volumes]),
        "tg_ff": np.array([t.ff_model for t in tg], dtype=np.int64),
        "tg_mu": np.array([t.mu for t in tg]),
        "tg_q2cut": np.array([t.q2_cut for t in tg]),
        "tg_g2max": np.array([_g2max(t, setup.t_window[0], q2_hi, hbarc) for t in tg]),
        "tg_z": np.array([t.z for t in tg]),
        "tg_a": np.array([t.a for t in tg]),
        "hbarc": hbarc,
    }
    out["sig_table"] = _sigma_tables(setup, out)
    return out


#: Nodes of the per-run tables of the elastic cross-sections (bdgen.kernels.sigma_table).
SIGMA_TABLE_NODES = 4096


def _sigma_tables(setup: RunSetup, tb: dict[str, Any]) -> tuple[np.ndarray, ...]:
    """sigma(E) tables of the elastic, electron and coherent channels (empty for the others)."""
    from .kernels import sigma_table

    cfg = setup.config
    nt = len(setup.targets)
    if cfg.signal.channel not in ("electron", "nucleon", "coherent") or cfg.model.name == "inelastic":
        return np.zeros(nt), np.ones(nt), np.zeros(nt), np.zeros((nt, 0))
    t_lo, t_hi = setup.t_window
    m = cfg.model
    return sigma_table(m.m_chi, m.m_v, m.dirac, t_lo, t_hi, setup.beam.proton_energy + 1.0, tb["tg_mass"],
                       tb["tg_ff"], tb["tg_mu"], tb["tg_q2cut"], tb["tg_z"], tb["tg_a"], tb["hbarc"], GL_NODES,
                       GL_WEIGHTS, SIGMA_TABLE_NODES)


# ---------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """Events and summary of a run.

    Attributes
    ----------
    events : dict of str -> ndarray, each of shape (n_events,)
        Per-event columns (see :data:`EVENT_COLUMNS` and the README).
    summary : dict
        Run summary (the JSON of ``--summary``).
    config : Config
    per_detector : dict of str -> RunResult
        One result per detector (several for ``detector.names``).
    per_channel : dict of str -> RunResult
        One result per signal channel (several for ``signal.channels``; they share one chi sample).
    """

    events: dict[str, np.ndarray]
    summary: dict[str, Any]
    config: Config
    per_detector: dict[str, "RunResult"] = field(default_factory=dict, repr=False)
    per_channel: dict[str, "RunResult"] = field(default_factory=dict, repr=False)
    #: (production channel names, env_cdf, row_w, biased names) of the momentum importance
    #: sampling, so that the passes of a ``signal.channels`` run share one meson sample
    momentum_bias: Any = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.events["weight"].shape[0])

    def to_awkward(self) -> Any:
        """The events as an awkward Array of records."""
        import awkward as ak

        return ak.zip(self.events, depth_limit=1)


#: Output columns, their dtypes and descriptions (units: GeV, m, ns).
EVENT_COLUMNS: dict[str, tuple[str, str]] = {
    "event_id": ("i8", "sequential event number in the file"),
    "trial": ("i8", "global trial (meson decay) index; with chi_index identifies the event for any chunking"),
    "chi_index": ("i1", "0 for chi, 1 for chibar of the trial's pair"),
    "weight": ("f8", "expected number of such events for the run's POT"),
    "channel": ("i4", "production channel code (0 pi0, 1 eta, 2 rho, 3 omega, 4 phi, 5 brem, 6 eta_prime, "
                          "7 eta_prime_rho, 8 eta_prime_omega, 9 pi_capture, 10 drell_yan)"),
    "parent_pdg": ("i4", "PDG code of the parent: the meson, or 2212 (beam proton) for bremsstrahlung"),
    "parent_E": ("f8", "parent energy, GeV"), "parent_px": ("f8", "GeV"), "parent_py": ("f8", "GeV"),
    "parent_pz": ("f8", "GeV"),
    "v_E": ("f8", "V* (chi chibar system) energy, GeV"), "v_px": ("f8", "GeV"), "v_py": ("f8", "GeV"),
    "v_pz": ("f8", "GeV"),
    "chi_pdg": ("i4", "PDG code of the incoming chi (51/-51 scalar, 52/-52 Dirac)"),
    "chi_E": ("f8", "incoming chi energy, GeV"), "chi_px": ("f8", "GeV"), "chi_py": ("f8", "GeV"),
    "chi_pz": ("f8", "GeV"),
    "prod_x": ("f8", "production point, m"), "prod_y": ("f8", "m"), "prod_z": ("f8", "m"),
    "x": ("f8", "interaction vertex, m"), "y": ("f8", "m"), "z": ("f8", "m"),
    "t": ("f8", "time of the interaction, ns: time of flight from the production point (plus the listed "
                "meson time t for meson lists with positions)"),
    "t_spill": ("f8", "production time within the beam spill (the beam file's [timing]; 0 without), ns, from "
                "the spill's reference: the centre of the first bunch, the start of a flat spill or the "
                "centre of a Gaussian pulse (so it can be negative)"),
    "t_arrival": ("f8", "t_spill + t: the interaction time from the spill's reference (see t_spill), ns"),
    "delay": ("f8", "t minus the flight time of a massless particle from the production point to the vertex, ns"),
    "volume": ("i4", "index of the detector's fiducial volume holding the vertex"),
    "recoil_pdg": ("i4", "PDG code of the recoiling target (11, 2212, 2112, or a nucleus 100ZZZAAA0)"),
    "recoil_T": ("f8", "recoil kinetic energy, GeV"),
    "recoil_E": ("f8", "recoil energy, GeV"), "recoil_px": ("f8", "GeV"), "recoil_py": ("f8", "GeV"),
    "recoil_pz": ("f8", "GeV"),
    "chi_out_E": ("f8", "outgoing chi energy, GeV"), "chi_out_px": ("f8", "GeV"), "chi_out_py": ("f8", "GeV"),
    "chi_out_pz": ("f8", "GeV"),
}


def column_description(name: str) -> str | None:
    """The description (with units) of output column ``name``: :data:`EVENT_COLUMNS`, or the
    ``weight_<model>`` columns of ``production.spectrum_systematics``; None if unknown."""
    if name in EVENT_COLUMNS:
        return EVENT_COLUMNS[name][1]
    if name.startswith("weight_"):
        return (f"expected number of such events for the run's POT with the {name[len('weight_'):]} meson "
                "spectrum of the beam file instead of its default (production.spectrum_systematics)")
    return None


class _DetectorRun:
    """Accumulated events and statistics of one detector during a run."""

    def __init__(self, index: int, name: str, nc: int, spool: Any = None) -> None:
        self.index = index
        self.name = name
        self.spool = spool  # bdgen.io.stream.Spool for streamed runs, else events stay in memory
        self.parts: list[dict[str, np.ndarray]] = []
        self.n = 0
        self.s1 = np.zeros(max(nc, 1))
        self.s2 = np.zeros(max(nc, 1))
        self.s34 = np.zeros(2)  # sums over trials of (a/ref)^3 and (a/ref)^4 (all channels)
        self.ref = 0.0  # score scale of s34 (the first chunk's largest event probability)
        self.vov = math.nan
        self.n_eff = 0.0
        self.n_trials = 0
        self.n_cross = 0.0
        self.done = False
        self.wmax_used: float | None = None
        self.notes: list[str] = []

    def merged(self, release: bool = False) -> dict[str, np.ndarray]:
        """All parts concatenated; with ``release`` the parts are freed key by key (lower peak memory)."""
        if not self.parts:
            return {}
        out = {}
        for k in list(self.parts[0]):
            out[k] = np.concatenate([p[k] for p in self.parts])
            if release:
                for p in self.parts:
                    del p[k]
        if release:
            self.parts = [out]
        return out

    def add(self, part: dict[str, np.ndarray], n_cross: float, n_trials: int, run: Any, nc: int, scale: float) -> float:
        """Add one chunk; decide whether this detector is done.  Returns the relative error."""
        if self.spool is not None:
            self.spool.append(part)
        else:
            self.parts.append(part)
        self.n += part["prob"].shape[0]
        self.n_cross += n_cross
        self.n_trials = n_trials
        target_k = run.events
        if target_k is not None and self.n >= target_k:
            col = (lambda k: self.spool.column(k)) if self.spool is not None else (lambda k: self.merged()[k])
            cut = -1
            if run.unweighted:
                cut, self.wmax_used = _unweighted_cut(col("prob"), col("u_unw"), target_k)
            else:
                cut = target_k - 1
            if cut >= 0:
                trial_cut = int(col("trial")[cut])
                chi_cut = int(col("chi")[cut])
                n_chi_seen = 2 * trial_cut + chi_cut + 1
                self.n = cut + 1
                self.n_eff = 0.5 * n_chi_seen
                self.s1 = np.zeros_like(self.s1)
                self.s2 = np.zeros_like(self.s2)
                self.s34 = np.zeros(2)
                if self.ref == 0.0:
                    self.ref = float(np.max(col("prob"), initial=0.0))
                if self.spool is not None:
                    self.spool.truncate(cut + 1)
                    for _start, blk in self.spool.blocks(1_000_000, ["trial", "chan", "prob"]):
                        a1, a2, a34 = _trial_stats(blk["trial"], blk["chan"].astype(np.int64), blk["prob"], nc,
                                                   self.ref)
                        self.s1 += a1
                        self.s2 += a2
                        self.s34 += a34
                else:
                    ev = self.merged()
                    for key in ev:
                        ev[key] = ev[key][: cut + 1]
                    self.parts = [ev]
                    self.s1, self.s2, self.s34 = _trial_stats(ev["trial"], ev["chan"].astype(np.int64),
                                                              ev["prob"], nc, self.ref)
                self.vov = _vov(self.s1.sum(), self.s2.sum(), self.s34, self.n_eff, self.ref)
                self.done = True
                return math.nan
        if self.ref == 0.0:
            self.ref = float(np.max(part["prob"], initial=0.0))
        a1, a2, a34 = _trial_stats(part["trial"], part["chan"].astype(np.int64), part["prob"], nc, self.ref)
        self.s1 += a1
        self.s2 += a2
        self.s34 += a34
        self.n_eff = float(n_trials)
        est, err = _estimate(self.s1.sum(keepdims=True), self.s2.sum(keepdims=True), self.n_eff, scale)
        rel = float(err[0] / est[0]) if est[0] > 0 else math.inf
        self.vov = _vov(self.s1.sum(), self.s2.sum(), self.s34, self.n_eff, self.ref)
        # stop only once the error estimate itself is reliable (VOV_MAX): with a few trials
        # carrying most of the signal, the sample variance is small more often than not
        reliable = self.vov <= VOV_MAX or math.isnan(self.vov)  # nan: no spread at all
        if run.precision is not None and self.n > 0 and rel <= run.precision and reliable:
            self.done = True
        elif (run.precision is not None and self.n > 0 and n_trials >= NO_EVENT_LIMIT and rel > run.precision
              and n_trials * (rel / run.precision) ** 2 > OUT_OF_REACH * run.max_trials):
            # the error falls as 1/sqrt(N): the target needs ~N (rel/precision)^2 trials, far beyond
            # the cap (a margin, since one rare heavy trial can inflate rel for a while)
            need = n_trials * (rel / run.precision) ** 2
            self.notes.append(f"after {n_trials} trials the relative error is {rel:.3g}: run.precision = "
                              f"{run.precision:g} would need about {need:.2g} trials, more than run.max_trials = "
                              f"{run.max_trials}; stopped (the signal is {est[0]:.3g} +- {err[0]:.3g} events)")
            self.done = True
        elif self.n == 0 and n_trials >= NO_EVENT_LIMIT:
            self.notes.append(f"no event in {n_trials} trials: the signal is below "
                              f"{2.303 * scale / n_trials:.3g} events (90% CL; a loose bound, counting every trial "
                              "as at most one event; check that the window is reachable)")
            self.done = True
        return rel


def _unweighted_cut(prob: np.ndarray, u: np.ndarray, k: int) -> tuple[int, float | None]:
    """Smallest index c such that K events among 0..c are kept when event i is kept with
    probability prob_i / W(c), W(c) = max(prob[0..c]) (an exact bound for that prefix).

    The rule depends only on the sequence of events, not on how they were chunked; at the
    smallest such c exactly K events are kept (a step adds at most one, and a rise of W only
    removes).  Returns (c, W(c)) or (-1, None) if the sample is too short.
    """
    pm = np.maximum.accumulate(prob)
    jumps = np.flatnonzero(np.r_[True, pm[1:] != pm[:-1]])
    bounds = np.r_[jumps, prob.size]
    for a, b in zip(bounds[:-1], bounds[1:]):
        w = pm[a]
        kept = np.cumsum(u[:b] * w < prob[:b])
        hit = np.flatnonzero(kept[a:b] >= k)
        if hit.size:
            return int(a + hit[0]), float(w)
    return -1, None


def _trial_stats(trial: np.ndarray, chan: np.ndarray, prob: np.ndarray,
                 nc: int, ref: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per channel: sum over trials of a_j and of a_j^2, a_j = sum of prob in trial j; and over
    all channels, [sum of (a_j/ref)^3, sum of (a_j/ref)^4] (for :func:`_vov`; the scale ``ref``
    keeps the fourth powers of tiny probabilities, e.g. 1e-90 for a long-lived V, from
    underflowing).  Shapes (max(nc, 1),) twice and (2,)."""
    s1 = np.zeros(max(nc, 1))
    s2 = np.zeros(max(nc, 1))
    if trial.size == 0:
        return s1, s2, np.zeros(2)
    starts = np.flatnonzero(np.r_[True, trial[1:] != trial[:-1]])
    a = np.add.reduceat(prob, starts)
    c = chan[starts]
    np.add.at(s1, c, a)
    np.add.at(s2, c, a * a)
    return s1, s2, _scaled_powers(a, ref)


def _scaled_powers(a: np.ndarray, ref: float) -> np.ndarray:
    """[sum (a/ref)^3, sum (a/ref)^4] of per-trial scores a (shape (n,)), the scale keeping the
    fourth powers of tiny probabilities from underflowing; ref <= 0 means 1."""
    b = a / (ref if ref > 0.0 else 1.0)
    b2 = b * b
    return np.array([np.sum(b2 * b), np.sum(b2 * b2)])


def _vov(s1: float, s2: float, s34: np.ndarray, n: float, ref: float = 1.0) -> float:
    """Variance of the variance of the mean of n per-trial scores x_j (trials without an event
    score 0), from the power sums s_k = sum_j x_j^k (MCNP manual, LA-UR-03-1987, vol. I, section
    2.VI.D):  VOV = sum (x - m)^4 / [sum (x - m)^2]^2 - 1/n,  m = s1/n, with
    sum (x - m)^2 = s2 - n m^2 and sum (x - m)^4 = s4 - 4 m s3 + 6 m^2 s2 - 3 n m^4.
    It estimates the relative variance of the estimated variance of the mean; nan for n <= 1 or
    no spread.  ``s34`` holds the sums of (x/ref)^3 and (x/ref)^4 (VOV is scale-free).
    """
    if n <= 1:
        return math.nan
    r = ref if ref > 0.0 else 1.0
    s1, s2 = s1 / r, s2 / (r * r)
    m = s1 / n
    m2 = s2 - n * m * m
    if not m2 > 0.0:
        return math.nan
    m4 = s34[1] - 4.0 * m * s34[0] + 6.0 * m * m * s2 - 3.0 * n * m ** 4
    return float(max(m4, 0.0) / (m2 * m2) - 1.0 / n)


def _vov_note(vov: float, n_eff: float = math.inf) -> list[str]:
    """A summary note when the error estimate is unreliable (VOV above :data:`VOV_MAX`, or at
    most one effective trial)."""
    if n_eff <= 1:
        return ["the error estimate is unreliable: at most one effective trial (the error is undefined); "
                "run longer, e.g. with run.precision"]
    if math.isnan(vov) or vov <= VOV_MAX:
        return []
    return [f"the error estimate is unreliable: variance of the variance {vov:.2g} > {VOV_MAX} "
            "(a few trials carry most of the signal); run longer, e.g. with run.precision"]


def _estimate(s1: np.ndarray, s2: np.ndarray, n: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and its standard error per channel, times ``scale``.  With at most one effective
    trial (possible in events mode: the K-th event in the first trial) the error is undefined
    (nan); with none, both are 0."""
    if n <= 0:
        return np.zeros_like(s1), np.zeros_like(s1)
    if n <= 1:
        return scale * s1 / n, np.full_like(s1, np.nan)
    mean = s1 / n
    var = np.maximum(s2 / n - mean * mean, 0.0) / (n - 1)
    return scale * mean, scale * np.sqrt(var)


def run_produce(tb: dict[str, Any], k0: Any, k1: Any, start: int, n: int, m_chi: float,
                o_trial: np.ndarray, o_chi: np.ndarray, o_chan: np.ndarray, o_hit: np.ndarray,
                o_vol: np.ndarray | None = None) -> Any:
    """Call :func:`bdgen.kernels.produce` with the tables of :func:`prepare`."""
    from .kernels import produce

    if o_vol is None:
        o_vol = np.empty(o_trial.shape[0], dtype=np.int64)
    return produce(
        k0, k1, start, n, tb["chan_cdf"], tb["kind"], tb["model"], tb["params"], tb["env_p"], tb["env_t"],
        tb["env_bound"], tb["env_cdf"], tb["row_w"], tb["m_parent"], tb["m_recoil"], tb["p_parent"], tb["s_u"], tb["s_cdf"], tb["s_mv2"],
        tb["s_mg"], tb["s_fixed"], tb["decay_mode"], m_chi, tb["m_chi2"], tb["vtx"], tb["shapes"], tb["list_off"],
        tb["list_data"], tb["list_pos"], tb["aims"], tb["lam"], tb["visible"], o_trial, o_chi, o_chan, o_vol,
        o_hit,
    )


ProgressFn = Callable[[dict[str, Any]], None]


#: Seconds to wait for a Dask scheduler given by address (run.scheduler).
DASK_CONNECT_TIMEOUT = 30


class _DaskRunner:
    """Chunks on a Dask cluster: a local one with ``workers`` processes, or the scheduler at
    ``address``.  Dask reruns the tasks of a lost worker; chunks are pure functions of their
    trial range, so the results do not change."""

    def __init__(self, address: str | None, workers: int) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - depends on the installation
            raise CardError("run.workers / run.scheduler need Dask: pip install 'bdgen[dask]'") from None
        import logging

        self.cluster = None
        # Dask's own start-up and shutdown chatter (INFO records, and a CommClosedError traceback
        # when the client leaves with a cancelled chunk in flight) is not the user's business:
        # keep its errors only, here and in the worker processes; restored by close()
        self._log = logging.getLogger("distributed")
        self._log_level = self._log.level
        self._log.setLevel(logging.ERROR)
        try:
            if address:
                self.client = Client(address, timeout=DASK_CONNECT_TIMEOUT)
            else:
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
        except BaseException as exc:
            self._log.setLevel(self._log_level)
            if self.cluster is not None:
                self.cluster.close()
            if isinstance(exc, (OSError, TimeoutError)):
                where = f"run.scheduler = \"{address}\"" if address else f"run.workers = {workers}"
                raise CardError(f"{where}: cannot start or reach the Dask cluster ({exc})") from None
            raise
        self.n_slots = max(2 * sum(self.client.nthreads().values()), 2)

    def scatter(self, obj: Any) -> Any:
        return self.client.scatter(obj, broadcast=True)

    def submit(self, fn: Any, *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def close(self) -> None:
        try:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        finally:
            self._log.setLevel(self._log_level)


def _momentum_bias(ctx: dict[str, Any], setup: RunSetup, n_pilot: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Momentum importance sampling: the cell-selection CDFs and row weights of the production
    envelopes that draw mesons from f(p, theta) q(p) instead of f(p, theta), with weight 1/q.

    A pilot of ``n_pilot`` trials with its own random numbers (a key derived from the run's; the
    pilot is discarded, so the run stays unbiased and independent of chunking) gives the second
    moment of the per-trial score in momentum bins b of equal probability f_b under the spectrum
    (each detector's score divided by its pilot mean, so that every detector counts).  The score
    is the signal itself (scattering or decay probability x importance weight): a geometric
    proxy (chord x weight) misses the rise of the cross-section with the chi energy and left the
    heavy, electron-channel cases as heavy-tailed as analog sampling.  The passes of a
    ``signal.channels`` run reuse the first channel's bias, so that they share one meson sample.  The bias
    is the defensive mixture q(p) = 1/2 + 1/2 h_b/Z with h_b = sqrt(E[score^2 | b]) (the
    variance-minimising importance density, Owen, "Monte Carlo theory, methods and examples",
    ch. 9; the mixture keeps the weights <= 2, Hesterberg, Technometrics 37 (1995) 185) and
    Z = sum_b f_b h_b, so that sum_b f_b q_b = 1 exactly: the weight 1/q needs no other
    normalisation.  f_b comes from the envelope's cell integrals (4 x 4-point Gauss-Legendre per
    cell, :meth:`bdgen.production.spectra.Spectrum.cell_integrals`, exact to ~1e-7).  The
    rejection sampler then accepts (p, theta) with density f q because the cells are picked with
    probability proportional to bound x area x q.  Channels with a meson list, mesons at rest, a
    tabulated (Pythia) spectrum or bremsstrahlung, channels with fewer than
    ``MOMENTUM_MIN_TRIALS`` scoring pilot trials, and channels for which the pilot predicts less
    than a 10% gain (``MOMENTUM_MIN_GAIN``, cross-validated between the pilot's even and odd
    trials; e.g. a detector at 90 degrees), are not biased.

    Returns (env_cdf, row_w, names of the biased channels); shapes as ``tb["env_cdf"]`` and
    ``tb["row_w"]``.
    """
    from .kernels import HIT_COLS
    from .production.spectra import BMPT, BURMAN_SMITH, SANFORD_WANG

    tb = ctx["tb"]
    env_cdf = tb["env_cdf"].copy()
    row_w = np.ones_like(tb["row_w"])
    open_ch = setup.open_channels
    eligible = [i for i, c in enumerate(open_ch)
                if not isinstance(c.spectrum, _ListSpectrum) and c.spectrum.model in (SANFORD_WANG, BMPT, BURMAN_SMITH)]
    if not eligible or n_pilot <= 0:
        return env_cdf, row_w, []
    words = np.random.SeedSequence([int(ctx["k0"]), int(ctx["k1"]), 0x50494C4F54]).generate_state(2, dtype=np.uint32)
    pctx = {**ctx, "k0": np.uint64(words[0]), "k1": np.uint64(words[1])}
    res = compute_chunk(pctx, 0, n_pilot, 0.01)
    o_trial, o_chan, o_vol, o_hit, sc = res[0], res[2], res[3], res[4], res[6]
    prob = sc[:, 0] * o_hit[:, HIT_COLS.index("w_is")]  # the signal probability of each crossing
    if not np.any(prob > 0):
        return env_cdf, row_w, []
    det = tb["vol_det"][o_vol]
    mu = np.bincount(det, weights=prob, minlength=int(det.max()) + 1)
    score = np.divide(prob, mu[det], out=np.zeros_like(prob), where=mu[det] > 0)
    starts = np.flatnonzero(np.r_[True, o_trial[1:] != o_trial[:-1]])
    a = np.add.reduceat(score, starts)
    chan = o_chan[starts].astype(np.int64)
    p_mes = np.sqrt(np.sum(o_hit[starts, 1:4] ** 2, axis=1))
    biased = []
    for c in eligible:
        sel = (chan == c) & (a > 0)
        if np.count_nonzero(sel) < MOMENTUM_MIN_TRIALS:
            continue
        sp = open_ch[c].spectrum
        env = sp.envelope()
        i_row = sp.cell_integrals().sum(axis=1)
        f_row = i_row / i_row.sum()
        mid = np.cumsum(f_row) - 0.5 * f_row
        b_row = np.minimum((mid * MOMENTUM_BINS).astype(np.int64), MOMENTUM_BINS - 1)
        f_b = np.bincount(b_row, weights=f_row, minlength=MOMENTUM_BINS)
        r = np.clip(np.searchsorted(env.p_edges, p_mes[sel], side="right") - 1, 0, f_row.size - 1)
        b_j, a2_j = b_row[r], a[sel] ** 2
        half = (o_trial[starts][sel] % 2).astype(bool)  # two independent halves of the pilot

        def mixture(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """(q_b, S_b) from the pilot trials in ``mask``: S_b = sum of score^2 in bin b."""
            s_b = np.bincount(b_j[mask], weights=a2_j[mask], minlength=MOMENTUM_BINS)
            h_b = np.sqrt(np.divide(s_b, f_b, out=np.zeros_like(s_b), where=f_b > 0))
            z = float(np.sum(f_b * h_b))
            return (0.5 + 0.5 * h_b / z if z > 0 else np.ones(MOMENTUM_BINS)), s_b

        # predicted second moment with the bias over the analog one, sum_b S_b / q_b over
        # sum_b S_b, cross-validated (q from one half, S from the other: the same data would
        # flatter a noisy q); no bias unless it gains 10%
        q_even, s_even = mixture(~half)
        q_odd, s_odd = mixture(half)
        ratio = 0.5 * (float(np.sum(s_odd / q_even)) / max(float(np.sum(s_odd)), 1e-300)
                       + float(np.sum(s_even / q_odd)) / max(float(np.sum(s_even)), 1e-300))
        if not (np.any(half) and np.any(~half)) or ratio > MOMENTUM_MIN_GAIN:
            continue
        q_row = mixture(np.ones(half.size, dtype=bool))[0][b_row]
        row_w[c] = 1.0 / q_row
        mass = np.diff(np.r_[0.0, env.cdf]).reshape(env.bound.shape) * q_row[:, None]
        cdf = np.cumsum(mass.ravel())
        env_cdf[c] = cdf / cdf[-1]
        biased.append(open_ch[c].name)
    return env_cdf, row_w, biased


def compute_chunk(ctx: dict[str, Any], start: int, n: int, hit_rate: float) -> tuple[Any, ...]:
    """Production and scattering (or visible decays) of trials start..start+n-1.

    A pure function of its arguments (the random numbers are keyed by trial), so chunks can run
    on threads or on Dask workers in any order, and a lost chunk can simply be recomputed.
    ``ctx`` holds the kernel tables, the RNG key and the model numbers; ``hit_rate`` (crossings
    per trial) only sizes the output buffers.
    """
    from .kernels import KIND_MESON_GAMMA, N_HIT_COLS, N_SCAT_COLS, decay_visible, scatter

    tb = ctx["tb"]
    k0, k1 = ctx["k0"], ctx["k1"]
    vol_local = tb["vol_local"]
    visible = ctx["visible"]
    cap = max(1024, int(1.3 * hit_rate * n) + 1024)
    while True:
        o_trial = np.empty(cap, dtype=np.int64)
        o_chi = np.empty(cap, dtype=np.int8)
        o_chan = np.empty(cap, dtype=np.int8)
        o_vol = np.empty(cap, dtype=np.int64)
        o_hit = np.empty((cap, N_HIT_COLS))
        n_hits, _pc, viol = run_produce(tb, k0, k1, start, n, ctx["m_chi"], o_trial, o_chi, o_chan, o_hit, o_vol)
        if n_hits <= cap:
            break
        cap = n_hits
    o_trial, o_chi, o_chan, o_vol, o_hit = (o_trial[:n_hits], o_chi[:n_hits], o_chan[:n_hits], o_vol[:n_hits],
                                            o_hit[:n_hits])
    chi64 = o_chi.astype(np.int64)
    local = vol_local[o_vol]
    sc = np.empty((n_hits, N_SCAT_COLS))
    o_target = np.empty(n_hits, dtype=np.int64)
    stream = STAGE_SCATTER + 2 * local + chi64
    xc = np.empty((n_hits, 0))
    if ctx.get("flux"):
        sc, o_target, xc = _flux_crossings(o_hit)
    elif ctx.get("idm") is not None:
        sc, o_target, xc, v_idm = _decay_chi2(ctx, o_trial, o_chi, stream, o_hit)
        viol += v_idm
    elif ctx.get("inelastic") is not None:
        sc, o_target, xc = _scatter_inelastic(ctx, o_trial, o_vol, stream, o_hit)
    elif ctx.get("idm_scatter") is not None:
        from .kernels import scatter_idm

        t_lo, t_hi = ctx["t_window"]
        m1, m2, ctau2 = ctx["idm_scatter"]
        viol += scatter_idm(
            k0, k1, o_trial, chi64, o_vol, stream, o_hit, m1, m2, ctx["m_v"], ctx["coupling"], t_lo, t_hi,
            tb["tg_mass"], tb["tg_density"], tb["tg_ff"], tb["tg_mu"], tb["tg_q2cut"], GL_NODES, GL_WEIGHTS,
            C.C_M_PER_NS, C.GEV2_TO_M2, sc, o_target, tb["tg_z"], tb["tg_a"], tb["hbarc"], ctau2,
        )
        xc, v_dec = _upscattered_chi2_decays(ctx, o_trial, chi64, stream, sc)
        viol += v_dec
    elif visible is not None:
        chan64 = o_chan.astype(np.int64)
        polarised = (tb["kind"][chan64] == KIND_MESON_GAMMA).astype(np.int64)
        polarised[tb["capture"][chan64] == 1] = 2  # pi- capture: transverse and longitudinal
        decay_visible(k0, k1, o_trial, o_vol, stream, o_hit, polarised, ctx["m_v"], visible[0], visible[1],
                      visible[2], C.C_M_PER_NS, sc, o_target, visible[3])
    else:
        t_lo, t_hi = ctx["t_window"]
        viol += scatter(
            k0, k1, o_trial, chi64, o_vol, stream, o_hit, ctx["m_chi"], ctx["m_v"], ctx["coupling"], ctx["dirac"],
            t_lo, t_hi, tb["tg_mass"], tb["tg_density"], tb["tg_ff"], tb["tg_mu"], tb["tg_q2cut"], tb["tg_g2max"],
            GL_NODES, GL_WEIGHTS, C.C_M_PER_NS, C.GEV2_TO_M2, sc, o_target, tb["tg_z"], tb["tg_a"], tb["hbarc"],
            *tb["sig_table"],
        )
    if ctx.get("angle_window") is not None:
        recoil_angle_cut(sc, *ctx["angle_window"])
    if ctx.get("timing_cut") is not None:
        timing_cut_factor(sc, o_hit, *ctx["timing_cut"])
    u_unw = uniforms_for(k0, k1, o_trial, STAGE_UNWEIGHT, 2 * local + chi64)
    return o_trial, o_chi, o_chan, o_vol, o_hit, chi64, sc, o_target, u_unw, viol, xc


def _flux_crossings(hit: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """signal.channel = "flux": every chi crossing a fiducial volume is an event of probability 1
    (BdNMC's ``dm_detector_distribution`` output).

    ``hit`` (n, N_HIT_COLS) holds the crossings; returns the scatter table (n, N_SCAT_COLS) with
    the vertex and time at the entry point x0 + t_in d (m) and t0 + t_in/(beta c) (ns), the
    outgoing chi equal to the incoming one, no recoil (zeros, target index 0), and the extra
    column chord_length = t_out - t_in (m), shape (n, 1).  sum(weight x chord_length) x n sigma
    is then the rate of any process of cross-section sigma on targets of density n.
    """
    from .kernels import HIT_COLS, N_SCAT_COLS

    n = hit.shape[0]
    i = HIT_COLS.index("chi_E")
    e = hit[:, i]
    p3 = hit[:, i + 1:i + 4]
    p = np.sqrt(np.sum(p3 * p3, axis=1))
    safe = np.where(p > 0, p, 1.0)
    t_in = hit[:, HIT_COLS.index("t_in")]
    x0 = hit[:, HIT_COLS.index("x0"):HIT_COLS.index("t0")]
    sc = np.zeros((n, N_SCAT_COLS))
    sc[:, 0] = 1.0
    sc[:, 6] = e
    sc[:, 7:10] = p3
    sc[:, 10:13] = x0 + t_in[:, None] * p3 / safe[:, None]
    sc[:, 13] = hit[:, HIT_COLS.index("t0")] + t_in * e / safe / C.C_M_PER_NS
    chord = (hit[:, HIT_COLS.index("t_out")] - t_in)[:, None]
    return sc, np.zeros(n, dtype=np.int64), chord


def timing_cut_factor(sc: np.ndarray, hit: np.ndarray, timing_cut: float, exit_point: bool = False) -> None:
    """Apply ``signal.timing_cut`` in place: multiply the signal probability ``sc[:, 0]`` by
    min(1, delay/timing_cut), BdNMC's ``t_delay_fraction`` (its main.cpp).

    That factor is the probability that a chi produced at a time drawn uniformly over a window
    of length ``timing_cut`` (ns) arrives after the window's end, given its delay behind a
    massless particle: the signal surviving a cut that removes everything arriving in time
    with the (prompt) neutrinos.  The delay is bdgen's output column ``delay``: the vertex time
    ``sc[:, 13]`` minus the production time and the light travel time from the production
    point (``hit`` columns x0, y0, z0, t0) to the vertex ``sc[:, 10:13]`` (m, ns).  With
    ``exit_point`` (``compat.bdnmc`` and an elastic channel) it is taken, as BdNMC does, at
    the point where the chi leaves the detector: L (1/beta - 1)/c with L = ``t_out`` (m).

    Shapes: ``sc`` (n, N_SCAT_COLS), ``hit`` (n, N_HIT_COLS).
    """
    from .kernels import HIT_COLS

    if exit_point:
        i = HIT_COLS.index("chi_E")
        e = hit[:, i]
        p = np.sqrt(np.sum(hit[:, i + 1:i + 4] ** 2, axis=1))
        length = hit[:, HIT_COLS.index("t_out")]
        delay = length * (e / np.where(p > 0, p, 1.0) - 1.0) / C.C_M_PER_NS
    else:
        x0 = hit[:, HIT_COLS.index("x0"):HIT_COLS.index("t0")]
        dist = np.sqrt(np.sum((sc[:, 10:13] - x0) ** 2, axis=1))
        delay = sc[:, 13] - hit[:, HIT_COLS.index("t0")] - dist / C.C_M_PER_NS
    sc[:, 0] *= np.clip(delay / timing_cut, 0.0, 1.0)


def recoil_angle_cut(sc: np.ndarray, angle_min: float, angle_max: float) -> None:
    """Apply ``signal.angle_min/angle_max`` in place: zero the signal probability ``sc[:, 0]`` of
    every scatter whose recoil (``sc[:, 3:6]``, GeV) leaves at a lab polar angle to the beam axis
    (+z) outside [angle_min, angle_max] (rad).

    ``sc`` has shape (n, N_SCAT_COLS) (columns :data:`bdgen.kernels.SCAT_COLS`).  The recoil is
    drawn from dσ/dT inside the T window, so a scatter's probability times the indicator of the
    cut is an unbiased estimate of the rate in the joint (T, angle) window.  This is BdNMC's
    min/max_scatter_angle cut (its ``Electron_Scatter``/``Nucleon_Scatter``: the recoil's
    ``Theta()``, the angle to the z axis), applied by dropping the scatter, as BdNMC does.
    """
    from .kinematics import in_angle_window

    sc[~in_angle_window(sc[:, 3], sc[:, 4], sc[:, 5], angle_min, angle_max), 0] = 0.0


def _decay_chi2(ctx: dict[str, Any], o_trial: np.ndarray, o_chi: np.ndarray, stream: np.ndarray,
                o_hit: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """chi2 -> chi1 l- l+ decays inside the detector (inelastic dark matter).

    For each chi2 line (chi index 1) crossing a volume between t_in and t_out from its
    production point, the probability to decay there is BR (exp(-t_in/L) - exp(-t_out/L)),
    L = (p/m2) c tau; the decay point follows the truncated exponential and the decay products
    :func:`bdgen.physics.inelastic_dm.sample_decay`.  chi1 lines get prob = 0.  Columns as for
    visible V decays (``recoil_*`` the l-, ``chi_out_*`` the l+, T the l- kinetic energy) and
    the chi1 of the decay as extra columns.
    """
    from .kernels import N_SCAT_COLS
    from .physics.inelastic_dm import sample_decay
    from .rng import EventStreams

    d = ctx["idm"]
    n = o_trial.shape[0]
    sc = np.zeros((n, N_SCAT_COLS))
    o_target = np.zeros(n, dtype=np.int64)
    xc = np.zeros((n, 4))
    sel = np.flatnonzero(o_chi == 1)
    if not sel.size:
        return sc, o_target, xc, 0
    h = o_hit[sel]
    e = h[:, 8]
    p3 = h[:, 9:12]
    p = np.sqrt((p3 * p3).sum(axis=1))
    lam = p / d["m2"] * d["ctau"]
    a_in = np.exp(-h[:, 12] / lam)
    q_dec = -np.expm1(-(h[:, 13] - h[:, 12]) / lam)  # decay fraction inside, given survival to the entry
    streams = EventStreams(ctx["k0"], ctx["k1"], o_trial[sel], stream[sel])
    u = streams.uniform(np.arange(sel.size), 0)
    span = a_in * q_dec  # exp(-t_in/lam) - exp(-t_out/lam) without cancellation
    dist = np.where(q_dec > 0, h[:, 12] - lam * np.log1p(-u[:, 0] * q_dec), 0.5 * (h[:, 12] + h[:, 13]))
    fs = EventStreams(ctx["k0"], ctx["k1"], o_trial[sel], stream[sel] + _STAGE_FINAL_OFFSET)
    chi1, lm, lp, viol = sample_decay(h[:, 8:12], d["m1"], d["m2"], d["m_v"], d["gamma_v"], d["m_l"], fs,
                                      np.arange(sel.size))

    sc[sel, 0] = d["br"] * span
    sc[sel, 1] = lm[:, 0] - d["m_l"]
    sc[sel, 2:6] = lm
    sc[sel, 6:10] = lp
    for j in range(3):
        sc[sel, 10 + j] = h[:, 14 + j] + dist * p3[:, j] / p
    sc[sel, 13] = h[:, 17] + dist / (C.C_M_PER_NS * p / e)
    xc[sel] = chi1
    return sc, o_target, xc, viol


def _inelastic_sigma_table(module: str, m_chi: float, m_v: float, dirac: bool, target: str, e_max: float
                           ) -> tuple[float, np.ndarray, np.ndarray]:
    """(E_threshold, ln(E - E_th) nodes, ln(sigma/coupling)) of an inelastic channel on 400 nodes
    from 0.1 MeV above its threshold to the beam energy; the run interpolates linearly in these
    logarithms (accurate to 1e-3, tested) instead of integrating sigma for every chi."""
    import importlib

    mod = importlib.import_module(module)
    e_th = float(mod.e_threshold(m_chi, target) if hasattr(mod, "e_threshold") else mod.threshold(m_chi, target))
    hi = max(e_max - e_th, 2.0 * _THRESHOLD_MARGIN)
    lx = np.linspace(math.log(_THRESHOLD_MARGIN), math.log(hi), 400)
    sig = np.asarray(mod.sigma(e_th + np.exp(lx), m_chi, m_v, 1.0, dirac, target), dtype=float)
    return e_th, lx, np.log(np.maximum(sig, 1e-300))


def _upscattered_chi2_decays(ctx: dict[str, Any], o_trial: np.ndarray, chi64: np.ndarray, stream: np.ndarray,
                             sc: np.ndarray) -> tuple[np.ndarray, int]:
    """The decay chi2 -> chi1 l+ l- of the chi2 made by chi1 T -> chi2 T (inelastic dark matter).

    Each upscattered chi2 (chi index 0, prob > 0) decays after a distance drawn from the
    exponential of mean (p/m2) c tau from the scattering vertex (inside the detector or not: the
    columns give the vertex, and whether it lies in the volume is the user's cut); the lepton
    flavour is e or mu in proportion to the partial widths, and the products follow
    :func:`bdgen.physics.inelastic_dm.sample_decay`.  Random numbers: the stream at the
    scattering stage + 8192.  Returns the extra columns (n, len(IDM_UPSCATTER_COLUMNS)) and the
    sampler's bound violations.
    """
    from .physics.inelastic_dm import sample_decay
    from .rng import EventStreams

    n = o_trial.shape[0]
    xc = np.zeros((n, len(IDM_UPSCATTER_COLUMNS)))
    up = np.flatnonzero((chi64 == 0) & (sc[:, 0] > 0.0))
    d = ctx["idm_decay"]
    if not up.size or not math.isfinite(d["ctau"]):
        return xc, 0
    out_chi = sc[up, 6:10]
    p = np.sqrt((out_chi[:, 1:] ** 2).sum(axis=1))
    lam = p / d["m2"] * d["ctau"]
    streams = EventStreams(ctx["k0"], ctx["k1"], o_trial[up], stream[up] + 2 * _STAGE_FINAL_OFFSET)
    u = streams.uniform(np.arange(up.size), 0)
    dist = -lam * np.log(u[:, 0])
    vtx = sc[up, 10:13] + dist[:, None] * out_chi[:, 1:] / p[:, None]
    t = sc[up, 13] + dist / (C.C_M_PER_NS * p / out_chi[:, 0])
    mu = u[:, 1] >= d["br_ee"]
    viol = 0
    cols = np.zeros((up.size, 1 + 4 + 1 + 12))
    for flavour, m_l, pdg in ((False, C.M_E, C.PDG_ELECTRON), (True, C.M_MU, 13)):
        sel = np.flatnonzero(mu == flavour)
        if not sel.size:
            continue
        fs = EventStreams(ctx["k0"], ctx["k1"], o_trial[up][sel], stream[up][sel] + 3 * _STAGE_FINAL_OFFSET)
        chi1, lm, lp, v = sample_decay(out_chi[sel], d["m1"], d["m2"], d["m_v"], d["gamma_v"], m_l, fs,
                                       np.arange(sel.size))
        viol += v
        cols[sel, 5] = pdg
        cols[sel, 6:10] = lm
        cols[sel, 10:14] = lp
        cols[sel, 14:18] = chi1
    cols[:, 0] = 1.0
    cols[:, 1:4] = vtx
    cols[:, 4] = t
    xc[up] = cols
    return xc, viol


#: Energy (GeV) above an inelastic channel's threshold below which a chi does not interact.
_THRESHOLD_MARGIN = 1e-4

#: Offset of the final-state streams of the inelastic channels from the scattering stage.
_STAGE_FINAL_OFFSET = 4096


def _scatter_inelastic(ctx: dict[str, Any], o_trial: np.ndarray, o_vol: np.ndarray, stream: np.ndarray,
                       o_hit: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interaction probability and one sampled final state for each crossing chi (inelastic
    channels: :data:`INELASTIC`).

    As :func:`bdgen.kernels.scatter`: ``prob`` = sum_i n_i sigma_i(E) B_i L with B_i the
    branching fraction of the channel's final state; the target is chosen in proportion to
    n_i sigma_i B_i, the vertex uniformly along the chord.  ``T`` holds the energy transfer
    nu = E_chi - E_chi' (what the signal window cuts on), ``recoil_*`` the hadronic system
    (the Delta, or X).  Events outside the window get prob = 0 (an unbiased estimate of the
    in-window rate).  Random numbers: the (trial, stage) stream of the crossing for the target
    and vertex, the stream at stage + 4096 for the final state (bdgen.rng.EventStreams).

    Returns (scat, target index, extra columns (n, k) in the order of INELASTIC_COLUMNS).
    """
    import importlib

    from .kernels import N_SCAT_COLS
    from .rng import EventStreams

    spec = ctx["inelastic"]
    mod = importlib.import_module(spec["module"])
    names = list(INELASTIC_COLUMNS[spec["channel"]])
    n = o_trial.shape[0]
    sc = np.zeros((n, N_SCAT_COLS))
    o_target = np.full(n, -1, dtype=np.int64)
    xc = np.zeros((n, len(names)))
    if n == 0:
        return sc, o_target, xc
    e = o_hit[:, 8]
    p3 = o_hit[:, 9:12]
    length = o_hit[:, 13] - o_hit[:, 12]
    dens = spec["density"][o_vol]
    nt = len(spec["targets"])
    rates = np.zeros((n, nt))
    for i, tname in enumerate(spec["targets"]):
        e_th, lx, lsig = spec["sigma_tables"][i]
        # within 0.1 MeV of the threshold sigma is below 1e-15 of its plateau (and the sampler's
        # phase space vanishes): these chi are given no interaction
        has = (dens[:, i] > 0.0) & (e > e_th + _THRESHOLD_MARGIN)
        if np.any(has):
            sg = np.exp(np.interp(np.log(e[has] - e_th), lx, lsig)) * ctx["coupling"]
            br = mod.branching(spec["final"], tname) if spec["final"] is not None else 1.0
            rates[has, i] = dens[has, i] * sg * br * C.GEV2_TO_M2
    total = rates.sum(axis=1)
    k0, k1 = ctx["k0"], ctx["k1"]
    u = EventStreams(k0, k1, o_trial, stream).uniform(np.arange(n), 0)
    cum = np.cumsum(rates, axis=1)
    it = np.minimum((u[:, :1] * total[:, None] > cum).sum(axis=1), nt - 1)
    fs = EventStreams(k0, k1, o_trial, stream + _STAGE_FINAL_OFFSET)
    out_chi = np.zeros((n, 4))
    out_rec = np.zeros((n, 4))
    for i, tname in enumerate(spec["targets"]):
        idx = np.flatnonzero((it == i) & (total > 0.0))
        if not idx.size:
            continue
        o_target[idx] = i
        if spec["final"] is None:
            res = mod.sample(e[idx], p3[idx], ctx["m_chi"], ctx["m_v"], ctx["dirac"], tname, fs, idx)
            rec = res["hadrons"]
            extra = {"quark_pdg": res["quark_pdg"], **{f"quark_{c}": res["quark"][:, j] for j, c in enumerate(_P4)},
                     "x_bj": res["x"], "y_inel": res["y"], "W": res["w"], "Q2": res["q2"]}
        else:
            res = mod.sample(e[idx], p3[idx], ctx["m_chi"], ctx["m_v"], ctx["dirac"], tname, fs, idx,
                             final=spec["final"])
            rec = res["delta"]
            extra = {"W": res["w"], "Q2": res["q2"]}
            for part in ("nucleon", "pi0", "gamma1", "gamma2", "gamma"):
                if part in res:
                    extra.update({f"{part}_{c}": res[part][:, j] for j, c in enumerate(_P4)})
        out_chi[idx] = res["chi_out"]
        out_rec[idx] = rec
        for j, name in enumerate(names):
            xc[idx, j] = extra[name]
    pnorm = np.sqrt((p3 * p3).sum(axis=1))
    nu = e - out_chi[:, 0]
    t_lo, t_hi = ctx["t_window"]
    inside = (o_target >= 0) & (nu >= t_lo) & (nu <= t_hi)
    sc[:, 0] = np.where(inside, total * length, 0.0)
    sc[:, 1] = nu
    sc[:, 2:6] = out_rec
    sc[:, 6:10] = out_chi
    d = o_hit[:, 12] + u[:, 1] * length
    safe = np.where(pnorm > 0, pnorm, 1.0)
    for j in range(3):
        sc[:, 10 + j] = o_hit[:, 14 + j] + d * p3[:, j] / safe
    sc[:, 13] = o_hit[:, 17] + d / (C.C_M_PER_NS * safe / e)
    return sc, o_target, xc


def _n_threads(requested: int) -> int:
    """Worker threads: ``requested``, or every core available to the process for 0."""
    if requested > 0:
        return requested
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def generate(
    config: Config,
    *,
    seed: int | None = None,
    chunk_size: int | None = None,
    progress: ProgressFn | None = None,
    stream_to: str | None = None,
    overwrite: bool = False,
    _momentum_bias: Any = None,
) -> RunResult:
    """Generate the events of a run.

    Parameters
    ----------
    config : Config
        A validated card (:func:`bdgen.load_card`).
    seed : int, optional
        Overrides ``run.seed``; if both are None fresh entropy is used (and recorded).
    chunk_size : int, optional
        Trials per chunk (overrides ``run.chunk_size``); results do not depend on it, except
        that a precision run checks its stopping rule once per chunk.
    progress : callable, optional
        Called after each chunk with a dict (trials, events, relative_error, precision,
        target_events) for the detector furthest from its stopping rule.
    stream_to : str, optional
        Write the events to this file (.root, .h5) while generating, in bounded memory (they
        are spooled to disk and weighted when read back); the returned result then holds the
        summary only (``events`` empty).  ``overwrite`` allows replacing an existing file.

    Returns
    -------
    RunResult
        For several detectors (``detector.names``), ``per_detector`` holds one RunResult per
        detector, each statistically equivalent to a single-detector run (identical with
        ``run.importance_sampling = false``: importance sampling aims at all detectors); the top-level
        events and summary are the first detector's, and ``summary["detectors"]`` lists all.

    Raises
    ------
    CardError
        Before any work: a ``config`` that is not a :class:`Config`, or one whose values (e.g.
        edited with ``dataclasses.replace``) the card checks refuse, a ``seed`` that is not an
        integer in [0, 2**63), a ``chunk_size`` that is not an integer >= 1, a ``progress``
        that is not callable.
    """
    config = _checked_arguments(config, seed, chunk_size, progress)
    if config.signal.channels is not None:
        return _generate_channels(config, seed=seed, chunk_size=chunk_size, progress=progress, stream_to=stream_to,
                                  overwrite=overwrite)
    t_start = time.perf_counter()
    setup = prepare(config)
    cfg = setup.config
    run = cfg.run
    seed_in = seed if seed is not None else run.seed
    k0, k1, seed_used = key_from_seed(seed_in)
    # the stored card (summary, file provenance) records the seed actually used, so that it
    # reproduces the run (a seed argument or fresh entropy replaces the card's run.seed)
    setup.config = cfg = replace(cfg, run=replace(run, seed=seed_used))
    run = cfg.run
    setup.tables["key"] = (k0, k1)
    chunk = int(chunk_size or run.chunk_size)
    nc = len(setup.open_channels)
    notes = list(setup.notes)
    writer = None
    if stream_to is not None:
        from .io.stream import Spool, StreamWriter

        writer = StreamWriter(stream_to, overwrite=overwrite)
        spool_dir = Path(stream_to).resolve().parent
        states = [_DetectorRun(i, d.name, nc, Spool(spool_dir)) for i, d in enumerate(setup.detectors)]
    else:
        states = [_DetectorRun(i, d.name, nc) for i, d in enumerate(setup.detectors)]
    try:
        return _generate_loop(setup, states, writer, k0, k1, seed_used, t_start, chunk, notes, progress,
                              _momentum_bias)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        for st in states:
            if st.spool is not None:
                st.spool.close()


def _checked_arguments(config: Any, seed: Any, chunk_size: Any, progress: Any = None) -> Config:
    """The arguments of :func:`generate` checked as the card's own values are (CardError naming
    the argument); returns the configuration re-validated through the card checks."""
    from .config import config_from_dict
    from .rng import SEED_LIMIT

    if not isinstance(config, Config):
        raise CardError(f"generate(config = {config!r}): must be a Config from bdgen.load_card(...)")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or not 0 <= seed < SEED_LIMIT):
        raise CardError(f"generate(seed = {seed!r}): must be None or an integer with 0 <= seed < 2**63")
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer))
                                   or chunk_size < 1):
        raise CardError(f"generate(chunk_size = {chunk_size!r}): must be None or an integer >= 1")
    if progress is not None and not callable(progress):
        raise CardError(f"generate(progress = {progress!r}): must be None or a callable taking a dict "
                        "(trials, events, relative_error, precision, target_events)")
    # a Config edited with dataclasses.replace has skipped the card checks: run them again
    return config_from_dict(config.to_dict())


def _generate_channels(config: Config, *, seed: int | None, chunk_size: int | None, progress: ProgressFn | None,
                       stream_to: str | None, overwrite: bool) -> RunResult:
    """A run with ``signal.channels``: one pass per signal channel with the same seed.

    The production stream is keyed by the trial index only, so every pass generates the same
    mesons, mediators and chi (the same chi sample); each channel then stops at its own rule.
    The result holds ``per_channel`` (one RunResult per channel) and the first channel's events
    and summary at the top level; files get one event set ``events_<channel>`` per channel.
    """
    from dataclasses import replace as _replace

    if stream_to is not None:
        raise CardError("signal.channels: --stream writes one event set; run the channels separately to stream")
    _k0, _k1, seed_used = key_from_seed(seed if seed is not None else config.run.seed)
    config = _replace(config, run=_replace(config.run, seed=seed_used))  # the seed used, as in generate()
    results: dict[str, RunResult] = {}
    bias = None  # the first pass's momentum bias serves every pass: one meson sample
    for ch in config.signal.channels or ():
        cfg_c = _replace(config, signal=_replace(config.signal, channel=ch, channels=None))
        results[ch] = generate(cfg_c, seed=seed_used, chunk_size=chunk_size, progress=progress, _momentum_bias=bias)
        bias = bias if bias is not None else results[ch].momentum_bias
    return channels_result(results, config)


def channels_result(results: dict[str, RunResult], config: Config) -> RunResult:
    """The RunResult of a ``signal.channels`` run from its per-channel results: the first
    channel's events and summary at the top level, ``per_channel`` and ``summary["signals"]``
    holding all, and the run's configuration."""
    first = next(iter(results.values()))
    out = RunResult(events=first.events, summary=dict(first.summary), config=config,
                    per_detector=first.per_detector, per_channel=results)
    out.summary["signals"] = {ch: {k: v for k, v in r.summary.items() if k != "config"} for ch, r in results.items()}
    out.summary["config"] = config.to_dict()
    return out


def _generate_loop(setup: RunSetup, states: list[_DetectorRun], writer: Any, k0: Any, k1: Any, seed_used: int,
                   t_start: float, chunk: int, notes: list[str], progress: ProgressFn | None,
                   momentum_given: Any = None) -> RunResult:
    """The chunk loop of :func:`generate` and the final assembly of the results."""
    from .kernels import HIT_COLS, N_HIT_COLS

    W_IS = HIT_COLS.index("w_is")
    cfg = setup.config
    run = cfg.run
    m = cfg.model
    open_ch = setup.open_channels
    nc = len(open_ch)
    scale = run.pot * setup.rate * cfg.signal.efficiency
    target_kind = "electron" if cfg.signal.channel == "electron" else "nucleon"
    coupling = Couplings.from_config(cfg).scatter_alpha(target_kind)
    if coupling <= 0.0 and cfg.signal.channel != "decay":
        notes.append("signal closed: the baryonic mediator does not couple to electrons at model.epsilon = 0")
    tb = setup.tables
    n_trials = 0
    violations = 0
    closed = nc == 0 or any(n.startswith("signal") and "closed" in n for n in notes)
    if nc == 0:
        reasons = "; ".join(f"{c.name}: {c.closed_reason}" for c in setup.channels)
        notes.append(f"no open production channel ({reasons})")
    visible = None  # (m_lepton, c tau, BR(V -> l l)) for signal.channel = decay
    idm = None  # chi2 -> chi1 l+ l- decays of inelastic dark matter
    if cfg.signal.channel == "decay" and nc and m.name == "inelastic":
        cp = Couplings.from_config(cfg)
        g_chi2, _br_ee = cp.chi2_decay()
        from .physics.inelastic_dm import chi2_width

        m_l = setup.targets[0].mass
        g_l = chi2_width(m.m_chi, cp.m_chi2, m.m_v, m.epsilon, m.alpha_d, cp.total_width(), m_l)
        idm = {"m1": m.m_chi, "m2": cp.m_chi2, "m_v": m.m_v, "gamma_v": cp.total_width(), "m_l": m_l,
               "ctau": C.HBARC_GEV_M / g_chi2 if g_chi2 > 0 else math.inf, "br": g_l / g_chi2 if g_chi2 > 0 else 0.0}
        notes.append(f"chi2 -> chi1 {cfg.signal.final_state}: c tau = {idm['ctau']:.4g} m, BR = {idm['br']:.4g}")
        if g_l <= 0.0:
            notes.append(f"signal closed: chi2 -> chi1 {cfg.signal.final_state} needs delta > 2 m_l")
            closed = True
    elif cfg.signal.channel == "decay" and nc:
        from .physics.widths import r_pipi, total_width, width_to_fermions

        m_l = setup.targets[0].mass
        g_tot = total_width(m.m_v, m.m_chi, m.epsilon, m.alpha_d, m.dirac, bdnmc=cfg.compat.bdnmc)
        if cfg.signal.final_state == "hadrons":  # Gamma(V -> mu mu)|_(m_mu -> 0) x R_pipi: the pi+ pi- written
            g_vis = float(width_to_fermions(m.m_v, C.ALPHA * m.epsilon**2, 0.0)) * r_pipi(m.m_v)
        else:
            g_vis = float(width_to_fermions(m.m_v, C.ALPHA * m.epsilon**2, m_l))
        br_vis = g_vis / g_tot if g_tot > 0 else 0.0
        visible = (m_l, C.HBARC_GEV_M / g_tot, br_vis, 1 if cfg.signal.final_state == "hadrons" else 0)
        if br_vis <= 0.0:
            notes.append(f"V -> {cfg.signal.final_state} is closed at m_V = {m.m_v} GeV")
            closed = True
    vol_det = tb.get("vol_det", np.zeros(1, dtype=np.int64))
    momentum: list[str] = []  # channels drawn with momentum importance sampling
    hit_rate = [0.01]  # crossings per trial, from a pilot and the chunks so far (sizes the buffers)
    ctx = {"tb": tb, "k0": k0, "k1": k1, "m_chi": m.m_chi, "m_v": m.m_v, "coupling": coupling, "dirac": m.dirac,
           "t_window": setup.t_window, "visible": visible, "inelastic": None, "idm": idm,
           "flux": cfg.signal.channel == "flux",
           "idm_scatter": None,
           "angle_window": (cfg.signal.angle_min, cfg.signal.angle_max) if cfg.signal.angle_cut else None,
           "timing_cut": (cfg.signal.timing_cut, cfg.compat.bdnmc and cfg.signal.channel in ("electron", "nucleon",
                                                                                            "coherent"))
           if cfg.signal.timing_cut > 0.0 else None}
    if m.name == "inelastic" and cfg.signal.channel in ("electron", "nucleon", "coherent"):
        cp = Couplings.from_config(cfg)
        g_chi2, br_ee = cp.chi2_decay()
        ctau2 = C.HBARC_GEV_M / g_chi2 if g_chi2 > 0 else math.inf
        ctx["idm_scatter"] = (m.m_chi, cp.m_chi2, ctau2)
        ctx["idm_decay"] = {"m1": m.m_chi, "m2": cp.m_chi2, "m_v": m.m_v, "gamma_v": cp.total_width(),
                            "ctau": ctau2, "br_ee": br_ee}
    if cfg.signal.channel in INELASTIC and nc:
        module, final = INELASTIC[cfg.signal.channel]
        ctx["inelastic"] = {"module": module, "final": final, "channel": cfg.signal.channel,
                            "targets": [t.name for t in setup.targets], "density": tb["tg_density"],
                            "sigma_tables": [_inelastic_sigma_table(module, m.m_chi, m.m_v, m.dirac, t.name,
                                                                    setup.beam.proton_energy)
                                             for t in setup.targets]}

    def run_chunk(start: int, n: int) -> tuple[Any, ...]:
        res = compute_chunk(ctx, start, n, hit_rate[0])
        hit_rate[0] = max(hit_rate[0], res[0].size / n)
        return res

    names = [c.name for c in setup.open_channels]
    bias_used = None
    if not closed and cfg.run.importance_sampling and MOMENTUM_PILOT > 0:
        tb = dict(tb)  # the run's own tables: setup.tables stay unbiased
        if momentum_given is not None and momentum_given[0] == names and momentum_given[1].shape == tb["env_cdf"].shape:
            _names, env_cdf_b, row_w, biased = momentum_given  # another pass of a signal.channels run
        else:
            env_cdf_b, row_w, biased = _momentum_bias(ctx, setup, min(MOMENTUM_PILOT, run.max_trials))
        tb["env_cdf"], tb["row_w"] = env_cdf_b, row_w
        ctx["tb"] = tb
        momentum[:] = biased
        bias_used = (names, env_cdf_b, row_w, biased)
    if not closed:  # a short pilot (discarded; deterministic) sizes the output buffers
        n_pilot = min(20_000, run.max_trials)
        p_buf = [np.empty(4 * n_pilot + 16, dtype=np.int64), np.empty(4 * n_pilot + 16, dtype=np.int8),
                 np.empty(4 * n_pilot + 16, dtype=np.int8), np.empty((4 * n_pilot + 16, N_HIT_COLS)),
                 np.empty(4 * n_pilot + 16, dtype=np.int64)]
        n_p_hits = run_produce(tb, k0, k1, 0, n_pilot, m.m_chi, *p_buf)[0]
        hit_rate[0] = max(n_p_hits / n_pilot, 1e-4)
    threads = _n_threads(run.threads)
    dask = _DaskRunner(run.scheduler, run.workers) if (run.scheduler or run.workers) and not closed else None
    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 and not closed and dask is None else None
    in_flight = dask.n_slots if dask is not None else max(threads, 1)
    ctx_ref = dask.scatter(ctx) if dask is not None else None
    pending: deque[Any] = deque()
    next_start = 0

    def submit() -> None:
        nonlocal next_start
        n_next = min(chunk, run.max_trials - next_start)
        if n_next <= 0:
            return
        args = (next_start, n_next)
        if dask is not None:
            job = dask.submit(compute_chunk, ctx_ref, next_start, n_next, hit_rate[0])
        elif pool is not None:
            job = pool.submit(run_chunk, *args)
        else:
            job = args
        pending.append((n_next, job))
        next_start += n_next

    try:
        while not closed:
            while len(pending) < in_flight and next_start < run.max_trials:
                submit()
            if not pending:
                break
            n, job = pending.popleft()
            res = job.result() if (pool is not None or dask is not None) else run_chunk(*job)
            hit_rate[0] = max(hit_rate[0], res[0].size / n)
            o_trial, o_chi, o_chan, o_vol, o_hit, chi64, sc, o_target, u_unw, viol, xc = res
            violations += viol
            n_trials += n
            det_of_hit = vol_det[o_vol]
            worst = None
            for st in states:
                if st.done:
                    continue
                mine = det_of_hit == st.index
                key = o_trial[mine] * 2 + chi64[mine]
                # chi crossing this detector, each counted once with its importance weight
                first = np.r_[True, key[1:] != key[:-1]] if key.size else np.zeros(0, dtype=bool)
                n_cross = float(np.sum(o_hit[mine, W_IS][first])) if key.size else 0.0
                sel = np.flatnonzero(mine & (sc[:, 0] > 0.0))
                part = {
                    "trial": o_trial[sel], "chi": o_chi[sel], "chan": o_chan[sel], "vol": o_vol[sel],
                    "hit": o_hit[sel], "scat": sc[sel], "target": o_target[sel],
                    "prob": sc[sel, 0] * o_hit[sel, W_IS],
                    "u_unw": u_unw[sel],
                }
                if xc.shape[1]:
                    part["extra"] = xc[sel]
                rel = st.add(part, n_cross, n_trials, run, nc, scale)
                if worst is None or (not math.isnan(rel) and (math.isnan(worst[0]) or rel > worst[0])):
                    worst = (rel, st)
            if progress is not None:
                rel, st = worst if worst is not None else (math.nan, states[0])
                progress({"trials": n_trials, "events": st.n, "relative_error": rel,
                          "precision": run.precision, "target_events": run.events})
            if all(st.done for st in states):
                break
            if n_trials >= run.max_trials:
                notes.append(f"stopped at run.max_trials = {run.max_trials} before reaching the stopping rule")
                break
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if dask is not None:
            for _n, job in pending:
                job.cancel()
            dask.close()
    if violations:
        notes.append(f"{violations} sampled points exceeded their rejection bound (sampling slightly biased)")
    wall = time.perf_counter() - t_start
    results = [_finish(st, setup, scale, seed_used, notes, wall, k0, k1, writer,
                       "events" if len(states) == 1 else f"events_{st.name}", momentum) for st in states]
    first = results[0]
    if len(results) > 1:
        first.summary["detectors"] = {r.summary["detector"]: {k: v for k, v in r.summary.items() if k != "config"}
                                      for r in results}
        first.per_detector = {r.summary["detector"]: r for r in results}
    else:
        first.per_detector = {first.summary["detector"]: first}
    if writer is not None:
        writer.finish(first)
    first.momentum_bias = bias_used
    return first


def _one_v_per_trial(cfg: Config) -> bool:
    """True when a trial follows one dark photon (visible V decays), not a chi pair."""
    return cfg.signal.channel == "decay" and cfg.model.name != "inelastic"


def _finish(st: _DetectorRun, setup: RunSetup, scale: float, seed_used: int, notes: list[str], wall: float,
            k0: Any, k1: Any, writer: Any = None, set_name: str = "events",
            momentum: list[str] | None = None) -> RunResult:
    """Weights, unweighting, output columns and summary of one detector (written block by block
    to ``writer`` for a streamed run)."""
    cfg = setup.config
    run = cfg.run
    open_ch = setup.open_channels
    nc = len(open_ch)
    n_eff = st.n_eff
    est_c, err_c = _estimate(st.s1, st.s2, n_eff, scale)
    est_tot, err_tot = _estimate(st.s1.sum(keepdims=True), st.s2.sum(keepdims=True), n_eff, scale)
    signal = float(est_tot[0]) if nc else 0.0
    signal_err = float(err_tot[0]) if nc else 0.0
    det = setup.detectors[st.index]
    systematics: dict[str, Any] = {}
    if st.spool is not None:
        n_written = _stream_events(st, setup, det, scale, signal, writer, set_name, systematics)
        events = _empty_events(cfg)
    else:
        events_raw = st.merged(release=True)
        weights = events_raw["prob"] * (scale / n_eff) if events_raw else np.zeros(0)
        selection = np.arange(weights.shape[0])
        if run.unweighted and weights.size:
            # keep each event with probability w / w_max, w_max the largest weight of the sample
            # (in events mode: of the sample when the K-th event was accepted)
            prob = events_raw["prob"]
            wmax = st.wmax_used if st.wmax_used is not None else float(prob.max())
            selection = np.flatnonzero(events_raw["u_unw"] * wmax < prob)
            if run.events is not None:
                selection = selection[: run.events]
            weights = np.full(selection.size, signal / max(selection.size, 1))
        else:
            weights = weights[selection]
        events = (_event_columns(events_raw, selection, weights, setup, det) if events_raw and selection.size
                  else _empty_events(cfg))
        if cfg.production.spectrum_systematics:
            systematics = _spectrum_systematics(events, setup)
        n_written = int(len(events["weight"]))
    channels_summary = []
    zero_notes: list[str] = []
    for ch in setup.channels:
        entry: dict[str, Any] = {
            "production": ch.name,
            "signal": cfg.signal.channel,
            "branching_ratio": ch.branching_ratio,
            "parents_per_pot": ch.per_pot,
            "spectrum_model": ch.spectrum_model,
            "mediators_produced": run.pot * ch.rate,
            "events": 0.0,
            "error": 0.0,
        }
        if ch.closed_reason is not None:
            entry["closed"] = ch.closed_reason
        else:
            j = open_ch.index(ch)
            entry["events"] = float(est_c[j])
            entry["error"] = float(err_c[j])
            if entry["events"] == 0.0 and signal > 0.0:
                zero_notes.append(f"{ch.name}: no event in this sample (its share of the trials is small); "
                                  "0 +- 0 is no estimate: run longer, or this channel alone")
        channels_summary.append(entry)
    summary = {
        "detector": det.name,
        "signal_events": signal,
        "signal_events_error": signal_err,
        "relative_error": signal_err / signal if signal > 0 else None,
        # the fraction of the trial's particles that cross the detector: two chi per trial, or
        # one V per trial for visible decays of the dark photon (signal.channel = "decay")
        "geometric_acceptance": (st.n_cross / ((1.0 if _one_v_per_trial(cfg) else 2.0) * st.n_trials)
                                 if st.n_trials else 0.0),
        "mediators_produced": run.pot * setup.rate,
        "channels": channels_summary,
        "n_generated": int(st.n_trials),
        "n_effective_trials": float(n_eff),
        "variance_of_variance": None if math.isnan(st.vov) else st.vov,
        "momentum_sampling": list(momentum or []),
        "n_events": int(n_written),
        "unweighted": run.unweighted,
        "pot": run.pot,
        "wall_seconds": wall,
        "seed": seed_used,
        "version": __version__,
        "compat_bdnmc": cfg.compat.bdnmc,
        "frame": cfg.detector.frame,
        "systematics": systematics,
        "notes": notes + st.notes + zero_notes + (_vov_note(st.vov, n_eff) if st.n > 0 else []),
        "config": cfg.to_dict(),
    }
    return RunResult(events=events, summary=summary, config=cfg)


def _stream_events(st: _DetectorRun, setup: RunSetup, det: Detector, scale: float, signal: float, writer: Any,
                   set_name: str, systematics: dict[str, Any]) -> int:
    """Read the spool back block by block, weight the events and write them; returns their number."""
    run = setup.config.run
    spool = st.spool
    block = 100_000
    keep_total = spool.n
    wmax = None
    if run.unweighted and spool.n:
        wmax = st.wmax_used
        if wmax is None:
            wmax = max(float(b["prob"].max()) for _s, b in spool.blocks(block, ["trial", "prob"]))
        keep_total = sum(int(np.count_nonzero(b["u_unw"] * wmax < b["prob"]))
                         for _s, b in spool.blocks(block, ["trial", "prob", "u_unw"]))
        if run.events is not None:
            keep_total = min(keep_total, run.events)
    written = 0
    for _start, blk in spool.blocks(block):
        if run.unweighted:
            sel = np.flatnonzero(blk["u_unw"] * wmax < blk["prob"])[: max(keep_total - written, 0)]
            w = np.full(sel.size, signal / max(keep_total, 1))
        else:
            sel = np.arange(blk["prob"].shape[0])
            w = blk["prob"] * (scale / st.n_eff)
        if not sel.size:
            continue
        cols = _event_columns(blk, sel, w, setup, det)
        cols["event_id"] += written
        if setup.config.production.spectrum_systematics:
            for name, val in _spectrum_systematics(cols, setup).items():
                systematics.setdefault(name, {"signal_events": 0.0})["signal_events"] += val["signal_events"]
        writer.write(set_name, cols)
        written += int(sel.size)
    if written == 0:
        writer.write(set_name, _empty_events(setup.config))
    return written


def _spectrum_systematics(events: dict[str, np.ndarray], setup: RunSetup) -> dict[str, Any]:
    """Add ``weight_<model>`` columns for the beam's alternative spectrum models (in place).

    An event from meson channel c with momentum p and angle theta gets the weight
    w [f_alt(p, theta)/I_alt] / [f_nom(p, theta)/I_nom], with I the integrals over the nominal
    model's sampled domain: the same yield per POT with the alternative's shape (restricted to
    the nominal domain).  This is exact importance reweighting of the generated trials.
    Events from channels without that alternative keep their weight.

    Returns the signal estimate for each alternative.
    """
    from .production.spectra import _grid_pairs

    names = sorted({a for c in setup.open_channels if c.name in setup.beam.mesons
                    for a, _ in setup.beam.mesons[c.name].alternatives})
    w = events["weight"]
    px, py, pz = events["parent_px"], events["parent_py"], events["parent_pz"]
    p = np.sqrt(px * px + py * py + pz * pz)
    theta = np.arccos(np.clip(pz / np.where(p > 0, p, 1.0), -1.0, 1.0))
    out: dict[str, Any] = {}
    for name in names:
        ratio = np.ones_like(w)
        for c in setup.open_channels:
            src = setup.beam.mesons.get(c.name)
            alts = dict(src.alternatives) if src is not None else {}
            if name not in alts or isinstance(c.spectrum, _ListSpectrum):
                continue
            nom, alt = c.spectrum, alts[name]
            sel = events["channel"] == CHANNEL_CODES[c.name]
            if not np.any(sel):
                continue
            f_nom = _grid_pairs(nom.model, p[sel], theta[sel], nom.params) / nom.integral()
            f_alt = _grid_pairs(alt.model, p[sel], theta[sel], alt.params) / alt.integral(nom.p_max, nom.theta_max)
            ratio[sel] = np.where(f_nom > 0, f_alt / np.where(f_nom > 0, f_nom, 1.0), 0.0)
        events[f"weight_{name}"] = w * ratio
        out[name] = {"signal_events": float(np.sum(w * ratio))}
    return out


def _empty_events(cfg: Config | None = None) -> dict[str, np.ndarray]:
    cols = {**EVENT_COLUMNS, **(extra_columns(cfg) if cfg is not None else {})}
    return {k: np.zeros(0, dtype=dt) for k, (dt, _) in cols.items()}


def _event_columns(ev: dict[str, np.ndarray], sel: np.ndarray, weights: np.ndarray, setup: RunSetup,
                   det: Detector) -> dict[str, np.ndarray]:
    from .kernels import HIT_COLS, SCAT_COLS, spill_times

    if sel.size == ev["hit"].shape[0] and (sel.size == 0 or (sel[0] == 0 and sel[-1] == sel.size - 1)):
        sel = slice(None)  # every event: views instead of copies
        n_sel = ev["hit"].shape[0]
    else:
        n_sel = sel.size
    hit = ev["hit"][sel]
    sc = ev["scat"][sel]
    h = {name: hit[:, i] for i, name in enumerate(HIT_COLS)}
    s = {name: sc[:, i] for i, name in enumerate(SCAT_COLS)}
    open_ch = setup.open_channels
    chan_local = ev["chan"][sel].astype(np.int64)
    code = np.array([CHANNEL_CODES[c.name] for c in open_ch], dtype=np.int32)
    pdg = np.array([c.pdg for c in open_ch], dtype=np.int32)
    tg_pdg = np.array([t.pdg for t in setup.targets], dtype=np.int32)
    chi_code = C.PDG_CHI_DIRAC if setup.config.model.dirac else C.PDG_CHI_SCALAR
    chi_idx = ev["chi"][sel].astype(np.int8)
    inelastic_dm = setup.config.model.name == "inelastic"
    if setup.config.signal.channel == "decay" and not inelastic_dm:
        chi_idx = np.zeros_like(chi_idx)
        chi_code = C.PDG_DARK_PHOTON
    out = {
        "event_id": np.arange(n_sel, dtype=np.int64),
        "trial": ev["trial"][sel].astype(np.int64),
        "chi_index": chi_idx,
        "weight": np.asarray(weights, dtype=np.float64),
        "channel": code[chan_local],
        "parent_pdg": pdg[chan_local],
        "parent_E": h["meson_E"], "parent_px": h["meson_px"], "parent_py": h["meson_py"], "parent_pz": h["meson_pz"],
        "v_E": h["v_E"], "v_px": h["v_px"], "v_py": h["v_py"], "v_pz": h["v_pz"],
        "chi_pdg": (np.where(chi_idx == 0, C.PDG_CHI_DIRAC, C.PDG_CHI2) if inelastic_dm
                    else np.where(chi_idx == 0, chi_code, -chi_code) if chi_code != C.PDG_DARK_PHOTON
                    else np.full(chi_idx.size, chi_code)).astype(np.int32),
        "chi_E": h["chi_E"], "chi_px": h["chi_px"], "chi_py": h["chi_py"], "chi_pz": h["chi_pz"],
        "prod_x": h["x0"], "prod_y": h["y0"], "prod_z": h["z0"],
        "x": s["x"], "y": s["y"], "z": s["z"], "t": s["t"],
        "recoil_pdg": (tg_pdg[ev["target"][sel]] if setup.config.signal.channel != "flux"
                       else np.zeros(n_sel, dtype=np.int32)),
        "recoil_T": s["T"],
        "recoil_E": s["recoil_E"], "recoil_px": s["recoil_px"], "recoil_py": s["recoil_py"], "recoil_pz": s["recoil_pz"],
        "chi_out_E": s["chi_out_E"], "chi_out_px": s["chi_out_px"], "chi_out_py": s["chi_out_py"],
        "chi_out_pz": s["chi_out_pz"],
    }
    out["volume"] = setup.tables["vol_local"][ev["vol"][sel]]
    extra_cols = extra_columns(setup.config)
    if extra_cols:
        xc = ev["extra"][sel]
        for j, name in enumerate(extra_cols):
            out[name] = xc[:, j]
    dist = np.sqrt((out["x"] - out["prod_x"]) ** 2 + (out["y"] - out["prod_y"]) ** 2 + (out["z"] - out["prod_z"]) ** 2)
    out["delay"] = out["t"] - h["t0"] - dist / C.C_M_PER_NS
    timing = setup.beam.timing
    if timing is not None:
        k0, k1 = setup.tables["key"]
        out["t_spill"] = spill_times(k0, k1, out["trial"], STAGE_SPILL, *timing.kernel_args())
    else:
        out["t_spill"] = np.zeros(n_sel)
    out["t_arrival"] = out["t_spill"] + out["t"]
    if setup.config.detector.frame == "experiment" and det.frame is not None:
        extra_pts = [(f"{k[:-2]}_x", f"{k[:-2]}_y", f"{k[:-2]}_z") for k in extra_cols
                     if k.endswith("_x") and f"{k[:-2]}_y" in extra_cols]
        for a, b, c in (("prod_x", "prod_y", "prod_z"), ("x", "y", "z"), *extra_pts):
            xyz = det.frame.points(np.c_[out[a], out[b], out[c]])
            out[a], out[b], out[c] = xyz[:, 0], xyz[:, 1], xyz[:, 2]
        extra_vec = sorted({k[: -len("_px")] for k in extra_cols if k.endswith("_px")})
        for pre in ("parent", "v", "chi", "recoil", "chi_out", *extra_vec):
            v = det.frame.vectors(np.c_[out[f"{pre}_px"], out[f"{pre}_py"], out[f"{pre}_pz"]])
            out[f"{pre}_px"], out[f"{pre}_py"], out[f"{pre}_pz"] = v[:, 0], v[:, 1], v[:, 2]
    cols = {k: np.ascontiguousarray(out[k], dtype=EVENT_COLUMNS[k][0]) for k in EVENT_COLUMNS}
    cols.update({k: np.ascontiguousarray(out[k], dtype=dt) for k, (dt, _d) in extra_cols.items()})
    return cols

