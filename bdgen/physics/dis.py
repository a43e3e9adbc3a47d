"""Deep-inelastic chi N -> chi X through the quark structure of the nucleon (issue #5).

The mediator V (mass m_V) couples to quark q with eps e Q_q (dark photon; PHYSICS.md section 1)
and to chi with g_D; ``coupling`` = eps^2 alpha alpha_D as in :mod:`bdgen.physics.scattering`.
chi is a complex scalar or a Dirac fermion of mass m.  Units: GeV, cross-sections in GeV^-2.

Cross-section
-------------
Notation (nucleon of mass M at rest, chi energy E and momentum p, p^2 = E^2 - m^2): nu = E - E'
the energy transfer, Q^2 = -(p_chi - p_chi')^2, x = Q^2/(2 M nu), y = nu/E, W^2 = M^2 + 2 M nu - Q^2,
D = Q^2 + m_V^2.  The inclusive cross-section is the contraction of the chi current tensor with
the nucleon's hadronic tensor (structure functions W1 = F1/M, W2 = F2/nu), exactly as for the
elastic channel in :mod:`bdgen.physics.scattering` (PHYSICS.md 5.2, there with elastic W1, W2):

    d2sigma/(dnu dQ^2) = pi c / (p^2 D^2) [W2 A + W1 B],        c = eps^2 alpha alpha_D,
    scalar chi:  A = (2E - nu)^2,       B = -(4 m^2 + Q^2)       (chi current (k + k')^mu),
    Dirac chi:   A = 4 E E' - Q^2,      B = 2 Q^2 - 4 m^2        (1/2 sum over chi spins),

[derived; the normalisation is fixed by the elastic limit W_i -> w_i delta(nu - Q^2/2M), which
gives back dsigma/dT = 2 pi c M X/(p^2 D^2) of scattering.py, checked in tests/physics/test_dis.py].
In the quark-parton model at leading order (LO), with the Callan-Gross relation,

    F2(x, Q^2) = x sum_q Q_q^2 [q(x, Q^2) + qbar(x, Q^2)],      2 x F1 = F2,

and the change of variables (nu, Q^2) -> (x, y) (Jacobian 2 M E^2 y) gives the closed forms

    d2sigma/dxdy = 4 pi c E^2 F2(x, Q^2) / (p^2 D^2) * K,
    scalar chi:  K = 2 M E (1 - y) - m^2 y / x,
    Dirac chi:   K = M E [1 + (1 - y)^2] - M^2 x y - m^2 y / x.

Everything is kept: the chi mass (in the flux p^2, in K and in the kinematic limits), the
nucleon mass (the -M^2 x y term and the limits) and the propagator 1/(Q^2 + m_V^2)^2.  What is
not kept: target-mass corrections to F2 (xi-scaling), F_L (R = 0 at the parton level), QCD
corrections beyond LO PDFs, the charm mass in the final state (slow rescaling), nuclear effects
(free nucleons; EMC/shadowing), and Z exchange (Q^2 << m_Z^2).
The same parton-level result follows from the chi q -> chi q cross-section with a massless quark
carrying momentum fraction x,  dsigma_hat/dy = 4 pi c Q_q^2 x M E [1 + (1-y)^2 - m^2 y/(x M E)]/D^2
(Dirac; 2(1-y) - m^2 y/(x M E) for the scalar), summed over f_q(x): the hadron-level form
differs from it only by the flux factor E^2/p^2 and the -M^2 x y term (both -> 1, 0 in the Bjorken
limit).  For the y-dependence of fermion vs scalar scattering through a vector see e.g.
D. E. Soper, M. Spannowsky, C. J. Wallace, T. M. P. Tait, PRD 90 (2014) 115005, arXiv:1407.2623
(DIS of dark Dirac fermions through a light vector); the electron limit (m_V -> 0, c -> alpha^2,
m -> m_e, Dirac) is the standard

    d2sigma/dxdy = 4 pi alpha^2/(x y Q^2) [x y^2 F1 + (1 - y - x^2 y^2 M^2/Q^2) F2]

(PDG Review of Particle Physics, "Structure functions" review, the one-photon-exchange
cross-section), which the test checks to 1e-6; for M -> 0 it is
d2sigma/dxdQ^2 = 4 pi alpha^2/(x Q^4) (1 - y + y^2/2) F2.

Physical region and cuts.  For fixed x, 0 <= y <= y_max(x) with

    y_max(x) = 2 p^2 M x / (E (2 E M x + M^2 x^2 + m^2))

(where |cos theta_chi| = 1; it includes E' >= m) [derived].  The DIS region is
W > ``w_min`` (default 1.4 GeV: below it the resonance/Delta and elastic channels apply) and
Q^2 > ``q2_min`` (default 1 GeV^2, where the PDF grid starts), i.e.
y > q2_min/(2 M E x) and y > (w_min^2 - M^2)/(2 M E (1 - x)).

Parton densities
----------------
Pythia 8's default proton set, ``PDF:pSet = 13``: NNPDF2.3 QCD+QED LO, alpha_s(M_Z) = 0.130
(R. D. Ball et al. [NNPDF], Nucl. Phys. B877 (2013) 290, arXiv:1308.0598), shipped with
pythia8mc as ``share/Pythia8/pdfdata/NNPDF23_lo_as_0130_qed_0000.dat`` (LHAGrid1 format, x from
1e-9, Q from 1 GeV; frozen outside).  It is evaluated through ``pythia8mc.Pythia.getPDFPtr(2212)``
(an ``LHAGrid1`` object) and its ``xf(id, x, Q2)`` = x f_id(x, Q^2) for id = +-1..+-5, once, on a
grid of 561 x-values (200 log-spaced in 1e-6..0.1, 361 linear in 0.1..1, xf(x = 1) = 0) times 100
log-spaced Q^2 in 1..1e5 GeV^2 (about 0.5 s), kept in memory for the process; between nodes
x f is interpolated bilinearly in (x, ln Q^2) (log x below x = 0.1), and frozen outside the
grid (as Pythia freezes its sets).  F2 from the table agrees with direct ``xf`` calls to 0.25 %
(x < 0.95, 1 < Q^2 < 2000 GeV^2; checked in the tests).  No disk cache: building
the table costs less than starting Pythia for another purpose.  The neutron uses isospin
symmetry: u_n = d_p, d_n = u_p (same for the antiquarks), s, c, b unchanged.  Quarks u, d, s,
c, b and antiquarks are summed (b only above its threshold: about 1 % of the events at
E_chi = 400 GeV).

pythia8mc is an optional dependency (``pip install 'bdgen[pythia]'``); without it every function
that needs the parton densities raises :class:`bdgen.errors.CardError` naming ``signal.channel = "dis"``.

Sampling
--------
:func:`sample` draws (x, y) by accept/reject from d2sigma/dxdy inside the cuts with the proposal
ln x uniform on the event's x range and 1/D uniform on its y range at that x (the proposal
carries the propagator), bounded with the largest tabulated F2 in the reachable (x, Q^2) cells
and K <= 2 M E.  Random numbers: event i uses its own stream ``streams.uniform(idx[i:i+1], d)``:
draw d = 0 for (flavour, azimuth) and draws 2r + 1, 2r + 2 (four uniforms) in rejection round r,
so each event's result depends only on its own stream.  The struck quark (flavour drawn with
weights Q_q^2 x f_q(x, Q^2)) is massless: before the collision it carries the light-cone
fraction xi (Nachtmann) of the nucleon anti-parallel to q, p_in = (xi M/2)(1, -q_hat),
xi M/2 = Q^2/(2 (nu + |q|)), so that p_out = p_in + q is massless; no intrinsic k_T.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import constants as C
from ..errors import CardError
from ..kinematics import orthonormal_basis

#: Pythia 8 proton PDF set used (PDF:pSet): NNPDF2.3 QCD+QED LO, alpha_s(M_Z) = 0.130.
PDF_SET = 13
#: Quark flavours in the tables: d, u, s, c, b then the antiquarks (PDG codes).
FLAVOURS = np.array([1, 2, 3, 4, 5, -1, -2, -3, -4, -5], dtype=np.int64)
#: Electric charges Q_q of d, u, s, c, b (the dark photon couples to eps e Q_q).
ELECTRIC_CHARGES = (-1.0 / 3.0, 2.0 / 3.0, -1.0 / 3.0, 2.0 / 3.0, -1.0 / 3.0)
TARGETS = ("proton", "neutron")

# the x f(x, Q^2) grid
_X_LOG = np.logspace(-6.0, -1.0, 200, endpoint=False)
_X_LIN = np.linspace(0.1, 1.0, 361)
X_NODES = np.concatenate([_X_LOG, _X_LIN])
LNQ2_NODES = np.linspace(0.0, math.log(1e5), 100)
_N_LOG = _X_LOG.size
_LNX0 = math.log(_X_LOG[0])
_DLNX = math.log(_X_LOG[1] / _X_LOG[0])
_DX_LIN = _X_LIN[1] - _X_LIN[0]
_DLNQ2 = LNQ2_NODES[1] - LNQ2_NODES[0]

#: Gauss-Legendre order of each x sub-interval and of the y integral in :func:`sigma`.
N_X = 24
N_Y = 24
_GL_X = np.polynomial.legendre.leggauss(N_X)
_GL_Y = np.polynomial.legendre.leggauss(N_Y)
#: Energies per block in :func:`sigma` (keeps the temporaries to a few MB).
_BLOCK = 64
#: Give up after this many rejection rounds (the efficiency is typically 20-50 %).
MAX_ROUNDS = 2000


def _import_pythia() -> Any:
    try:
        import pythia8mc
    except ImportError as exc:
        raise CardError('signal.channel = "dis" needs the parton densities of Pythia 8: pythia8mc is not '
                        "installed; pip install 'bdgen[pythia]' (which pins pythia8mc==8.317.2)") from exc
    return pythia8mc


def _proton_xf_grid() -> np.ndarray:
    """x f_q(x, Q^2) of the proton on (FLAVOURS, X_NODES, LNQ2_NODES) from Pythia 8."""
    p8 = _import_pythia()
    py = p8.Pythia("", False)
    for s in (f"PDF:pSet = {PDF_SET}", "ProcessLevel:all = off", "HadronLevel:all = off",
              "PartonLevel:all = off", "Print:quiet = on"):
        py.readString(s)
    if not py.init():
        raise RuntimeError("pythia8mc: Pythia.init() failed while setting up the parton densities")
    pdf = py.getPDFPtr(2212)
    q2s = np.exp(LNQ2_NODES)
    out = np.zeros((FLAVOURS.size, X_NODES.size, q2s.size))
    xs = X_NODES[:-1]  # xf(x = 1) = 0 (Pythia returns a stale value at x >= 1)
    for k, q2 in enumerate(q2s):
        q2f = float(q2)
        for j, x in enumerate(xs):
            xf = float(x)
            for i, fl in enumerate(FLAVOURS):
                out[i, j, k] = pdf.xf(int(fl), xf, q2f)
    return np.maximum(out, 0.0)


@dataclass(frozen=True)
class _Tables:
    """Per-(target, quark charges) tables on the grid."""

    xf: np.ndarray    # (10, nx, nq): Q_q^2 x f_q, flavour order FLAVOURS
    f2: np.ndarray    # (nx, nq): sum of xf over flavours
    f2_bound: np.ndarray  # (nx, nq): max of f2 over x-nodes >= j and Q^2-nodes <= k


_LOCK = threading.Lock()
_PROTON: list[np.ndarray] = []
_TABLES: dict[tuple[str, tuple[float, ...]], _Tables] = {}


def proton_grid() -> np.ndarray:
    """The proton x f(x, Q^2) grid (built on first use, then kept; shape (10, nx, nq))."""
    with _LOCK:
        if not _PROTON:
            _PROTON.append(_proton_xf_grid())
        return _PROTON[0]


def _charges(quark_charges: tuple[float, ...] | None) -> tuple[float, ...]:
    q = ELECTRIC_CHARGES if quark_charges is None else tuple(float(c) for c in quark_charges)
    if len(q) != 5:
        raise ValueError("quark_charges: five couplings (d, u, s, c, b) are needed")
    return q


def _tables(target: str, quark_charges: tuple[float, ...] | None = None) -> _Tables:
    q = _charges(quark_charges)
    key = (target, q)
    t = _TABLES.get(key)
    if t is not None:
        return t
    if target not in TARGETS:
        raise ValueError(f"target = {target!r}: must be 'proton' or 'neutron'")
    g = proton_grid()
    if target == "neutron":  # isospin: u <-> d and ubar <-> dbar
        g = g[[1, 0, 2, 3, 4, 6, 5, 7, 8, 9]]
    w = np.array(q + q) ** 2
    xf = g * w[:, None, None]
    f2 = xf.sum(axis=0)
    bound = np.maximum.accumulate(f2[::-1], axis=0)[::-1]
    bound = np.maximum.accumulate(bound, axis=1)
    t = _Tables(xf, f2, bound)
    with _LOCK:
        _TABLES[key] = t
    return t


def _cells(x: np.ndarray, q2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lower grid indices (j, k) and fractions (tx, tq) of bilinear interpolation, clamped."""
    x = np.clip(x, X_NODES[0], X_NODES[-1])
    lnx = np.log(x)
    jl = np.floor((lnx - _LNX0) / _DLNX)
    jn = np.floor((x - _X_LIN[0]) / _DX_LIN) + _N_LOG
    small = x < _X_LIN[0]
    j = np.where(small, jl, jn)
    j = np.clip(j, 0, X_NODES.size - 2).astype(np.int64)
    x0 = X_NODES[j]
    x1 = X_NODES[j + 1]
    tx = np.where(j < _N_LOG, (lnx - np.log(x0)) / np.log(x1 / x0), (x - x0) / (x1 - x0))
    tx = np.clip(tx, 0.0, 1.0)
    lq = np.clip(np.log(np.maximum(q2, 1e-300)), LNQ2_NODES[0], LNQ2_NODES[-1])
    k = np.clip(np.floor((lq - LNQ2_NODES[0]) / _DLNQ2), 0, LNQ2_NODES.size - 2).astype(np.int64)
    tq = np.clip((lq - LNQ2_NODES[k]) / _DLNQ2, 0.0, 1.0)
    return j, k, tx, tq


