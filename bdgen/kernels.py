"""The event kernels: production -> V* -> chi chibar -> detector, then scattering or decay.

Three jitted loops do all per-trial work:

- :func:`produce` runs trials ``start .. start+n-1``.  A trial picks a production channel
  (probability proportional to its rate) and makes a V*:

  - pi0/eta (KIND_MESON_GAMMA): the meson's (p, theta) from its spectrum model (rejection from
    the envelope of :mod:`bdgen.production.spectra`, or a row of a user meson list), the V* mass^2
    from the tabulated three-body distribution (:mod:`bdgen.physics.meson_decays`), the V*
    direction isotropic in the meson rest frame;
  - rho/omega/phi (KIND_MIXING): the meson itself becomes the V* (mass m_M);
  - bremsstrahlung (KIND_BREM): the V's (z, p_T) from the Bluemlein-Brunner density.

  The chi direction in the V* rest frame follows the angular distribution of a transversely
  polarised V* for meson decays (PHYSICS.md section 3.2: sin^2 for scalars,
  (1 + cos^2) + (4 m_chi^2/s) sin^2 for Dirac fermions; isotropic under compat.bdnmc and for
  mixing and brem), optionally drawn from an importance-sampling mixture aimed at the detectors
  with an exact weight (:func:`_chi_direction`).  Both chi (or, for visible decays, the V) are
  intersected with every fiducial volume; each crossing is one output row.
- :func:`scatter` gives each crossing its interaction probability n sigma(E) L, summed over the
  targets of the signal channel, and samples one scattering: the target (proportional to
  n_i sigma_i), the recoil kinetic energy T from dsigma/dT in the window (rejection from the
  envelope 1/D^2, D = m_V^2 + 2 M T, with an exact bound on the numerator, see
  :func:`bdgen.physics.scattering.structure_x`), the azimuth, and the vertex uniformly along
  the chord (exact to O(n sigma L) ~ 1e-15).
- :func:`decay_visible` gives each V crossing the probability to decay inside, the decay point
  and the lepton pair.

Random numbers come from :func:`bdgen.rng.uniform2` keyed by (seed, trial, stage, draw), so
every trial's result is independent of chunking, threads and workers.  The per-channel tables
are built by :func:`bdgen.pipeline.prepare`; their shapes are listed in :func:`produce`.
"""

from __future__ import annotations

import math

import numpy as np

from . import constants as C
from ._jit import jit
from .geometry import intersect
from .kinematics import boost, rotate_to_axis, two_body_momentum, unit_from_angles
from .physics.form_factors import HELM, helm, sachs
from .physics.scattering import (e_min, sigma, sigma_inel, structure_x, structure_x_inel, structure_x_nucleus,
                                 t_range_inel, target_w)
from .production.sanford_wang import pick_cell
from .production.spectra import LIST as MODEL_LIST

#: Charged-pion mass (GeV), for the longitudinal V* of radiative pi- capture.
_M_PIPM = C.M_PIPM

#: Spectrum-model code of a parent at rest (radiative pi- capture): no momentum is sampled.
MODEL_AT_REST = -1
from .production.spectra import sample_one
from .rng import STAGE_PRODUCTION, uniform2

TWO_PI = 2.0 * math.pi

#: Columns of the hit table returned by :func:`produce` (float64, shape (n_hits, N_HIT_COLS)).
HIT_COLS = (
    "meson_E", "meson_px", "meson_py", "meson_pz",
    "v_E", "v_px", "v_py", "v_pz",
    "chi_E", "chi_px", "chi_py", "chi_pz",
    "t_in", "t_out",
    "x0", "y0", "z0", "t0",
    "w_is",
)
N_HIT_COLS = len(HIT_COLS)

#: Source kinds (how a channel makes its V*).
KIND_MESON_GAMMA = 0  # M -> gamma V*, V* -> chi chibar (pi0, eta)
KIND_MIXING = 1       # vector meson -> V* by kinetic mixing, V* -> chi chibar (rho, omega, phi)
KIND_BREM = 2         # p p -> p p V (quasi-real V), V -> chi chibar


@jit
def _interp_inverse(cdf, xs, u):  # type: ignore[no-untyped-def]
    """x with piecewise-linear cdf(x) = u, for increasing cdf on nodes xs."""
    i = pick_cell(cdf, u)
    if i == 0:
        return xs[0]
    c0 = cdf[i - 1]
    c1 = cdf[i]
    f = (u - c0) / (c1 - c0) if c1 > c0 else 0.5
    return xs[i - 1] + f * (xs[i] - xs[i - 1])


@jit
def _angular_ab(mode, r, fl):  # type: ignore[no-untyped-def]
    """Coefficients (A, B) of the chi polar distribution A + B cos^2(theta) in the V* frame.

    ``mode``: 0 isotropic; 1 scalar chi from a transverse V* (sin^2); 2 Dirac chi from a
    transverse V* ((1 + r) + (1 - r) cos^2, r = 4 m_chi^2/s); 3 and 4 the scalar and Dirac cases
    for a V* with longitudinal fraction ``fl`` about its flight axis (radiative pi- capture).
    For helicity 0 the distributions are cos^2 (scalar) and 1 - (1 - r) cos^2 (Dirac), from
    |eps . (p1 - p2)|^2 and E^2 - p^2 |eps . n|^2 (PHYSICS.md section 3.2, derived there for
    the transverse case).  Each helicity's distribution is normalised before mixing.
    """
    if mode == 0:
        return 1.0, 0.0
    if mode == 1:
        return 1.0, -1.0
    if mode == 2:
        return 1.0 + r, 1.0 - r
    ft = 1.0 - fl
    if mode == 3:
        return 0.75 * ft, -0.75 * ft + 1.5 * fl
    n_t = 2.0 * (1.0 + r) + 2.0 * (1.0 - r) / 3.0
    n_l = 2.0 - 2.0 * (1.0 - r) / 3.0
    return ft * (1.0 + r) / n_t + fl / n_l, ft * (1.0 - r) / n_t - fl * (1.0 - r) / n_l


@jit
def _decay_cos(mode, r, fl, k0, k1, trial, draw):  # type: ignore[no-untyped-def]
    """Sample cos(theta) of chi in the V* frame; returns (cos, phi, next draw).

    Rejection from the uniform distribution with the acceptance (A + B c^2)/max(A, A + B) of
    :func:`_angular_ab`.
    """
    aa, bb = _angular_ab(mode, r, fl)
    top = max(aa, aa + bb)
    while True:
        a, b = uniform2(k0, k1, trial, STAGE_PRODUCTION, draw)
        draw += 1
        c = 2.0 * a - 1.0
        if mode == 0:
            return c, TWO_PI * b, draw
        acc = (aa + bb * c * c) / top
        a2, b2 = uniform2(k0, k1, trial, STAGE_PRODUCTION, draw)
        draw += 1
        if a2 <= acc:
            return c, TWO_PI * b2, draw


