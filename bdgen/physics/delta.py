"""chi N -> chi Delta(1232) through the dark photon, Delta -> N pi0 (pi0 -> gamma gamma) or N gamma.

The "NC pi0-like" inelastic signal (issue #5).  Pure numpy, vectorised.  Units: GeV, GeV^-2
for cross-sections.  Derivations, sources and numbers: ``docs/delta.md``.

Cross-section.  The mediator couples to the nucleon's electromagnetic current with eps e, so
the hadronic side is the inclusive electromagnetic N -> Delta tensor
W^{mu nu} = -W1 (g - q q/q^2) + (W2/M^2) p~ p~ (Halzen & Martin, "Quarks and Leptons",
ch. 8, normalisation in which a point Dirac target has W2 = delta(nu - Q^2/2M)), the same W1, W2 that
:mod:`bdgen.physics.scattering` uses for the elastic channel.  Contracting with the chi
current (spin-averaged, vector coupling) gives, for energy transfer nu and Q^2 = -q^2,

    d2sigma/dQ2 dnu = pi coupling X / (p^2 (m_V^2 + Q^2)^2),     coupling = eps^2 alpha alpha_D,
    scalar chi:  X = W2 (2E - nu)^2 - W1 (4 m_chi^2 + Q^2),
    Dirac chi:   X = W2 (4 E (E - nu) - Q^2) + 2 W1 (Q^2 - 2 m_chi^2),

which for W_i = w_i delta(nu - Q^2/2M) is exactly scattering.dsigma_dt (dQ^2 = 2M dT), and for
m_V -> 0, coupling -> alpha^2, Dirac chi of mass m_e the textbook inclusive e N cross-section.
With W^2 = M^2 + 2 M nu - Q^2, d2sigma/dQ2 dW = (W/M) d2sigma/dQ2 dnu.

N -> Delta in magnetic-dipole dominance.  The Jones-Scadron vertex (Jones & Scadron, Ann.
Phys. 81 (1973) 1; normalisation as in Pascalutsa, Vanderhaeghen, Yang, Phys. Rep. 437 (2007)
125) <Delta(p')|J^mu|N(p)> = sqrt(2/3) 3 (W + M)/(2 M Q_+^2) G_M*(Q^2)
u-bar_beta(p') eps^{beta mu rho sigma} p'_rho q_sigma u(p), Q_+-^2 = (W +- M)^2 + Q^2, squared with the
spin-3/2 (Rarita-Schwinger) sum over Delta spins, gives (derived in docs/delta.md and checked
against explicit spinors in the tests)

    W1 = rho(W^2) (W + M)^2 Q_-^2 G_M*^2 / (8 M^3),      W2 = W1 Q^2 / (Q^2 + nu^2)

(no longitudinal response: sigma_L = 0 for a pure M1 transition).  The electromagnetic
N -> Delta transition is isovector, so p -> Delta+ and n -> Delta0 have the same G_M*.

G_M*(Q^2) = G_M*(0) (Q_+/(M_Delta + M)) G_D(Q^2) (1 + a Q^2) exp(-b Q^2), G_D = (1 + Q^2/0.71)^-2,
a = 0.01, b = 0.23 GeV^-2: the Q^2 dependence of the MAID2007 magnetic Delta amplitude
(Drechsel, Kamalov, Tiator, Eur. Phys. J. A 34 (2007) 69, arXiv:0710.0306) converted to the
Jones-Scadron G_M* (docs/delta.md).  G_M*(0) = 3.066 from the PDG 2024 Delta(1232)
photo-decay amplitudes A_1/2 = -0.135, A_3/2 = -0.255 GeV^-1/2 projected on M1.

Line shape.  rho(W^2) = (1/pi) M_D Gamma(W) / ((W^2 - M_D^2)^2 + M_D^2 Gamma(W)^2), the
relativistic Breit-Wigner with the P-wave width Gamma(W) = Gamma0 (M_D/W) sum_c B_c (q_c(W)/q_c(M_D))^3
over the two N pi charge channels c of the Delta charge state (B = 2/3, 1/3); PDG RPP 2024
Breit-Wigner mass 1.232 GeV and width 0.117 GeV.  W runs from M + m_pi0 to W_MAX = 1.4 GeV.

Decays (Delta rest frame, axis along the Delta's lab momentum = the direction of q there).
A transverse M1 excitation of an unpolarised nucleon populates the Delta helicities
+-3/2 : +-1/2 as 3 : 1, so the N pi P-wave decay goes as 5 - 3 cos^2(theta) and the M1
N gamma decay as 7 + 3 cos^2(theta) (derived in docs/delta.md; the azimuthal sigma_TT
correlation is not modelled, the azimuth is uniform).  pi0 -> gamma gamma is isotropic.
The target nucleon is at rest (no Fermi motion, Pauli blocking or pion final-state
interactions; see docs/delta.md).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from .. import constants as C
from ..kinematics import boost_many, orthonormal_basis

# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------

#: Delta(1232) Breit-Wigner mass and width (GeV), PDG RPP 2024 (mass 1230-1234, width 114-120).
M_DELTA = 1.232
GAMMA0 = 0.117
#: Upper end of the Delta line shape in W (GeV).  Above 1.4 GeV the second resonance region
#: (N(1440), N(1520), N(1535)) takes over, and the P-wave width of the formula below grows to
#: Gamma(1.6 GeV) = 1.0 GeV, so the Delta model is not trusted there; raising the cut to 1.6 GeV
#: adds about 20 % to sigma (docs/delta.md).
W_MAX = 1.4

#: PDG RPP 2024 Breit-Wigner photo-decay amplitudes of Delta(1232) -> N gamma (GeV^-1/2).
A12_PDG = -0.135
A32_PDG = -0.255
#: BR(Delta -> N gamma): PDG RPP 2024 quotes 0.55-0.65 %; central value.
BR_N_GAMMA = 0.006
#: BR(Delta -> N pi) = 1 - BR(N gamma) (PDG: 99.4 %).
BR_N_PI = 1.0 - BR_N_GAMMA
#: Isospin Clebsch-Gordan share of the pi0 mode: Delta+ -> p pi0 and Delta0 -> n pi0 are 2/3 of N pi.
ISOSPIN_PI0 = 2.0 / 3.0

#: MAID2007 Q^2 shape of the magnetic Delta amplitude (1 + a Q^2) exp(-b Q^2) G_D (q/k)
#: (Drechsel, Kamalov, Tiator, EPJA 34 (2007) 69; numbers as tabulated for the P33(1232) in
#: GENIE's LARNCGammaXSec::HelicityAmplitude, which implements MAID2007).
MAID_A = 0.01
MAID_B = 0.23
LAMBDA2_DIPOLE = 0.71

#: Largest number of rejection candidates per event in :func:`sample` before it gives up
#: (candidate c uses the EventStreams draws 2c and 2c + 1).
MAX_CANDIDATES = 1 << 22
#: Candidates tried per event in rejection round r: 2^(r // 4), at most 1024 (round r = 0..3:
#: one each; events near threshold, where the acceptance is below 1 %, get more per round).
_MAX_BATCH = 1024
#: First EventStreams draw number used after the rejection loop.
DRAW_DECAY = 2 * MAX_CANDIDATES + 2

TARGETS = ("proton", "neutron")


def _masses(target: str) -> tuple[float, tuple[tuple[float, float, float], ...]]:
    """(M_N, N pi channels (BR, m_N', m_pi)) of the Delta charge state reached from ``target``."""
    if target == "proton":   # Delta+ -> p pi0 (2/3), n pi+ (1/3)
        return C.M_P, ((2.0 / 3.0, C.M_P, C.M_PI0), (1.0 / 3.0, C.M_N, C.M_PIPM))
    if target == "neutron":  # Delta0 -> n pi0 (2/3), p pi- (1/3)
        return C.M_N, ((2.0 / 3.0, C.M_N, C.M_PI0), (1.0 / 3.0, C.M_P, C.M_PIPM))
    raise ValueError(f"target = {target!r}: must be 'proton' or 'neutron'")


def _lam(a: Any, b: Any, c: Any) -> Any:
    """Kallen function lambda(a, b, c) = a^2 + b^2 + c^2 - 2ab - 2ac - 2bc."""
    return a * a + b * b + c * c - 2.0 * (a * b + a * c + b * c)


def _pstar(w: Any, m1: float, m2: float) -> Any:
    """Two-body break-up momentum of a mass w into m1 + m2 (0 below threshold)."""
    w = np.asarray(w, dtype=float)
    l2 = np.maximum(_lam(w * w, m1 * m1, m2 * m2), 0.0)
    return np.sqrt(l2) / (2.0 * w)


def w_min(target: str) -> float:
    """Lowest Delta mass W (GeV): the N pi0 threshold M + m_pi0."""
    m, _ = _masses(target)
    return m + C.M_PI0


# ---------------------------------------------------------------------------------------------
# Transition form factor and line shape
# ---------------------------------------------------------------------------------------------

def n_js(q2: Any, target: str = "proton") -> Any:
    """N(Q^2) (GeV^-1/2) with A_1/2 = -N G_M*/2, A_3/2 = -sqrt(3) N G_M*/2 (pure M1):
    N^2 = pi alpha (M_D + M) Q_-^2 / (2 M^3 (M_D - M)), Q_-^2 = (M_D - M)^2 + Q^2 (docs/delta.md)."""
    m, _ = _masses(target)
    qm2 = (M_DELTA - m) ** 2 + np.asarray(q2, dtype=float)
    return np.sqrt(math.pi * C.ALPHA * (M_DELTA + m) * qm2 / (2.0 * m**3 * (M_DELTA - m)))


def a_m1(q2: Any = 0.0, target: str = "proton") -> Any:
    """The magnetic combination A_M = -(A_1/2 + sqrt(3) A_3/2)/2 (GeV^-1/2) at Q^2:
    its PDG value at Q^2 = 0 times the MAID2007 shape (module docstring)."""
    m, _ = _masses(target)
    q2 = np.asarray(q2, dtype=float)
    am0 = -(A12_PDG + math.sqrt(3.0) * A32_PDG) / 2.0
    k0 = (M_DELTA**2 - m * m) / (2.0 * M_DELTA)
    eg = (M_DELTA**2 - q2 - m * m) / (2.0 * M_DELTA)
    qcm = np.sqrt(eg * eg + q2)
    gd = 1.0 / (1.0 + q2 / LAMBDA2_DIPOLE) ** 2
    return am0 * (1.0 + MAID_A * q2) * np.exp(-MAID_B * q2) * gd * qcm / k0


def gm_star(q2: Any, target: str = "proton") -> Any:
    """Jones-Scadron magnetic N -> Delta transition form factor G_M*(Q^2) (dimensionless)."""
    return a_m1(q2, target) / n_js(q2, target)


def width(w: Any, target: str = "proton") -> Any:
    """Energy-dependent total width Gamma(W) (GeV): Gamma0 (M_D/W) sum_c B_c (q_c(W)/q_c(M_D))^3."""
    w = np.asarray(w, dtype=float)
    _, chans = _masses(target)
    g = np.zeros_like(w)
    for br, mn, mpi in chans:
        g = g + br * (_pstar(w, mn, mpi) / _pstar(M_DELTA, mn, mpi)) ** 3
    return GAMMA0 * (M_DELTA / w) * g


def line_shape(w: Any, target: str = "proton") -> Any:
    """rho(W^2) (GeV^-2): relativistic Breit-Wigner, -> delta(W^2 - M_D^2) for Gamma -> 0."""
    w = np.asarray(w, dtype=float)
    mg = M_DELTA * width(w, target)
    return mg / math.pi / ((w * w - M_DELTA**2) ** 2 + mg * mg)


def structure_functions(q2: Any, w: Any, target: str = "proton") -> tuple[Any, Any]:
    """(W1, W2) of N -> Delta at (Q^2, W), GeV^-1, Halzen-Martin normalisation."""
    m, _ = _masses(target)
    q2 = np.asarray(q2, dtype=float)
    w = np.asarray(w, dtype=float)
    gm = gm_star(q2, target)
    w1 = line_shape(w, target) * (w + m) ** 2 * ((w - m) ** 2 + q2) * gm * gm / (8.0 * m**3)
    nu = (w * w - m * m + q2) / (2.0 * m)
    w2 = w1 * q2 / (q2 + nu * nu)
    return w1, w2


# ---------------------------------------------------------------------------------------------
# Kinematics and cross-sections
# ---------------------------------------------------------------------------------------------

def q2_limits(e: Any, w: Any, m_chi: float, m: float) -> tuple[Any, Any]:
    """Q^2 range [lo, hi] of chi N -> chi X(W) at chi energy e, nucleon at rest (NaN if closed)."""
    e = np.asarray(e, dtype=float)
    w = np.asarray(w, dtype=float)
    s = m * m + m_chi * m_chi + 2.0 * m * e
    rs = np.sqrt(s)
    with np.errstate(invalid="ignore"):
        p1 = np.sqrt(_lam(s, m_chi**2, m * m)) / (2.0 * rs)
        l2 = _lam(s, m_chi**2, w * w)
        p2 = np.sqrt(np.where(l2 >= 0.0, l2, np.nan)) / (2.0 * rs)
    e1 = (s + m_chi**2 - m * m) / (2.0 * rs)
    e2 = (s + m_chi**2 - w * w) / (2.0 * rs)
    base = 2.0 * (e1 * e2 - m_chi**2)
    lo = base - 2.0 * p1 * p2
    hi = base + 2.0 * p1 * p2
    bad = ~(rs - m_chi > w)
    return np.where(bad, np.nan, np.maximum(lo, 0.0)), np.where(bad, np.nan, hi)


def _x_factor(e: Any, q2: Any, w: Any, m_chi: float, m: float, dirac: bool, w1: Any, w2: Any) -> Any:
    nu = (w * w - m * m + q2) / (2.0 * m)
    if dirac:
        return w2 * (4.0 * e * (e - nu) - q2) + 2.0 * w1 * (q2 - 2.0 * m_chi**2)
    return w2 * (2.0 * e - nu) ** 2 - w1 * (4.0 * m_chi**2 + q2)


def dsigma(e_chi: Any, q2: Any, w: Any, m_chi: float, m_v: float, coupling: float, dirac: bool,
           target: str) -> np.ndarray:
    """d2sigma/dQ2 dW (GeV^-5) at chi energy e_chi (lab, nucleon at rest), Q^2 and Delta mass W.

    Zero outside the physical region (W below the N pi0 threshold or above W_MAX, Q^2 outside
    the two-body limits, e_chi below threshold).  Arguments broadcast.
    """
    m, _ = _masses(target)
    e, q2, w = np.broadcast_arrays(np.asarray(e_chi, float), np.asarray(q2, float), np.asarray(w, float))
    lo, hi = q2_limits(e, w, m_chi, m)
    ok = (w >= w_min(target)) & (w <= W_MAX) & (q2 >= lo) & (q2 <= hi) & (e > m_chi)
    q2s = np.where(ok, q2, 0.1)
    ws = np.where(ok, w, M_DELTA)
    es = np.where(ok, e, m_chi + 1.0)
    w1, w2 = structure_functions(q2s, ws, target)
    x = _x_factor(es, q2s, ws, m_chi, m, dirac, w1, w2)
    p2 = es * es - m_chi * m_chi
    d = m_v * m_v + q2s
    out = (ws / m) * math.pi * coupling * x / (p2 * d * d)
    return np.where(ok, out, 0.0)


_GL_W = np.polynomial.legendre.leggauss(64)
_GL_Q = np.polynomial.legendre.leggauss(48)
_CHUNK = 512


def _t_of_w(w: Any) -> Any:
    return np.arctan((np.asarray(w) ** 2 - M_DELTA**2) / (M_DELTA * GAMMA0))


def _w_of_t(t: Any) -> tuple[Any, Any]:
    """W(t) and dW/dt for the Breit-Wigner map t = arctan((W^2 - M_D^2)/(M_D Gamma0))."""
    x = np.tan(t)
    w2 = M_DELTA**2 + M_DELTA * GAMMA0 * x
    w = np.sqrt(w2)
    return w, M_DELTA * GAMMA0 * (1.0 + x * x) / (2.0 * w)


def w_upper(e: Any, m_chi: float, target: str) -> Any:
    """Largest W reachable at chi energy e, capped at W_MAX."""
    m, _ = _masses(target)
    e = np.asarray(e, dtype=float)
    return np.minimum(W_MAX, np.sqrt(m * m + m_chi * m_chi + 2.0 * m * e) - m_chi)


def _sigma_exact(e: np.ndarray, m_chi: float, m_v: float, dirac: bool, target: str) -> np.ndarray:
    """sigma / coupling by direct quadrature (see :func:`sigma`)."""
    m, _ = _masses(target)
    out = np.zeros(e.size)
    wlo = w_min(target)
    whi = w_upper(np.where(e > m_chi, e, m_chi), m_chi, target)
    idx = np.flatnonzero(whi > wlo)
    xw, ww = _GL_W
    xq, wq = _GL_Q
    mv2 = m_v * m_v
    t0 = _t_of_w(wlo)
    for k in range(0, idx.size, _CHUNK):
        sel = idx[k:k + _CHUNK]
        ec = e[sel][:, None, None]
        t1 = _t_of_w(whi[sel])[:, None, None]
        tn = 0.5 * (t1 + t0) + 0.5 * (t1 - t0) * xw[None, :, None]
        w, dwdt = _w_of_t(tn)
        lo, hi = q2_limits(ec, w, m_chi, m)
        lo = np.where(np.isfinite(lo), lo, 0.0)
        hi = np.where(np.isfinite(hi), hi, 0.0)
        y0 = np.log(mv2 + lo)
        y1 = np.log(mv2 + np.maximum(hi, lo))
        yn = 0.5 * (y1 + y0) + 0.5 * (y1 - y0) * xq[None, None, :]
        d = np.exp(yn)
        q2 = np.maximum(d - mv2, 0.0)
        w1, w2 = structure_functions(q2, w, target)
        x = _x_factor(ec, q2, w, m_chi, m, dirac, w1, w2)
        # d2sigma/dQ2dW dQ2 dW = (W/M) pi X/(p^2 D^2) (D dy) (dW/dt dt)
        f = (w / m) * x / d * dwdt
        inner = (f * wq[None, None, :]).sum(axis=2) * 0.5 * (y1 - y0)[:, :, 0]
        tot = (inner * ww[None, :]).sum(axis=1) * 0.5 * (t1 - t0)[:, 0, 0]
        out[sel] = math.pi * tot / (e[sel] ** 2 - m_chi**2)
    return out


def e_threshold(m_chi: float, target: str, w: float | None = None) -> float:
    """Lowest chi energy (GeV) that reaches Delta mass ``w`` (default: the N pi0 threshold)."""
    m, _ = _masses(target)
    w = w_min(target) if w is None else w
    return ((w + m_chi) ** 2 - m * m - m_chi * m_chi) / (2.0 * m)


#: Energies (GeV above the kinks) spanned by the interpolation table of :func:`sigma`.
_TAB_LO, _TAB_HI, _TAB_N = 1e-7, 1e4, 240
#: :func:`sigma` integrates directly for calls with at most this many energies.
_DIRECT_MAX = 64


@lru_cache(maxsize=32)
def _sigma_table(m_chi: float, m_v: float, dirac: bool, target: str) -> tuple[Any, Any, float, float]:
    """Cubic splines of ln(sigma/coupling) in ln(E - E_th) on (E_th, E_kink] and in
    ln(E - E_kink) above E_kink, where E_kink is the energy at which W_MAX becomes reachable
    (sigma(E) is not smooth there)."""
    from scipy.interpolate import CubicSpline

    e_th = e_threshold(m_chi, target)
    e_k = e_threshold(m_chi, target, W_MAX)
    x1 = np.linspace(math.log(_TAB_LO * (e_k - e_th)), math.log(e_k - e_th), _TAB_N)
    x2 = np.linspace(math.log(_TAB_LO), math.log(_TAB_HI), _TAB_N)
    s1 = _sigma_exact(e_th + np.exp(x1), m_chi, m_v, dirac, target)
    s2 = _sigma_exact(e_k + np.exp(x2), m_chi, m_v, dirac, target)
    return CubicSpline(x1, np.log(s1)), CubicSpline(x2, np.log(s2)), e_th, e_k


def sigma(e_chi: Any, m_chi: float, m_v: float, coupling: float, dirac: bool, target: str) -> np.ndarray:
    """Total chi N -> chi Delta cross-section (GeV^-2), shape (n,), for W in [M + m_pi0, W_MAX].

    Gauss-Legendre quadrature, 64 nodes in t = arctan((W^2 - M_D^2)/(M_D Gamma0)) (flattens the
    Breit-Wigner) times 48 nodes in ln(m_V^2 + Q^2) (absorbs the propagator) between the
    two-body Q^2 limits at each W; relative accuracy better than 1e-5 against scipy's adaptive
    quadrature of :func:`dsigma` (tests/physics/test_delta.py).  Calls with more than 64
    energies interpolate a cached table of that quadrature (cubic splines in log-log, 2 x 240
    nodes, relative error below 1e-4, tested) per (m_chi, m_v, dirac, target).  Requires
    m_chi > 0 or m_v > 0.  Not multiplied by any branching ratio (see :func:`branching`).
    Zero below threshold.
    """
    _masses(target)
    if m_chi <= 0.0 and m_v <= 0.0:
        raise ValueError("sigma needs m_chi > 0 or m_v > 0 (the Q^2 -> 0 end is integrated in ln(m_V^2 + Q^2))")
    e = np.atleast_1d(np.asarray(e_chi, dtype=float)).ravel()
    if e.size <= _DIRECT_MAX:
        return coupling * _sigma_exact(e, m_chi, m_v, dirac, target)
    sp1, sp2, e_th, e_k = _sigma_table(float(m_chi), float(m_v), bool(dirac), target)
    out = np.zeros(e.size)
    lo = (e > e_th) & (e <= e_k)
    hi = (e > e_k) & (e - e_k <= _TAB_HI)
    with np.errstate(divide="ignore"):
        x1 = np.log(np.where(lo, e - e_th, 1.0))
        x2 = np.log(np.where(hi, e - e_k, 1.0))
    # the few energies off the tables' ranges (within 1e-7 of a kink, or above 1e4 GeV) exactly
    edge = ((e > e_th) & ~lo & ~hi) | (lo & (x1 < sp1.x[0])) | (hi & (x2 < sp2.x[0]))
    lo &= ~edge
    hi &= ~edge
    out[lo] = np.exp(sp1(x1[lo]))
    out[hi] = np.exp(sp2(x2[hi]))
    if edge.any():
        out[edge] = _sigma_exact(e[edge], m_chi, m_v, dirac, target)
    return coupling * out


def branching(final: str, target: str) -> float:
    """Branching fraction of the Delta into the final state ``final`` (multiplies :func:`sigma`).

    "pi0":   BR(Delta -> N pi) x 2/3 = 0.994 x 2/3: the isospin Clebsch-Gordan share of
             Delta+ -> p pi0 and Delta0 -> n pi0 (the n pi+ / p pi- modes are not signal).
             BR(pi0 -> gamma gamma) = 0.98823 is NOT included (the sampler always decays the
             pi0 to two photons; multiply by constants.BR_PI0_GG to drop the Dalitz decays).
    "gamma": BR(Delta -> N gamma) = 0.6 % (PDG RPP 2024: 0.55-0.65 %), the same for
             Delta+ and Delta0 (isovector M1).
    """
    _masses(target)
    if final == "pi0":
        return BR_N_PI * ISOSPIN_PI0
    if final == "gamma":
        return BR_N_GAMMA
    raise ValueError(f"final = {final!r}: must be 'pi0' or 'gamma'")


# ---------------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------------

_N_WTAB = 4001
_Q2_GRID = np.concatenate([[0.0], np.geomspace(1e-6, 200.0, 3000)])


def _nu0(w: Any, m: float) -> Any:
    """Smallest energy transfer at Delta mass w (Q^2 = 0): (W^2 - M^2)/(2M)."""
    return (np.asarray(w) ** 2 - m * m) / (2.0 * m)


@lru_cache(maxsize=32)
def _w_table(target: str, m_v: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The W proposal of :func:`sample`: a piecewise-linear CDF of

        g(W) = W rho(W^2) c(W) / (nu0(W) + m_V)^2,   c(W) = (W + M)^2 max_{Q^2 >= 0} [((W - M)^2 + Q^2) G_M*^2],

    (the W dependence of the bound on d2sigma/dQ2dW x D used by :func:`_envelope`) on W nodes
    spaced uniformly in the Breit-Wigner variable.  Returns the nodes, the cumulative values,
    the exact piecewise-constant density of that CDF per cell, and s = max over cells of
    g(node)/(cell density) (>= 1, the price of the piecewise-constant proposal)."""
    m, _ = _masses(target)
    t = np.linspace(_t_of_w(w_min(target)), _t_of_w(W_MAX), _N_WTAB)
    w, _ = _w_of_t(t)
    w[0], w[-1] = w_min(target), W_MAX
    g2 = gm_star(_Q2_GRID, target) ** 2
    c = (w + m) ** 2 * 1.01 * np.max(((w[:, None] - m) ** 2 + _Q2_GRID[None, :]) * g2[None, :], axis=1)
    f = w * line_shape(w, target) * c / (_nu0(w, m) + m_v) ** 2
    cell = 0.5 * (f[1:] + f[:-1])
    cdf = np.concatenate([[0.0], np.cumsum(cell * np.diff(w))])
    dens = cell
    s = float(np.max(np.maximum(f[1:], f[:-1]) / cell)) * 1.01
    return w, cdf, dens, s


def _sample_w(u: np.ndarray, whi: np.ndarray, target: str, m_v: float) -> tuple[np.ndarray, np.ndarray]:
    """W from the tabulated proposal restricted to [w_min, whi], and its density there."""
    w, cdf, dens, _ = _w_table(target, float(m_v))
    chi = np.interp(whi, w, cdf)
    c = u * chi
    j = np.clip(np.searchsorted(cdf, c, side="right") - 1, 0, dens.size - 1)
    wv = w[j] + (c - cdf[j]) / dens[j]
    wv = np.clip(wv, w[0], whi)
    return wv, dens[j] / chi


def _y_limits(e: np.ndarray, w: np.ndarray, m_chi: float, m_v: float, m: float) -> tuple[np.ndarray, np.ndarray]:
    """ln(m_V^2 + Q^2) at the two-body Q^2 limits."""
    lo, hi = q2_limits(e, w, m_chi, m)
    mv2 = m_v * m_v
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(mv2 + lo), np.log(mv2 + hi)


def _accept_ratio(e: np.ndarray, w: np.ndarray, y: np.ndarray, m_chi: float, m_v: float, dirac: bool,
                  target: str, gw: np.ndarray, ylo: np.ndarray, yhi: np.ndarray) -> np.ndarray:
    """Target density d2sigma/dQ2dW (coupling 1) over the proposal density in (W, y = ln D):
    f D (yhi - ylo) / g(W)."""
    d = np.exp(y)
    q2 = np.maximum(d - m_v * m_v, 0.0)
    f = dsigma(e, q2, w, m_chi, m_v, 1.0, dirac, target)
    return f * d * (yhi - ylo) / gw


def _envelope(e: np.ndarray, whi: np.ndarray, m_chi: float, m_v: float, dirac: bool, target: str,
              m: float) -> np.ndarray:
    """Per-event upper bound of :func:`_accept_ratio` (docs/delta.md, section 5).

    With no longitudinal response the contraction is X = W1 (4 k_T^2 + 2 Q^2 [Dirac]), k_T the
    chi momentum transverse to q (lab), and k_T^2 = p^2 p'^2 sin^2(theta)/|q|^2 <= p p' Q^2/(Q^2 + nu^2).
    With nu >= nu0(W), p' <= p'(nu0(w_min)) and Q^2/((Q^2 + nu0^2)(Q^2 + m_V^2)) <= 1/(nu0 + m_V)^2:
    f D <= (W/M)(pi/p^2) W1 [4 p p'_max + 2 (nu0(W_MAX) + m_V)^2 [Dirac]]/(nu0(W) + m_V)^2 and
    W1 <= rho c(W)/(8 M^3).  The W dependence is the proposal g(W) up to the table factor s, and
    (yhi - ylo) is largest at the lowest W."""
    w, cdf, _, s = _w_table(target, float(m_v))
    chi = np.interp(whi, w, cdf)
    wlo = w_min(target)
    ylo, yhi = _y_limits(e, np.full(e.shape, wlo), m_chi, m_v, m)
    nu_max = _nu0(W_MAX, m) + m_v
    p2 = e * e - m_chi * m_chi
    e2 = e - _nu0(wlo, m)
    pp_max = np.sqrt(np.maximum(e2 * e2 - m_chi * m_chi, 0.0))
    k = 4.0 * np.sqrt(p2) * pp_max + (2.0 * nu_max * nu_max if dirac else 0.0)
    return math.pi / (m * p2) * k * (yhi - ylo) * chi * s / (8.0 * m**3)


def _two_body(parent: np.ndarray, m_parent: np.ndarray, m1: float, m2: float, cos_t: np.ndarray,
              phi: np.ndarray, axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decay parent (m, 4) of mass m_parent into m1 + m2 with daughter 1 at polar angle
    acos(cos_t), azimuth phi about ``axis`` (unit (m, 3)) in the parent rest frame; lab 4-vectors."""
    ps = _pstar(m_parent, m1, m2)
    e1e1, e2e2 = orthonormal_basis(axis)
    st = np.sqrt(np.maximum(0.0, 1.0 - cos_t * cos_t))
    d = (cos_t[:, None] * axis + (st * np.cos(phi))[:, None] * e1e1 + (st * np.sin(phi))[:, None] * e2e2)
    k1 = np.empty((cos_t.size, 4))
    k2 = np.empty((cos_t.size, 4))
    k1[:, 0] = np.sqrt(ps * ps + m1 * m1)
    k2[:, 0] = np.sqrt(ps * ps + m2 * m2)
    k1[:, 1:] = ps[:, None] * d
    k2[:, 1:] = -ps[:, None] * d
    beta = parent[:, 1:] / parent[:, :1]
    return boost_many(k1, beta), boost_many(k2, beta)


def cos_pi_delta(u: Any) -> Any:
    """Inverse CDF of dN/dcos ~ 5 - 3 cos^2 on [-1, 1] (N pi from an M1-excited Delta):
    the root in [-1, 1] of c^3 - 5c + 8u - 4 = 0 (trigonometric form)."""
    u = np.asarray(u, dtype=float)
    r = 2.0 * math.sqrt(5.0 / 3.0)
    arg = np.clip((3.0 * (8.0 * u - 4.0) / (2.0 * -5.0)) * math.sqrt(3.0 / 5.0), -1.0, 1.0)
    return r * np.cos(np.arccos(arg) / 3.0 - 2.0 * math.pi / 3.0)


def cos_gamma_delta(u: Any) -> Any:
    """Inverse CDF of dN/dcos ~ 7 + 3 cos^2 on [-1, 1] (N gamma M1 decay of the same Delta):
    the real root of c^3 + 7c + 8 - 16u = 0 (Cardano)."""
    u = np.asarray(u, dtype=float)
    p, q = 7.0, 8.0 - 16.0 * u
    s = np.sqrt(q * q / 4.0 + p**3 / 27.0)
    return np.cbrt(-q / 2.0 + s) + np.cbrt(-q / 2.0 - s)


def sample(e_chi: Any, p_chi: Any, m_chi: float, m_v: float, dirac: bool, target: str, streams: Any,
           idx: Any, final: str = "pi0") -> dict[str, np.ndarray]:
    """Sample chi N -> chi Delta, Delta -> N pi0 -> N gamma gamma (``final`` = "pi0") or
    Delta -> N gamma ("gamma"), nucleon at rest, from d2sigma/dQ2 dW.

    Parameters
    ----------
    e_chi : (n,) incoming chi energies (GeV); p_chi : (n, 3) their lab momenta (only the
        direction is used; |p| = sqrt(e^2 - m_chi^2)).
    streams : :class:`bdgen.rng.EventStreams`; event i uses ``streams.uniform(idx[i:i+1], d)``:
        rejection candidate c = 0, 1, ... draws d = 2c (W, Q^2) and 2c + 1 (accept; the first
        accepted candidate is kept, candidates are tried 1, 1, 1, 1, 2, 2, ... per round,
        vectorised over the events still rejected); then d = DRAW_DECAY
        (scattering azimuth, Delta decay cos), DRAW_DECAY + 1 (Delta decay azimuth, pi0 decay
        cos), DRAW_DECAY + 2 (pi0 decay azimuth).  So an event's result depends only on its own
        stream, not on which other events are sampled with it.
    idx : (n,) int, the events' rows in ``streams``.

    Returns
    -------
    dict of (n, 4) four-vectors (E, px, py, pz): "chi_out", "delta" (mass W), "nucleon" and
    "pi0", "gamma1", "gamma2" (final "pi0") or "gamma" (final "gamma"); and "q2", "w" (n,).

    Raises ValueError for an event below threshold and RuntimeError if one is still rejected
    after MAX_CANDIDATES candidates.
    """
    if final not in ("pi0", "gamma"):
        raise ValueError(f"final = {final!r}: must be 'pi0' or 'gamma'")
    m, _ = _masses(target)
    e = np.atleast_1d(np.asarray(e_chi, dtype=float)).ravel()
    pv = np.asarray(p_chi, dtype=float).reshape(-1, 3)
    idx = np.asarray(idx, dtype=np.int64).ravel()
    n = e.size
    if pv.shape[0] != n or idx.size != n:
        raise ValueError("e_chi, p_chi and idx must have the same length")
    whi = w_upper(np.where(e > m_chi, e, m_chi), m_chi, target)
    below = ~(whi > w_min(target) + 1e-9)
    if below.any():
        raise ValueError(f"{int(below.sum())} event(s) below the chi N -> chi Delta threshold")
    bound = _envelope(e, whi, m_chi, m_v, dirac, target, m)

    w = np.empty(n)
    q2 = np.empty(n)
    pending = np.arange(n)
    rnd = 0
    cand = 0  # candidates used so far by every pending event (they all started at 0 together)
    mv2 = m_v * m_v
    while pending.size:
        k = min(1 << (rnd // 4), _MAX_BATCH)
        if cand + k > MAX_CANDIDATES:
            raise RuntimeError(f"delta.sample: {pending.size} event(s) still rejected after {cand} candidates")
        npend = pending.size
        rows = np.repeat(pending, k)                   # event-major: candidates c = cand .. cand+k-1
        cidx = cand + np.tile(np.arange(k), npend)
        ip = idx[rows]
        u = streams.uniform(ip, 2 * cidx)
        ua = streams.uniform(ip, 2 * cidx + 1)[:, 0]
        ep = e[rows]
        wv, gw = _sample_w(u[:, 0], whi[rows], target, m_v)
        ylo, yhi = _y_limits(ep, wv, m_chi, m_v, m)
        good = np.isfinite(ylo) & np.isfinite(yhi) & (yhi > ylo)
        ylo = np.where(good, ylo, 0.0)
        yhi = np.where(good, yhi, 0.0)
        y = ylo + u[:, 1] * (yhi - ylo)
        r = np.where(good, _accept_ratio(ep, wv, y, m_chi, m_v, dirac, target, gw, ylo, yhi), 0.0)
        take = (good & (ua * bound[rows] < r)).reshape(npend, k)
        hit = take.any(axis=1)
        first = np.argmax(take, axis=1)                # the first accepted candidate of each event
        sel = np.flatnonzero(hit) * k + first[hit]
        w[pending[hit]] = wv[sel]
        q2[pending[hit]] = np.maximum(np.exp(y[sel]) - mv2, 0.0)
        pending = pending[~hit]
        cand += k
        rnd += 1

    # outgoing chi: energy from nu, polar angle from Q^2, azimuth uniform
    u0 = streams.uniform(idx, DRAW_DECAY)
    u1 = streams.uniform(idx, DRAW_DECAY + 1)
    nu = (w * w - m * m + q2) / (2.0 * m)
    e2 = e - nu
    p1 = np.sqrt(np.maximum(e * e - m_chi * m_chi, 0.0))
    p2 = np.sqrt(np.maximum(e2 * e2 - m_chi * m_chi, 0.0))
    cth = np.clip((2.0 * e * e2 - 2.0 * m_chi * m_chi - q2) / (2.0 * p1 * p2), -1.0, 1.0)
    sth = np.sqrt(1.0 - cth * cth)
    nhat = pv / np.linalg.norm(pv, axis=1)[:, None]
    b1, b2 = orthonormal_basis(nhat)
    phi = 2.0 * math.pi * u0[:, 0]
    dout = cth[:, None] * nhat + (sth * np.cos(phi))[:, None] * b1 + (sth * np.sin(phi))[:, None] * b2
    chi_out = np.empty((n, 4))
    chi_out[:, 0] = e2
    chi_out[:, 1:] = p2[:, None] * dout
    delta = np.empty((n, 4))
    delta[:, 0] = e + m - e2
    delta[:, 1:] = p1[:, None] * nhat - chi_out[:, 1:]
    axis = delta[:, 1:] / np.linalg.norm(delta[:, 1:], axis=1)[:, None]
    out: dict[str, np.ndarray] = {"chi_out": chi_out, "delta": delta, "q2": q2, "w": w}
    phi_d = 2.0 * math.pi * u1[:, 0]
    if final == "pi0":
        cd = cos_pi_delta(u0[:, 1])
        pi0, nucl = _two_body(delta, w, C.M_PI0, m, cd, phi_d, axis)
        u2 = streams.uniform(idx, DRAW_DECAY + 2)
        cg = 2.0 * u1[:, 1] - 1.0
        ref = pi0[:, 1:] / np.maximum(np.linalg.norm(pi0[:, 1:], axis=1), 1e-300)[:, None]
        ref = np.where(np.isfinite(ref).all(axis=1)[:, None] & (np.linalg.norm(ref, axis=1) > 0.5)[:, None],
                       ref, np.array([0.0, 0.0, 1.0]))
        g1, g2 = _two_body(pi0, np.full(n, C.M_PI0), 0.0, 0.0, cg, 2.0 * math.pi * u2[:, 0], ref)
        out.update({"nucleon": nucl, "pi0": pi0, "gamma1": g1, "gamma2": g2})
    else:
        cd = cos_gamma_delta(u0[:, 1])
        gam, nucl = _two_body(delta, w, 0.0, m, cd, phi_d, axis)
        out.update({"nucleon": nucl, "gamma": gam})
    return out


__all__ = [
    "GAMMA0", "M_DELTA", "W_MAX", "branching", "dsigma", "gm_star", "line_shape", "q2_limits", "sample",
    "sigma", "structure_functions", "width",
]
