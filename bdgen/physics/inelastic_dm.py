"""Inelastic (pseudo-Dirac) dark matter: chi1, chi2 = chi1 + Delta coupled off-diagonally to V.

Model (Tucker-Smith and Weiner, PRD 64 (2001) 043502; for beam dumps Izaguirre, Kahn,
Krnjaic, Moschella, PRD 96 (2017) 055007, arXiv:1703.06881, section II): a Dirac fermion with
a small Majorana mass splits into Majorana states chi1 (mass m1) and chi2 (m2 = m1 + Delta);
the dark photon couples off-diagonally, g_D V_mu chi2bar gamma^mu chi1, so V -> chi1 chi2 and
chi2 -> chi1 V* -> chi1 l+ l-.  Units: GeV.

Widths (spin sums from the traces below; :func:`width_v_to_pair` reproduces the Dirac width
for Delta = 0, and the expression of BdNMC ``Inelastic_DM::Gamma_A_to_dm1_dm2``):

- V(*) of mass M -> chi1 chi2: with p the momentum in the V frame,
      Gamma = alpha_D p (M^2 - (m2 - m1)^2)((m1 + m2)^2 + 2 M^2) / (3 M^4),
  from Tr[(p1 + m1) g^mu (p2 - m2) g^nu] contracted with -g_mu_nu + q_mu q_nu/M^2 [derived].
- chi2 -> chi1 l+ l-: |M|^2 = (4 pi alpha_D)(4 pi alpha eps^2) L^{mu nu} H_{mu nu} / |q^2 - m_V^2 + i m_V Gamma_V|^2
  with H = Tr[(p1 + m1) g^mu (p2 + m2) g^nu]/2 (chi2 spin average) and L = Tr[(k- + m) g_mu (k+ - m) g_nu],
  integrated over the Dalitz plot (PDG RPP 2024 "Kinematics", eq. (49.22)) by Gauss-Legendre
  quadrature.  For Delta << m1, m_V it tends to Gamma = 4 eps^2 alpha alpha_D Delta^5/(15 pi m_V^4)
  (arXiv:1703.06881, eq. (5)).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .. import constants as C
from ..kinematics import boost_many, orthonormal_basis


def two_body_p(big_m: float | np.ndarray, m1: float, m2: float) -> float | np.ndarray:
    """Momentum (GeV) of the daughters of a decay big_m -> m1 m2 in the parent frame; 0 below threshold."""
    big_m = np.asarray(big_m, dtype=float)
    lam = (big_m**2 - (m1 + m2) ** 2) * (big_m**2 - (m1 - m2) ** 2)
    return np.sqrt(np.maximum(lam, 0.0)) / (2.0 * np.where(big_m > 0, big_m, 1.0))


def width_v_to_pair(big_m: float | np.ndarray, m1: float, m2: float, alpha_d: float) -> float | np.ndarray:
    """Gamma(V(*) of mass big_m -> chi1 chi2) in GeV (zero below threshold); see the module docstring."""
    big_m = np.asarray(big_m, dtype=float)
    p = two_body_p(big_m, m1, m2)
    bm = np.where(big_m > 0, big_m, 1.0)
    out = alpha_d * p * (bm**2 - (m2 - m1) ** 2) * ((m1 + m2) ** 2 + 2.0 * bm**2) / (3.0 * bm**4)
    return np.where(big_m > m1 + m2, out, 0.0)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 0] - a[..., 1] * b[..., 1] - a[..., 2] * b[..., 2] - a[..., 3] * b[..., 3]


def matrix_element2(p1: np.ndarray, p2: np.ndarray, km: np.ndarray, kp: np.ndarray, m1: float, m2: float,
                    m_l: float) -> np.ndarray:
    """L^{mu nu} H_{mu nu} for chi2(p2) -> chi1(p1) l-(km) l+(kp), chi2 spin averaged (four-vectors
    (..., 4) as (E, px, py, pz)); multiply by the couplings and the propagator."""
    x = _dot(p1, p2) - m1 * m2
    y = _dot(km, kp) + m_l * m_l
    contr = (2.0 * _dot(p1, km) * _dot(p2, kp) + 2.0 * _dot(p1, kp) * _dot(p2, km) - 2.0 * _dot(p1, p2) * y
             - 2.0 * _dot(km, kp) * x + 4.0 * x * y)
    return 16.0 * contr / 2.0


def _dalitz_me(m12s: np.ndarray, m23s: np.ndarray, m1: float, m2: float, m_l: float) -> np.ndarray:
    """L.H at Dalitz point (m12^2 = (l- + l+)^2, m23^2 = (l+ + chi1)^2), via invariants."""
    # invariants: q^2 = m12s; s1 = (k+ + p1)^2 = m23s; s2 = (k- + p1)^2 from the sum rule
    s2 = m2 * m2 + m1 * m1 + 2.0 * m_l * m_l - m12s - m23s
    km_kp = 0.5 * (m12s - 2.0 * m_l * m_l)
    p1_kp = 0.5 * (m23s - m1 * m1 - m_l * m_l)
    p1_km = 0.5 * (s2 - m1 * m1 - m_l * m_l)
    # p2 = p1 + km + kp
    p2_km = p1_km + m_l * m_l + km_kp
    p2_kp = p1_kp + km_kp + m_l * m_l
    p1_p2 = m1 * m1 + p1_km + p1_kp
    x = p1_p2 - m1 * m2
    y = km_kp + m_l * m_l
    contr = 2.0 * p1_km * p2_kp + 2.0 * p1_kp * p2_km - 2.0 * p1_p2 * y - 2.0 * km_kp * x + 4.0 * x * y
    return 16.0 * contr / 2.0


def _m23_limits(m12s: np.ndarray, big_m: float, m1: float, m_l: float) -> tuple[np.ndarray, np.ndarray]:
    """Dalitz limits of m23^2 = (l+ + chi1)^2 at fixed m12^2 = (l- l+)^2 (PDG eq. (49.23))."""
    m12 = np.sqrt(m12s)
    e2 = m12 / 2.0  # l+ energy in the l-l+ frame
    e3 = (big_m**2 - m12s - m1 * m1) / (2.0 * m12)  # chi1 energy in that frame
    p2 = np.sqrt(np.maximum(e2 * e2 - m_l * m_l, 0.0))
    p3 = np.sqrt(np.maximum(e3 * e3 - m1 * m1, 0.0))
    base = (e2 + e3) ** 2
    return base - (p2 + p3) ** 2, base - (p2 - p3) ** 2


def chi2_width(m1: float, m2: float, m_v: float, epsilon: float, alpha_d: float, gamma_v: float,
               m_l: float, n: int = 96) -> float:
    """Gamma(chi2 -> chi1 l+ l-) in GeV for a lepton of mass m_l (0 below threshold).

    Gauss-Legendre quadrature (n x n nodes) over the Dalitz plot, in ln(m12^2) for the q^2
    integral (the matrix element is steep near its lower end when m_l << Delta).
    """
    if m2 - m1 <= 2.0 * m_l:
        return 0.0
    x, w = np.polynomial.legendre.leggauss(n)
    lo = max(4.0 * m_l * m_l, (m2 - m1) ** 2 * 1e-12)
    hi = (m2 - m1) ** 2
    a, b = math.log(lo), math.log(hi)
    t = 0.5 * (b - a) * x + 0.5 * (b + a)
    q2 = np.exp(t)
    jac_q = 0.5 * (b - a) * q2 * w
    lo23, hi23 = _m23_limits(q2, m2, m1, m_l)
    m23 = 0.5 * (hi23 - lo23)[:, None] * x[None, :] + 0.5 * (hi23 + lo23)[:, None]
    jac23 = 0.5 * (hi23 - lo23)[:, None] * w[None, :]
    me = _dalitz_me(np.broadcast_to(q2[:, None], m23.shape), m23, m1, m2, m_l)
    prop = 1.0 / ((q2 - m_v * m_v) ** 2 + m_v * m_v * gamma_v * gamma_v)
    coup = (4.0 * math.pi * alpha_d) * (4.0 * math.pi * C.ALPHA * epsilon**2)
    integral = float(np.sum(jac_q * prop * np.sum(me * jac23, axis=1)))
    return coup * integral / ((2.0 * math.pi) ** 3 * 32.0 * m2**3)


@lru_cache(maxsize=64)
def chi2_total_width(m1: float, m2: float, m_v: float, epsilon: float, alpha_d: float, gamma_v: float) -> float:
    """Gamma(chi2) = chi1 e+ e- + chi1 mu+ mu- (GeV).  Hadronic and chi2 -> chi1 gamma gamma
    modes are not included (they need Delta > 2 m_pi, or are higher order)."""
    return sum(chi2_width(m1, m2, m_v, epsilon, alpha_d, gamma_v, m_l) for m_l in (C.M_E, C.M_MU))


def dalitz_bound(m1: float, m2: float, m_v: float, gamma_v: float, m_l: float) -> float:
    """An upper bound (x 1.3) of |propagator|^2 x L.H over the Dalitz plot in the variables
    (ln m12^2, m23^2), for rejection sampling of the decay."""
    q2 = np.geomspace(max(4.0 * m_l * m_l, (m2 - m1) ** 2 * 1e-12), (m2 - m1) ** 2, 400)
    lo23, hi23 = _m23_limits(q2, m2, m1, m_l)
    u = np.linspace(0.0, 1.0, 101)
    m23 = lo23[:, None] + (hi23 - lo23)[:, None] * u[None, :]
    f = (_dalitz_me(np.broadcast_to(q2[:, None], m23.shape), m23, m1, m2, m_l) * (hi23 - lo23)[:, None]
         * q2[:, None] / ((q2[:, None] - m_v * m_v) ** 2 + m_v * m_v * gamma_v * gamma_v))
    return 1.3 * float(f.max())


def sample_decay(p2_lab: np.ndarray, m1: float, m2: float, m_v: float, gamma_v: float, m_l: float,
                 streams: object, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample chi2 -> chi1 l- l+ for chi2 lab four-momenta ``p2_lab`` (n, 4).

    The Dalitz variables (ln m12^2, m23^2) are drawn by rejection from :func:`dalitz_bound`
    with the exact |M|^2 and propagator; the chi2 is taken unpolarised (its spin is averaged,
    so the decay is isotropic in its rest frame).  Event i uses the streams of
    ``streams.uniform(idx[i], draw)`` (:class:`bdgen.rng.EventStreams`): draws 2r and 2r + 1 in
    rejection round r (r < 5000), and draws 10^6, 10^6 + 1 for the orientation.

    Returns the lab four-momenta (n, 4) of chi1, l- and l+, and the number of proposals whose
    density exceeded the bound (the sampling is exact when it is 0; the pipeline reports it).
    """
    n = p2_lab.shape[0]
    q2_lo = max(4.0 * m_l * m_l, (m2 - m1) ** 2 * 1e-12)
    a, b = math.log(q2_lo), math.log((m2 - m1) ** 2)
    bound = dalitz_bound(m1, m2, m_v, gamma_v, m_l)
    q2 = np.zeros(n)
    m23 = np.zeros(n)
    todo = np.arange(n)
    r = 0
    violations = 0
    while todo.size:
        u1 = streams.uniform(idx[todo], 2 * r)  # type: ignore[attr-defined]
        u2 = streams.uniform(idx[todo], 2 * r + 1)  # type: ignore[attr-defined]
        qq = np.exp(a + (b - a) * u1[:, 0])
        lo, hi = _m23_limits(qq, m2, m1, m_l)
        mm = lo + (hi - lo) * u1[:, 1]
        f = _dalitz_me(qq, mm, m1, m2, m_l) * (hi - lo) * qq / ((qq - m_v * m_v) ** 2 + m_v * m_v * gamma_v**2)
        violations += int(np.count_nonzero(f > bound))
        ok = u2[:, 0] * bound < f
        q2[todo[ok]] = qq[ok]
        m23[todo[ok]] = mm[ok]
        todo = todo[~ok]
        r += 1
        if todo.size and r >= 5000:
            raise RuntimeError("chi2 decay sampling did not converge (bound too loose)")
    # chi2 rest frame: chi1 along n, the lepton pair along -n
    m12 = np.sqrt(q2)
    p1 = np.sqrt(np.maximum((m2 * m2 - (m1 + m12) ** 2) * (m2 * m2 - (m1 - m12) ** 2), 0.0)) / (2.0 * m2)
    o1 = streams.uniform(idx, 1_000_000)  # type: ignore[attr-defined]
    o2 = streams.uniform(idx, 1_000_001)  # type: ignore[attr-defined]
    cth = 2.0 * o1[:, 0] - 1.0
    sth = np.sqrt(1.0 - cth * cth)
    phi = 2.0 * math.pi * o1[:, 1]
    nvec = np.c_[sth * np.cos(phi), sth * np.sin(phi), cth]
    e1 = np.sqrt(p1 * p1 + m1 * m1)
    chi1 = np.c_[e1, p1[:, None] * nvec]
    e_pair = m2 - e1
    # pair frame: chi1 moves along +n with (E1', p1'); l+ at angle alpha from n, azimuth psi
    e1p = (m2 * m2 - q2 - m1 * m1) / (2.0 * m12)
    p1p = np.sqrt(np.maximum(e1p * e1p - m1 * m1, 0.0))
    el = m12 / 2.0
    kl = np.sqrt(np.maximum(el * el - m_l * m_l, 0.0))
    cal = (m_l * m_l + m1 * m1 + 2.0 * el * e1p - m23) / np.where(kl * p1p > 0, 2.0 * kl * p1p, 1.0)
    cal = np.clip(cal, -1.0, 1.0)
    sal = np.sqrt(1.0 - cal * cal)
    psi = 2.0 * math.pi * o2[:, 0]
    u_, v_ = orthonormal_basis(nvec)
    dirp = cal[:, None] * nvec + sal[:, None] * (np.cos(psi)[:, None] * u_ + np.sin(psi)[:, None] * v_)
    lp = np.c_[el, kl[:, None] * dirp]
    lm = np.c_[el, -kl[:, None] * dirp]
    beta_pair = -nvec * (p1 / e_pair)[:, None]
    lp = boost_many(lp, beta_pair)
    lm = boost_many(lm, beta_pair)
    beta2 = p2_lab[:, 1:] / p2_lab[:, 0:1]
    return boost_many(chi1, beta2), boost_many(lm, beta2), boost_many(lp, beta2), violations


__all__ = ["boost_many", "chi2_total_width", "chi2_width", "dalitz_bound", "matrix_element2", "sample_decay", "two_body_p", "width_v_to_pair"]
