"""Weighted neutrino samples at a detector, and the decay-at-rest source.

A :class:`NeutrinoSample` is a set of neutrinos arriving at points sampled uniformly in the
detector's fiducial volumes.  Its weights are neutrinos per POT per m^2 *averaged over the
fiducial volume*: the sum of the weights of one flavour is the volume-averaged flux
<Phi> = (1/V) int_V Phi(x) dV, and the expected number of interactions per POT on targets of
number density n is V sum_k w_k n(vol_k) sigma(E_k).

Every neutrino is sent from its emission point X to a point y drawn uniformly in the fiducial
volume, with the exact weight dN/dOmega(u) / |y - X|^2 for the direction u = (y - X)/|y - X|
(the "forced direction" or point-detector estimator, averaged over y):

- isotropic emission at rest: dN/dOmega = 1/(4 pi), energy from the rest-frame spectrum;
- a massless daughter of a moving parent (velocity beta, gamma): a rest-frame distribution
  f*(E*, Omega*)/(4 pi) becomes, along the lab direction u, E = D E* with the Doppler factor
  D = 1/(gamma (1 - beta.u)) and dN/dOmega = D^2 <f*(., Omega*(u))>/(4 pi), since
  dOmega*/dOmega = D^2 for a massless particle (e.g. PDG RPP, "Kinematics", eqs. 49.x; the
  tests check it against direct simulation).

Decay at rest (:func:`decay_at_rest`): stopped pi+ -> mu+ nu_mu (a line at 29.79 MeV, after the
pion lifetime) and mu+ -> e+ nu_e anti-nu_mu (Michel spectra, after pion plus muon lifetimes),
all isotropic from the source point, normalised to the beam file's stopped pi+ per POT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import constants as C
from ..detectors import Detector
from . import spectra as S
from .geometry import boost, norm, sample_points, total_volume

#: Emission components (the ``component`` array).
PI_DAR, MU_DAR, PI_DIF, MU_DIF, K_DIF, K_DAR = 0, 1, 2, 3, 4, 5
COMPONENT_NAMES = {PI_DAR: "pi decay at rest", MU_DAR: "mu decay at rest", PI_DIF: "pi decay in flight",
                   MU_DIF: "mu decay in flight", K_DIF: "K decay in flight", K_DAR: "K decay at rest"}


@dataclass
class NeutrinoSample:
    """Neutrinos at a detector (arrays of equal length n).

    Attributes
    ----------
    flavour : int array
        PDG code (12, -12, 14, -14).
    energy : float array
        GeV.
    weight : float array
        Neutrinos per POT per m^2, volume-averaged (see module docstring).
    time : float array
        Arrival time at the detector point after the proton's interaction, ns (no spill).
    direction : float array (n, 3)
        Unit direction of flight in the beam frame.
    point : float array (n, 3)
        The detector point reached (m).
    volume : int array
        Fiducial-volume index of the point.
    component : int array
        Emission component (PI_DAR, MU_DAR, PI_DIF, MU_DIF, K_DIF, K_DAR).
    history : int array
        Index of the primary (stopped pion, or produced pion or kaon) the neutrino descends from; used
        for the Monte Carlo errors (neutrinos of one history are correlated).
    n_histories : int
        Number of primaries simulated.
    volume_m3 : float
        Total fiducial volume V (m^3).
    """

    flavour: np.ndarray
    energy: np.ndarray
    weight: np.ndarray
    time: np.ndarray
    direction: np.ndarray
    point: np.ndarray
    volume: np.ndarray
    component: np.ndarray
    history: np.ndarray
    n_histories: int
    volume_m3: float
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.energy.size)

    def select(self, mask: np.ndarray) -> NeutrinoSample:
        """The neutrinos where ``mask`` holds (same normalisation)."""
        return NeutrinoSample(self.flavour[mask], self.energy[mask], self.weight[mask], self.time[mask],
                              self.direction[mask], self.point[mask], self.volume[mask], self.component[mask],
                              self.history[mask], self.n_histories, self.volume_m3, list(self.notes))

    def total(self, values: np.ndarray | None = None, mask: np.ndarray | None = None) -> tuple[float, float]:
        """Sum of ``weight x values`` (default: the weights) and its Monte Carlo error, from the
        spread of the per-history sums."""
        x = self.weight if values is None else self.weight * values
        if mask is not None:
            x = np.where(mask, x, 0.0)
        per = np.bincount(self.history, weights=x, minlength=self.n_histories)
        s = float(per.sum())
        n = max(self.n_histories, 1)
        var = float(np.sum(per * per) - s * s / n)
        return s, math.sqrt(max(var, 0.0) * n / max(n - 1, 1))

    def flux(self, flavour: int) -> tuple[float, float, float]:
        """(volume-averaged flux per POT per m^2, its error, mean energy in GeV) of a flavour."""
        m = self.flavour == flavour
        phi, err = self.total(mask=m)
        w = self.weight[m]
        mean = float(np.sum(w * self.energy[m]) / w.sum()) if w.sum() > 0 else 0.0
        return phi, err, mean


def concatenate(parts: list[NeutrinoSample], n_histories: int) -> NeutrinoSample:
    """Join samples that share the history numbering (n_histories in total)."""
    parts = [p for p in parts if len(p)] or parts[:1]
    cat = np.concatenate
    return NeutrinoSample(cat([p.flavour for p in parts]), cat([p.energy for p in parts]),
                          cat([p.weight for p in parts]), cat([p.time for p in parts]),
                          cat([p.direction for p in parts]), cat([p.point for p in parts]),
                          cat([p.volume for p in parts]), cat([p.component for p in parts]),
                          cat([p.history for p in parts]), n_histories, parts[0].volume_m3,
                          [n for p in parts for n in p.notes])


def _aim(origin: np.ndarray, detector: Detector, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Detector points for each emission point: (points, volume, unit directions, distances)."""
    y, vol = sample_points(detector, origin.shape[0], rng)
    d = y - origin
    dist = norm(d)
    return y, vol, d / dist[:, None], dist


