"""Neutrinos from pions decaying in flight (and their muons): the BNB in target or dump mode.

Geometry (:mod:`bdgen.neutrino.source`): cylinders ("regions") about the beam axis in beam
order, each filled with a medium; the space outside a region's radius is the ``wall``, the
space downstream of the last region the ``absorber``.

Per simulated pion (one "history"):

1. The proton interacts in region r with probability f_r (the beam attenuated through the
   regions, interaction lengths of the beam file); the vertex is on the axis, exponential in
   the region's proton interaction length.  pi+ and pi- are drawn from their Sanford-Wang sets
   (p, theta; uniform azimuth) with yield multiplicity x f_r per POT (primary production only).
2. The pion flies straight through the regions (no horn: no focusing, no multiple scattering;
   energy loss only through ranging out, 2b).  In a segment of length l of a medium with pion interaction length lambda_a it
   decays with probability S (Lambda/lambda_d)(1 - exp(-l/Lambda)), 1/Lambda = 1/lambda_d +
   1/lambda_a, lambda_d = beta gamma c tau, S the survival up to the segment; in the wall or
   absorber it is absorbed (decay probability S Lambda/lambda_d, or S (Lambda/lambda_d)(1 -
   exp(-R/Lambda)) where it can range out, 2b).  One decay point (or the stop, 2b) is drawn per
   pion among the segments in proportion to these probabilities, with the weight carrying their
   sum (an unbiased estimator of the decay density).
   2b. Ranging out: in media with stopping data (Z/A and I in the beam file) a charged parent
   uses up the fraction path/R of its CSDA range R (:mod:`bdgen.neutrino.stopping`, at its
   production momentum); where the fractions reach 1 it stops, if it has neither decayed nor
   been absorbed on the way (survival exp(-path/Lambda)); a pi+ or K+ then decays at rest (after
   an exponential lifetime), a pi- is captured by a nucleus (no neutrino).  The decay in flight
   before that is computed at the production momentum (no slowing down).
3. pi -> mu nu (BR 0.999877) and pi -> e nu (1.23e-4): the neutrino is forced to a point of the
   detector (:func:`bdgen.neutrino.flux.emit_two_body`).
4. The muon (helicity -1 for mu+, +1 for mu- in the pion rest frame; its spin four-vector is
   boosted to the lab and into the muon's rest frame) flies on through the regions without
   energy loss and decays in flight with probability 1 - exp(-l/lambda_mu) before reaching the
   wall or absorber (polarised Michel decay, both neutrinos forced to the detector); otherwise it
   stops there and decays at rest (isotropic Michel spectra; a mu- decays with the medium's
   ``mu_minus_decay_fraction``, the rest is captured).  Muons from pion decays in the wall or
   absorber stop where they are born.

Kaons (the beam file's ``[[neutrino.kaon]]``: K+ and K0_L) follow steps 1-2 with their own
production model, mass and lifetime (and the pion absorption lengths), then decay
(:mod:`bdgen.neutrino.spectra`): K+ -> mu+ nu_mu with its polarised muon (step 4), K+ -> pi0 e+
nu_e and pi0 mu+ nu_mu, K0_L -> pi e nu and pi mu nu (half neutrinos, half antineutrinos), the
K_l3 neutrinos with rest-frame energies from the Dalitz-plot density; a K+ that ranges out (step
2b) decays at rest through the same channels (K+ -> mu+ nu_mu at rest: a 236 MeV line, mostly in
the dump).  The muons of K_mu3 decays and the pions of K -> pi pi (pi) are not followed.

Times count from the moment the beam proton crosses z = 0 (the beam-frame origin, as for the
signal's ``t``); protons travel at c.

Not included: K-, tertiary production, energy loss before a parent stops (its decay in flight
is computed at the production momentum), the horn's material, and the muon polarisation of
stopped muons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import constants as C
from ..detectors import Detector
from . import spectra as S
from .flux import (
    K_DAR,
    K_DIF,
    PI_DAR,
    MU_DAR,
    MU_DIF,
    PI_DIF,
    NeutrinoSample,
    concatenate,
    emit_isotropic,
    emit_muon_decay,
    emit_two_body,
    michel_energies,
)
from .geometry import boost, from_angles, isotropic, norm, total_volume
from .source import DIF, KaonSpectrum, NeutrinoSource, kaon_spectrum, pion_spectrum

if TYPE_CHECKING:
    from ..production.spectra import Spectrum

WALL = -1
ABSORBER = -2


def _exit_radius(pos: np.ndarray, u: np.ndarray, radius: float) -> np.ndarray:
    """Distance along u from pos to the cylinder r = radius about the z axis (0 if outside; inf
    for a ray parallel to the axis)."""
    a = u[:, 0] ** 2 + u[:, 1] ** 2
    b = pos[:, 0] * u[:, 0] + pos[:, 1] * u[:, 1]
    c = pos[:, 0] ** 2 + pos[:, 1] ** 2 - radius * radius
    disc = np.maximum(b * b - a * c, 0.0)
    safe_a = np.where(a > 0, a, 1.0)
    s = np.where(a > 0, (-b + np.sqrt(disc)) / safe_a, np.inf)
    return np.where(c > 0, 0.0, np.maximum(s, 0.0))


def walk(source: NeutrinoSource, pos: np.ndarray, u: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, ...]:
    """Straight paths through the regions, starting at ``pos`` (n, 3) inside region ``start`` (n,).

    A track leaving region i (sideways or through an end face) continues in the first later
    region that contains the exit point (a region may enclose an earlier one: the target inside
    the horn aperture; or follow it: the decay pipe after the collimator).  If there is none it
    is in the absorber when it left through the downstream face of the last region along the
    axis, and in the wall otherwise (sideways, upstream, or onto the face of a narrower aperture).

    Returns
    -------
    s_in, s_out : ndarray, shape (n, K)
        Path interval (m) spent in each of the K regions (s_out = s_in: not crossed).
    s_end : ndarray, shape (n,)
        Path length at which the track leaves the region system.
    end : int ndarray, shape (n,)
        WALL or ABSORBER.
    """
    regions = source.regions
    n, k = pos.shape[0], len(regions)
    z_last = max(r.z_end for r in regions)
    s_in = np.zeros((n, k))
    s_out = np.zeros((n, k))
    s_cur = np.zeros(n)
    cur = np.asarray(start).copy()
    end = np.full(n, WALL)
    uz = u[:, 2]
    safe_uz = np.where(uz != 0, uz, 1.0)
    tol = 1e-9
    # tracks only move to later regions, so one pass in region order follows them to the end
    for i, reg in enumerate(regions):
        act = cur == i
        if not act.any():
            continue
        p = pos[act] + s_cur[act, None] * u[act]
        uzi, szi = uz[act], safe_uz[act]
        r_exit = _exit_radius(p, u[act], reg.radius)
        z_exit = np.where(uzi > 0, (reg.z_end - p[:, 2]) / szi,
                          np.where(uzi < 0, (reg.z_start - p[:, 2]) / szi, np.inf))
        step = np.maximum(np.minimum(r_exit, z_exit), 0.0)
        s_in[act, i] = s_cur[act]
        s_out[act, i] = s_cur[act] + step
        q = p + step[:, None] * u[act]
        rq = np.hypot(q[:, 0], q[:, 1])
        nxt = np.full(q.shape[0], -1)
        for j in range(i + 1, k):
            rj = regions[j]
            inside = ((nxt < 0) & (q[:, 2] >= rj.z_start - tol) & (q[:, 2] < rj.z_end - tol) & (rq < rj.radius))
            # a track leaving through the upstream face never enters a later region
            inside &= ~((uzi < 0) & (z_exit <= r_exit))
            nxt[inside] = j
        idx = np.flatnonzero(act)
        s_cur[idx] = s_out[idx, i]
        axial_out = (uzi > 0) & (z_exit <= r_exit) & (np.abs(q[:, 2] - z_last) < 1e-6)
        end[idx] = np.where(axial_out, ABSORBER, WALL)
        cur[idx] = np.where(nxt >= 0, nxt, k)  # k: left the system
    return s_in, s_out, s_cur, end


def _truncated_exp(u: np.ndarray, lam: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Inverse CDF of the exponential of mean lam truncated to [0, length]."""
    return -lam * np.log1p(-u * -np.expm1(-length / lam))


