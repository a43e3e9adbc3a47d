"""Thermal relic targets (bdgen.thermal)."""

from __future__ import annotations

import hashlib
import itertools
import math
from functools import cache, partial

import numpy as np
import pytest
from scipy import integrate, special

from bdgen import cli
from bdgen import constants as C
from bdgen.physics.widths import width_to_fermions
from bdgen.thermal import (
    DEFAULT_SPLITTING,
    GEV2_TO_CM3_PER_S,
    OMEGA_H2,
    chi_plasma_states,
    dof,
    equilibrium_fractions,
    h_today,
    relic_abundance,
    sigma_annihilation,
    sigma_v_effective,
    sigma_v_thermal,
    thermal_target,
    thermal_targets,
    total_width_v,
    width_axial_majorana,
    width_v_to_dm,
    width_vector_pair,
)

approx = partial(pytest.approx, abs=0.0)


def test_degrees_of_freedom():
    """Standard values (Kolb & Turner table 3.?; Husdal, Galaxies 4 (2016) 78): 10.75 between
    m_e and m_mu (1-100 MeV away from the thresholds), and g_s -> 3.91, g -> 3.36 well below m_e."""
    assert dof(0.01)[0] == approx(10.75, rel=0.01)
    g, h = dof(1e-5)
    assert h == approx(3.91, rel=0.02) and g == approx(3.36, rel=0.02)
    assert dof(10.0)[0] == approx(86.25, rel=0.03)  # b, c, tau relativistic; W, Z, H, t not yet


def test_thermal_target_arguments_checked():
    """Bad arguments are refused before any work, naming the argument, its value and what is
    allowed (the CLI's checks, in the API); the result carries m_chi and m_V."""
    for kw, msg in [({"m_chi": -0.01}, "m_chi = -0.01: must be a finite mass above m_e"),
                    ({"m_chi": 3e-4}, "m_chi = 0.0003: must be a finite mass above m_e"),
                    ({"m_chi": math.nan}, "m_chi = nan"),
                    ({"ratio": math.inf}, "ratio = inf: m_V/m_chi must be finite and > 2"),
                    ({"alpha_d": 0.0}, "alpha_d = 0.0: must be finite and > 0"),
                    ({"splitting": 0.1}, "splitting = 0.1: the pseudo-Dirac mass splitting; dm is 'scalar'"),
                    ({"dm": "pseudo_dirac", "splitting": 1.5}, r"splitting = 1.5: Delta/m_chi1 must be in \[0, 1\)"),
                    ({"neutrinos": "coupled", "chi_heating": False}, "chi_heating = False: only with neutrinos = "
                                                                      "'decoupled'")]:
        args = {"m_chi": 0.01, **kw}
        with pytest.raises(ValueError, match=msg):
            thermal_target(args.pop("m_chi"), **args)
    r = _target(0.01, "scalar")
    assert r["m_chi"] == 0.01 and r["m_v"] == approx(0.03, rel=1e-15)
    assert thermal_targets([0.01], dm=None) == [r]  # dm=None: the old dirac flag decides, as in thermal_target
    with pytest.raises(TypeError, match="thermal_targets: unexpected keyword argument.*alpha_D"):
        thermal_targets([0.01], alpha_D=0.5)