def _sample(flavour: int, energy: np.ndarray, weight: np.ndarray, time: np.ndarray, u: np.ndarray, y: np.ndarray,
            vol: np.ndarray, component: int | np.ndarray, history: np.ndarray, n_hist: int,
            v_m3: float) -> NeutrinoSample:
    """A NeutrinoSample of n neutrinos; ``component`` one code for all or an int array (n,)."""
    n = energy.size
    return NeutrinoSample(np.full(n, flavour, dtype=np.int64), energy, weight, time, u, y, vol,
                          np.full(n, component, dtype=np.int64), history.astype(np.int64), n_hist, v_m3)


def emit_isotropic(origin: np.ndarray, weight: np.ndarray, flavour: int, energy: np.ndarray, t0: np.ndarray,
                   component: int, history: np.ndarray, n_hist: int, detector: Detector,
                   rng: np.random.Generator) -> NeutrinoSample:
    """Neutrinos emitted isotropically at ``origin`` (n, 3) with lab energies ``energy``: weight
    w / (4 pi L^2) towards a uniform point of the detector; arrival time t0 + L/c."""
    y, vol, u, dist = _aim(origin, detector, rng)
    w = weight / (4.0 * math.pi * dist * dist)
    return _sample(flavour, energy, w, t0 + dist / C.C_M_PER_NS, u, y, vol, component, history, n_hist,
                   total_volume(detector))


def emit_two_body(origin: np.ndarray, parent_p4: np.ndarray, weight: np.ndarray, flavour: int,
                  e_star: float | np.ndarray, t0: np.ndarray, component: int | np.ndarray, history: np.ndarray,
                  n_hist: int, detector: Detector, rng: np.random.Generator) -> NeutrinoSample:
    """Massless neutrinos emitted isotropically in the parent rest frame with energy ``e_star``
    (GeV; one value, or one per parent for three-body decays) by parents with lab four-momenta
    ``parent_p4`` (n, 4) at ``origin`` (n, 3), forced towards the detector; ``component`` one
    code or one per parent (n,)."""
    y, vol, u, dist = _aim(origin, detector, rng)
    beta = parent_p4[:, 1:] / parent_p4[:, :1]
    gamma = parent_p4[:, 0] / np.sqrt(np.maximum(parent_p4[:, 0] ** 2 - np.einsum("ij,ij->i", parent_p4[:, 1:],
                                                                                     parent_p4[:, 1:]), 1e-300))
    doppler = 1.0 / (gamma * (1.0 - np.einsum("ij,ij->i", beta, u)))
    w = weight * doppler**2 / (4.0 * math.pi * dist * dist)
    return _sample(flavour, doppler * e_star, w, t0 + dist / C.C_M_PER_NS, u, y, vol, component, history, n_hist,
                   total_volume(detector))


