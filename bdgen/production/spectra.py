"""Meson spectrum models behind one interface.

Every model is a density in the meson's lab momentum p (GeV/c) and polar angle theta (rad,
about the proton beam), evaluated by one jitted dispatcher :func:`density` from a model code and
a flat parameter vector, so the event kernel samples any model the same way: rejection from a
piecewise-constant envelope on a (p, theta) grid (the bound of each cell is the largest density
on a 5 x 5 sub-grid of the cell times :data:`SAFETY`; points where the density exceeds the bound
are counted, and the tests require none).  The azimuth is uniform.

Models:

- ``SANFORD_WANG`` (0): :mod:`bdgen.production.sanford_wang`, params
  ``[p_beam, k, (w, c1..c9) * k]``.
- ``BMPT`` (1): :mod:`bdgen.production.bmpt`.
- ``BURMAN_SMITH`` (2): :mod:`bdgen.production.burman_smith`.
- ``BREM`` (3): :func:`bdgen.physics.brem.brem_density`, where the two variables are the
  momentum fraction z and the transverse momentum p_T of the dark photon instead of (p, theta).
- ``FEYNMAN_SCALING`` (6): :mod:`bdgen.production.feynman_scaling` (K+ at the BNB; used for
  the neutrino flux), params ``[p_beam, m_hadron, m_threshold, c1..c8]``.
- ``TABLE`` (5): a tabulated density, piecewise constant on a (p, theta) grid
  (:func:`table_density`; built from Pythia 8 events by :mod:`bdgen.production.pythia`).  Params
  ``[n_p, n_t, p_max, theta_max, values...]``: ``|n_p| x |n_t|`` cells covering
  ``[0, p_max) x [0, theta_max)``, ``values`` the density in each cell (row-major, p slowest), in
  whatever units the table carries (mesons per collision per GeV/c per rad for Pythia).  A
  positive count means uniform cells (edges ``x_max k/n``); a negative count ``-n`` means ``n``
  quadratically spaced cells (edges ``x_max (k/n)^2``, fine near 0 for forward-peaked spectra).
  Piecewise constant rather than bilinear so that the integral is an exact sum
  (:func:`table_integral`) and the density is never negative or smeared across an empty cell.

:class:`Spectrum` exposes ``density``, ``envelope`` and ``sample(n, rng)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._jit import jit
from .bmpt import bmpt_density
from .burman_smith import bs_density
from .feynman_scaling import fs_density
from ..physics.brem import brem_density
from ..rng import uniform2
from .sanford_wang import pick_cell, sw_single

SANFORD_WANG = 0
BMPT = 1
BURMAN_SMITH = 2
BREM = 3
#: Not a density: mesons drawn uniformly from a user list (bdgen.production.meson_list).
LIST = 4
#: Tabulated density, piecewise constant in (p, theta) (see the module docstring).
TABLE = 5
#: Feynman-scaling K+ production (bdgen.production.feynman_scaling).
FEYNMAN_SCALING = 6
#: Number of header entries of a TABLE parameter vector before the values.
TABLE_HEADER = 4
#: Beam-file model names and the model code of the spectrum they build ("pythia8" builds a TABLE).
MODEL_NAMES = {"sanford_wang": SANFORD_WANG, "bmpt": BMPT, "burman_smith": BURMAN_SMITH, "pythia8": TABLE}

SAFETY = 1.2


@jit
def _sw_flat(p, theta, par):  # type: ignore[no-untyped-def]
    p_beam = par[0]
    k = int(par[1])
    acc = 0.0
    for i in range(k):
        base = 2 + 10 * i
        acc += par[base] * sw_single(p, theta, par[base + 1: base + 10], p_beam)
    return acc * 2.0 * math.pi * math.sin(theta)


@jit
def _table_bin(x, n, x_max):  # type: ignore[no-untyped-def]
    """Cell of ``x`` among the TABLE cells of [0, x_max) (count ``n``: > 0 uniform, < 0 quadratic);
    -1 outside (and for nan)."""
    if not (x >= 0.0 and x < x_max):
        return -1
    if n > 0:
        m = n
        k = int(x / x_max * m)
    else:
        m = -n
        k = int(math.sqrt(x / x_max) * m)
    # x / x_max can round up to 1 just below x_max
    return k if k < m else m - 1


@jit
def table_density(p, theta, par):  # type: ignore[no-untyped-def]
    """The TABLE density at (p [GeV/c], theta [rad]): the value of the cell holding the point, 0
    outside the table.  ``par`` = ``[n_p, n_t, p_max, theta_max, values (|n_p| |n_t|, row-major)]``."""
    n_p = int(par[0])
    n_t = int(par[1])
    i = _table_bin(p, n_p, par[2])
    j = _table_bin(theta, n_t, par[3])
    if i < 0 or j < 0:
        return 0.0
    return par[TABLE_HEADER + i * abs(n_t) + j]


@jit
def density(model, p, theta, par):  # type: ignore[no-untyped-def]
    """Density in (p, theta) of model ``model`` with parameter vector ``par`` (shape only)."""
    if model == SANFORD_WANG:
        return _sw_flat(p, theta, par)
    if model == BMPT:
        return bmpt_density(p, theta, par)
    if model == BURMAN_SMITH:
        return bs_density(p, theta, par)
    if model == BREM:
        return brem_density(p, theta, par)
    if model == TABLE:
        return table_density(p, theta, par)
    if model == FEYNMAN_SCALING:
        return fs_density(p, theta, par)
    return 0.0


def sw_flat_params(p_beam: float, params: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Flatten Sanford-Wang parameter sets into the dispatcher's vector."""
    out = [p_beam, float(len(weights))]
    for w, c in zip(weights, params):
        out.append(float(w))
        out.extend(float(x) for x in c)
    return np.array(out)