def _bilinear(table: np.ndarray, j: np.ndarray, k: np.ndarray, tx: np.ndarray, tq: np.ndarray) -> np.ndarray:
    return ((1.0 - tx) * ((1.0 - tq) * table[..., j, k] + tq * table[..., j, k + 1])
            + tx * ((1.0 - tq) * table[..., j + 1, k] + tq * table[..., j + 1, k + 1]))


def f2(x: Any, q2: Any, target: str = "proton", quark_charges: tuple[float, ...] | None = None) -> np.ndarray:
    """F2(x, Q^2) = x sum_q Q_q^2 (q + qbar) at LO (interpolated table); arrays broadcast."""
    x, q2 = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(q2, dtype=float))
    out = _bilinear(_tables(target, quark_charges).f2, *_cells(x, q2))
    return np.where((x > 0.0) & (x < 1.0), out, 0.0)


def xf(flavour: int, x: Any, q2: Any, target: str = "proton") -> np.ndarray:
    """x f(x, Q^2) of one flavour (PDG code +-1..+-5) in the proton or neutron (interpolated)."""
    i = int(np.flatnonzero(FLAVOURS == flavour)[0])
    x, q2 = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(q2, dtype=float))
    t = _tables(target, (1.0,) * 5)
    out = _bilinear(t.xf[i], *_cells(x, q2))
    return np.where((x > 0.0) & (x < 1.0), out, 0.0)