def emit_muon_decay(origin: np.ndarray, mu_p4: np.ndarray, spin: np.ndarray, charge: int, weight: np.ndarray,
                    flavour: int, t0: np.ndarray, component: int, history: np.ndarray, n_hist: int,
                    detector: Detector, rng: np.random.Generator) -> NeutrinoSample:
    """One neutrino flavour of polarised muon decays in flight (see :mod:`bdgen.neutrino.spectra`),
    forced towards the detector.

    ``spin`` (n, 3) is the unit spin direction in the muon rest frame reached from the lab by a
    pure boost; the energy fraction x is drawn from the unpolarised Michel spectrum and the weight
    carries D^2 times the polarisation factor at the rest-frame angle to the spin."""
    y, vol, u, dist = _aim(origin, detector, rng)
    beta = mu_p4[:, 1:] / mu_p4[:, :1]
    gamma = mu_p4[:, 0] / C.M_MU
    doppler = 1.0 / (gamma * (1.0 - np.einsum("ij,ij->i", beta, u)))
    x = S.sample_michel_x(rng.uniform(0.0, 1.0, u.shape[0]), flavour)
    energy = doppler * x * 0.5 * C.M_MU
    # neutrino direction in the muon rest frame
    k_rest = boost(np.concatenate([np.ones((u.shape[0], 1)), u], axis=1), -beta)
    n_rest = k_rest[:, 1:] / norm(k_rest[:, 1:])[:, None]
    cos_s = np.einsum("ij,ij->i", n_rest, spin)
    w = weight * doppler**2 * S.polarisation_factor(x, cos_s, flavour, charge) / (4.0 * math.pi * dist * dist)
    return _sample(flavour, energy, w, t0 + dist / C.C_M_PER_NS, u, y, vol, component, history, n_hist,
                   total_volume(detector))


def michel_energies(n: int, flavour: int, rng: np.random.Generator) -> np.ndarray:
    """n energies (GeV) from the unpolarised Michel spectrum of ``flavour``."""
    return S.sample_michel_x(rng.uniform(0.0, 1.0, n), flavour) * 0.5 * C.M_MU


def decay_at_rest(stopped_pi_plus: float, detector: Detector, n: int, rng: np.random.Generator,
                  position: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> NeutrinoSample:
    """The decay-at-rest neutrinos of ``stopped_pi_plus`` stopped pi+ per POT at ``position``.

    n histories (stopped pions); each gives a nu_mu (29.79 MeV) after the pion's decay time and a
    nu_e and an anti-nu_mu (Michel) after the muon's, weighted by BR(pi -> mu nu) (the
    1.2e-4 of pi -> e nu are omitted, as is the few-per-cent decay in flight of such sources)."""
    hist = np.arange(n)
    origin = np.broadcast_to(np.asarray(position, float), (n, 3))
    w = np.full(n, stopped_pi_plus * S.BR_PI_MUNU / n)
    t_pi = rng.exponential(S.TAU_PI, n)
    t_mu = t_pi + rng.exponential(S.TAU_MU, n)
    parts = [emit_isotropic(origin, w, 14, np.full(n, S.E_PI_MU), t_pi, PI_DAR, hist, n, detector, rng)]
    for fl in (12, -14):
        parts.append(emit_isotropic(origin, w, fl, michel_energies(n, fl, rng), t_mu, MU_DAR, hist, n, detector, rng))
    out = concatenate(parts, n)
    out.volume_m3 = total_volume(detector)
    return out