def _table_axis(n: int, x_max: float) -> np.ndarray:
    x = np.linspace(0.0, 1.0, abs(n) + 1)
    return x_max * (x if n > 0 else x * x)


def table_params(values: np.ndarray, p_max: float, theta_max: float, *, p_spacing: str = "linear",
                 theta_spacing: str = "linear") -> np.ndarray:
    """The TABLE parameter vector of a density given per cell.

    Parameters
    ----------
    values : ndarray, shape (n_p, n_t)
        Density in each cell, e.g. mesons per collision per GeV/c per rad; finite and >= 0.
    p_max : float
        Upper edge of the momentum axis, GeV/c.
    theta_max : float
        Upper edge of the angle axis, rad.
    p_spacing, theta_spacing : str
        "linear" (uniform cells) or "quadratic" (edges ``x_max (k/n)^2``).

    Returns
    -------
    ndarray, shape (4 + n_p n_t,)
        ``[+-n_p, +-n_t, p_max, theta_max, values.ravel()]`` (negative count = quadratic spacing).
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2 or v.shape[0] < 1 or v.shape[1] < 1:
        raise ValueError(f"table values must be a non-empty 2-D array, got shape {v.shape}")
    if not np.all(np.isfinite(v)) or np.any(v < 0.0):
        raise ValueError("table values must be finite and >= 0")
    if not (p_max > 0.0 and theta_max > 0.0):
        raise ValueError(f"p_max = {p_max}, theta_max = {theta_max}: must be > 0")
    signs = []
    for name, sp in (("p_spacing", p_spacing), ("theta_spacing", theta_spacing)):
        if sp not in ("linear", "quadratic"):
            raise ValueError(f"{name} = {sp!r}: must be 'linear' or 'quadratic'")
        signs.append(1 if sp == "linear" else -1)
    head = [signs[0] * v.shape[0], signs[1] * v.shape[1], float(p_max), float(theta_max)]
    return np.concatenate([np.array(head, dtype=np.float64), v.ravel()])


def table_edges(par: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell edges of a TABLE parameter vector: (p edges [GeV/c], shape (|n_p|+1,), theta edges
    [rad], shape (|n_t|+1,))."""
    return _table_axis(int(par[0]), float(par[2])), _table_axis(int(par[1]), float(par[3]))


def table_values(par: np.ndarray) -> np.ndarray:
    """The cell values of a TABLE parameter vector, shape (|n_p|, |n_t|)."""
    n_p, n_t = abs(int(par[0])), abs(int(par[1]))
    return np.asarray(par[TABLE_HEADER: TABLE_HEADER + n_p * n_t]).reshape(n_p, n_t)


def table_integral(par: np.ndarray, p_max: float | None = None, theta_max: float | None = None) -> float:
    """Exact integral of the TABLE density over p < p_max, theta < theta_max (defaults: the
    whole table): sum over cells of value x (overlap in p) x (overlap in theta); units of the
    values times GeV/c rad (mesons per collision for Pythia tables)."""
    pe, te = table_edges(par)
    p_hi = pe[-1] if p_max is None else p_max
    t_hi = te[-1] if theta_max is None else theta_max
    dp = np.clip(np.minimum(pe[1:], p_hi) - pe[:-1], 0.0, None)
    dt = np.clip(np.minimum(te[1:], t_hi) - te[:-1], 0.0, None)
    return float(dp @ table_values(par) @ dt)


