"""Upper limits on a Poisson signal with background, and their translation into epsilon and Y.

Signal upper limits (confidence level CL, default 0.9), for n observed events with expected
background b:

- ``classical``: the largest s with P(N <= n | s + b) >= 1 - CL (the frequentist "Helene"
  construction with background; PDG RPP 2024, Statistics review, eq. (40.66)).  With a Gaussian
  background uncertainty sigma_b the probability is averaged over b >= 0 (Cousins and Highland,
  NIM A320 (1992) 331).
- ``feldman_cousins``: the unified ordering of Feldman and Cousins, PRD 57 (1998) 3873, section
  IV.B (Poisson with known background), upper end of the interval.

For projections the observed count is set to the expected background (rounded down to an
integer for FC, continuous for the classical limit through the regularised gamma function).

Coupling limits: the signal of a chi-scattering channel is the sum of event weights, each of
which depends on (eps, alpha_D) exactly as in :mod:`bdgen.reweight`; the limit on eps at fixed
alpha_D solves N(eps) = s_up with that exact dependence (it is not assumed to be eps^4), and
Y = eps^2 alpha_D (m_chi/m_V)^4 (Izaguirre, Krnjaic, Schuster, Toro, PRL 115 (2015) 251301,
arXiv:1505.00011).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special, stats


def _p_le(n: float, mu: float) -> float:
    """P(N <= n | mu) for Poisson N, continuous in n (regularised upper incomplete gamma)."""
    return float(special.gammaincc(n + 1.0, mu))


def classical_upper_limit(n_obs: float, b: float, *, cl: float = 0.9, sigma_b: float = 0.0) -> float:
    """Classical upper limit on the signal mean (see module docstring)."""
    if b < 0 or sigma_b < 0 or not 0 < cl < 1:
        raise ValueError("need b >= 0, sigma_b >= 0 and 0 < cl < 1")
    if sigma_b > 0:
        x, w = np.polynomial.hermite_e.hermegauss(40)
        bs = b + sigma_b * x
        keep = bs >= 0
        bs, w = bs[keep], w[keep] / np.sum(w[keep])

        def p(s: float) -> float:
            return float(np.sum(w * special.gammaincc(n_obs + 1.0, s + bs)))
    else:
        def p(s: float) -> float:
            return _p_le(n_obs, s + b)

    alpha = 1.0 - cl
    if p(0.0) <= alpha:
        return 0.0
    hi = max(10.0, 2.0 * (n_obs + 10.0))
    while p(hi) > alpha:
        hi *= 2.0
    return float(optimize.brentq(lambda s: p(s) - alpha, 0.0, hi, xtol=1e-12, rtol=1e-12))


def _fc_accepts(n_obs: int, s: float, b: float, cl: float, n: np.ndarray, p_best: np.ndarray) -> bool:
    """Whether n_obs lies in the Feldman-Cousins acceptance region of signal mean s."""
    p = stats.poisson.pmf(n, s + b)
    order = np.argsort(-(p / p_best), kind="stable")
    k = int(np.searchsorted(np.cumsum(p[order]), cl)) + 1
    return bool(np.any(order[:k] == n_obs))


def feldman_cousins_upper_limit(n_obs: int, b: float, *, cl: float = 0.9, s_max: float = 100.0,
                                step: float = 0.02) -> float:
    """Upper end of the Feldman-Cousins interval for a Poisson signal with known background b.

    For each s, the acceptance region in n is built by ranking n by
    R = P(n | s + b)/P(n | s_best + b), s_best = max(0, n - b), and adding n until the
    probability reaches CL; the limit is the largest s whose region contains n_obs, found on a
    grid of ``step`` and refined by bisection to 1e-6.
    """
    n_obs = int(n_obs)
    n_top = int(max(3 * (s_max + b) + 30, n_obs + 50))
    n = np.arange(n_top + 1)
    p_best = stats.poisson.pmf(n, np.maximum(0.0, n - b) + b)
    grid = np.arange(0.0, s_max + step, step)
    inside = [s for s in grid if _fc_accepts(n_obs, s, b, cl, n, p_best)]
    if not inside:
        return 0.0
    lo = inside[-1]
    hi = lo + step
    while hi - lo > 1e-6:
        mid = 0.5 * (lo + hi)
        if _fc_accepts(n_obs, mid, b, cl, n, p_best):
            lo = mid
        else:
            hi = mid
    return float(lo)


def y_parameter(epsilon: float | np.ndarray, alpha_d: float, m_chi: float, m_v: float) -> float | np.ndarray:
    """Y = eps^2 alpha_D (m_chi/m_V)^4 (arXiv:1505.00011)."""
    return epsilon**2 * alpha_d * (m_chi / m_v) ** 4


def epsilon_limit(signal_at: "callable", eps0: float, s_up: float) -> float:  # type: ignore[valid-type]
    """The epsilon at which ``signal_at(eps)`` equals ``s_up``, searched in log(eps).

    ``signal_at`` must increase with eps (true for scattering signals, which go as eps^4 up to
    width effects).  Starts from the eps^4 scaling around eps0 and brackets the root.
    """
    n0 = signal_at(eps0)
    if n0 <= 0:
        return math.inf
    guess = eps0 * (s_up / n0) ** 0.25

    def f(log_e: float) -> float:
        return math.log(max(signal_at(math.exp(log_e)), 1e-300)) - math.log(s_up)

    lo, hi = math.log(guess) - 0.5, math.log(guess) + 0.5
    while f(lo) > 0:
        lo -= 1.0
    while f(hi) < 0:
        hi += 1.0
    return math.exp(optimize.brentq(f, lo, hi, xtol=1e-10))
