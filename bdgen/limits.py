"""Upper limits on a Poisson signal with background, and their translation into epsilon and Y.

Signal upper limits (confidence level CL, default 0.9), for n observed events with expected
background b:

- ``classical``: the largest s with P(N <= n | s + b) >= 1 - CL (the unconditioned classical
  Poisson upper limit with background, e.g. 6.27 at n = 5, b = 3 for 90% CL; not Helene's limit
  conditioned on N_bkg <= n, which gives 6.44 there; PDG RPP 2024, Statistics review).  With a Gaussian
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


def _background_nodes(b: float, sigma_b: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of a Gaussian background of mean b and width sigma_b truncated to b >= 0:
    Gauss-Legendre on [max(0, b - 8 sigma_b), b + 8 sigma_b], weights normalised to 1."""
    lo, hi = max(0.0, b - 8.0 * sigma_b), b + 8.0 * sigma_b
    x, w = np.polynomial.legendre.leggauss(200)
    bs = 0.5 * (hi + lo) + 0.5 * (hi - lo) * x
    wts = w * np.exp(-0.5 * ((bs - b) / sigma_b) ** 2)
    return bs, wts / np.sum(wts)


def classical_upper_limit(n_obs: float, b: float, *, cl: float = 0.9, sigma_b: float = 0.0) -> float:
    """Classical upper limit on the signal mean (see module docstring).

    Returns 0 when even s = 0 is excluded (P(N <= n | b) <= 1 - CL: fewer events than the
    background allows); callers that turn the limit into a coupling must treat that case.
    """
    if not (b >= 0 and sigma_b >= 0 and 0 < cl < 1 and n_obs >= 0 and math.isfinite(n_obs + b + sigma_b)):
        raise ValueError("need n_obs >= 0, b >= 0, sigma_b >= 0 (finite) and 0 < cl < 1")
    if sigma_b > 0:
        bs, w = _background_nodes(b, sigma_b)

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


def _fc_accepted(n_obs: int, s: np.ndarray, b: float, cl: float, n: np.ndarray, p_best: np.ndarray) -> np.ndarray:
    """For each signal mean in ``s`` (m,), whether n_obs lies in its Feldman-Cousins acceptance region.

    n enters the region in decreasing order of R = P(n | s + b)/P(n | s_best + b) (ties: smaller n
    first) until the probability reaches CL, so n_obs is accepted when the probability of the n
    ranked before it is below CL.  Returns a boolean array (m,)."""
    mu = np.asarray(s, float)[:, None] + b
    log_mu = np.log(np.where(mu > 0, mu, 1.0))
    p = np.exp(n[None, :] * log_mu - mu - special.gammaln(n + 1.0)[None, :])  # Poisson pmf
    p = np.where(mu > 0, p, (n[None, :] == 0).astype(float))
    r = np.where(p_best > 0, p / np.where(p_best > 0, p_best, 1.0), 0.0)
    r_obs = r[:, n_obs][:, None]
    before = (r > r_obs) | ((r == r_obs) & (n[None, :] < n_obs))
    return np.sum(np.where(before, p, 0.0), axis=1) < cl  # type: ignore[no-any-return]


def _fc_raw(n_obs: int, b: float, cl: float, s_max: float, step: float, refine: bool = True) -> float:
    """The largest s on the grid (refined by bisection to 1e-6 if ``refine``) whose acceptance region
    holds n_obs."""
    mu = s_max + b
    n_top = int(max(mu + 10.0 * math.sqrt(mu) + 30.0, n_obs + 50))  # P(n > n_top | mu) ~ 1e-20
    n = np.arange(n_top + 1)
    p_best = stats.poisson.pmf(n, np.maximum(0.0, n - b) + b)
    grid = np.arange(0.0, s_max + step, step)
    ok = _fc_accepted(n_obs, grid, b, cl, n, p_best)
    if not ok.any():
        return 0.0
    lo = float(grid[np.nonzero(ok)[0][-1]])
    if lo >= grid[-1]:
        raise ValueError(f"Feldman-Cousins limit reached s_max = {s_max} (n_obs = {n_obs}, b = {b}): raise s_max")
    hi = lo + step
    while refine and hi - lo > 1e-6:
        mid = 0.5 * (lo + hi)
        if _fc_accepted(n_obs, np.array([mid]), b, cl, n, p_best)[0]:
            lo = mid
        else:
            hi = mid
    return lo


def feldman_cousins_upper_limit(n_obs: int, b: float, *, cl: float = 0.9, s_max: float | None = None,
                                step: float = 0.02, b_range: float = 3.0, b_step: float = 0.01) -> float:
    """Upper end of the Feldman-Cousins interval for a Poisson signal with known background b.

    For each s, the acceptance region in n is built by ranking n by
    R = P(n | s + b)/P(n | s_best + b), s_best = max(0, n - b), and adding n until the
    probability reaches CL; the raw limit is the largest s whose region contains n_obs, found on a
    grid of ``step`` up to ``s_max`` (default n_obs - b + 5 sqrt(n_obs + b) + 10, far above any
    limit) and refined by bisection to 1e-6.  Because n is discrete the raw limit is not monotonic
    in b (for n_obs < b it jumps up and down as b grows); Feldman and Cousins's published tables
    (PRD 57 (1998) 3873, Tables IV-XII) make it non-increasing in b, which is what this returns:
    the largest raw limit over b' in [b, b + ``b_range``] (grid ``b_step``), for n_obs + b <= 50
    (above, the bumps are negligible and the raw limit is returned).  That reproduces their
    Table IV to 0.02 (tests/test_limits.py).  The s grid step grows as sqrt(n_obs + b)/5 above
    n_obs + b = 25; the limit is then refined by bisection.
    """
    n_obs = int(n_obs)
    if not (n_obs >= 0 and b >= 0 and 0 < cl < 1 and math.isfinite(b)):
        raise ValueError("need n_obs >= 0, finite b >= 0 and 0 < cl < 1")
    if s_max is None:
        s_max = max(n_obs - b, 0.0) + 5.0 * math.sqrt(n_obs + b + 1.0) + 10.0
    step = step * max(1.0, math.sqrt(n_obs + b) / 5.0)  # the grid scales with the Poisson width
    if n_obs + b > 50.0:  # the discreteness bumps are negligible there (and the tables stop at b = 15)
        return _fc_raw(n_obs, b, cl, s_max, step)
    bs = b + np.arange(0.0, b_range + 0.5 * b_step, b_step)
    coarse = np.array([_fc_raw(n_obs, float(bb), cl, s_max, step, refine=False) for bb in bs])
    # bisect only where the grid value is within one step of the largest
    return max(_fc_raw(n_obs, float(bb), cl, s_max, step) for bb in bs[coarse >= coarse.max() - step])


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
