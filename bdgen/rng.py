"""Counter-based random numbers: Philox4x32-10.

bdgen draws every random number from a pure function of ``(key, counter)``, the Philox4x32
generator with 10 rounds of Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy
as 1, 2, 3", SC'11 (doi:10.1145/2063384.2063405), section 4 (constants in its Table 2 and in
the Random123 library).  The counter of a draw is

    (draw index within the trial, stage, trial index low 32 bits, trial index high 32 bits)

so the numbers used for trial (meson) ``i`` do not depend on how trials are grouped into
chunks, on the order in which chunks run, or on how many workers run them.  Two independent
runs differ only through the 64-bit key, derived from the user's seed with
:class:`numpy.random.SeedSequence`.

Each call gives 128 random bits, turned into two doubles with 52 random bits each in (0, 1).
"""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np

from ._jit import jit

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)

#: Largest seed + 1 (seeds are stored as signed 64-bit integers).
SEED_LIMIT = 2**63

#: Stage numbers (the second counter word) so that different stages of the same trial never
#: share random numbers.
STAGE_PRODUCTION = 0
STAGE_UNWEIGHT = 1   # draw = 2 x (volume index within the detector) + chi
STAGE_SPILL = 2      # the production time within the beam spill
STAGE_SCATTER = 16   # stage = STAGE_SCATTER + 2 x (volume index within the detector) + chi


@jit
def philox4x32(c0, c1, c2, c3, k0, k1):  # type: ignore[no-untyped-def]
    """Philox4x32-10 block function.

    Parameters
    ----------
    c0, c1, c2, c3 : uint64
        The four 32-bit counter words (values must be < 2**32).
    k0, k1 : uint64
        The two 32-bit key words.

    Returns
    -------
    tuple of four uint64
        The four 32-bit output words.
    """
    c0 = np.uint64(c0)
    c1 = np.uint64(c1)
    c2 = np.uint64(c2)
    c3 = np.uint64(c3)
    k0 = np.uint64(k0)
    k1 = np.uint64(k1)
    for _ in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        hi0 = p0 >> _SHIFT
        lo0 = p0 & _MASK
        hi1 = p1 >> _SHIFT
        lo1 = p1 & _MASK
        c0 = (hi1 ^ c1 ^ k0) & _MASK
        c1 = lo1
        c2 = (hi0 ^ c3 ^ k1) & _MASK
        c3 = lo0
        k0 = (k0 + _W0) & _MASK
        k1 = (k1 + _W1) & _MASK
    return c0, c1, c2, c3


@jit
def uniform2(k0, k1, trial, stage, draw):  # type: ignore[no-untyped-def]
    """Two independent uniform doubles in the open interval (0, 1).

    Parameters
    ----------
    k0, k1 : uint64
        Key words (from :func:`key_from_seed`).
    trial : int64
        Global trial (meson) index, 0 <= trial < 2**64.
    stage : int
        Stage number (``STAGE_*``), distinct per use of the same trial.
    draw : int
        Index of this pair of draws within the (trial, stage) stream.

    Returns
    -------
    (float, float)
        Each with 52 random bits, (n + 0.5) / 2**52 for n < 2**52: strictly inside (0, 1)
        (with 53 bits, n = 2**53 - 1 would round to exactly 1.0).
    """
    t = np.uint64(trial)
    r0, r1, r2, r3 = philox4x32(np.uint64(draw), np.uint64(stage), t & _MASK, t >> _SHIFT, k0, k1)
    a = ((r0 << _SHIFT) | r1) >> np.uint64(12)
    b = ((r2 << _SHIFT) | r3) >> np.uint64(12)
    scale = 1.0 / 4503599627370496.0  # 2**-52
    return (float(a) + 0.5) * scale, (float(b) + 0.5) * scale


def key_from_seed(seed: int | None) -> tuple[np.uint64, np.uint64, int]:
    """Derive the Philox key from a user seed.

    Parameters
    ----------
    seed : int or None
        Integer with 0 <= seed < 2**63 (it fits a TOML integer and every output format);
        ``None`` draws a fresh 63-bit seed from the operating system's entropy.

    Returns
    -------
    (k0, k1, seed)
        The two key words and the seed actually used, so that the run can be repeated.
    """
    if seed is None:
        seed = secrets.randbits(63)
    if not 0 <= seed < 2**63:
        raise ValueError(f"seed = {seed}: must be an integer with seed >= 0 and seed < 2**63")
    used = int(seed)
    ss = np.random.SeedSequence(used)
    words = ss.generate_state(2, dtype=np.uint32)
    return np.uint64(words[0]), np.uint64(words[1]), used


@jit
def uniforms_for(k0, k1, trials, stage, draws):  # type: ignore[no-untyped-def]
    """First uniform of the (trial, stage, draw) stream for arrays of trials and draws.

    Parameters
    ----------
    trials, draws : ndarray of int64, shape (n,)

    Returns
    -------
    ndarray, shape (n,)
    """
    out = np.empty(trials.shape[0])
    for i in range(trials.shape[0]):
        out[i] = uniform2(k0, k1, trials[i], stage, draws[i])[0]
    return out


@jit
def _uniform_pairs(k0, k1, trials, stages, draws):  # type: ignore[no-untyped-def]
    out = np.empty((trials.shape[0], 2))
    for i in range(trials.shape[0]):
        a, b = uniform2(k0, k1, trials[i], stages[i], draws[i])
        out[i, 0] = a
        out[i, 1] = b
    return out


class EventStreams:
    """Per-event random streams for vectorised samplers outside the kernels.

    Event i owns the Philox stream (trial[i], stage[i], draw) for draw = 0, 1, 2, ...; each
    draw gives two uniforms in (0, 1).  A sampler asks for the draws it needs, event by event
    (e.g. one draw per rejection round for the events still rejected), so each event's numbers
    depend only on its own (trial, stage): the results do not depend on how trials are
    grouped into chunks, threads or workers.

    Parameters
    ----------
    k0, k1 : uint64
        The run's key (:func:`key_from_seed`).
    trials, stages : ndarray of int64, shape (n,)
    """

    def __init__(self, k0: Any, k1: Any, trials: np.ndarray, stages: np.ndarray) -> None:
        self.k0, self.k1 = k0, k1
        self.trials = np.ascontiguousarray(trials, dtype=np.int64)
        self.stages = np.ascontiguousarray(stages, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.trials.shape[0])

    def uniform(self, idx: np.ndarray, draw: int | np.ndarray) -> np.ndarray:
        """Two uniforms per event for events ``idx`` (int array, shape (m,)) at draw number(s)
        ``draw``; returns shape (m, 2)."""
        idx = np.asarray(idx, dtype=np.int64)
        d = np.broadcast_to(np.asarray(draw, dtype=np.int64), idx.shape).copy()
        return _uniform_pairs(self.k0, self.k1, self.trials[idx], self.stages[idx], d)  # type: ignore[no-any-return]
