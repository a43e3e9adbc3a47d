"""Neutrino backgrounds of a run card: fluxes, interaction rates in the signal's recoil window,
weighted histograms and an event sample.

For the card's beam and detector(s) (:func:`bdgen.load_card`), the neutrino flux of the beam's
``[neutrino]`` source (:mod:`bdgen.neutrino.source`) is sampled at the detector, and for each
channel

- ``nu_e``: nu e -> nu e on the detector's electrons,
- ``nc_proton``, ``nc_neutron``: nu N -> nu N on its protons and neutrons (free nucleons),
- ``coherent_<element>``: nu A -> nu A on each element's nuclei (only for signal.channel =
  "coherent"),

the expected number of events with signal.t_min <= T <= signal.t_max (the recoil kinetic
energy, the same window as the dark-matter signal) is

    N = POT x efficiency x V sum_k w_k n_target(vol_k) sigma_window(E_k),

with the flux weights w_k of :class:`bdgen.neutrino.flux.NeutrinoSample` and the card's
signal.efficiency.  Windowed cross-sections are exact for nu e (closed form) and tabulated on
a logarithmic energy grid (32-point Gauss-Legendre per node, linear interpolation in ln E) for
the others.  An event sample of equal weights (summing to N) is drawn in proportion to
w_k n sigma_window, with the recoil energy from dsigma/dT inside the window and the recoil
direction from two-body kinematics (random azimuth about the neutrino), for the histograms and
plots; the arrival time includes the beam file's spill structure (``t_arrival``).

With a recoil-angle window (``signal.angle_min/angle_max``, the lab angle of the recoil to the
beam axis, as for the signal) the rate is N times the fraction f of the event sample inside the
angle window (a ratio estimate: the sample is drawn from the same w_k n dsigma/dT), and its error
adds the binomial error N sqrt(f(1 - f)/n_events) in quadrature; only the events inside the
window are kept, each still of weight N/n_events.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import constants as C
from .._version import __version__
from ..config import Config
from ..detectors import Detector
from ..errors import CardError
from ..kinematics import in_angle_window, orthonormal_basis
from ..materials import ELEMENTS
from . import xsec as X
from .dif import decay_in_flight
from .flux import COMPONENT_NAMES, NeutrinoSample, decay_at_rest
from .source import DAR, NeutrinoSource, load_source

FLAVOURS = X.FLAVOURS
FLAVOUR_NAMES = X.FLAVOUR_NAMES

#: Default number of histories: stopped pions (decay at rest) or pions of each charge and kaons of
#: each species (in flight).
DEFAULT_SAMPLES = {"decay_at_rest": 200_000, "decay_in_flight": 200_000}
#: Default number of events drawn per channel for the histograms and plots.
DEFAULT_EVENTS = 20_000


@dataclass(frozen=True)
class Channel:
    """A neutrino interaction channel on one kind of target in a detector."""

    name: str
    label: str
    recoil_pdg: int
    mass: float
    density: np.ndarray  # per fiducial volume, m^-3
    dsigma_dt: Callable[[np.ndarray, np.ndarray, int], np.ndarray]
    t_max: Callable[[np.ndarray], np.ndarray]
    closed_form: Callable[[np.ndarray, int, float, float], np.ndarray] | None = None

    def e_min(self, t: float) -> float:
        """Smallest neutrino energy reaching recoil T (inverse of T_max = 2E^2/(M + 2E))."""
        return 0.5 * (t + math.sqrt(t * t + 2.0 * self.mass * t))


def channels(detector: Detector, signal_channel: str) -> list[Channel]:
    """The background channels of a detector (module docstring)."""
    mats = [v.material for v in detector.fiducial]
    out = [
        Channel("nu_e", "nu e -> nu e", C.PDG_ELECTRON, C.M_E, np.array([m.electron_density for m in mats]),
                lambda e, t, fl: X.nue_dsigma_dt(e, t, fl), X.nue_t_max,
                lambda e, fl, lo, hi: X.nue_sigma(e, fl, lo, hi)),
        Channel("nc_proton", "nu p -> nu p (NC elastic)", C.PDG_PROTON, C.M_P,
                np.array([m.proton_density for m in mats]),
                lambda e, t, fl: X.ncel_dsigma_dt(e, t, fl, "proton"), lambda e: X.nc_t_max(e, C.M_P)),
        Channel("nc_neutron", "nu n -> nu n (NC elastic)", C.PDG_NEUTRON, C.M_N,
                np.array([m.neutron_density for m in mats]),
                lambda e, t, fl: X.ncel_dsigma_dt(e, t, fl, "neutron"), lambda e: X.nc_t_max(e, C.M_N)),
    ]
    if signal_channel == "coherent":
        elements = sorted({el for m in mats for el in m.mass_fractions}, key=lambda el: ELEMENTS[el][0])
        for el in elements:
            z, a_r = ELEMENTS[el]
            mass = a_r * C.ATOMIC_MASS_UNIT - z * C.M_E
            dens = np.array([m.atom_densities().get(el, 0.0) for m in mats])

            def ds(e: np.ndarray, t: np.ndarray, fl: int, z: float = z, a: float = a_r, m: float = mass) -> np.ndarray:
                return X.coherent_dsigma_dt(e, t, z, a, m)

            out.append(Channel(f"coherent_{el}", f"nu {el} -> nu {el} (coherent)",
                               1000000000 + z * 10000 + round(a_r) * 10, mass, dens, ds,
                               lambda e, m=mass: X.nc_t_max(e, m)))
    return out


def sigma_table(ch: Channel, flavour: int, t_lo: float, t_hi: float, e_max: float,
                n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """(energies, sigma_window) on a logarithmic grid from the threshold to e_max (GeV, GeV^-2)."""
    e0 = max(ch.e_min(max(t_lo, 0.0)), 1e-6)
    grid = np.geomspace(e0, max(e_max, 1.0001 * e0), n)
    sig = X.windowed_sigma(lambda e, t: ch.dsigma_dt(e, t, flavour), grid, t_lo, t_hi, ch.t_max(grid))
    return grid, sig


def windowed(ch: Channel, energy: np.ndarray, flavour: int, t_lo: float, t_hi: float) -> np.ndarray:
    """sigma_window (GeV^-2) at each energy: closed form where available, else the table."""
    if ch.closed_form is not None:
        return ch.closed_form(energy, flavour, t_lo, t_hi)
    if energy.size == 0:
        return np.zeros(0)
    grid, sig = sigma_table(ch, flavour, t_lo, t_hi, float(energy.max()))
    out = np.interp(np.log(np.maximum(energy, 1e-300)), np.log(grid), sig, left=0.0, right=float(sig[-1]))
    return np.where(energy >= grid[0], out, 0.0)


def spill_times(timing: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    """Production times within the spill (ns) for a beam's :class:`bdgen.beams.Timing` (zeros
    without one), as bdgen.kernels.spill_times does for the signal."""
    if timing is None:
        return np.zeros(n)
    if timing.structure == "bunched":
        k = rng.integers(0, timing.bunches, n)
        return k * timing.bunch_spacing + timing.bunch_sigma * rng.standard_normal(n)
    if timing.structure == "uniform":
        return rng.uniform(0.0, timing.length, n)
    return timing.sigma * rng.standard_normal(n)


def sample_events(ch: Channel, nu: NeutrinoSample, contrib: np.ndarray, total: float, n_events: int,
                  t_lo: float, t_hi: float, timing: Any, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``n_events`` equal-weight events of a channel (module docstring), drawn in proportion to
    ``contrib`` (the expected events carried by each neutrino of ``nu``), with weights total/n."""
    if not total > 0 or n_events <= 0 or not contrib.sum() > 0:
        return {}
    idx = rng.choice(len(nu), size=n_events, p=contrib / contrib.sum())
    e = nu.energy[idx]
    fl = nu.flavour[idx]
    hi = np.minimum(t_hi, ch.t_max(e))
    lo = np.full(e.shape, max(t_lo, 0.0))
    t0 = 1e-3 * hi
    xg = np.linspace(0.0, 1.0, 96)
    a = np.log(lo + t0)
    b = np.log(hi + t0)
    xi = a[:, None] + (b - a)[:, None] * xg[None, :]
    tg = np.minimum(np.exp(xi) - t0[:, None], hi[:, None])  # rounding must not step past T_max
    pdf = np.zeros_like(tg)
    for f in np.unique(fl):
        m = fl == f
        pdf[m] = ch.dsigma_dt(np.broadcast_to(e[m, None], tg[m].shape), tg[m], int(f)) * (tg[m] + t0[m, None])
    cdf = np.concatenate([np.zeros((e.size, 1)), np.cumsum(0.5 * (pdf[:, 1:] + pdf[:, :-1]), axis=1)], axis=1)
    cdf /= np.where(cdf[:, -1:] > 0, cdf[:, -1:], 1.0)
    u = rng.uniform(0.0, 1.0, e.size)
    j = np.clip((cdf < u[:, None]).sum(axis=1), 1, xg.size - 1)
    rows = np.arange(e.size)
    c0, c1 = cdf[rows, j - 1], cdf[rows, j]
    frac = np.where(c1 > c0, (u - c0) / np.where(c1 > c0, c1 - c0, 1.0), 0.5)
    t = np.exp(xi[rows, j - 1] + frac * (xi[rows, j] - xi[rows, j - 1])) - t0
    t = np.clip(t, lo, hi)
    m = ch.mass
    p_r = np.sqrt(t * t + 2.0 * m * t)
    cos_rel = np.clip(np.sqrt(t / (t + 2.0 * m)) * (e + m) / e, -1.0, 1.0)
    sin_rel = np.sqrt(1.0 - cos_rel * cos_rel)
    phi = rng.uniform(0.0, 2.0 * math.pi, e.size)
    d = nu.direction[idx]
    e1, e2 = orthonormal_basis(d)
    dir_r = (sin_rel * np.cos(phi))[:, None] * e1 + (sin_rel * np.sin(phi))[:, None] * e2 + cos_rel[:, None] * d
    tt = nu.time[idx]
    return {
        "flavour": fl.astype(np.int32),
        "nu_E": e,
        "nu_px": e * d[:, 0], "nu_py": e * d[:, 1], "nu_pz": e * d[:, 2],
        "recoil_pdg": np.full(e.size, ch.recoil_pdg, dtype=np.int32),
        "recoil_T": t,
        "recoil_E": t + m,
        "recoil_px": p_r * dir_r[:, 0], "recoil_py": p_r * dir_r[:, 1], "recoil_pz": p_r * dir_r[:, 2],
        "x": nu.point[idx, 0], "y": nu.point[idx, 1], "z": nu.point[idx, 2],
        "volume": nu.volume[idx].astype(np.int32),
        "component": nu.component[idx].astype(np.int32),
        "t": tt,
        "t_arrival": tt + spill_times(timing, e.size, rng),
        "weight": np.full(e.size, total / n_events),
    }