def _target_mass(target: str) -> float:
    if target == "proton":
        return C.M_P
    if target == "neutron":
        return C.M_N
    raise ValueError(f"target = {target!r}: must be 'proton' or 'neutron'")


def y_max(e_chi: Any, x: Any, m_chi: float, m_target: float) -> np.ndarray:
    """Largest y at Bjorken x (where |cos theta_chi| = 1), see the module docstring."""
    e = np.asarray(e_chi, dtype=float)
    x = np.asarray(x, dtype=float)
    p2 = np.maximum(e * e - m_chi * m_chi, 0.0)
    return 2.0 * p2 * m_target * x / (e * (2.0 * e * m_target * x + m_target**2 * x * x + m_chi * m_chi))


def _kernel(e: np.ndarray, x: np.ndarray, y: np.ndarray, f2v: np.ndarray, m_chi: float, m_v: float,
            coupling: float, dirac: bool, m: float) -> np.ndarray:
    """d2sigma/dxdy for given F2 values (no kinematic check)."""
    p2 = e * e - m_chi * m_chi
    q2 = 2.0 * m * e * x * y
    d = q2 + m_v * m_v
    if dirac:
        k = m * e * (1.0 + (1.0 - y) ** 2) - m * m * x * y - m_chi * m_chi * y / x
    else:
        k = 2.0 * m * e * (1.0 - y) - m_chi * m_chi * y / x
    return 4.0 * math.pi * coupling * e * e * f2v * np.maximum(k, 0.0) / (p2 * d * d)