def _end_medium(source: NeutrinoSource, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pion absorption length in m, mu- decay fraction) of the end media WALL / ABSORBER."""
    wall, absorber = source.wall, source.absorber
    assert wall is not None and absorber is not None
    lam = np.where(end == WALL, wall.pion_lambda_m, absorber.pion_lambda_m)
    frac = np.where(end == WALL, wall.mu_minus_decay_fraction, absorber.mu_minus_decay_fraction)
    return lam, frac


def _muon_spin(pi_p4: np.ndarray, mu_rest_dir: np.ndarray, mu_p4: np.ndarray, charge: int,
               p_star: float = S.E_PI_MU) -> np.ndarray:
    """Unit spin direction of the muon in its rest frame reached from the lab by a pure boost.

    In the parent's (pi or K) rest frame the muon has helicity h = -1 (mu+) or +1 (mu-): spin
    four-vector s = h (|p*|/m, E*/m p_hat*), |p*| = ``p_star`` (the two-body neutrino energy).  It
    is boosted to the lab and then into the muon rest frame (the Wigner rotation is included
    automatically)."""
    h = -1.0 if charge > 0 else 1.0
    e_star = math.hypot(p_star, C.M_MU)
    n = mu_rest_dir.shape[0]
    s = np.empty((n, 4))
    s[:, 0] = h * p_star / C.M_MU
    s[:, 1:] = h * e_star / C.M_MU * mu_rest_dir
    s_lab = boost(s, pi_p4[:, 1:] / pi_p4[:, :1])
    s_mu = boost(s_lab, -mu_p4[:, 1:] / mu_p4[:, :1])
    return s_mu[:, 1:] / norm(s_mu[:, 1:])[:, None]


@dataclass
class PionDecays:
    """One decay point per simulated pion or kaon (arrays of length n; p4 (n, 4) GeV at the decay,
    position (n, 3) m, time ns).

    ``weight``: decays per POT carried by the parent (production yield x decay probability);
    ``region``: index of the region of a decay in flight, or len(regions) for the wall/absorber and
    for every decay at rest; ``end``: where the parent's path left the region system (WALL or
    ABSORBER); ``at_rest``: the parent ranged out and decayed at rest (p4 = (m, 0, 0, 0))."""

    charge: int
    p4: np.ndarray
    position: np.ndarray
    time: np.ndarray
    weight: np.ndarray
    region: np.ndarray
    end: np.ndarray
    at_rest: np.ndarray


@dataclass
class Muons:
    """The muon of each pion decay: lab four-momentum, rest-frame spin, and its two fates."""

    charge: int
    p4: np.ndarray
    spin: np.ndarray
    weight: np.ndarray           # muons per POT (pion decay weight x BR(pi -> mu nu))
    p_flight: np.ndarray         # probability to decay in flight
    flight_position: np.ndarray  # decay point in flight
    flight_time: np.ndarray
    stop_position: np.ndarray    # where it stops (end of its path through the regions)
    stop_time: np.ndarray        # decay time at rest (includes the lifetime)
    stop_decay: np.ndarray       # fraction decaying at rest (1 for mu+; mu- capture otherwise)


def _parent_decays(source: NeutrinoSource, spectrum: Spectrum, multiplicity: float, mass: float, ctau: float,
                   charge: int, n: int, rng: np.random.Generator) -> PionDecays:
    """Steps 1-2 of the module docstring for n parents (pions or kaons) of one species: production
    ``spectrum`` in (p GeV/c, theta rad), ``multiplicity`` per inelastic collision, ``mass`` (GeV),
    ``ctau`` (m), ``charge`` (+1, -1, 0); absorbed with the media's pion interaction lengths.
    Returns arrays of length n."""
    if source.kind != DIF:
        raise ValueError("decays in flight need a decay-in-flight source")
    regions = source.regions
    fractions = source.interaction_fractions()
    reg = rng.choice(len(regions), size=n, p=fractions / fractions.sum())
    lam_p = np.array([r.proton_lambda_m for r in regions])[reg]
    axis = np.array(source.axis_ranges())
    z0 = axis[reg, 0] + _truncated_exp(rng.uniform(0, 1, n), lam_p, (axis[:, 1] - axis[:, 0])[reg])
    w0 = np.full(n, multiplicity * fractions.sum() / n)
    p, theta, _viol = spectrum.sample(n, rng)
    u = from_angles(theta, rng.uniform(0.0, 2.0 * math.pi, n))
    pos0 = np.zeros((n, 3))
    pos0[:, 2] = z0
    e_par = np.hypot(p, mass)
    p4 = np.concatenate([e_par[:, None], p[:, None] * u], axis=1)
    lam_d = S.decay_length(p, mass, ctau)
    s_in, s_out, s_end, end = walk(source, pos0, u, reg)
    nreg = len(regions)
    idx = np.arange(n)
    lam_a = np.array([r.medium.pion_lambda_m for r in regions])
    big_lam = 1.0 / (1.0 / lam_d[:, None] + 1.0 / lam_a[None, :])
    seg = s_out - s_in
    # ranging out (step 2b): charged parents stop where the fractions of their range used up in the
    # media crossed (path / range at the production momentum, media with stopping data) reach 1,
    # unless they decayed or were absorbed before; no energy loss is applied to the decay in flight
    rng_reg = np.full((n, nreg), np.inf)  # the path to the stopping point in each region (inf: none)
    used = np.zeros(n)
    stop_in_reg = np.zeros(n, bool)
    first = np.zeros(n, np.int64)
    if charge != 0:
        for j, r in enumerate(regions):
            if not r.medium.stops_mesons:
                continue
            full = r.medium.range_m(p, mass)
            left = (1.0 - used) * full
            here = ~stop_in_reg & (seg[:, j] > left)
            rng_reg[here, j] = left[here]
            first[here] = j
            stop_in_reg |= here
            used = np.where(stop_in_reg, used, used + seg[:, j] / full)
    col = np.arange(nreg)[None, :]
    seg = np.where(stop_in_reg[:, None] & (col > first[:, None]), 0.0,
                   np.where(stop_in_reg[:, None] & (col == first[:, None]), rng_reg, seg))
    surv_seg = np.exp(-seg / big_lam)
    before = np.cumprod(np.concatenate([np.ones((n, 1)), surv_seg], axis=1), axis=1)
    p_seg = before[:, :-1] * big_lam / lam_d[:, None] * (1.0 - surv_seg)
    lam_end, _frac = _end_medium(source, end)
    lam_e = 1.0 / (1.0 / lam_d + 1.0 / lam_end)
    rng_end = np.full(n, np.inf)  # the path left to the stopping point in the end medium
    if charge != 0:
        for code, med in ((WALL, source.wall), (ABSORBER, source.absorber)):
            sel = end == code
            rng_end[sel] = np.maximum(1.0 - used[sel], 0.0) * med.range_m(p[sel], mass)  # type: ignore[union-attr]
    reach_end = np.where(stop_in_reg, 0.0, before[:, -1])
    p_end = reach_end * lam_e / lam_d * -np.expm1(-rng_end / lam_e)
    # at rest: a positive parent decays, a negative one is captured by a nucleus (no neutrino)
    p_rest = np.where(stop_in_reg, before[idx, np.minimum(first + 1, nreg)], reach_end * np.exp(-rng_end / lam_e))
    if charge < 0:
        p_rest = np.zeros(n)
    probs = np.concatenate([p_seg, p_end[:, None], p_rest[:, None]], axis=1)
    p_tot = probs.sum(axis=1)
    cdf = np.cumsum(probs, axis=1) / np.where(p_tot > 0, p_tot, 1.0)[:, None]
    choice = np.minimum((rng.uniform(0, 1, n)[:, None] > cdf).sum(axis=1), nreg + 1)
    in_end = choice == nreg
    at_rest = choice == nreg + 1
    k = np.minimum(choice, nreg - 1)
    s_flight = np.where(in_end, s_end + _truncated_exp(rng.uniform(0, 1, n), lam_e, rng_end),
                        s_in[idx, k] + _truncated_exp(rng.uniform(0, 1, n), big_lam[idx, k],
                                                      np.maximum(seg[idx, k], 1e-300)))
    s_stop = np.where(stop_in_reg, s_in[idx, first] + np.where(np.isfinite(rng_reg[idx, first]), rng_reg[idx, first], 0.0),
                      s_end + np.where(np.isfinite(rng_end), rng_end, 0.0))
    s_dec = np.where(at_rest, s_stop, s_flight)
    # t = 0 when the beam proton crosses z = 0 (the beam-frame origin, as for the signal's t); a
    # stopped parent arrives at its initial speed (the slowing down takes ~1 ns) and lives tau
    t_dec = z0 / C.C_M_PER_NS + s_dec / (p / e_par * C.C_M_PER_NS)
    t_dec = np.where(at_rest, t_dec + rng.exponential(1.0, n) * ctau / C.C_M_PER_NS, t_dec)
    p4 = np.where(at_rest[:, None], np.array([mass, 0.0, 0.0, 0.0]), p4)
    region = np.where(at_rest, nreg, np.minimum(choice, nreg))
    return PionDecays(charge, p4, pos0 + s_dec[:, None] * u, t_dec, w0 * p_tot, region, end, at_rest)


def pion_decays(source: NeutrinoSource, charge: int, n: int, rng: np.random.Generator) -> PionDecays:
    """Steps 1-2 of the module docstring for n pions of one charge."""
    if source.kind != DIF:
        raise ValueError("pion_decays needs a decay-in-flight source")
    ps = next(p for p in source.pions if p.charge == charge)
    spectrum = pion_spectrum(source.beam.proton_momentum, ps.params, charge)
    return _parent_decays(source, spectrum, source.multiplicity(charge), C.M_PIPM, S.CTAU_PI, charge, n, rng)


def kaon_decays(source: NeutrinoSource, kaon: KaonSpectrum, n: int, rng: np.random.Generator) -> PionDecays:
    """Steps 1-2 of the module docstring for n kaons of the species ``kaon`` (charge 0 for K0_L);
    arrays of length n (four-momenta (n, 4) in GeV, positions (n, 3) in m, times in ns)."""
    mass, ctau, charge = (S.M_KPM, S.CTAU_KPM, 1) if kaon.name == "K+" else (S.M_KL, S.CTAU_KL, 0)
    spectrum = kaon_spectrum(source.beam.proton_momentum, kaon.name, kaon.params)
    return _parent_decays(source, spectrum, source.kaon_multiplicity(kaon.name), mass, ctau, charge, n, rng)


def muons(source: NeutrinoSource, dec: PionDecays, rng: np.random.Generator, p_star: float = S.E_PI_MU,
          branching: float = S.BR_PI_MUNU) -> Muons:
    """Step 4 of the module docstring: the muons of the two-body decays parent -> mu nu of
    ``dec`` (pions by default; K+ with p_star = S.E_K_MU, branching = S.BR_K_MUNU): ``p_star`` the
    muon momentum in the parent rest frame (GeV), ``branching`` the fraction of decays giving a
    muon.  Arrays of length n = dec.weight.size."""
    n = dec.weight.size
    charge = dec.charge
    nreg = len(source.regions)
    d_rest = isotropic(n, rng)  # neutrino direction in the parent rest frame; the muon goes opposite
    mu_rest = np.concatenate([np.full((n, 1), math.hypot(p_star, C.M_MU)), -p_star * d_rest], axis=1)
    mu_p4 = boost(mu_rest, dec.p4[:, 1:] / dec.p4[:, :1])
    spin = _muon_spin(dec.p4, -d_rest, mu_p4, charge, p_star)
    p_mu = norm(mu_p4[:, 1:])
    u_mu = mu_p4[:, 1:] / p_mu[:, None]
    beta_mu = p_mu / mu_p4[:, 0]
    flying = dec.region < nreg
    path = np.zeros(n)
    mu_end = dec.end.copy()
    if flying.any():
        _si, _so, s_end_mu, end_mu = walk(source, dec.position[flying], u_mu[flying], dec.region[flying])
        path[flying] = s_end_mu
        mu_end[flying] = end_mu
    lam_mu = S.decay_length(p_mu, C.M_MU, S.CTAU_MU)
    p_dif = np.where(flying, -np.expm1(-path / lam_mu), 0.0)
    s_mu = _truncated_exp(rng.uniform(0, 1, n), lam_mu, np.maximum(path, 1e-300))
    _lam, frac = _end_medium(source, mu_end)
    f_decay = np.ones(n) if charge > 0 else frac
    # a captured mu- shortens the lifetime to f tau
    t_stop = dec.time + path / (beta_mu * C.C_M_PER_NS) + rng.exponential(1.0, n) * S.TAU_MU * f_decay
    return Muons(charge, mu_p4, spin, dec.weight * branching, p_dif, dec.position + s_mu[:, None] * u_mu,
                 dec.time + s_mu / (beta_mu * C.C_M_PER_NS), dec.position + path[:, None] * u_mu, t_stop, f_decay)


def _emit_muons(mu: Muons, hist: np.ndarray, n_hist: int, detector: Detector,
                rng: np.random.Generator) -> list[NeutrinoSample]:
    """The neutrinos of the muons ``mu``: in flight (polarised) and at rest where they stop;
    ``hist`` (n,) the history index of each muon, ``n_hist`` the number of histories."""
    n = mu.weight.size
    e_type, m_type = (12, -14) if mu.charge > 0 else (-12, 14)
    parts = []
    for fl in (e_type, m_type):
        parts.append(emit_muon_decay(mu.flight_position, mu.p4, mu.spin, mu.charge, mu.weight * mu.p_flight, fl,
                                     mu.flight_time, MU_DIF, hist, n_hist, detector, rng))
        parts.append(emit_isotropic(mu.stop_position, mu.weight * (1.0 - mu.p_flight) * mu.stop_decay, fl,
                                    michel_energies(n, fl, rng), mu.stop_time, MU_DAR, hist, n_hist, detector, rng))
    return parts


def _emit_kaon(source: NeutrinoSource, kaon: KaonSpectrum, dec: PionDecays, hist: np.ndarray, n_hist: int,
               detector: Detector, rng: np.random.Generator) -> list[NeutrinoSample]:
    """The neutrinos of the kaon decays ``dec`` (module docstring), and those of the K+ -> mu nu
    muons; ``hist`` (n,) the history index of each kaon, ``n_hist`` the number of histories."""
    n = dec.weight.size
    parts = []
    comp = np.where(dec.at_rest, K_DAR, K_DIF)

    def kl3(flavour: int, branching: float, m_k: float, m_pi: float, m_l: float, lam: float) -> None:
        e_star = S.kl3_neutrino_energies(n, m_k, m_pi, m_l, lam, rng)
        parts.append(emit_two_body(dec.position, dec.p4, dec.weight * branching, flavour, e_star, dec.time, comp,
                                   hist, n_hist, detector, rng))

    if kaon.name == "K+":
        parts.append(emit_two_body(dec.position, dec.p4, dec.weight * S.BR_K_MUNU, 14, S.E_K_MU, dec.time, comp,
                                   hist, n_hist, detector, rng))
        kl3(12, S.BR_K_E3, S.M_KPM, C.M_PI0, C.M_E, S.LAMBDA_PLUS_KPM)
        kl3(14, S.BR_K_MU3, S.M_KPM, C.M_PI0, C.M_MU, S.LAMBDA_PLUS_KPM)
        parts += _emit_muons(muons(source, dec, rng, S.E_K_MU, S.BR_K_MUNU), hist, n_hist, detector, rng)
    else:  # K0_L: pi-+ l+- nu and pi+- l-+ nubar, half each
        for fl in (12, -12):
            kl3(fl, 0.5 * S.BR_KL_E3, S.M_KL, C.M_PIPM, C.M_E, S.LAMBDA_PLUS_KL)
        for fl in (14, -14):
            kl3(fl, 0.5 * S.BR_KL_MU3, S.M_KL, C.M_PIPM, C.M_MU, S.LAMBDA_PLUS_KL)
    return parts


def decay_in_flight(source: NeutrinoSource, detector: Detector, n: int, rng: np.random.Generator,
                    charges: tuple[int, ...] = (1, -1), kaons: bool = True) -> NeutrinoSample:
    """Neutrinos at ``detector`` from n simulated pions of each charge and n kaons of each species
    of the source (``kaons=False``: pions only) (see module docstring).

    Histories: pion i of the k-th charge is history k n + i; kaon i of the j-th species follows
    as (len(charges) + j) n + i."""
    parts: list[NeutrinoSample] = []
    kaon_sets = source.kaons if kaons else ()
    n_hist = n * (len(charges) + len(kaon_sets))
    for ci, charge in enumerate(charges):
        hist = np.arange(n) + ci * n
        dec = pion_decays(source, charge, n, rng)
        # 3. the pion's own neutrino
        nu_mu, nu_e = (14, 12) if charge > 0 else (-14, -12)
        comp = np.where(dec.at_rest, PI_DAR, PI_DIF)
        for fl, br, e_star in ((nu_mu, S.BR_PI_MUNU, S.E_PI_MU), (nu_e, S.BR_PI_ENU, S.E_PI_E)):
            parts.append(emit_two_body(dec.position, dec.p4, dec.weight * br, fl, e_star, dec.time, comp, hist,
                                       n_hist, detector, rng))
        # 4. its muon: in flight, or at rest where it stops
        parts += _emit_muons(muons(source, dec, rng), hist, n_hist, detector, rng)
    for ki, kaon in enumerate(kaon_sets):
        hist = np.arange(n) + (len(charges) + ki) * n
        parts += _emit_kaon(source, kaon, kaon_decays(source, kaon, n, rng), hist, n_hist, detector, rng)
    out = concatenate(parts, n_hist)
    out.volume_m3 = total_volume(detector)
    return out