#: Event columns: name -> description (units).
EVENT_COLUMNS = {
    "flavour": "neutrino PDG code (12, -12, 14, -14)",
    "nu_E": "neutrino energy, GeV",
    "nu_px": "neutrino momentum x, GeV", "nu_py": "neutrino momentum y, GeV", "nu_pz": "neutrino momentum z, GeV",
    "recoil_pdg": "recoiling target: 11, 2212, 2112 or a nucleus code 100ZZZAAA0",
    "recoil_T": "recoil kinetic energy, GeV",
    "recoil_E": "recoil total energy, GeV",
    "recoil_px": "recoil momentum x, GeV", "recoil_py": "recoil momentum y, GeV", "recoil_pz": "recoil momentum z, GeV",
    "x": "interaction vertex x, m", "y": "interaction vertex y, m", "z": "interaction vertex z, m",
    "volume": "fiducial volume index of the vertex",
    "component": "neutrino origin: 0 pi decay at rest, 1 mu decay at rest, 2 pi decay in flight, 3 mu decay in flight, "
                 "4 K decay in flight, 5 K decay at rest",
    "t": "time from the proton interaction to the vertex (parent lifetimes and flight), ns",
    "t_arrival": "t plus the production time within the spill (beam file [timing]), ns",
    "weight": "expected events for the card's POT (equal weights)",
}