def d2sigma_dxdy(e_chi: Any, x: Any, y: Any, m_chi: float, m_v: float, coupling: float, dirac: bool,
                 target: str, quark_charges: tuple[float, ...] | None = None) -> np.ndarray:
    """d2sigma/dxdy (GeV^-2) of chi N -> chi X at LO (module docstring); arrays broadcast.

    Zero outside the physical region 0 < x < 1, 0 < y <= y_max(x) (and for E <= m_chi).  The DIS
    cuts (W, Q^2) are not applied here: they bound the integration in :func:`sigma`.
    ``quark_charges`` (d, u, s, c, b) replaces the electric charges (e.g. 1/3 each for a
    baryonic mediator, with ``coupling`` = alpha_B alpha_D).
    """
    m = _target_mass(target)
    e, x, y = np.broadcast_arrays(np.asarray(e_chi, dtype=float), np.asarray(x, dtype=float),
                                  np.asarray(y, dtype=float))
    ok = (e > m_chi) & (x > 0.0) & (x < 1.0) & (y > 0.0)
    es = np.where(ok, e, 2.0 * m_chi + 1.0)
    xs = np.where(ok, x, 0.5)
    ys = np.where(ok, y, 0.5)
    ok &= ys <= y_max(es, xs, m_chi, m)
    q2 = 2.0 * m * es * xs * ys
    val = _kernel(es, xs, ys, f2(xs, q2, target, quark_charges), m_chi, m_v, coupling, dirac, m)
    return np.where(ok, val, 0.0)