def table_spectrum(par: np.ndarray, *, theta_max: float | None = None, label: str = "table") -> Spectrum:
    """A :class:`Spectrum` of a TABLE parameter vector, sampled over the table's momentum range and
    theta < ``theta_max`` (rad; default and upper limit: the table's).

    The envelope keeps the common 160 x 160 grid (the event kernels stack the envelopes of all
    channels) with the table's spacing.  With at most 160 cells per axis every envelope cell is
    narrower (in the table's spacing) than a table cell, so it overlaps at most two cells, each
    of which holds one of its sub-grid points: the bound is never below the density
    (:data:`SAFETY` x the largest overlapping cell value).
    """
    n_p, n_t = int(par[0]), int(par[1])
    if max(abs(n_p), abs(n_t)) > 160:
        raise ValueError(f"table of {abs(n_p)} x {abs(n_t)} cells: at most 160 per axis")
    pe, te = table_edges(par)
    t_hi = float(te[-1]) if theta_max is None else min(float(theta_max), float(te[-1]))
    return Spectrum(TABLE, np.asarray(par, dtype=np.float64), float(pe[-1]), t_hi,
                    "linear" if n_p > 0 else "quadratic", "linear" if n_t > 0 else "quadratic", label=label)


@dataclass(frozen=True)
class Envelope:
    """Rejection envelope on a (p, theta) grid.

    Attributes
    ----------
    p_edges : ndarray, shape (n_p + 1,)
    theta_edges : ndarray, shape (n_theta + 1,)
    bound : ndarray, shape (n_p, n_theta)
        Upper bound of the density in each cell.
    cdf : ndarray, shape (n_p * n_theta,)
        Normalised cumulative bound x area (row-major).
    total : float
        Integral of the envelope; the rejection efficiency is integral(density)/total.
    """

    p_edges: np.ndarray
    theta_edges: np.ndarray
    bound: np.ndarray
    cdf: np.ndarray
    total: float


@jit
def _grid(model, pp, tt, par):  # type: ignore[no-untyped-def]
    out = np.empty((pp.shape[0], tt.shape[0]))
    for i in range(pp.shape[0]):
        for j in range(tt.shape[0]):
            out[i, j] = density(model, pp[i], tt[j], par)
    return out


def _refine(edges: np.ndarray, sub: int) -> np.ndarray:
    pts = [np.linspace(a, b, sub, endpoint=False) for a, b in zip(edges[:-1], edges[1:])]
    return np.concatenate(pts + [edges[-1:]])