@jit
def _solve_lab_momentum(ve, vx, vy, vz, mv, m_d, e_star, dx, dy, dz, root):  # type: ignore[no-untyped-def]
    """Lab momentum p >= 0 of a decay daughter of mass m_d and rest-frame energy e_star of a
    V* with lab four-momentum (ve, v) and mass mv, emitted along the unit vector d.

    From P_V . p_d = mv e_star:  E_V sqrt(p^2 + m_d^2) - (P_V . d) p = mv e_star, a quadratic in p
    with up to two roots (``root`` 0: larger, 1: smaller).  Returns -1 where there is none.
    """
    a = ve
    b = vx * dx + vy * dy + vz * dz
    kk = mv * e_star
    qa = a * a - b * b
    qb = -2.0 * kk * b
    qc = a * a * m_d * m_d - kk * kk
    disc = qb * qb - 4.0 * qa * qc
    if disc < 0.0 or qa <= 0.0:
        return -1.0
    sq = math.sqrt(disc)
    p = (-qb + sq) / (2.0 * qa) if root == 0 else (-qb - sq) / (2.0 * qa)
    if p < 0.0 or kk + b * p < 0.0:
        return -1.0
    return p


@jit
def _rest_direction(e, px, py, pz, bfx, bfy, bfz, bvx, bvy, bvz):  # type: ignore[no-untyped-def]
    """Unit direction in the V* rest frame of a lab four-momentum: boost by -beta_F (lab -> F),
    then by -beta_V (F -> V* rest frame), as the inverse of the generation chain."""
    e1, x1, y1, z1 = boost(e, px, py, pz, -bfx, -bfy, -bfz)
    _e2, x2, y2, z2 = boost(e1, x1, y1, z1, -bvx, -bvy, -bvz)
    n = math.sqrt(x2 * x2 + y2 * y2 + z2 * z2)
    return x2 / n, y2 / n, z2 / n


@jit
def _polar_pdf(mode, r, fl, c):  # type: ignore[no-untyped-def]
    """Density of the chi direction on the sphere (per steradian) at cos(theta) = c about the
    helicity axis: (A + B c^2)/(2 pi (2A + 2B/3)) with (A, B) of :func:`_angular_ab`."""
    aa, bb = _angular_ab(mode, r, fl)
    return (aa + bb * c * c) / (2.0 * math.pi * (2.0 * aa + 2.0 * bb / 3.0))


@jit
def _vmf_pdf(kappa, cosang):  # type: ignore[no-untyped-def]
    """von Mises-Fisher density on the sphere (per steradian) at cos(angle to the axis)."""
    return kappa * math.exp(kappa * (cosang - 1.0)) / (2.0 * math.pi * (1.0 - math.exp(-2.0 * kappa)))


@jit
def _chi_direction(mode, r, fl, nfx, nfy, nfz, vfe, vfx, vfy, vfz, bfx, bfy, bfz, mv, m_chi, m_chi2, x0, y0, z0,
                   aims, lam, comp_a, comp_k, k0, k1, trial, draw):  # type: ignore[no-untyped-def]
    """Direction of chi in the V* rest frame, and its importance weight.

    Without aims (or lam = 0) the direction follows the decay's angular distribution g about
    the helicity axis n_F.  With aims (rows [cx, cy, cz, radius] of the detectors' bounding
    spheres in the beam frame) it is drawn from the mixture
        q = (1 - lam) g + lam/N sum_i vMF(a_i, kappa_i),
    where a_i are the rest-frame directions that send chi, or chibar, straight at a detector
    centre (each lab solution of the decay kinematics) and kappa_i matches each detector's
    angular size seen in the rest frame; the weight g/q <= 1/(1 - lam) keeps the estimate
    unbiased (Owen, "Monte Carlo theory, methods and examples" (2013), sections 9.4, 9.11 on
    defensive mixtures).

    The first daughter has mass m_chi, the second m_chi2 (equal for chi chibar; chi1 chi2 for
    inelastic dark matter); (wx, wy, wz) is the first daughter's direction.

    Returns (wx, wy, wz, weight, next draw); (wx, wy, wz) in V* rest-frame axes parallel to F.
    """
    if m_chi2 == m_chi:
        e1s = 0.5 * mv
        e2s = e1s
    else:
        e1s = (mv * mv + m_chi * m_chi - m_chi2 * m_chi2) / (2.0 * mv)
        e2s = mv - e1s
    bvx = vfx / vfe
    bvy = vfy / vfe
    bvz = vfz / vfe
    # the V* in the lab
    vle, vlx, vly, vlz = boost(vfe, vfx, vfy, vfz, bfx, bfy, bfz)
    n_comp = 0
    if lam > 0.0:
        for d in range(aims.shape[0]):
            dx = aims[d, 0] - x0
            dy = aims[d, 1] - y0
            dz = aims[d, 2] - z0
            dist = math.sqrt(dx * dx + dy * dy + dz * dz)
            if dist <= aims[d, 3]:
                continue  # the production point is inside the detector's bounding sphere
            dx /= dist
            dy /= dist
            dz /= dist
            alpha = min(aims[d, 3] / dist, 0.5)
            # a direction alpha away from d, for the cap width
            ex, ey, ez = rotate_to_axis(math.sin(alpha), 0.0, math.cos(alpha), dx, dy, dz)
            for root in range(2):
                ok0 = False
                ax = ay = az = kappa = 0.0
                for sign in range(2):  # aim the first daughter (sign 0) or the second (sign 1)
                    if sign == 0 or m_chi2 != m_chi:
                        md = m_chi if sign == 0 else m_chi2
                        es = e1s if sign == 0 else e2s
                        p = _solve_lab_momentum(vle, vlx, vly, vlz, mv, md, es, dx, dy, dz, root)
                        if p < 0.0:
                            continue
                        e = math.sqrt(p * p + md * md)
                        ax, ay, az = _rest_direction(e, p * dx, p * dy, p * dz, bfx, bfy, bfz, bvx, bvy, bvz)
                        p2 = _solve_lab_momentum(vle, vlx, vly, vlz, mv, md, es, ex, ey, ez, root)
                        if p2 >= 0.0:
                            e2 = math.sqrt(p2 * p2 + md * md)
                            qx, qy, qz = _rest_direction(e2, p2 * ex, p2 * ey, p2 * ez, bfx, bfy, bfz, bvx, bvy,
                                                         bvz)
                            cpsi = min(1.0, max(-1.0, ax * qx + ay * qy + az * qz))
                            psi = max(math.acos(cpsi), 1e-4)
                        else:
                            psi = 0.5 * math.pi
                        kappa = min(max(2.0 / (psi * psi), 2.0), 1e7)
                        if sign == 0:
                            ok0 = True
                    elif not ok0:
                        continue  # equal masses: the second daughter has the first's solutions
                    # the first daughter's direction: a itself, or opposite to the aimed second one
                    sg = 1.0 if sign == 0 else -1.0
                    comp_a[n_comp, 0] = sg * ax
                    comp_a[n_comp, 1] = sg * ay
                    comp_a[n_comp, 2] = sg * az
                    comp_k[n_comp] = kappa
                    n_comp += 1
    a, b = uniform2(k0, k1, trial, STAGE_PRODUCTION, draw)
    draw += 1
    if n_comp > 0 and a < lam:
        i = min(int(b * n_comp), n_comp - 1)
        u1, u2 = uniform2(k0, k1, trial, STAGE_PRODUCTION, draw)
        draw += 1
        kap = comp_k[i]
        cw = 1.0 + math.log(u1 + (1.0 - u1) * math.exp(-2.0 * kap)) / kap
        cw = min(1.0, max(-1.0, cw))
        lx, ly, lz = unit_from_angles(cw, TWO_PI * u2)
        wx, wy, wz = rotate_to_axis(lx, ly, lz, comp_a[i, 0], comp_a[i, 1], comp_a[i, 2])
    else:
        cth, cphi, draw = _decay_cos(mode, r, fl, k0, k1, trial, draw)
        lx, ly, lz = unit_from_angles(cth, cphi)
        wx, wy, wz = rotate_to_axis(lx, ly, lz, nfx, nfy, nfz)
    weight = 1.0
    if n_comp > 0:
        g = _polar_pdf(mode, r, fl, wx * nfx + wy * nfy + wz * nfz)
        h = 0.0
        for i in range(n_comp):
            h += _vmf_pdf(comp_k[i], wx * comp_a[i, 0] + wy * comp_a[i, 1] + wz * comp_a[i, 2])
        weight = g / ((1.0 - lam) * g + lam * h / n_comp)
    return wx, wy, wz, weight, draw