def energy_edges(kind: str) -> np.ndarray:
    """Neutrino-energy histogram edges (GeV): 0.5 MeV bins to 60 MeV (decay at rest), 50 MeV
    bins to 8 GeV (decay in flight, the MiniBooNE flux binning)."""
    return np.linspace(0.0, 0.06, 121) if kind == DAR else np.linspace(0.0, 8.0, 161)


def _hist(x: np.ndarray, w: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    v, _ = np.histogram(x, bins=edges, weights=w)
    e2, _ = np.histogram(x, bins=edges, weights=w * w)
    return v, np.sqrt(e2)


@dataclass
class DetectorResult:
    """The neutrino results of one detector."""

    name: str
    summary: dict[str, Any]
    flux_hist: dict[str, np.ndarray]
    recoil_hist: dict[str, dict[str, np.ndarray]]
    events: dict[str, dict[str, np.ndarray]]
    sample: NeutrinoSample | None = None


@dataclass
class NeutrinoResult:
    """The neutrino results of a card: one :class:`DetectorResult` per detector."""

    config: dict[str, Any]
    summary: dict[str, Any]
    detectors: dict[str, DetectorResult] = field(default_factory=dict)


def _detectors(cfg: Config) -> list[Detector]:
    from ..pipeline import _resolve_detectors

    return _resolve_detectors(cfg)


def neutrino_sample(source: NeutrinoSource, detector: Detector, n: int, rng: np.random.Generator) -> NeutrinoSample:
    """The neutrino sample of a source at a detector (n histories per pion charge and kaon species)."""
    if source.kind == DAR:
        return decay_at_rest(source.stopped_pi_plus, detector, n, rng, source.position)
    return decay_in_flight(source, detector, n, rng)


def run_background(cfg: Config, *, seed: int | None = None, n_samples: int | None = None,
                   n_events: int = DEFAULT_EVENTS, keep_sample: bool = False) -> NeutrinoResult:
    """Fluxes, background rates, histograms and event samples for the card ``cfg``.

    Parameters
    ----------
    cfg : Config
        A validated card (beam, detector(s), signal window, efficiency, POT).
    seed : int, optional
        Random seed (``numpy.random.SeedSequence``); default the card's run.seed, else fresh entropy.
    n_samples : int, optional
        Histories (stopped pions, or pions per charge); default :data:`DEFAULT_SAMPLES`.
    n_events : int
        Equal-weight events drawn per channel.
    keep_sample : bool
        Keep the neutrino sample in the result (memory).

    Raises
    ------
    CardError
        The beam has no ``[neutrino]`` table, or the signal channel is "decay".
    """
    if cfg.signal.angle_cut and n_events < 1:
        raise CardError(f"n_events = {n_events}: the recoil-angle window (signal.angle_min/angle_max) is applied "
                        "through the event sample; need n_events >= 1")
    sig_chs = tuple(cfg.signal.channels or (cfg.signal.channel,))
    no_recoil = [c for c in sig_chs if c in ("decay", "flux")]
    if no_recoil:
        key = (f"signal.channels = {list(sig_chs)}" if cfg.signal.channels
               else f"signal.channel = \"{cfg.signal.channel}\"")
        raise CardError(f"{key}: neutrino backgrounds are computed for recoil channels (electron, nucleon, coherent), "
                        f"not {no_recoil[0]!r}")
    bg_channel = "coherent" if "coherent" in sig_chs else sig_chs[0]  # coherent adds the nuclear channels
    t_wall = time.perf_counter()
    source = load_source(cfg.beam.name)
    dets = _detectors(cfg)
    seed_used = seed if seed is not None else cfg.run.seed
    if seed_used is None:
        seed_used = secrets.randbits(63)  # fresh entropy, recorded in the summary (as bdgen.rng does)
    ss = np.random.SeedSequence(seed_used)
    n = int(n_samples or DEFAULT_SAMPLES[source.kind])
    pot = cfg.run.pot
    eff = cfg.signal.efficiency
    t_lo, t_hi = cfg.signal.t_min, cfg.signal.t_max
    result = NeutrinoResult(cfg.to_dict(), {})
    children = ss.spawn(len(dets))
    angle_notes: list[str] = []
    for det, child in zip(dets, children):
        rng = np.random.default_rng(child)
        nu = neutrino_sample(source, det, n, rng)
        flux_summary: dict[str, Any] = {}
        edges = energy_edges(source.kind)
        fh: dict[str, np.ndarray] = {"energy_edges": edges}
        t_all = nu.time
        t_lo_h = float(np.floor(np.min(t_all))) if len(nu) else 0.0
        t_hi_h = float(np.quantile(t_all, 0.999)) + 1.0 if len(nu) else 1.0
        tedges = np.linspace(t_lo_h, t_hi_h, 201)
        fh["time_edges"] = tedges
        for fl in FLAVOURS:
            phi, err, mean = nu.flux(fl)
            name = FLAVOUR_NAMES[fl]
            m = nu.flavour == fl
            fh[name], fh[f"{name}_error"] = _hist(nu.energy[m], nu.weight[m], edges)
            fh[f"time_{name}"], _ = _hist(nu.time[m], nu.weight[m], tedges)
            comps = {COMPONENT_NAMES[c]: float(nu.weight[m & (nu.component == c)].sum())
                     for c in np.unique(nu.component[m])}
            flux_summary[name] = {"per_pot_per_m2": phi, "error": err, "per_pot_per_cm2": phi * 1e-4,
                                  "mean_energy": mean, "components": comps}
        rates: dict[str, Any] = {}
        recoil: dict[str, dict[str, np.ndarray]] = {}
        events: dict[str, dict[str, np.ndarray]] = {}
        v_m3 = nu.volume_m3
        nc_vals = np.zeros(len(nu))  # proton + neutron per neutrino: the two share the histories
        nc_cut: list[tuple[float, float]] = []  # (angle fraction, binomial error) of nc_proton, nc_neutron
        for ch in channels(det, bg_channel):
            # expected events per POT-normalised neutrino: weight x vals
            vals = np.zeros(len(nu))
            for fl in FLAVOURS:
                m = nu.flavour == fl
                if m.any():
                    sig = windowed(ch, nu.energy[m], fl, t_lo, t_hi) * C.GEV2_TO_M2
                    vals[m] = sig * ch.density[nu.volume[m]] * v_m3 * pot * eff
            by_flavour = {FLAVOUR_NAMES[fl]: nu.total(vals, mask=nu.flavour == fl)[0] for fl in FLAVOURS}
            tot2, err2 = nu.total(vals)
            if ch.name in ("nc_proton", "nc_neutron"):
                nc_vals += vals
            rates[ch.name] = {"label": ch.label, "events": tot2, "error": err2, "per_pot": tot2 / pot,
                              "by_flavour": by_flavour}
            ev = sample_events(ch, nu, nu.weight * vals, tot2, n_events, t_lo, t_hi, source.beam.timing, rng)
            if ev and cfg.signal.angle_cut:
                inside = in_angle_window(ev["recoil_px"], ev["recoil_py"], ev["recoil_pz"], cfg.signal.angle_min,
                                         cfg.signal.angle_max)
                frac = float(inside.mean())
                k_in = int(inside.sum())
                if k_in < 10:  # the fraction rests on few events: say so, with a bound for none
                    bound = f"; below {3.0 * tot2 / inside.size:.3g} events at 95% CL" if k_in == 0 else ""
                    angle_notes.append(f"{det.name} {ch.name}: {k_in} of {inside.size} sampled events inside the "
                                       f"angle window{bound} (raise --events)")
                binom = tot2 * math.sqrt(frac * (1.0 - frac) / inside.size)
                # each flavour by its own fraction inside (their angular spreads differ); the total
                # is their sum, and a kept event weighs its flavour's rate over its flavour's count
                w_new = np.zeros(inside.size)
                for fl in FLAVOURS:
                    name = FLAVOUR_NAMES[fl]
                    of_fl = ev["flavour"] == fl
                    n_fl = int(of_fl.sum())
                    if n_fl:
                        w_new[of_fl] = by_flavour[name] / n_fl
                    by_flavour[name] *= float(inside[of_fl].mean()) if n_fl else 0.0
                cut_total = float(sum(by_flavour.values()))
                err2 = math.hypot(err2 * (cut_total / tot2 if tot2 > 0 else 0.0), binom)
                tot2 = cut_total
                ev["weight"] = w_new
                ev = {k: v[inside] for k, v in ev.items()} if inside.any() else {}
                rates[ch.name].update(events=tot2, error=err2, per_pot=tot2 / pot, by_flavour=by_flavour,
                                      angle_fraction=frac)
                if ch.name in ("nc_proton", "nc_neutron"):
                    nc_cut.append((frac, binom))
            if ev:
                events[ch.name] = ev
                hi_eff = min(t_hi, float(ev["recoil_T"].max()) * 1.0001)
                tedg = np.linspace(max(t_lo, 0.0), hi_eff, 41)
                rh = {"T_edges": tedg}
                rh["total"], rh["total_error"] = _hist(ev["recoil_T"], ev["weight"], tedg)
                for fl in FLAVOURS:
                    sel = ev["flavour"] == fl
                    if sel.any():
                        rh[FLAVOUR_NAMES[fl]], _ = _hist(ev["recoil_T"][sel], ev["weight"][sel], tedg)
                recoil[ch.name] = rh
        # correlated: the same neutrino histories feed both, so the error is that of the summed rate
        nc_total, nc_err = nu.total(nc_vals)
        if cfg.signal.angle_cut and nc_total > 0:
            # the angle-window fractions of the two: the summed rate scales by their rate-weighted
            # mean, and the (independent) binomial errors add in quadrature
            cut_total = sum(rates[n]["events"] for n in ("nc_proton", "nc_neutron") if n in rates)
            nc_err = math.hypot(nc_err * cut_total / nc_total, *(b for _, b in nc_cut))
            nc_total = cut_total
        summary = {
            "detector": det.name,
            "distance_m": det.distance,
            "fiducial_volume_m3": v_m3,
            "flux": flux_summary,
            "backgrounds": rates,
            "nc_elastic_events": nc_total,
            "nc_elastic_error": nc_err,
            "histories": nu.n_histories,
            "neutrinos_sampled": len(nu),
        }
        result.detectors[det.name] = DetectorResult(det.name, summary, fh, recoil, events, nu if keep_sample else None)
    notes = []
    if source.kind == DAR:
        notes.append("decay-at-rest source: pi+ -> mu+ nu_mu and mu+ decay at rest only (no decay in flight, no pi-)")
    else:
        kaons = f"kaons {', '.join(k.name for k in source.kaons)} (no K-)" if source.kaons else "no kaons"
        notes.append("decay in flight without horn focusing; pi+/pi- from Sanford-Wang, primary production only; "
                     f"{kaons}; pi+ and K+ that range out decay at rest; tertiary production not included")
    notes.append("nucleons treated as free (no Pauli blocking, binding or final-state interactions)")
    notes.extend(angle_notes)
    if cfg.signal.timing_cut > 0.0:
        notes.append(f"signal.timing_cut = {cfg.signal.timing_cut:g} ns is not applied: its factor min(1, delay/cut) "
                     "is 0 for neutrinos (no delay behind light); cut on the events' t_arrival instead")
    result.summary = {
        "version": __version__,
        "seed": seed_used,
        "beam": cfg.beam.name,
        "source": source.kind,
        "stopped_pi_plus_per_pot": source.stopped_pi_plus if source.kind == DAR else None,
        "pions_per_pot": ({"pi+": source.pions_per_pot(1), "pi-": source.pions_per_pot(-1)}
                          if source.kind != DAR else None),
        "kaons_per_pot": ({k.name: source.kaons_per_pot(k.name) for k in source.kaons}
                          if source.kind != DAR else None),
        "pot": pot,
        "efficiency": eff,
        "window": [t_lo, t_hi],
        "angle_window": [cfg.signal.angle_min, cfg.signal.angle_max],
        "signal_channel": cfg.signal.channel if cfg.signal.channels is None else list(cfg.signal.channels),
        "histories": n,
        "events_per_channel": n_events,
        "wall_seconds": time.perf_counter() - t_wall,
        "detectors": {k: v.summary for k, v in result.detectors.items()},
        "notes": notes,
    }
    return result