@dataclass(frozen=True)
class Spectrum:
    """A meson (p, theta) spectrum.

    Attributes
    ----------
    model : int
        Model code (``SANFORD_WANG``, ``BMPT``, ``BURMAN_SMITH``, ``BREM``, ``TABLE``).
    params : ndarray, shape (k,)
        Parameter vector of the model.
    p_max : float
        Largest momentum sampled, GeV/c.
    p_min : float
        Smallest momentum sampled (0 except for bremsstrahlung, where it is z_min).
    theta_max : float
        Largest angle sampled, rad.
    p_spacing, theta_spacing : str
        "linear" or "quadratic" (cells finer near 0, for forward-peaked spectra).
    label : str
    """

    model: int
    params: np.ndarray
    p_max: float
    theta_max: float
    p_spacing: str = "linear"
    theta_spacing: str = "linear"
    label: str = ""
    n_p: int = 160
    n_theta: int = 160
    p_min: float = 0.0
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def density(self, p: np.ndarray | float, theta: np.ndarray | float) -> np.ndarray:
        """Density at (p, theta) (broadcast), in the model's units per GeV/c per rad."""
        p_arr, t_arr = np.broadcast_arrays(np.asarray(p, float), np.asarray(theta, float))
        flat = _grid_pairs(self.model, np.ascontiguousarray(p_arr.ravel()), np.ascontiguousarray(t_arr.ravel()),
                           self.params)
        return flat.reshape(p_arr.shape)

    def _edges(self, lo: float, hi: float, n: int, spacing: str) -> np.ndarray:
        x = np.linspace(0.0, 1.0, n + 1)
        if spacing == "quadratic":
            x = x * x
        return lo + (hi - lo) * x

    def envelope(self) -> Envelope:
        """The rejection envelope (cached)."""
        if "env" in self._cache:
            return self._cache["env"]  # type: ignore[no-any-return]
        pe = self._edges(self.p_min, self.p_max, self.n_p, self.p_spacing)
        te = self._edges(0.0, self.theta_max, self.n_theta, self.theta_spacing)
        sub = 5
        pp = _refine(pe, sub - 1)
        tt = _refine(te, sub - 1)
        g = _grid(self.model, pp, tt, self.params)
        w = np.lib.stride_tricks.sliding_window_view(g, (sub, sub))[:: sub - 1, :: sub - 1]
        bound = np.ascontiguousarray(w.max(axis=(2, 3)) * SAFETY)
        mass = (bound * np.outer(np.diff(pe), np.diff(te))).ravel()
        cdf = np.cumsum(mass)
        total = float(cdf[-1])
        if not total > 0:
            raise ValueError(f"spectrum {self.label!r} is zero everywhere on its grid")
        env = Envelope(pe, te, bound, cdf / total, total)
        self._cache["env"] = env
        return env

    def cell_integrals(self, n_gl: int = 4) -> np.ndarray:
        """Integral of the density over each cell of the envelope, shape (n_p, n_theta), by an
        n_gl x n_gl-point Gauss-Legendre rule per cell (cached).  With the default 4 points the
        total agrees with 8 points to ~3e-7 for the analytic models; the momentum importance
        sampling normalises its weights with these (:func:`bdgen.pipeline._momentum_bias`)."""
        key = ("cells", n_gl)
        if key in self._cache:
            return self._cache[key]  # type: ignore[no-any-return]
        env = self.envelope()
        x, w = np.polynomial.legendre.leggauss(n_gl)
        pe, te = env.p_edges, env.theta_edges
        hp, ht = 0.5 * np.diff(pe), 0.5 * np.diff(te)
        pp = (0.5 * (pe[1:] + pe[:-1])[:, None] + hp[:, None] * x[None, :]).ravel()
        tt = (0.5 * (te[1:] + te[:-1])[:, None] + ht[:, None] * x[None, :]).ravel()
        g = _grid(self.model, pp, tt, self.params).reshape(hp.size, n_gl, ht.size, n_gl)
        cells = np.einsum("iajb,a,b->ij", g, w, w) * hp[:, None] * ht[None, :]
        self._cache[key] = cells
        return cells

    def integral(self, p_max: float | None = None, theta_max: float | None = None) -> float:
        """Integral of the density over p < p_max, theta < theta_max (defaults: the sampled
        domain), by the trapezoidal rule on the envelope's 5x refined grid (cached); exact for a
        TABLE (:func:`table_integral`)."""
        key = ("integral", p_max, theta_max)
        if key not in self._cache and self.model == TABLE:
            self._cache[key] = table_integral(self.params, self.p_max if p_max is None else p_max,
                                              self.theta_max if theta_max is None else theta_max)
        if key not in self._cache:
            pe = self._edges(self.p_min, self.p_max if p_max is None else p_max, 4 * self.n_p, self.p_spacing)
            te = self._edges(0.0, self.theta_max if theta_max is None else theta_max, 4 * self.n_theta,
                             self.theta_spacing)
            g = _grid(self.model, pe, te, self.params)
            self._cache[key] = float(np.trapezoid(np.trapezoid(g, te, axis=1), pe))
        return self._cache[key]  # type: ignore[no-any-return]

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
        """Draw ``n`` mesons: (p [GeV/c], theta [rad], violations), shapes (n,), (n,).

        The azimuth is uniform and not returned.  ``rng`` supplies the Philox key.
        """
        from ..rng import key_from_seed

        env = self.envelope()
        k0, k1, _ = key_from_seed(int(rng.integers(0, 2**63)))
        p = np.empty(n)
        t = np.empty(n)
        viol = _sample(k0, k1, n, self.model, self.params, env.p_edges, env.theta_edges, env.bound, env.cdf, p, t)
        return p, t, int(viol)


@jit
def _grid_pairs(model, p, t, par):  # type: ignore[no-untyped-def]
    out = np.empty(p.shape[0])
    for i in range(p.shape[0]):
        out[i] = density(model, p[i], t[i], par)
    return out


@jit
def sample_one(model, par, env_p, env_t, env_bound, env_cdf, k0, k1, trial, stage, draw):  # type: ignore[no-untyped-def]
    """One (p, theta) by rejection from the envelope; returns (p, theta, next draw, violations).

    Random numbers: pairs ``draw``, ``draw + 1``, ... of the (trial, stage) stream.
    """
    n_t = env_bound.shape[1]
    viol = 0
    while True:
        u_cell, u_acc = uniform2(k0, k1, trial, stage, draw)
        u_p, u_t = uniform2(k0, k1, trial, stage, draw + 1)
        draw += 2
        cell = pick_cell(env_cdf, u_cell)
        ip = cell // n_t
        it = cell - ip * n_t
        p = env_p[ip] + u_p * (env_p[ip + 1] - env_p[ip])
        th = env_t[it] + u_t * (env_t[it + 1] - env_t[it])
        f = density(model, p, th, par)
        bnd = env_bound[ip, it]
        if f > bnd:
            viol += 1
        if u_acc * bnd < f:
            return p, th, draw, viol


@jit
def _sample(k0, k1, n, model, par, env_p, env_t, env_bound, env_cdf, out_p, out_t):  # type: ignore[no-untyped-def]
    viol = 0
    for i in range(n):
        p, th, _d, v = sample_one(model, par, env_p, env_t, env_bound, env_cdf, k0, k1, i, 0, 0)
        out_p[i] = p
        out_t[i] = th
        viol += v
    return viol