@jit
def _pair_in_lab(e1s, pstar, wx, wy, wz, vfe, vfx, vfy, vfz, bfx, bfy, bfz):  # type: ignore[no-untyped-def]
    """Lab four-momenta of the two daughters of a parent, the first (rest-frame energy e1s)
    emitted along the rest-frame unit vector w (momentum pstar); the parent has four-momentum
    vf in a frame F moving with velocity bf in the lab (rest-frame axes parallel to F)."""
    ae, ax, ay, az = boost(e1s, pstar * wx, pstar * wy, pstar * wz, vfx / vfe, vfy / vfe, vfz / vfe)
    be, bx, by, bz = vfe - ae, vfx - ax, vfy - ay, vfz - az
    ae, ax, ay, az = boost(ae, ax, ay, az, bfx, bfy, bfz)
    be, bx, by, bz = boost(be, bx, by, bz, bfx, bfy, bfz)
    return ae, ax, ay, az, be, bx, by, bz


@jit
def production_z(vtx, u):  # type: ignore[no-untyped-def]
    """Production point on the beam axis (m) from a uniform u.

    vtx = [mode, z_start, length, lambda]: mode 0 gives the origin; mode 1 samples the depth of
    the first nuclear interaction of the beam, exponential in the interaction length lambda
    and truncated to the target [z_start, z_start + length].
    """
    if vtx[0] == 0.0:
        return 0.0
    lam = vtx[3]
    f = 1.0 - math.exp(-vtx[2] / lam)
    return vtx[1] - lam * math.log(1.0 - u * f)