def test_thermal_target_refuses_before_any_work(monkeypatch):
    """The checks come before the cross-sections are tabulated (which would take a second or more)."""
    import bdgen.thermal as th

    def no_work(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("tabulated before the arguments were checked")

    monkeypatch.setattr(th, "_sigma_v_table", no_work)
    for kw in ({"ratio": 1.5}, {"alpha_d": -1.0}, {"dm": "wimp"}, {"neutrinos": "hot"}):
        with pytest.raises(ValueError):
            th.thermal_target(0.01, **kw)
    with pytest.raises(ValueError, match="m_chi = 0.0001"):
        th.thermal_targets([0.01, 1e-4])


@pytest.mark.slow
def test_thermal_target_refuses_couplings_where_the_eps_scaling_fails():
    """At alpha_D = 1e-7 (m_chi = 10 MeV) Gamma_V is dominated by V -> e+e-, the thermal tail through
    the narrow V resonance does not scale as eps^2, and the tabulate-and-scale solution cannot settle:
    refused with the reason, not returned with Omega h^2 = 0.2 (as before)."""
    with pytest.raises(ValueError, match="does not scale as eps\\^2.*use a larger alpha_D"):
        thermal_target(0.01, alpha_d=1e-7)


def test_neutrino_histories():
    """Once the e+e- are gone (10 keV): neutrinos kept at the photon temperature ("coupled"),
    g = h = 2 + (7/8) 6 = 7.25; decoupled at 2 MeV with (T_nu/T)^3 = 4/11, g = 2 + 5.25 (4/11)^(4/3)
    = 3.3626 and h = 2 + 5.25 (4/11) = 43/11 (closed forms); both agree above 2 MeV.  A history that
    does not exist is refused with its name."""
    assert dof(1e-5, "coupled") == approx((7.25, 7.25), rel=1e-6)
    assert dof(1e-5, "decoupled") == approx((2 + 5.25 * (4 / 11) ** (4 / 3), 43 / 11), rel=1e-4)
    for T in (0.003, 0.05, 1.0):
        assert dof(T, "coupled") == dof(T, "decoupled")
    with pytest.raises(ValueError, match="neutrinos = 'hot'.*decoupled, coupled"):
        thermal_target(0.01, neutrinos="hot")
    with pytest.raises(ValueError, match=r"ratio = 2.0005: m_V/m_chi must be finite and > 2.001"):
        thermal_target(0.01, ratio=2.0005, dm="pseudo_dirac")


def test_wimp_sigma_v():
    """A self-conjugate s-wave WIMP at 100 GeV needs <sigma v> ~ 2.2e-26 cm^3/s for Omega h^2 = 0.12
    (Steigman, Dasgupta, Beacom, PRD 86 (2012) 023506): within 20%."""
    def omega(sv_cm3):
        sv = sv_cm3 / GEV2_TO_CM3_PER_S
        return relic_abundance(100.0, lambda x: sv, g_chi=2, self_conjugate=True)

    from scipy.optimize import brentq
    sv = math.exp(brentq(lambda l: math.log(omega(math.exp(l)) / OMEGA_H2), math.log(1e-27), math.log(1e-25)))
    assert sv == approx(2.2e-26, rel=0.2)


def test_sigma_limits_match_physics_md():
    """Near threshold sigma v_rel -> 16 pi eps^2 alpha alpha_D m^2/(m_V^2 - 4m^2)^2 (Dirac, s-wave) and
    (8 pi/3) eps^2 alpha alpha_D m^2 v^2/(m_V^2 - 4m^2)^2 (scalar, p-wave), PHYSICS.md section 6,
    for annihilation to e+e- only (m_chi = 10 MeV < m_mu); the width in the propagator is
    Gamma_V/m_V ~ alpha_D/3 and shifts the result by (m_V Gamma_V)^2/(m_V^2 - 4m^2)^2 ~ 3e-4."""
    m, mv, eps, ad = 0.01, 0.03, 1e-4, 0.01  # small alpha_D: the V width (neglected there) is tiny
    beta = 1e-3
    s = 4 * m * m / (1 - beta * beta)
    v_rel = 2 * beta
    d = (mv**2 - 4 * m * m) ** 2
    dirac = sigma_annihilation(s, m, mv, eps, ad, True) * v_rel
    assert dirac == approx(16 * math.pi * eps**2 * C.ALPHA * ad * m * m / d, rel=5e-3)
    scal = sigma_annihilation(s, m, mv, eps, ad, False) * v_rel
    assert scal == approx(8 * math.pi / 3 * eps**2 * C.ALPHA * ad * m * m * v_rel**2 / d, rel=5e-3)


@pytest.mark.slow
@pytest.mark.parametrize("m, dirac, ref", [(0.01, False, 2.0e-11), (0.1, False, 2.6e-9),
                                           (0.01, True, 5.5e-13), (0.1, True, 6.4e-11)])
def test_light_dm_targets(m, dirac, ref):
    """Against the Kolb-Turner estimates of PHYSICS.md section 6 (e+e- only, g* = 10.75, stated
    +-50%): bdgen's full solution (with muons and hadrons at 100 MeV) lies within that band."""
    r = thermal_target(m, dirac=dirac)
    assert r["omega_h2_check"] == approx(0.12, rel=0.01)
    assert 0.5 * ref < r["y"] < 1.5 * ref


def test_cli_thermal(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["thermal", "--grid", "m_chi=0.01:0.02:2:log", "-o", "t.csv"]) == 0
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines[1] == "m_chi,m_v,epsilon,y,sigma_v_cm3_s" and len(lines) == 4
    assert "neutrinos decoupled (chi heats the photons after decoupling), hadrons via R measured at 0.3-3 GeV " \
           "(PDG 2020) and modelled outside, bdgen " in lines[0]
    assert cli.main(["thermal", "--ratio", "1.5", "-o", "u.csv"]) == 2


# ---------------------------------------------------------------------------------------------
# Majorana and pseudo-Dirac chi (issue 7); docs/thermal.md has the derivations.

# near-threshold checks: annihilation to e+e- only (m_V = 30 MeV < 2 m_mu, 2 m_pi), small alpha_D so
# that the V width (neglected in the closed forms) shifts them by ~(m_V Gamma_V)^2/(m_V^2 - 4m^2)^2 < 1e-6
M0, MV0, EPS0, AD0 = 0.01, 0.03, 1e-4, 0.01
D0 = (MV0**2 - 4 * M0 * M0) ** 2
A_SWAVE = 16 * math.pi * EPS0**2 * C.ALPHA * AD0 * M0 * M0 / D0        # Dirac sigma v_rel at v -> 0
B_PWAVE = 8 * math.pi / 3 * EPS0**2 * C.ALPHA * AD0 * M0 * M0 / D0     # Majorana sigma v_rel / v^2


def _sigma_v_rel(kind, beta):
    """sigma v_rel (v_rel = 2 beta, beta the CM velocity of each chi) of two chi of mass M0."""
    s = 4 * M0 * M0 / (1 - beta * beta)
    return sigma_annihilation(s, M0, MV0, EPS0, AD0, kind) * 2 * beta


def test_majorana_width_in_propagator():
    """Gamma(V -> chi chi) of a Majorana chi with (g_D/2) chibar gamma^mu gamma^5 chi is
    (alpha_D/6) m_V beta^3, and it is the width in the propagator: at the pole, with Gamma_V
    = Gamma_chi + Gamma_ee, sigma = (3 pi/k^2) s (2 Gamma_chi) Gamma_ee/(m_V^2 Gamma_V^2)."""
    mv, m, ad, eps = 0.03, 0.01, 0.5, 1e-3
    beta = math.sqrt(1 - 4 * m * m / mv**2)
    g_chi = ad / 6 * mv * beta**3
    assert width_axial_majorana(mv, ad, m) == approx(g_chi, rel=1e-12)
    assert width_v_to_dm(mv, ad, "majorana", m) == approx(g_chi, rel=1e-12)
    # beta^3 (p-wave) threshold: halving beta^2 divides the width by 2^(3/2)
    m1, m2 = mv / 2 * math.sqrt(1 - 0.02), mv / 2 * math.sqrt(1 - 0.01)
    assert width_axial_majorana(mv, ad, m1) / width_axial_majorana(mv, ad, m2) == approx(2**1.5, rel=1e-9)
    g_ee = float(width_to_fermions(mv, C.ALPHA * eps**2, C.M_E))
    k2 = mv**2 / 4 - m * m
    peak = 3 * math.pi / k2 * mv**2 * 2 * g_chi * g_ee / (mv**2 * (g_chi + g_ee) ** 2)
    assert sigma_annihilation(mv**2, m, mv, eps, ad, "majorana") == approx(peak, rel=1e-9)
    # the same Gamma_V from total_width_v; on the pole the fixed width (gamma_v) is the same
    g_v = total_width_v(m, mv, eps, ad, "majorana")
    assert g_v == approx(g_chi + g_ee, rel=1e-9)
    assert sigma_annihilation(mv**2, m, mv, eps, ad, "majorana", gamma_v=g_v) == approx(peak, rel=1e-9)
    # off the pole the running width sqrt(s) Gamma_V(sqrt s) is in the propagator: at s = 0.9 m_V^2
    s = 0.9 * mv**2
    rs = math.sqrt(s)
    b_s = math.sqrt(1 - 4 * m * m / s)
    im = rs * (ad / 6 * rs * b_s**3 + float(width_to_fermions(rs, C.ALPHA * eps**2, C.M_E)))
    k2s = s / 4 - m * m
    g_in_s, g_out_s = 2 * ad / 6 * rs * b_s**3, float(width_to_fermions(rs, C.ALPHA * eps**2, C.M_E))
    ref = 3 * math.pi / k2s * s * g_in_s * g_out_s
    assert sigma_annihilation(s, m, mv, eps, ad, "majorana") == approx(ref / ((s - mv**2) ** 2 + im**2), rel=1e-9)
    assert sigma_annihilation(s, m, mv, eps, ad, "majorana", gamma_v=g_v) \
        == approx(ref / ((s - mv**2) ** 2 + mv**2 * g_v**2), rel=1e-9)


def test_majorana_sigma_v_is_p_wave():
    """Near threshold sigma v_rel = (8 pi/3) eps^2 alpha alpha_D m^2 v^2/(m_V^2 - 4m^2)^2 for the
    Majorana chi (p-wave, the axial current; the same coefficient as the complex scalar of
    PHYSICS.md section 6), while the Dirac one tends to a constant (s-wave)."""
    for beta in (1e-3, 3e-3):
        assert _sigma_v_rel("majorana", beta) == approx(B_PWAVE * (2 * beta) ** 2, rel=5e-3)
        assert _sigma_v_rel("dirac", beta) == approx(A_SWAVE, rel=5e-3)
    # v^2 scaling: doubling v quadruples sigma v (s-wave: unchanged)
    assert _sigma_v_rel("majorana", 2e-3) / _sigma_v_rel("majorana", 1e-3) == approx(4.0, rel=1e-4)
    assert _sigma_v_rel("dirac", 2e-3) / _sigma_v_rel("dirac", 1e-3) == approx(1.0, rel=1e-4)


def test_running_width_at_threshold():
    """At alpha_D = 0.5, m_V = 3 m_chi (the targets' plane) the Dirac width is Gamma_V = 0.152 m_V.
    The propagator's width term is the running sqrt(s) Gamma_V(sqrt s), which vanishes with the
    chi-pair phase space at threshold (optical theorem; SM part ~ eps^2), so sigma v there is the
    closed form 16 pi eps^2 alpha alpha_D m^2/(m_V^2 - 4m^2)^2 (PHYSICS.md section 6) to the e mass
    and O(beta^2) (1e-3); the fixed width m_V Gamma_V (gamma_v=...) would lower it by the factor
    1/(1 + m_V^2 Gamma_V^2/(m_V^2 - 4m^2)^2) = 0.930."""
    m, eps, ad = 0.01, 1e-3, 0.5
    mv = 3 * m
    a_swave = 16 * math.pi * eps**2 * C.ALPHA * ad * m**2 / (mv**2 - 4 * m**2) ** 2
    beta = 1e-3
    s = 4 * m * m / (1 - beta * beta)
    sv = sigma_annihilation(s, m, mv, eps, ad, "dirac") * 2 * beta
    assert sv == approx(a_swave, rel=1e-3)
    g_v = total_width_v(m, mv, eps, ad, "dirac")
    assert g_v / mv == approx(0.152, rel=1e-2)
    fixed = sigma_annihilation(s, m, mv, eps, ad, "dirac", gamma_v=g_v) * 2 * beta
    assert fixed / sv == approx(1 / (1 + mv**2 * g_v**2 / (mv**2 - 4 * m**2) ** 2), rel=1e-4)
    assert fixed / sv == approx(0.930, abs=2e-3)


@pytest.mark.parametrize("x", [100.0, 1000.0, 10000.0])
def test_majorana_thermal_average_p_wave_expansion(x):
    """The Gondolo-Gelmini thermal average of the Majorana cross-section against the closed-form
    s/p-wave expansion <sigma v> = a + 6 b/x (a = 0, b = B_PWAVE): the difference is the O(1/x)
    relativistic and O(v^4) correction, measured as (4.5 +- 0.1)/x, so the test asks for
    |<sigma v> x/(6 b) - 1| < 6/x.  An independent scipy quad over the non-relativistic
    relative-velocity distribution f(v) ~ v^2 exp(-x v^2/4) of the same sigma(v) v agrees to 4/x.
    For contrast the Dirac (s-wave) average tends to a = A_SWAVE, independent of x."""
    maj = lambda s: sigma_annihilation(s, M0, MV0, EPS0, AD0, "majorana")
    dir_ = lambda s: sigma_annihilation(s, M0, MV0, EPS0, AD0, "dirac")
    sv = sigma_v_thermal(x, M0, maj, MV0**2)
    assert abs(sv * x / (6 * B_PWAVE) - 1) < 6 / x
    assert abs(sv * x / (6 * B_PWAVE) - 1) > 3 / x  # the O(1/x) correction is there (not a copy of 6b/x)
    vmax = min(40 / math.sqrt(x), 1.9)  # v_rel = 2 beta < 2; exp(-x v^2/4) < 1e-39 beyond

    def maxwell(f):
        return integrate.quad(lambda v: f(v) * v * v * math.exp(-x * v * v / 4), 0, vmax, epsabs=0, epsrel=1e-10)[0]

    nr = maxwell(lambda v: _sigma_v_rel("majorana", v / 2)) / maxwell(lambda v: 1.0)
    assert abs(nr / sv - 1) < 4 / x
    assert abs(sigma_v_thermal(x, M0, dir_, MV0**2) / A_SWAVE - 1) < 3 / x


def test_unequal_mass_thermal_average_against_phase_space():
    """<sigma_12 v> for m2 != m1 (Edsjo-Gondolo) against a brute-force integral over the two
    Maxwell-Boltzmann momentum distributions, <sigma v_Mol> = int f1 f2 sigma F/(E1 E2) / (n1 n2),
    F = sqrt((p1.p2)^2 - m1^2 m2^2), for sigma = 1/s at m2 = 1.3 m1, x = 3 (relativistic)."""
    m1, m2, x = 1.0, 1.3, 3.0
    T = m1 / x

    def inner(c, p2, p1):
        e1, e2 = math.hypot(p1, m1), math.hypot(p2, m2)
        dot = e1 * e2 - p1 * p2 * c
        f = math.sqrt(max(dot * dot - (m1 * m2) ** 2, 0.0))
        return p1 * p1 * p2 * p2 * math.exp(-(e1 - m1 + e2 - m2) / T) / (m1**2 + m2**2 + 2 * dot) * f / (e1 * e2)

    pmax = 40 * T + 5 * math.sqrt(m2 * T)
    val = integrate.tplquad(inner, 0, pmax, 0, pmax, -1, 1, epsabs=0, epsrel=1e-7)[0]
    n1 = m1 * m1 * T * special.kve(2, m1 / T) / (2 * math.pi**2)  # per internal state, exp(-m/T) out
    n2 = m2 * m2 * T * special.kve(2, m2 / T) / (2 * math.pi**2)
    brute = 8 * math.pi**2 / (2 * math.pi) ** 6 * val / (n1 * n2)
    assert sigma_v_thermal(x, m1, lambda s: 1.0 / s, m2=m2) == approx(brute, rel=1e-6)


def test_pseudo_dirac_pieces():
    """chi1 chi2 -> V* -> f fbar is the Dirac process for m2 -> m1 (same sigma(s) and V width); the
    unequal-mass width; Griest-Seckel weights r_i and <sigma_eff v> = 2 <sigma_12 v> r1 r2."""
    for s in (4.0001 * M0**2, 6 * M0**2, MV0**2, 20 * M0**2):
        assert sigma_annihilation(s, M0, MV0, EPS0, 0.5, "pseudo_dirac", m_chi2=M0) == approx(
            sigma_annihilation(s, M0, MV0, EPS0, 0.5, "dirac"), rel=1e-9)
    assert width_vector_pair(MV0, 0.5, M0, M0) == approx(float(width_to_fermions(MV0, 0.5, M0)), rel=1e-12)
    # one massless fermion: Gamma = (alpha/6) m_V (1 - r)^2 (2 + r), r = m^2/m_V^2
    r = (M0 / MV0) ** 2
    assert width_vector_pair(MV0, 0.5, M0, 0.0) == approx(0.5 / 6 * MV0 * (1 - r) ** 2 * (2 + r), rel=1e-12)
    assert width_vector_pair(MV0, 0.5, 0.016, 0.0145) == 0.0  # closed
    # weights: equal at Delta = 0; non-relativistic Griest-Seckel (1 + Delta)^(3/2) exp(-x Delta) at x >> 1
    assert np.allclose(equilibrium_fractions(20.0, ((2, 1.0), (2, 1.0))), [0.5, 0.5], rtol=1e-14)
    r1, r2 = equilibrium_fractions(200.0, ((2, 1.0), (2, 1.1)))
    assert r2 / r1 == approx(1.1**1.5 * math.exp(-20.0), rel=1e-3)
    for x in (3.0, 20.0, 100.0):
        d = sigma_v_effective(x, M0, MV0, EPS0, 0.5, "dirac")
        assert sigma_v_effective(x, M0, MV0, EPS0, 0.5, "pseudo_dirac", 0.0) == approx(d / 2, rel=1e-10)
    # Delta = 0.1 m at x = 200: <sigma_eff v> = 2 r1 r2 <sigma_12 v>, and near threshold
    # sigma_12 v -> 4 pi eps^2 alpha alpha_D M^2/(m_V^2 - M^2)^2, M = m1 + m2 (docs/thermal.md; the
    # Dirac s-wave term for m1 = m2), so against the Dirac average: (d/2) (4 r1 r2) x
    # [M^2/(m_V^2 - M^2)^2]/[4m^2/(m_V^2 - 4m^2)^2] (= 1.308 x 4 r1 r2), up to O(1/x) (measured 1.4/x)
    x = 200.0
    d = sigma_v_effective(x, M0, MV0, EPS0, 0.5, "dirac")
    pd = sigma_v_effective(x, M0, MV0, EPS0, 0.5, "pseudo_dirac", 0.1)
    w = 4 * np.prod(equilibrium_fractions(x, ((2, 1.0), (2, 1.1))))
    big_m = 2.1 * M0
    thr = (big_m**2 / (MV0**2 - big_m**2) ** 2) / (4 * M0**2 / (MV0**2 - 4 * M0**2) ** 2)
    assert pd / (d / 2 * w) == approx(thr, rel=3 / x)
    assert w == approx(1.1**1.5 * math.exp(-x * 0.1) * 4, rel=0.01)  # exp(-x Delta/m) suppression


@cache
def _target(m, dm, splitting=DEFAULT_SPLITTING):
    return thermal_target(m, dm=dm, splitting=splitting if dm == "pseudo_dirac" else None)


@pytest.mark.slow
def test_pseudo_dirac_tends_to_dirac():
    """As Delta -> 0 the pseudo-Dirac pair (g1 = g2 = 2, self-conjugate, <sigma_eff v> = <sigma v>/2)
    is the Dirac chi + chibar (g = 2 each, <sigma v>): the same Boltzmann equation for n1 + n2 =
    n_chi + n_chibar, so Y agrees to the ODE/root-finding tolerance (1e-4) at Delta = 0 and within
    1% at Delta = 1e-3 m_chi (the default); Y grows with Delta (Boltzmann-suppressed chi2)."""
    m = 0.01
    y_d = _target(m, "dirac")["y"]
    assert _target(m, "pseudo_dirac", 0.0)["y"] == approx(y_d, rel=1e-4)
    assert _target(m, "pseudo_dirac", 1e-3)["y"] == approx(y_d, rel=1e-2)
    ys = [_target(m, "pseudo_dirac", d)["y"] for d in (0.0, 1e-3, 1e-2, 0.1)]
    assert all(b > a for a, b in itertools.pairwise(ys))
    assert ys[-1] > 2.5 * ys[0]  # Delta = 0.1 m: x_f Delta/m ~ 2, a few times less coannihilation


# Published thermal targets, alpha_D = 0.5, m_V = 3 m_chi: the NA64 collaboration's lines (provided
# by P. Crivelli) in github.com/ESPP2026-PPG/Quasi-elastic-DM, relic-target-{scalar,majorana,
# pseudodirac}.csv at commit 25d2883c0f223accd7156e19fa7650d4bfa7db67 (columns: m_chi in GeV, Y).
# The numbers are log-log interpolations between the two digitised points around each mass:
PUBLISHED = {
    ("scalar", 0.01): 1.15e-11, ("scalar", 0.1): 1.32e-9,          # 9.64 / 10.05 MeV; 96.96 / 101.17 MeV
    ("majorana", 0.01): 5.51e-12, ("majorana", 0.1): 6.34e-10,     # 9.77 / 10.20 MeV; 99.74 / 104.07 MeV
    ("pseudo_dirac", 0.01): 4.90e-13, ("pseudo_dirac", 0.1): 4.73e-11,  # 9.91 / 10.34 MeV; 99.74 / 104.07 MeV
}


@pytest.mark.slow
@pytest.mark.parametrize("dm", ["majorana", "pseudo_dirac"])
@pytest.mark.parametrize("m", [0.01, 0.1])
def test_published_targets(m, dm):
    """Majorana and pseudo-Dirac (default Delta) targets at 10 and 100 MeV against the published
    lines above: (1) Y within a factor 1.5 (the digitisation scatters by ~10% between neighbouring
    points, and bdgen's scalar target, unchanged here, lies 17% and 25% above the same scalar line,
    a common offset of the inputs we cannot trace); (2) the ratio to the scalar target, which
    cancels that offset, within 15% of the published ratio (Majorana/scalar ~ 1/2: same sigma(s),
    twice the annihilation rate per particle of a self-conjugate pair; pseudo-Dirac/scalar ~ 1/25)."""
    y = _target(m, dm)["y"]
    assert _target(m, dm)["omega_h2_check"] == approx(0.12, rel=0.01)
    pub = PUBLISHED[(dm, m)]
    assert 1 / 1.5 < y / pub < 1.5
    ratio = y / _target(m, "scalar")["y"]
    pub_ratio = pub / PUBLISHED[("scalar", m)]
    assert ratio / pub_ratio == approx(1.0, rel=0.15)


# The same published lines at m_chi = 1 MeV (0.999 / 1.013 MeV, 0.999 / 1.016 MeV, and the
# pseudo-Dirac line's first point), where chi freezes out at T ~ 50 keV, after neutrino decoupling:
PUBLISHED_1MEV = {"scalar": 1.18e-13, "majorana": 5.66e-14, "pseudo_dirac": 6.0e-15}


@pytest.mark.slow
@pytest.mark.parametrize("dm", ["scalar", "majorana", "pseudo_dirac"])
def test_published_targets_at_1_mev_keep_neutrinos_coupled(dm):
    """At 1 MeV the published lines are reproduced within 8% (observed 0-5%) with the "coupled"
    convention (neutrinos at the photon temperature in g_eff, h_eff, today's measured s_0 for Omega:
    the late entropy is 7.25/3.909 times too large, Omega too small, Y too low), for all three
    species, while the decoupled history of the SM plasma alone lies 1.25-1.5 times higher
    (observed 1.32-1.39), and bdgen's default, which also gives chi's entropy to the photons,
    1.1-1.4 times (observed 1.18-1.30; docs/thermal.md section 7).  At 30 MeV the two agree to
    0.5% (observed 0.25%): most annihilation is over before 2 MeV."""
    coupled = thermal_target(0.001, dm=dm, neutrinos="coupled")["y"]
    decoupled = thermal_target(0.001, dm=dm, chi_heating=False)["y"]
    assert coupled == approx(PUBLISHED_1MEV[dm], rel=0.08)
    assert 1.25 < decoupled / coupled < 1.5
    assert 1.1 < thermal_target(0.001, dm=dm)["y"] / coupled < 1.4
    if dm == "scalar":
        assert thermal_target(0.03, neutrinos="coupled")["y"] == approx(thermal_target(0.03)["y"], rel=5e-3)


def _h_chi_reference(m: float, g: float, fermion: bool, T: float) -> float:
    """Entropy of g equilibrium states of mass m (GeV) at T (GeV) in units of (2 pi^2/45) T^3,
    written out independently: s = (rho + p)/T with rho, p the Fermi/Bose integrals over E."""
    x = m / T
    sign = 1.0 if fermion else -1.0
    f = lambda e: 1.0 / (math.exp(e) + sign)
    rho = integrate.quad(lambda e: e * e * math.sqrt(e * e - x * x) * f(e), x, x + 80)[0]
    p = integrate.quad(lambda e: (e * e - x * x) ** 1.5 / 3 * f(e), x, x + 80)[0]
    return g / (2 * math.pi**2) * (rho + p) / (2 * math.pi**2 / 45)


def test_chi_heating_cools_the_neutrinos():
    """After neutrino decoupling (2 MeV) chi's annihilations heat the photons alone (Kolb and
    Turner section 3.4): (T_nu/T)^3 = (h_(gamma,e) + h_chi)(T)/(11/2 + h_chi(T_dec)).  Closed forms
    for a chi relativistic at decoupling: today's h_0 = 2 + 5.25 (T_nu/T)^3 = 2 + 5.25 (2/7.5) = 3.4
    for a complex scalar (2 boson states) and 2 + 5.25 (2/9) for a Dirac fermion (4 fermion states,
    7/8 each).  For a 1 MeV scalar (chi_plasma_states) g, h at 10 keV (e+- and chi gone) against
    h_chi(2 MeV) from an independent Bose integral: 10^-4.  A 1 GeV chi is gone by 2 MeV and changes
    nothing (exactly); nor does chi in the "coupled" history."""
    tiny = 1e-9
    assert h_today("decoupled", ((tiny, 2.0, -1),)) == approx(2 + 5.25 * 2 / 7.5, rel=1e-6)
    assert h_today("decoupled", ((tiny, 4.0, 1),)) == approx(2 + 5.25 * 2 / 9, rel=1e-6)
    assert h_today() == h_today("coupled", ((tiny, 4.0, 1),)) == 43 / 11
    chi = chi_plasma_states("scalar", 0.001)
    assert chi == ((0.001, 2.0, -1),)
    assert chi_plasma_states("dirac", 0.001) == ((0.001, 4.0, 1),)
    assert chi_plasma_states("majorana", 0.001) == ((0.001, 2.0, 1),)
    r3 = 2.0 / (5.5 + _h_chi_reference(0.001, 2.0, False, 0.002))
    assert dof(1e-5, "decoupled", chi) == approx((2 + 5.25 * r3 ** (4 / 3), 2 + 5.25 * r3), rel=1e-4)
    assert dof(1e-5, "decoupled", chi)[1] == approx(h_today("decoupled", chi), rel=1e-4)
    heavy = chi_plasma_states("dirac", 1.0)
    for T in (1e-5, 1e-3, 0.1):
        assert dof(T, "decoupled", heavy) == dof(T)
        assert dof(T, "coupled", chi) == dof(T, "coupled")
    assert chi_plasma_states("pseudo_dirac", 0.01, 0.1) == ((0.01, 2.0, 1), (1.1 * 0.01, 2.0, 1))


@pytest.mark.slow
def test_chi_heating_lowers_light_targets():
    """The cooler neutrinos mean a smaller entropy today per photon (s_0 falls with h_0) and a slower
    expansion after decoupling; both lower the target.  bdgen: the 1 MeV scalar target by 5-10%
    (observed 6.9%), the Dirac one more (4 fermion states against 2 bosons; observed 10.1%), the
    10 MeV Dirac one by less than 5% (observed 2.4%); at 30 MeV the change is below 0.1%."""
    def change(m, dm):
        return thermal_target(m, dm=dm)["y"] / thermal_target(m, dm=dm, chi_heating=False)["y"]

    scalar, dirac = change(0.001, "scalar"), change(0.001, "dirac")
    assert 0.90 < scalar < 0.95
    assert dirac < scalar - 0.02
    assert 0.95 < change(0.01, "dirac") < 1.0
    assert change(0.03, "scalar") == approx(1.0, rel=1e-3)


def _comparison_script():
    """docs/scripts/thermal_vs_published.py as a module (it reads the digitised lines in docs/data)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "docs" / "scripts" / "thermal_vs_published.py"
    spec = importlib.util.spec_from_file_location("thermal_vs_published", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_published_numbers_are_the_stored_lines():
    """The published values used above are the log-log interpolations of the digitised lines stored
    unchanged in docs/data (1%: the constants carry three digits); the comparison script refuses
    masses outside a line (nan), and the 1 MeV pseudo-Dirac value is the line's first point."""
    script = _comparison_script()
    for (dm, m), value in PUBLISHED.items():
        assert script.published_at(dm, m) == approx(value, rel=0.01)
    for dm in ("scalar", "majorana"):
        assert script.published_at(dm, 0.001) == approx(PUBLISHED_1MEV[dm], rel=0.01)
    mm, yy = script.published("pseudo_dirac")
    assert mm[0] == approx(1.002e-3, rel=1e-3) and yy[0] == approx(PUBLISHED_1MEV["pseudo_dirac"], rel=0.01)
    assert math.isnan(script.published_at("pseudo_dirac", 0.001))
    assert len(mm) == 195
    # byte-for-byte the files of the source commit (their sizes, 7925/8149/8491 bytes, are the
    # source's; the digests pin them here)
    digests = {"scalar": "03930526bd7840033ac3b5eeca456d1a4e913f44010a83728b916a3a6e5ca14a",
               "majorana": "4362d5334a1026a8f4b9c959afe06e43a14ff1cbb32c3e974f3314f68e88bc18",
               "pseudo_dirac": "eaf8476e0898125909333071a0eb69f794a07fe0af0acae96d5d5a58b4180517"}
    for dm, digest in digests.items():
        assert hashlib.sha256((script.DATA / script.FILES[dm]).read_bytes()).hexdigest() == digest


@pytest.mark.slow
def test_phi_resonance_lowers_the_target(monkeypatch):
    """R(sqrt s) carries the phi(1020) (measured R = 50 at its peak, bdgen.physics.widths.r_ratio).  The
    p-wave scalar annihilates at sqrt(s) ~ 2 m_chi (1 + 1.25/x), so near m_chi = 0.5 GeV the
    thermal distribution covers the phi and the target drops below its value at 0.46 GeV although
    the rho tail, which sets the trend, falls (observed: 0.61 times).  With the phi taken out of R
    the same two targets rise (observed 1.25 times) and lie higher (1.27 and 2.6 times): the dip is
    the phi's (docs/thermal.md section 7; the published lines show it only for pseudo-Dirac)."""
    from bdgen import thermal
    from bdgen.physics import widths

    with_phi = [thermal_target(m)["y"] for m in (0.46, 0.50)]
    assert with_phi[1] < 0.75 * with_phi[0]

    def r_without_phi(sqrt_s):  # the measured R less the phi Breit-Wigner of the PDG parameters
        phi = widths._r_narrow(sqrt_s, widths._M_PHI, widths._G_PHI, widths._BEE_PHI,
                               1.0 - widths._BEE_PHI - widths._BMUMU_PHI)
        return max(widths.r_ratio(sqrt_s) - phi, 0.0)

    monkeypatch.setattr(thermal, "r_ratio", r_without_phi)
    without = [thermal_target(m)["y"] for m in (0.46, 0.50)]
    assert without[1] > 1.05 * without[0]
    assert without[0] > with_phi[0] and without[1] > 1.5 * with_phi[1]  # the phi only adds annihilation


@pytest.mark.slow
def test_thermal_targets_in_parallel(tmp_path, monkeypatch):
    """thermal_targets over two spawned processes gives the targets of one process exactly, in
    order; bad worker counts are refused (API: ValueError; CLI: exit 2 before any work)."""
    from bdgen.thermal import iter_thermal_targets

    one = thermal_targets([0.02, 0.01], workers=1, dm="majorana")
    two = thermal_targets([0.02, 0.01], workers=2, dm="majorana")
    assert [r["m_chi"] for r in two] == [0.02, 0.01]  # in the order asked, not of completion
    assert [r["y"] for r in two] == [r["y"] for r in one]
    assert one[0]["y"] == thermal_target(0.02, dm="majorana")["y"] and one[0]["y"] > one[1]["y"]
    with pytest.raises(ValueError, match="workers = -1"):
        iter_thermal_targets([0.01], workers=-1)  # checked at the call, not at the first result
    with pytest.raises(ValueError, match="m_chi = 0.0003: must be a finite mass above m_e"):
        iter_thermal_targets([0.01, 0.0003])  # every mass checked before the first is computed
    assert thermal_targets([0.02], workers=0, dm="majorana") == one[:1]  # 0, as in the CLI: no extra processes
    with pytest.raises(TypeError, match="workers = True"):
        thermal_targets([0.01], workers=True)
    assert thermal_targets([], workers=np.int64(2)) == []
    monkeypatch.chdir(tmp_path)
    assert cli.main(["thermal", "--grid", "m_chi=0.01:0.02:2:log", "--workers", "-1", "-o", "t.csv"]) == 2
    assert not (tmp_path / "t.csv").exists()
    assert cli.main(["thermal", "--grid", "m_chi=0.01:0.02:2:log", "--workers", "2", "--dm", "majorana",
                     "-o", "t.csv"]) == 0
    ys = np.loadtxt(tmp_path / "t.csv", delimiter=",", skiprows=2)[:, 3]
    assert list(ys) == pytest.approx([one[1]["y"], one[0]["y"]], rel=1e-7)  # the table's 8 digits


@pytest.mark.slow
def test_cli_thermal_species(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["thermal", "--grid", "m_chi=0.01:0.01:1", "--dm", "majorana", "-o", "m.csv"]) == 0
    lines = (tmp_path / "m.csv").read_text().splitlines()
    assert "majorana chi" in lines[0] and lines[1] == "m_chi,m_v,epsilon,y,sigma_v_cm3_s"
    assert float(lines[2].split(",")[3]) == approx(_target(0.01, "majorana")["y"], rel=1e-6)
    assert cli.main(["thermal", "--grid", "m_chi=0.01:0.01:1", "--dm", "pseudo_dirac", "-o", "p.csv"]) == 0
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert f"Delta = {DEFAULT_SPLITTING:g} m_chi1" in lines[0]
    assert float(lines[2].split(",")[3]) == approx(_target(0.01, "pseudo_dirac")["y"], rel=1e-6)
    assert cli.main(["thermal", "--grid", "m_chi=0.001:0.001:1", "--neutrinos", "coupled", "-o", "c.csv"]) == 0
    lines = (tmp_path / "c.csv").read_text().splitlines()
    assert "neutrinos coupled, " in lines[0]
    assert float(lines[2].split(",")[3]) == approx(thermal_target(0.001, neutrinos="coupled")["y"], rel=1e-6)
    assert cli.main(["thermal", "--grid", "m_chi=0.001:0.001:1", "--no-chi-heating", "-o", "n.csv"]) == 0
    lines = (tmp_path / "n.csv").read_text().splitlines()
    assert "neutrinos decoupled (chi not in the plasma)" in lines[0]
    assert float(lines[2].split(",")[3]) == approx(thermal_target(0.001, chi_heating=False)["y"], rel=1e-6)
    assert cli.main(["thermal", "--neutrinos", "coupled", "--no-chi-heating", "-o", "q.csv"]) == 2
    assert cli.main(["thermal", "--grid", "m_chi=0.0001:0.001:2:log", "-o", "q.csv"]) == 2  # below m_e
    assert cli.main(["thermal", "--ratio", "inf", "-o", "q.csv"]) == 2
    assert cli.main(["thermal", "--grid", "m_v=0.01:0.1:3", "-o", "q.csv"]) == 2
    with pytest.raises(SystemExit) as exc:
        cli.main(["thermal", "--neutrinos", "hot", "-o", "q.csv"])
    assert exc.value.code == 2
    assert cli.main(["thermal", "--dm", "scalar", "--splitting", "0.1", "-o", "q.csv"]) == 2
    assert cli.main(["thermal", "--dm", "pseudo_dirac", "--splitting", "-0.1", "-o", "q.csv"]) == 2
    assert cli.main(["thermal", "--dm", "pseudo_dirac", "--splitting", "0.2", "--ratio", "2.1", "-o", "q.csv"]) == 2
    assert not (tmp_path / "q.csv").exists()


@pytest.mark.slow
def test_wimp_sigma_v_mass_dependence():
    """The required s-wave <sigma v> peaks near 0.3 GeV (T_f ~ 15 MeV: g_* is smallest between the QCD
    transition and e+e- annihilation): Steigman, Dasgupta, Beacom (PRD 86 (2012) 023506) find
    5.2e-26 there and 2.2e-26 above 10 GeV.  The ratio, which does not depend on the Omega h^2 used,
    within 10 %; the value at 0.3 GeV within 20 %."""
    from scipy.optimize import brentq

    def needed(m):
        def omega(sv_cm3):
            return relic_abundance(m, lambda x: sv_cm3 / GEV2_TO_CM3_PER_S, g_chi=2, self_conjugate=True)
        return math.exp(brentq(lambda l: math.log(omega(math.exp(l)) / OMEGA_H2), math.log(1e-27), math.log(1e-24)))

    low, high = needed(0.3), needed(100.0)
    assert low == approx(5.2e-26, rel=0.2)
    assert low / high == approx(5.2 / 2.2, rel=0.1)