def _check_cuts(w_min: float, q2_min: float, m: float) -> None:
    if not w_min > m:
        raise ValueError(f"w_min = {w_min}: must exceed the nucleon mass {m:.6f} GeV")
    if not q2_min > 0.0:
        raise ValueError(f"q2_min = {q2_min}: must be > 0")


def _roots01(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Real roots of a x^2 + b x + c in (0, 1); NaN where absent."""
    disc = b * b - 4.0 * a * c
    sq = np.sqrt(np.maximum(disc, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        # numerically stable pair
        qq = -0.5 * (b + np.copysign(sq, b))
        r1 = np.where(a != 0.0, qq / a, -c / b)
        r2 = np.where(qq != 0.0, c / qq, np.nan)
    out = []
    for r in (r1, r2):
        out.append(np.where((disc >= 0.0) & (r > 0.0) & (r < 1.0), r, np.nan))
    return out[0], out[1]


def _y_limits(e: np.ndarray, x: np.ndarray, m_chi: float, m: float, w_min: float,
              q2_min: float) -> tuple[np.ndarray, np.ndarray]:
    """y range [y_lo, y_hi] at Bjorken x with the cuts W > w_min, Q^2 > q2_min."""
    lo = np.maximum(q2_min / (2.0 * m * e * x), (w_min**2 - m * m) / (2.0 * m * e * (1.0 - x)))
    return lo, y_max(e, x, m_chi, m)


def _x_breakpoints(e: np.ndarray, m_chi: float, m: float, w_min: float, q2_min: float) -> np.ndarray:
    """Sorted x breakpoints (n, 7) in [0, 1] between which the region is empty or smooth."""
    p2 = e * e - m_chi * m_chi
    m2, mc2, dw = m * m, m_chi * m_chi, w_min**2 - m * m
    # q2_min/(2 M E x) = y_max(x)
    a1 = np.full_like(e, q2_min * m2) - 4.0 * p2 * m2
    r1, r2 = _roots01(a1, 2.0 * q2_min * e * m, np.full_like(e, q2_min * mc2))
    # (w^2 - M^2)/(2 M E (1 - x)) = y_max(x)
    a2 = dw * m2 + 4.0 * p2 * m2
    r3, r4 = _roots01(a2, 2.0 * dw * e * m - 4.0 * p2 * m2, np.full_like(e, dw * mc2))
    xk = np.full_like(e, q2_min / (q2_min + dw))
    pts = np.stack([np.zeros_like(e), r1, r2, r3, r4, xk, np.ones_like(e)], axis=-1)
    pts = np.where(np.isnan(pts), 1.0, pts)
    return np.sort(pts, axis=-1)


def _x_intervals(e: np.ndarray, m_chi: float, m: float, w_min: float,
                 q2_min: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sub-intervals (lo, hi) of shape (n, 6) and a mask of the non-empty ones."""
    bp = _x_breakpoints(e, m_chi, m, w_min, q2_min)
    lo, hi = bp[:, :-1], bp[:, 1:]
    mid = 0.5 * (lo + hi)
    ee = np.broadcast_to(e[:, None], mid.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        ylo, yhi = _y_limits(ee, mid, m_chi, m, w_min, q2_min)
        ok = (hi > lo * (1.0 + 1e-12)) & (ylo < yhi) & (mid > 0.0) & (ee > m_chi)
    return lo, hi, ok


def _sigma_block(e: np.ndarray, m_chi: float, m_v: float, coupling: float, dirac: bool, m: float,
                 t: _Tables, w_min: float, q2_min: float) -> np.ndarray:
    lo, hi, ok = _x_intervals(e, m_chi, m, w_min, q2_min)
    lo = np.where(ok, np.maximum(lo, 1e-300), 0.5)
    hi = np.where(ok, hi, 0.5 + 1e-9)
    ln_lo, ln_hi = np.log(lo), np.log(hi)
    nx, wx = _GL_X
    ny, wy = _GL_Y
    half = 0.5 * (ln_hi - ln_lo)                                     # (n, 6)
    lnx = 0.5 * (ln_hi + ln_lo)[..., None] + half[..., None] * nx    # (n, 6, NX)
    x = np.exp(lnx)
    ee = e[:, None, None]
    ylo, yhi = _y_limits(ee, x, m_chi, m, w_min, q2_min)
    mv2 = m_v * m_v
    s = 2.0 * m * ee * x                                             # Q^2 = s y
    dlo = np.log(s * ylo + mv2)
    dhi = np.log(np.maximum(s * yhi + mv2, s * ylo + mv2))
    hy = 0.5 * (dhi - dlo)
    u = 0.5 * (dhi + dlo)[..., None] + hy[..., None] * ny            # (n, 6, NX, NY) = ln D
    dd = np.exp(u)
    q2 = dd - mv2
    xx = x[..., None]
    y = q2 / s[..., None]
    f2v = _bilinear(t.f2, *_cells(np.broadcast_to(xx, q2.shape), q2))
    val = _kernel(ee[..., None], xx, y, f2v, m_chi, m_v, coupling, dirac, m)
    # dy = D du / (2 M E x), dx = x dlnx
    inner = (val * dd / s[..., None]) @ wy * hy                      # (n, 6, NX)
    outer = (inner * x) @ wx * half                                  # (n, 6)
    return np.where(ok, outer, 0.0).sum(axis=-1)


def sigma(e_chi: Any, m_chi: float, m_v: float, coupling: float, dirac: bool, target: str,
          w_min: float = 1.4, q2_min: float = 1.0,
          quark_charges: tuple[float, ...] | None = None) -> np.ndarray:
    """Total DIS cross-section (GeV^-2) with W > w_min (GeV), Q^2 > q2_min (GeV^2); shape (n,).

    Gauss-Legendre quadrature of :func:`d2sigma_dxdy`: ln x on the sub-intervals between the
    x-values where a cut meets y_max(x) or the two cuts cross (``N_X`` nodes each), ln(Q^2 + m_V^2)
    in y (``N_Y`` nodes), both smooth there.  Zero below the DIS threshold.  ``coupling`` =
    eps^2 alpha alpha_D (sigma is proportional to it).
    """
    m = _target_mass(target)
    _check_cuts(w_min, q2_min, m)
    t = _tables(target, quark_charges)
    e = np.atleast_1d(np.asarray(e_chi, dtype=float)).ravel()
    out = np.zeros(e.shape)
    for s0 in range(0, e.size, _BLOCK):
        blk = e[s0:s0 + _BLOCK]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out[s0:s0 + _BLOCK] = np.where(blk > m_chi, _sigma_block(np.where(blk > m_chi, blk, m_chi + 1.0),
                                                                     m_chi, m_v, coupling, dirac, m, t,
                                                                     w_min, q2_min), 0.0)
    return out


def threshold(m_chi: float, target: str, w_min: float = 1.4, q2_min: float = 1.0) -> float:
    """Smallest chi energy (GeV) with a non-empty DIS region (bisection on the x intervals)."""
    m = _target_mass(target)
    _check_cuts(w_min, q2_min, m)
    lo, hi = m_chi * (1.0 + 1e-12), max(10.0 * (m_chi + w_min + q2_min), 100.0)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        ok = _x_intervals(np.array([mid]), m_chi, m, w_min, q2_min)[2].any()
        lo, hi = (lo, mid) if ok else (mid, hi)
    return hi


def sample(e_chi: Any, p_chi: Any, m_chi: float, m_v: float, dirac: bool, target: str, streams: Any,
           idx: Any, w_min: float = 1.4, q2_min: float = 1.0,
           quark_charges: tuple[float, ...] | None = None) -> dict[str, np.ndarray]:
    """Sample chi N -> chi X final states (nucleon at rest) from d2sigma/dxdy inside the cuts.

    Parameters
    ----------
    e_chi : (n,) incoming chi energies (GeV); p_chi : (n, 3) their lab momenta.
    streams : :class:`bdgen.rng.EventStreams`; event i uses ``streams.uniform(idx[i:i+1], d)``
        (draw d = 0: flavour and azimuth; rejection round r: draws 2r + 1 and 2r + 2).
    idx : (n,) int, the events' rows in ``streams``.

    Returns
    -------
    dict with (n, 4) four-vectors (E, px, py, pz) "chi_out", "quark" (struck quark after the
    collision, massless), "hadrons" (X = P + q, mass W); "quark_pdg" (n,) int; and "x", "y",
    "q2", "w" (n,).

    Raises ValueError for an event below the DIS threshold and RuntimeError if an event is
    still rejected after ``MAX_ROUNDS`` rounds.
    """
    m = _target_mass(target)
    _check_cuts(w_min, q2_min, m)
    t = _tables(target, quark_charges)
    e = np.atleast_1d(np.asarray(e_chi, dtype=float)).ravel()
    pv = np.asarray(p_chi, dtype=float).reshape(-1, 3)
    idx = np.asarray(idx, dtype=np.int64).ravel()
    n = e.size
    if pv.shape[0] != n or idx.size != n:
        raise ValueError("e_chi, p_chi and idx must have the same length")
    mv2 = m_v * m_v
    # x range of each event and the acceptance bound
    with np.errstate(divide="ignore", invalid="ignore"):
        lo, hi, ok = _x_intervals(np.where(e > m_chi, e, m_chi + 1.0), m_chi, m, w_min, q2_min)
    ok &= (e > m_chi)[:, None]
    if not ok.any(axis=1).all():
        bad = int((~ok.any(axis=1)).sum())
        raise ValueError(f"{bad} event(s) below the DIS threshold (W > {w_min} GeV, Q^2 > {q2_min} GeV^2)")
    xa = np.where(ok, lo, np.inf).min(axis=1)
    xb = np.where(ok, hi, -np.inf).max(axis=1)
    xa = np.maximum(xa, 1e-300)
    lxa, lxb = np.log(xa), np.log(xb)
    q2hi_max = 2.0 * m * e * xb * y_max(e, xb, m_chi, m)
    dw_max = 1.0 / (q2_min + mv2) - 1.0 / (q2hi_max + mv2)
    ja = _cells(xa, np.ones_like(xa))[0]
    kb = np.minimum(_cells(np.full_like(xa, 0.5), q2hi_max)[1] + 1, LNQ2_NODES.size - 1)
    f2_max = t.f2_bound[ja, kb]
    bound = f2_max * 2.0 * m * e * dw_max

    x = np.empty(n)
    y = np.empty(n)
    pending = np.arange(n)
    rnd = 0
    while pending.size:
        if rnd >= MAX_ROUNDS:
            raise RuntimeError(f"dis.sample: {pending.size} event(s) still rejected after {MAX_ROUNDS} rounds")
        k = pending.size
        u = streams.uniform(np.concatenate([idx[pending], idx[pending]]),
                            np.concatenate([np.full(k, 2 * rnd + 1), np.full(k, 2 * rnd + 2)]))
        u1, u2, u3 = u[:k, 0], u[:k, 1], u[k:, 0]
        ep = e[pending]
        xp = np.exp(lxa[pending] + u1 * (lxb[pending] - lxa[pending]))
        with np.errstate(divide="ignore", invalid="ignore"):
            ylo, yhi = _y_limits(ep, xp, m_chi, m, w_min, q2_min)
            s = 2.0 * m * ep * xp
            wlo = 1.0 / (s * yhi + mv2)
            whi = 1.0 / (s * ylo + mv2)
            good = (yhi > ylo) & np.isfinite(whi)
            wv = whi + u2 * (wlo - whi)
            q2 = 1.0 / wv - mv2
            yp = np.where(good, q2 / s, 0.5)
            xs = np.where(good, xp, 0.5)
            f2v = _bilinear(t.f2, *_cells(xs, np.where(good, q2, 1.0)))
            if dirac:
                kk = m * ep * (1.0 + (1.0 - yp) ** 2) - m * m * xs * yp - m_chi * m_chi * yp / xs
            else:
                kk = 2.0 * m * ep * (1.0 - yp) - m_chi * m_chi * yp / xs
            acc = f2v * np.maximum(kk, 0.0) * np.where(good, whi - wlo, 0.0)
        if np.any(acc > bound[pending] * (1.0 + 1e-9)):
            raise RuntimeError("dis.sample: the acceptance bound is violated (please report)")
        take = good & (u3 * bound[pending] < acc)
        x[pending[take]] = xs[take]
        y[pending[take]] = yp[take]
        pending = pending[~take]
        rnd += 1

    # kinematics
    q2 = 2.0 * m * e * x * y
    nu = y * e
    e_out = e - nu
    p_in = np.sqrt(e * e - m_chi * m_chi)
    p_out = np.sqrt(np.maximum(e_out * e_out - m_chi * m_chi, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        cos = np.clip((2.0 * e * e_out - 2.0 * m_chi * m_chi - q2) / (2.0 * p_in * p_out), -1.0, 1.0)
    cos = np.where(p_out > 0.0, cos, 1.0)
    sin = np.sqrt(1.0 - cos * cos)
    u0 = streams.uniform(idx, 0)
    phi = 2.0 * math.pi * u0[:, 1]
    nvec = pv / np.linalg.norm(pv, axis=1)[:, None]
    e1, e2 = orthonormal_basis(nvec)
    pvec_out = p_out[:, None] * (cos[:, None] * nvec + sin[:, None] * (np.cos(phi)[:, None] * e1
                                                                       + np.sin(phi)[:, None] * e2))
    chi_out = np.column_stack([e_out, pvec_out])
    qvec = pv - pvec_out
    hadrons = np.column_stack([m + nu, qvec])
    qabs = np.linalg.norm(qvec, axis=1)
    a = q2 / (2.0 * (nu + qabs))
    qhat = qvec / qabs[:, None]
    quark = np.column_stack([a + nu, (qabs - a)[:, None] * qhat])
    # flavour
    wts = _bilinear(t.xf, *_cells(x, q2))            # (10, n)
    cum = np.cumsum(wts, axis=0)
    pick = (u0[:, 0] * cum[-1])[None, :] >= cum
    iflav = np.minimum(pick.sum(axis=0), FLAVOURS.size - 1)
    w = np.sqrt(np.maximum(m * m + 2.0 * m * nu - q2, 0.0))
    return {"chi_out": chi_out, "quark": quark, "quark_pdg": FLAVOURS[iflav], "hadrons": hadrons,
            "x": x, "y": y, "q2": q2, "w": w}


__all__ = ["ELECTRIC_CHARGES", "FLAVOURS", "PDF_SET", "d2sigma_dxdy", "f2", "sample", "sigma", "threshold",
           "xf", "y_max"]