@jit
def produce(
    k0, k1, start, n, chan_cdf, kind, model, params, env_p, env_t, env_bound, env_cdf, row_w,
    m_parent, m_recoil, p_parent, s_u, s_cdf, s_mv2, s_mg, s_fixed, decay_mode, m_chi, m_chi2, vtx, shapes,
    list_off, list_data, list_pos, aims, lam, visible, out_trial, out_chi, out_chan, out_vol, out_hit,
):  # type: ignore[no-untyped-def]
    """Run trials start..start+n-1 and record the chi that cross the detector.

    Parameters
    ----------
    k0, k1 : uint64
        RNG key.
    start, n : int
        First global trial index and number of trials.
    chan_cdf : ndarray, shape (nc,)
        Cumulative channel probabilities.
    kind, model : ndarray of int64, shape (nc,)
        Source kind (KIND_*) and spectrum model (bdgen.production.spectra) of each channel.
    params : ndarray, shape (nc, k)
        Spectrum parameters (padded).
    env_p, env_t, env_bound, env_cdf : ndarray
        Rejection envelopes, shapes (nc, n_p+1), (nc, n_t+1), (nc, n_p, n_t), (nc, n_p*n_t).
        ``env_cdf`` may select the cells with a momentum bias q(p) (momentum importance
        sampling, :func:`bdgen.pipeline._momentum_bias`): the accepted (p, theta) then follow
        f(p, theta) q(p).
    row_w : ndarray, shape (nc, n_p)
        Weight 1/q of a meson drawn in each momentum row of the envelope (1: no bias); it
        multiplies the trial's importance weight ``w_is``.
    m_parent : ndarray, shape (nc,)
        Mass of the meson (GeV); the proton mass for bremsstrahlung; for radiative pi- capture
        at rest the invariant mass m_pi- + m_p of the pi- p system.
    m_recoil : ndarray, shape (nc,)
        Mass (GeV) recoiling against the V* in the parent's rest frame (kind MESON_GAMMA): 0 for
        the photon of M -> gamma V*, m_n for pi- p -> n V*.
    p_parent : ndarray, shape (nc,)
        Beam momentum (GeV/c) for bremsstrahlung (the V has p_z = z p_parent); unused otherwise.
    s_u, s_cdf : ndarray, shape (nc, ns)
        Inverse-CDF tables of the V* mass^2 (kind MESON_GAMMA).
    s_mv2 : float
        m_V^2.
    s_mg, s_fixed : ndarray, shape (nc,)
        Width of the arctan map; a fixed V* mass^2 when > 0.
    decay_mode : ndarray of int64, shape (nc,)
        chi angular distribution in the V* frame (:func:`_angular_ab`): 0 isotropic, 1 scalar
        (sin^2), 2 Dirac, from a transverse V*; 3 scalar, 4 Dirac, from the capture amplitude
        (longitudinal fraction x/(2 + x), x = kappa^2 s/E_V*^2 in the parent frame, kappa of
        :func:`bdgen.physics.meson_decays.capture_kappa`).
    m_chi, m_chi2 : float
        Masses of the two dark daughters of the V* (equal for chi chibar; chi1 and chi2 for
        inelastic dark matter, recorded as chi index 0 and 1).
    vtx : ndarray, shape (4,)
        Production-point model (see :func:`production_z`).
    shapes : ndarray, shape (nv, 16)
        Packed detector volumes (:meth:`bdgen.geometry.Shape.packed`); every crossing of a chi
        with a volume is one output row.
    list_off : ndarray of int64, shape (nc + 1,)
        Rows list_off[c]:list_off[c+1] of ``list_data`` are channel c's meson list (model LIST).
    list_data : ndarray, shape (n_rows, 8)
        px, py, pz, E (GeV), x, y, z (m), t (ns) of listed mesons.
    list_pos : ndarray of int64, shape (nc,)
        1 where the list gives production points (they replace ``vtx``).
    aims : ndarray, shape (nd, 4)
        Bounding spheres [cx, cy, cz, radius] (m) of the detectors, for importance sampling of
        the chi direction (see :func:`_chi_direction`); ``lam`` its mixture fraction (0: off).
        The weight of each trial is written to the column ``w_is``.
    visible : int
        1: record the V itself (its line through the detector, for visible decays) in the chi
        columns instead of the two chi.
    out_trial, out_chi, out_chan, out_vol : ndarray, shape (cap,)
        Trial index (int64), chi index, channel and volume index of each crossing.
    out_hit : ndarray, shape (cap, N_HIT_COLS)

    Returns
    -------
    n_hits, trials_per_channel, violations
    """
    nv = shapes.shape[0]
    comp_a = np.zeros((4 * max(aims.shape[0], 1), 3))
    comp_k = np.zeros(4 * max(aims.shape[0], 1))
    cap = out_trial.shape[0]
    nc = chan_cdf.shape[0]
    per_chan = np.zeros(nc, dtype=np.int64)
    n_hits = 0
    violations = 0
    for j in range(n):
        trial = start + j
        draw = 0
        uc, uz = uniform2(k0, k1, trial, STAGE_PRODUCTION, draw)
        draw += 1
        c = 0
        while c < nc - 1 and chan_cdf[c] < uc:
            c += 1
        per_chan[c] += 1
        x0 = 0.0
        y0 = 0.0
        z0 = production_z(vtx, uz)
        t0 = 0.0
        lx = ly = lz = 0.0
        x1 = 0.0
        x2 = 0.0
        if model[c] == MODEL_AT_REST:
            x1 = 0.0
            x2 = 0.0
        elif model[c] == MODEL_LIST:
            ua, _ub = uniform2(k0, k1, trial, STAGE_PRODUCTION, draw)
            draw += 1
            cnt = list_off[c + 1] - list_off[c]
            row_i = list_off[c] + min(int(ua * cnt), cnt - 1)
            lx = list_data[row_i, 0]
            ly = list_data[row_i, 1]
            lz = list_data[row_i, 2]
            x1 = math.sqrt(lx * lx + ly * ly + lz * lz)
            x2 = math.acos(lz / x1) if x1 > 0.0 else 0.0
            if list_pos[c] == 1:
                x0 = list_data[row_i, 4]
                y0 = list_data[row_i, 5]
                z0 = list_data[row_i, 6]
                t0 = list_data[row_i, 7]
        w_mom = 1.0
        if model[c] != MODEL_AT_REST and model[c] != MODEL_LIST:
            x1, x2, draw, viol = sample_one(model[c], params[c], env_p[c], env_t[c], env_bound[c], env_cdf[c],
                                            k0, k1, trial, STAGE_PRODUCTION, draw)
            violations += viol
            n_row = row_w.shape[1]
            ip = min(max(np.searchsorted(env_p[c], x1, side="right") - 1, 0), n_row - 1)
            w_mom = row_w[c, ip]
        u_phi, u_s = uniform2(k0, k1, trial, STAGE_PRODUCTION, draw)
        draw += 1
        phi = TWO_PI * u_phi
        if model[c] == MODEL_LIST and x1 > 0.0:
            phi = math.atan2(ly, lx)  # the listed direction, not a random azimuth
        mm = m_parent[c]
        s = s_fixed[c]
        fl = 0.0
        v_e = v_x = v_y = v_z = 0.0
        if kind[c] == KIND_BREM:
            # x1 = z, x2 = p_T of the V; the parent is the beam proton
            pb = p_parent[c]
            m_e = math.sqrt(pb * pb + mm * mm)
            m_px = 0.0
            m_py = 0.0
            m_pz = pb
            v_x = x2 * math.cos(phi)
            v_y = x2 * math.sin(phi)
            v_z = x1 * pb
            v_e = math.sqrt(s + x2 * x2 + v_z * v_z)
        else:
            st = math.sin(x2)
            m_px = x1 * st * math.cos(phi)
            m_py = x1 * st * math.sin(phi)
            m_pz = x1 * math.cos(x2)
            if model[c] == MODEL_LIST:  # exactly the listed momentum
                m_px = lx
                m_py = ly
                m_pz = lz
            m_e = math.sqrt(x1 * x1 + mm * mm)
            if kind[c] == KIND_MIXING:
                s = mm * mm
                v_e, v_x, v_y, v_z = m_e, m_px, m_py, m_pz
        if kind[c] == KIND_MESON_GAMMA:
            if s_fixed[c] <= 0.0:
                u = _interp_inverse(s_cdf[c], s_u[c], u_s)
                s = s_mv2 + s_mg[c] * math.tan(u)
            mv = math.sqrt(s)
            # V* direction in the meson rest frame F (isotropic); the helicity axis
            a, b = uniform2(k0, k1, trial, STAGE_PRODUCTION, draw)
            draw += 1
            nx, ny, nz = unit_from_angles(2.0 * a - 1.0, TWO_PI * b)
            pv = two_body_momentum(mm, m_recoil[c], mv)
            vfe = math.sqrt(pv * pv + s)
            vfx = pv * nx
            vfy = pv * ny
            vfz = pv * nz
            bfx = m_px / m_e
            bfy = m_py / m_e
            bfz = m_pz / m_e
            mode = decay_mode[c]
            if mode >= 3:  # pi- capture: Kroll-Ruderman plus pion pole (meson_decays.capture)
                kap = vfe * (2.0 * _M_PIPM - vfe) / (2.0 * _M_PIPM * vfe - s)
                xl = kap * kap * s / (vfe * vfe)
                fl = xl / (2.0 + xl)
        else:
            # an unpolarised V* (isotropic decay): F is the lab
            mv = math.sqrt(s)
            vfe, vfx, vfy, vfz = v_e, v_x, v_y, v_z
            pvl = math.sqrt(v_x * v_x + v_y * v_y + v_z * v_z)
            if pvl > 0.0:
                nx, ny, nz = v_x / pvl, v_y / pvl, v_z / pvl
            else:
                nx, ny, nz = 0.0, 0.0, 1.0
            bfx = bfy = bfz = 0.0
            mode = decay_mode[c]  # 0 (isotropic) except Drell-Yan V, transverse about the beam
        # chi direction in the V* rest frame (transverse polarisation about n for pi0/eta)
        if m_chi2 == m_chi:
            r_ang = 4.0 * m_chi * m_chi / s
            e1s = 0.5 * mv
        else:  # Dirac-like pair of unequal masses: A + B cos^2 with A = E1 E2 + m1 m2, B = p^2
            e1s = (s + m_chi * m_chi - m_chi2 * m_chi2) / (2.0 * mv)
            pq = two_body_momentum(mv, m_chi, m_chi2)
            aa = e1s * (mv - e1s) + m_chi * m_chi2
            r_ang = (aa - pq * pq) / (aa + pq * pq)
        wx, wy, wz, w_is, draw = _chi_direction(mode, r_ang, fl, nx, ny, nz, vfe, vfx, vfy, vfz,
                                                bfx, bfy, bfz, mv, m_chi, m_chi2, x0, y0, z0, aims, lam, comp_a,
                                                comp_k, k0, k1, trial, draw)
        w_is *= w_mom
        pstar = two_body_momentum(mv, m_chi, m_chi2)
        c1e, c1x, c1y, c1z, c2e, c2x, c2y, c2z = _pair_in_lab(e1s, pstar, wx, wy, wz, vfe, vfx, vfy, vfz,
                                                              bfx, bfy, bfz)
        v_e, v_x, v_y, v_z = boost(vfe, vfx, vfy, vfz, bfx, bfy, bfz)
        for k in range(1 if visible else 2):
            if visible:
                e_, x_, y_, z_ = v_e, v_x, v_y, v_z
            elif k == 0:
                e_, x_, y_, z_ = c1e, c1x, c1y, c1z
            else:
                e_, x_, y_, z_ = c2e, c2x, c2y, c2z
            pp = math.sqrt(x_ * x_ + y_ * y_ + z_ * z_)
            for v in range(nv):
                t_in, t_out = intersect(shapes[v], x0, y0, z0, x_ / pp, y_ / pp, z_ / pp)
                if t_out > t_in:
                    if n_hits < cap:
                        out_trial[n_hits] = trial
                        out_chi[n_hits] = k
                        out_chan[n_hits] = c
                        out_vol[n_hits] = v
                        row = out_hit[n_hits]
                        row[0] = m_e
                        row[1] = m_px
                        row[2] = m_py
                        row[3] = m_pz
                        row[4] = v_e
                        row[5] = v_x
                        row[6] = v_y
                        row[7] = v_z
                        row[8] = e_
                        row[9] = x_
                        row[10] = y_
                        row[11] = z_
                        row[12] = t_in
                        row[13] = t_out
                        row[14] = x0
                        row[15] = y0
                        row[16] = z0
                        row[17] = t0
                        row[18] = w_is
                    n_hits += 1
    return n_hits, per_chan, violations


