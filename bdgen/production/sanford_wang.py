"""The Sanford-Wang parametrisation of meson production, and an exact sampler for it.

    d^2 sigma / (dp dOmega) = c1 p^c2 (1 - p/(p_B - c9)) exp[-c3 p^c4 / p_B^c5
                                - c6 theta (p - c7 p_B cos^c8 theta)]      (mb / (GeV/c sr))

with p and theta the meson's lab momentum (GeV/c) and angle (rad) and p_B the proton beam
momentum: MiniBooNE collaboration, "The neutrino flux prediction at MiniBooNE", PRD 79 (2009)
072002, arXiv:0806.1449, eq. (12) with the parameters of its Tables V (pi+, pi-) and VII (K0);
PHYSICS.md section 2.1.  The density in (p, theta) is d^2 sigma/(dp dOmega) 2 pi sin(theta),
set to zero where the factor (1 - p/(p_B - c9)) is negative.

A spectrum may be a weighted sum of several parameter sets (the pi0 is the average of pi+ and
pi-, PHYSICS.md 2.1).

Sampling is by rejection from a piecewise-constant envelope common to all spectrum models
(:mod:`bdgen.production.spectra`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .._jit import jit

if TYPE_CHECKING:
    from .spectra import Envelope, Spectrum



@jit
def sw_single(p, theta, c, p_beam):  # type: ignore[no-untyped-def]
    """d^2 sigma/(dp dOmega) (mb/(GeV/c sr)) for one parameter set ``c`` (length 9)."""
    lin = 1.0 - p / (p_beam - c[8])
    if lin <= 0.0 or p <= 0.0:
        return 0.0
    ct = math.cos(theta)
    if ct <= 0.0:
        return 0.0
    expo = -c[2] * p ** c[3] / p_beam ** c[4] - c[5] * theta * (p - c[6] * p_beam * ct ** c[7])
    return c[0] * p ** c[1] * lin * math.exp(expo)


@jit
def sw_density(p, theta, cs, ws, p_beam):  # type: ignore[no-untyped-def]
    """Weighted sum of parameter sets, as a density in (p, theta): mb/(GeV/c rad).

    Parameters
    ----------
    p, theta : float
        Momentum (GeV/c) and polar angle (rad).
    cs : ndarray, shape (k, 9)
        Parameter sets.
    ws : ndarray, shape (k,)
        Their weights.
    p_beam : float
        Proton beam momentum (GeV/c).
    """
    acc = 0.0
    for k in range(cs.shape[0]):
        acc += ws[k] * sw_single(p, theta, cs[k], p_beam)
    return acc * 2.0 * math.pi * math.sin(theta)


@dataclass(frozen=True)
class SanfordWang:
    """A Sanford-Wang spectrum (weighted sum of parameter sets) and its sampling envelope.

    Attributes
    ----------
    p_beam : float
        Proton beam momentum, GeV/c.
    params : ndarray, shape (k, 9)
    weights : ndarray, shape (k,)
    theta_max : float
        Largest production angle sampled (rad); BdNMC uses pi/2.
    """

    p_beam: float
    params: np.ndarray
    weights: np.ndarray
    theta_max: float = 0.5 * math.pi
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def p_max(self) -> float:
        """Largest momentum with a positive density, GeV/c."""
        return float(self.p_beam - np.min(self.params[:, 8]))

    def density(self, p: np.ndarray | float, theta: np.ndarray | float) -> np.ndarray:
        """Density in (p, theta), mb/(GeV/c rad), vectorised."""
        p_arr, t_arr = np.broadcast_arrays(np.asarray(p, float), np.asarray(theta, float))
        out = np.empty(p_arr.shape)
        flat_p, flat_t, flat_o = p_arr.ravel(), t_arr.ravel(), out.reshape(-1)
        for i in range(flat_p.size):
            flat_o[i] = sw_density(flat_p[i], flat_t[i], self.params, self.weights, self.p_beam)
        return out

    def generic(self) -> "Spectrum":
        """This spectrum behind the common interface (:class:`bdgen.production.spectra.Spectrum`)."""
        from .spectra import SANFORD_WANG, Spectrum, sw_flat_params

        if "generic" not in self._cache:
            self._cache["generic"] = Spectrum(
                SANFORD_WANG, sw_flat_params(self.p_beam, self.params, self.weights), self.p_max,
                self.theta_max, label="sanford_wang",
            )
        return self._cache["generic"]  # type: ignore[no-any-return]

    def envelope(self) -> "Envelope":
        """The rejection envelope (see :class:`bdgen.production.spectra.Spectrum`)."""
        return self.generic().envelope()


@jit
def pick_cell(cdf, u):  # type: ignore[no-untyped-def]
    """Index of the first cdf entry >= u (binary search)."""
    lo = 0
    hi = cdf.shape[0] - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if cdf[mid] < u:
            lo = mid + 1
        else:
            hi = mid
    return lo
