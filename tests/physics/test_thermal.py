"""Thermal relic targets (bdgen.thermal)."""

from __future__ import annotations

import math
from functools import partial

import pytest

from bdgen import cli
from bdgen.thermal import (GEV2_TO_CM3_PER_S, OMEGA_H2, dof, relic_abundance, sigma_annihilation,
                           thermal_target)
from bdgen import constants as C

approx = partial(pytest.approx, abs=0.0)


def test_degrees_of_freedom():
    """Standard values (Kolb & Turner table 3.?; Husdal, Galaxies 4 (2016) 78): 10.75 between
    m_e and m_mu (1-100 MeV away from the thresholds), and g_s -> 3.91, g -> 3.36 well below m_e."""
    assert dof(0.01)[0] == approx(10.75, rel=0.01)
    g, h = dof(1e-5)
    assert h == approx(3.91, rel=0.02) and g == approx(3.36, rel=0.02)
    assert dof(10.0)[0] == approx(86.25, rel=0.03)  # b, c, tau relativistic; W, Z, H, t not yet


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
    assert cli.main(["thermal", "--ratio", "1.5", "-o", "u.csv"]) == 2