#: Columns of the scatter table returned by :func:`scatter` (float64, shape (n, N_SCAT_COLS)).
SCAT_COLS = (
    "prob", "T",
    "recoil_E", "recoil_px", "recoil_py", "recoil_pz",
    "chi_out_E", "chi_out_px", "chi_out_py", "chi_out_pz",
    "x", "y", "z", "t",
)
N_SCAT_COLS = len(SCAT_COLS)


@jit
def sigma_table(m_chi, m_v, dirac, t_lo, t_hi, e_max, tg_mass, tg_ff, tg_mu, tg_q2cut, tg_z, tg_a, hbarc,
                nodes, weights, n):  # type: ignore[no-untyped-def]
    """Tables of ln(sigma(E)/coupling) of every target for :func:`scatter`.

    Nodes equally spaced in u = ln(E - E_th) from ln(1e-6 GeV) to ln(e_max - E_th), E_th the
    lowest chi energy that reaches T = t_lo (m_chi for t_lo = 0), with sigma from the same
    Gauss-Legendre integral as :func:`bdgen.physics.scattering.sigma`.  With 4096 nodes linear
    interpolation in (u, ln sigma) reproduces the integral to 1e-6 to 1e-5 over the whole range,
    kink where T_max(E) crosses t_hi included (measured on 3000 energies; the test allows 5e-4).

    Returns (u0, du, e_th), each shape (nt,), and the table, shape (nt, n).
    """
    nt = tg_mass.shape[0]
    u0 = np.empty(nt)
    du = np.empty(nt)
    e_th = np.empty(nt)
    tab = np.empty((nt, n))
    for i in range(nt):
        eth = e_min(t_lo, m_chi, tg_mass[i]) if t_lo > 0.0 else m_chi
        e_th[i] = eth
        lo = math.log(1e-6)
        hi = math.log(max(e_max - eth, 2e-6))
        u0[i] = lo
        du[i] = (hi - lo) / (n - 1)
        for k in range(n):
            e = eth + math.exp(lo + du[i] * k)
            sg = sigma(e, m_chi, m_v, 1.0, tg_mass[i], dirac, tg_ff[i], tg_mu[i], tg_q2cut[i], t_lo, t_hi, nodes,
                       weights, tg_z[i], tg_a[i], hbarc)
            tab[i, k] = math.log(sg) if sg > 0.0 else -745.0
    return u0, du, e_th, tab


@jit
def _sigma_lookup(e, i, sig_u0, sig_du, sig_eth, sig_tab):  # type: ignore[no-untyped-def]
    """sigma/coupling of target i at energy e from :func:`sigma_table`; -1 outside the table."""
    de = e - sig_eth[i]
    if de <= 0.0:
        return 0.0
    x = (math.log(de) - sig_u0[i]) / sig_du[i]
    if x < 0.0 or x >= sig_tab.shape[1] - 1:
        return -1.0
    k = int(x)
    f = x - k
    return math.exp((1.0 - f) * sig_tab[i, k] + f * sig_tab[i, k + 1])


@jit
def _choose_target(rates, total, a):  # type: ignore[no-untyped-def]
    """Index of the target struck, chosen with probability rates[i]/total by the uniform a."""
    acc = 0.0
    nt = rates.shape[0]
    for i in range(nt):
        acc += rates[i]
        if a * total <= acc:
            return i
    return nt - 1


@jit
def _write_recoil(row, hit_h, e, px, py, pz, t, mt, m_out, u3, d, c_m_per_ns):  # type: ignore[no-untyped-def]
    """Fill the scatter columns 1-13 of ``row``: recoil T, recoil and outgoing-chi four-momenta
    (the recoil angle from energy-momentum conservation, azimuth 2 pi u3 about the chi), and
    the vertex at distance d along the chi line with its time of flight."""
    p = math.sqrt(px * px + py * py + pz * pz)
    pr = math.sqrt(t * t + 2.0 * mt * t)
    pf2 = (e - t) ** 2 - m_out * m_out
    cth = (p * p + pr * pr - pf2) / (2.0 * p * pr) if pr > 0.0 else 1.0
    cth = min(1.0, max(-1.0, cth))
    rx, ry, rz = unit_from_angles(cth, TWO_PI * u3)
    rx, ry, rz = rotate_to_axis(rx, ry, rz, px / p, py / p, pz / p)
    row[1] = t
    row[2] = mt + t
    row[3] = pr * rx
    row[4] = pr * ry
    row[5] = pr * rz
    row[6] = e - t
    row[7] = px - pr * rx
    row[8] = py - pr * ry
    row[9] = pz - pr * rz
    row[10] = hit_h[14] + d * px / p
    row[11] = hit_h[15] + d * py / p
    row[12] = hit_h[16] + d * pz / p
    row[13] = hit_h[17] + d / (c_m_per_ns * p / e)


@jit
def scatter(
    k0, k1, trial, chi, vol, stream, hit, m_chi, m_v, coupling, dirac, t_lo, t_hi,
    tg_mass, tg_density, tg_ff, tg_mu, tg_q2cut, tg_g2max, nodes, weights, c_m_per_ns, gev2_to_m2,
    out, out_target, tg_z, tg_a, hbarc, sig_u0, sig_du, sig_eth, sig_tab,
):  # type: ignore[no-untyped-def]
    """Interaction probability and one sampled scattering for each crossing chi.

    Parameters
    ----------
    trial, chi : ndarray, shape (m,)
        Global trial index and chi index of each crossing.
    vol : ndarray of int64, shape (m,)
        Volume index of each crossing (row of ``tg_density``).
    stream : ndarray of int64, shape (m,)
        Random-number stage of each crossing: STAGE_SCATTER + 2 x (the volume's index within its
        detector) + chi, so that a detector's events do not depend on other detectors in the run.
    hit : ndarray, shape (m, N_HIT_COLS)
        Rows from :func:`produce`.
    m_chi, m_v, coupling : float
        Masses (GeV) and eps^2 alpha alpha_D.
    dirac : bool
    t_lo, t_hi : float
        Recoil kinetic-energy window (GeV).
    tg_* : ndarray, shape (nt,)
        Targets: mass (GeV), form-factor model, magnetic moment, form-factor Q^2 cut, and a
        bound on max(G_E^2, G_M^2) over Q^2; ``tg_density`` has shape (nv, nt): number
        densities (m^-3) of the targets in each volume.
    nodes, weights : ndarray
        Gauss-Legendre rule on [-1, 1].
    c_m_per_ns, gev2_to_m2 : float
        Speed of light (m/ns) and (hbar c)^2 in m^2 GeV^2.
    tg_z, tg_a : ndarray, shape (nt,)
        Charge and mass number of nuclear targets (form-factor model HELM; 0 otherwise).
    hbarc : float
        hbar c in GeV fm for the Helm form factor.
    sig_u0, sig_du, sig_eth, sig_tab : ndarray
        Tables of :func:`sigma_table`; with ``sig_tab.shape[1] == 0`` sigma is integrated for
        every crossing instead (energies outside a table are integrated too).
    out : ndarray, shape (m, N_SCAT_COLS)
        Output; ``prob`` = sum_i n_i sigma_i L (dimensionless) is 0 where nothing can scatter.
    out_target : ndarray, shape (m,)
        Output: index of the struck target.

    Returns
    -------
    violations : int
        Sampled T where the rejection bound failed (should be 0).
    """
    nt = tg_mass.shape[0]
    rates = np.zeros(nt)
    violations = 0
    for h in range(trial.shape[0]):
        e = hit[h, 8]
        px = hit[h, 9]
        py = hit[h, 10]
        pz = hit[h, 11]
        length = hit[h, 13] - hit[h, 12]
        total = 0.0
        for i in range(nt):
            if tg_density[vol[h], i] <= 0.0:
                rates[i] = 0.0
                continue
            sg = -1.0
            if sig_tab.shape[1] > 0:
                sg = _sigma_lookup(e, i, sig_u0, sig_du, sig_eth, sig_tab)
                if sg >= 0.0:
                    sg *= coupling
            if sg < 0.0:
                sg = sigma(e, m_chi, m_v, coupling, tg_mass[i], dirac, tg_ff[i], tg_mu[i], tg_q2cut[i],
                           t_lo, t_hi, nodes, weights, tg_z[i], tg_a[i], hbarc)
            rates[i] = tg_density[vol[h], i] * sg * gev2_to_m2
            total += rates[i]
        row = out[h]
        row[0] = total * length
        if total <= 0.0:
            for q in range(1, N_SCAT_COLS):
                row[q] = 0.0
            out_target[h] = -1
            continue
        stage = stream[h]
        draw = 0
        a, b = uniform2(k0, k1, trial[h], stage, draw)
        draw += 1
        it = _choose_target(rates, total, a)
        out_target[h] = it
        mt = tg_mass[it]
        tmax = 2.0 * mt * (e * e - m_chi * m_chi) / (m_chi * m_chi + mt * mt + 2.0 * mt * e)
        lo = max(t_lo, 0.0)
        hi = min(t_hi, tmax)
        mv2 = m_v * m_v
        y_hi = 1.0 / (mv2 + 2.0 * mt * lo)
        y_lo = 1.0 / (mv2 + 2.0 * mt * hi)
        if dirac:
            xb = tg_g2max[it] * ((2.0 * e - lo) ** 2 + 2.0 * hi * hi)
        else:
            xb = tg_g2max[it] * (2.0 * e - lo) ** 2
        # T from (1/D^2) x X(T) by rejection
        while True:
            u1, u2 = uniform2(k0, k1, trial[h], stage, draw)
            draw += 1
            y = y_lo + u1 * (y_hi - y_lo)
            t = (1.0 / y - mv2) / (2.0 * mt)
            t = min(max(t, lo), hi)
            if tg_ff[it] == HELM:
                zf = tg_z[it] * helm(math.sqrt(2.0 * mt * t), tg_a[it], hbarc)
                x = structure_x_nucleus(e, t, m_chi, mt, dirac, zf)
            else:
                ge, gm = sachs(tg_ff[it], 2.0 * mt * t, mt, tg_mu[it], tg_q2cut[it])
                x = structure_x(e, t, m_chi, mt, dirac, ge, gm)
            if x > xb:
                violations += 1
            if u2 * xb < x:
                break
        # recoil direction, and the vertex uniformly along the chord
        u3, u4 = uniform2(k0, k1, trial[h], stage, draw)
        draw += 1
        _write_recoil(row, hit[h], e, px, py, pz, t, mt, m_chi, u3, hit[h, 12] + u4 * length, c_m_per_ns)
    return violations


#: T points at which :func:`scatter_idm` evaluates X to bound it for rejection sampling.
_IDM_BOUND_POINTS = 33


@jit
def scatter_idm(
    k0, k1, trial, chi, vol, stream, hit, m1, m2, m_v, coupling, t_lo, t_hi,
    tg_mass, tg_density, tg_ff, tg_mu, tg_q2cut, nodes, weights, c_m_per_ns, gev2_to_m2,
    out, out_target, tg_z, tg_a, hbarc, ctau2,
):  # type: ignore[no-untyped-def]
    """Inelastic dark matter in the detector: chi1 T -> chi2 T (chi index 0, upscattering) and
    chi2 T -> chi1 T (index 1), with the cross-section of
    :func:`bdgen.physics.scattering.dsigma_dt_inel`; otherwise as :func:`scatter` (same
    arguments, columns and random streams; ``chi_out`` is the outgoing chi2 or chi1).

    T is sampled uniformly in 1/D (the propagator) and accepted with X(T)/X_bound, the bound
    being 1.3 x the largest X on :data:`_IDM_BOUND_POINTS` points of the window; values above it
    are counted as violations (the tests require none).

    A chi2 (rest-frame decay length ``ctau2``, m) must survive to its interaction point: its
    probability is n sigma L_eff with L_eff = lambda (exp(-t_in/lambda) - exp(-t_out/lambda)),
    lambda = (p/m2) ctau2, and the vertex follows the truncated exponential (chi1 is stable:
    L_eff = t_out - t_in, uniform vertex).
    """
    nt = tg_mass.shape[0]
    rates = np.zeros(nt)
    violations = 0
    for h in range(trial.shape[0]):
        m_in = m1 if chi[h] == 0 else m2
        m_out = m2 if chi[h] == 0 else m1
        e = hit[h, 8]
        px = hit[h, 9]
        py = hit[h, 10]
        pz = hit[h, 11]
        length = hit[h, 13] - hit[h, 12]
        total = 0.0
        for i in range(nt):
            if tg_density[vol[h], i] <= 0.0:
                rates[i] = 0.0
                continue
            sg = sigma_inel(e, m_in, m_out, m_v, coupling, tg_mass[i], tg_ff[i], tg_mu[i], tg_q2cut[i],
                            t_lo, t_hi, nodes, weights, tg_z[i], tg_a[i], hbarc)
            rates[i] = tg_density[vol[h], i] * sg * gev2_to_m2
            total += rates[i]
        row = out[h]
        p = math.sqrt(px * px + py * py + pz * pz)
        lam = p / m2 * ctau2 if chi[h] == 1 else math.inf
        if lam < 1e300:
            # lam (e^{-t_in/lam} - e^{-t_out/lam}) without cancellation for lam >> length
            a_in = math.exp(-hit[h, 12] / lam)
            q_dec = -math.expm1(-(hit[h, 13] - hit[h, 12]) / lam)  # decay fraction inside, given t_in
            l_eff = lam * a_in * q_dec
        else:
            a_in = 1.0
            q_dec = 0.0
            l_eff = length
        row[0] = total * l_eff
        if total <= 0.0 or l_eff <= 0.0:
            for q in range(N_SCAT_COLS):
                row[q] = 0.0
            out_target[h] = -1
            continue
        stage = stream[h]
        draw = 0
        a, b = uniform2(k0, k1, trial[h], stage, draw)
        draw += 1
        it = _choose_target(rates, total, a)
        out_target[h] = it
        mt = tg_mass[it]
        t0, t1 = t_range_inel(e, m_in, m_out, mt)
        lo = max(t_lo, t0)
        hi = min(t_hi, t1)
        xb = 0.0
        for j in range(_IDM_BOUND_POINTS):
            tj = lo + (hi - lo) * j / (_IDM_BOUND_POINTS - 1)
            w1, w2 = target_w(tg_ff[it], 2.0 * mt * tj, mt, tg_mu[it], tg_q2cut[it], tg_z[it], tg_a[it], hbarc)
            xb = max(xb, structure_x_inel(e, tj, m_in, m_out, mt, w1, w2))
        xb *= 1.3
        mv2 = m_v * m_v
        y_hi = 1.0 / (mv2 + 2.0 * mt * lo)
        y_lo = 1.0 / (mv2 + 2.0 * mt * hi)
        while True:
            u1, u2 = uniform2(k0, k1, trial[h], stage, draw)
            draw += 1
            y = y_lo + u1 * (y_hi - y_lo)
            t = min(max((1.0 / y - mv2) / (2.0 * mt), lo), hi)
            w1, w2 = target_w(tg_ff[it], 2.0 * mt * t, mt, tg_mu[it], tg_q2cut[it], tg_z[it], tg_a[it], hbarc)
            x = structure_x_inel(e, t, m_in, m_out, mt, w1, w2)
            if x > xb:
                violations += 1
            if u2 * xb < x:
                break
        u3, u4 = uniform2(k0, k1, trial[h], stage, draw)
        draw += 1
        if lam < 1e300 and q_dec > 0.0:  # the chi2 survives to d: truncated exponential from t_in
            d = hit[h, 12] - lam * math.log1p(-u4 * q_dec)
        else:
            d = hit[h, 12] + u4 * length
        _write_recoil(row, hit[h], e, px, py, pz, t, mt, m_out, u3, d, c_m_per_ns)
    return violations


@jit
def decay_visible(
    k0, k1, trial, vol, stream, hit, polarised, m_v, m_l, ctau_rest, br_vis, c_m_per_ns, out, out_target,
    scalar_pair,
):  # type: ignore[no-untyped-def]
    """Visible decays V -> l+ l- inside the detector for V lines crossing it.

    The probability that a V crossing a volume between distances t_in and t_out decays there is
    exp(-t_in/L) - exp(-t_out/L), L = (p/m_V) c tau its lab decay length (c tau = hbar c/Gamma_V),
    times BR(V -> l+ l-).  The decay point is sampled from the truncated exponential; the
    leptons' angle in the V rest frame follows (1 + cos^2) + (4 m_l^2/m_V^2) sin^2 about the V
    direction in the meson frame for a V from pi0/eta -> gamma V (transverse), isotropic for
    bremsstrahlung.

    Parameters
    ----------
    trial, vol, stream : ndarray of int64, shape (m,)
    hit : ndarray, shape (m, N_HIT_COLS)
        Rows from :func:`produce` with ``visible = 1`` (the V in the chi columns).
    polarised : ndarray of int64, shape (m,)
        1 for a transversely polarised V (meson decays), 2 for the V of radiative pi- capture
        (transverse plus the longitudinal fraction of :func:`bdgen.physics.meson_decays.capture`),
        0 for an unpolarised V (isotropic decay).
    m_v, m_l : float
        V and lepton masses (GeV).
    ctau_rest : float
        c tau of the V in metres.
    br_vis : float
        BR(V -> l+ l-) (or BR(V -> hadrons), written as pi+ pi-).
    scalar_pair : int
        1 for a pair of spin-0 particles (pi+ pi-): sin^2 about the helicity axis instead of
        the fermion distribution.
    out : ndarray, shape (m, N_SCAT_COLS)
        prob, T (l- kinetic energy), l- four-momentum (recoil columns), l+ four-momentum
        (chi_out columns), decay vertex and time.
    out_target : ndarray, shape (m,)
        0 (the lepton species is fixed).
    """
    pstar = two_body_momentum(m_v, m_l, m_l)
    r = 4.0 * m_l * m_l / (m_v * m_v)
    for h in range(trial.shape[0]):
        e = hit[h, 8]
        px = hit[h, 9]
        py = hit[h, 10]
        pz = hit[h, 11]
        p = math.sqrt(px * px + py * py + pz * pz)
        lam = p / m_v * ctau_rest
        t_in = hit[h, 12]
        t_out = hit[h, 13]
        a_in = math.exp(-t_in / lam)
        q_dec = -math.expm1(-(t_out - t_in) / lam)  # decay fraction inside, given survival to t_in
        row = out[h]
        row[0] = br_vis * a_in * q_dec
        out_target[h] = 0
        draw = 0
        u, u2 = uniform2(k0, k1, trial[h], stream[h], draw)
        draw += 1
        # decay distance from the truncated exponential
        # (from t_in, so it stays finite and exact when exp(-t_in/lam) underflows or lam >> t_out - t_in)
        d = t_in - lam * math.log1p(-u * q_dec) if q_dec > 0.0 else 0.5 * (t_in + t_out)
        # frame of the helicity axis: the meson rest frame (polarised) or the lab
        if polarised[h] == 1:
            bfx = hit[h, 1] / hit[h, 0]
            bfy = hit[h, 2] / hit[h, 0]
            bfz = hit[h, 3] / hit[h, 0]
        else:
            bfx = bfy = bfz = 0.0
        ve, vx, vy, vz = boost(e, px, py, pz, -bfx, -bfy, -bfz)
        vn = math.sqrt(vx * vx + vy * vy + vz * vz)
        nx, ny, nz = (vx / vn, vy / vn, vz / vn) if vn > 0 else (0.0, 0.0, 1.0)
        fl = 0.0
        if polarised[h] == 2:
            kap = ve * (2.0 * _M_PIPM - ve) / (2.0 * _M_PIPM * ve - m_v * m_v)
            xl = kap * kap * m_v * m_v / (ve * ve)
            fl = xl / (2.0 + xl)
        aa, bb = _angular_ab(3 if scalar_pair == 1 else 4, r, fl)
        top = max(aa, aa + bb)
        while True:
            a, b = uniform2(k0, k1, trial[h], stream[h], draw)
            draw += 1
            c = 2.0 * a - 1.0
            if polarised[h] == 0:
                break
            if b * top <= aa + bb * c * c:
                break
        _a2, phi_u = uniform2(k0, k1, trial[h], stream[h], draw)
        draw += 1
        lx, ly, lz = unit_from_angles(c, TWO_PI * phi_u)
        wx, wy, wz = rotate_to_axis(lx, ly, lz, nx, ny, nz)
        l1e, l1x, l1y, l1z, l2e, l2x, l2y, l2z = _pair_in_lab(0.5 * m_v, pstar, wx, wy, wz, ve, vx, vy, vz, bfx, bfy, bfz)
        row[1] = l1e - m_l
        row[2] = l1e
        row[3] = l1x
        row[4] = l1y
        row[5] = l1z
        row[6] = l2e
        row[7] = l2x
        row[8] = l2y
        row[9] = l2z
        row[10] = hit[h, 14] + d * px / p
        row[11] = hit[h, 15] + d * py / p
        row[12] = hit[h, 16] + d * pz / p
        row[13] = hit[h, 17] + d / (c_m_per_ns * p / e)


@jit
def spill_times(k0, k1, trials, stage, structure, n_bunch, spacing, width):  # type: ignore[no-untyped-def]
    """Production times (ns) within the beam spill for each trial, shape (n,).

    structure 0: ``n_bunch`` Gaussian bunches of standard deviation ``width`` every ``spacing`` ns
    (bunch centres at 0, spacing, ...); 1: uniform over [0, width]; 2: one Gaussian of standard
    deviation ``width`` centred at 0.  Keyed by (trial, stage) so it does not depend on chunking.
    """
    out = np.empty(trials.shape[0])
    for i in range(trials.shape[0]):
        a, b = uniform2(k0, k1, trials[i], stage, 0)
        c, _d = uniform2(k0, k1, trials[i], stage, 1)
        g = math.sqrt(-2.0 * math.log(b)) * math.cos(TWO_PI * c)  # Box-Muller
        if structure == 0:
            k = min(int(a * n_bunch), n_bunch - 1)
            out[i] = k * spacing + width * g
        elif structure == 1:
            out[i] = a * width
        else:
            out[i] = width * g
    return out
