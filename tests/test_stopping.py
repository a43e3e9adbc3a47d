"""Meson ranges and decays at rest in the decay-in-flight neutrino sources."""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
from scipy import integrate

from bdgen import constants as C
from bdgen.beams import load_beam
from bdgen.detectors import load_detector
from bdgen.errors import CardError
from bdgen.neutrino import spectra as S
from bdgen.neutrino.dif import _parent_decays, decay_in_flight
from bdgen.neutrino.flux import K_DAR, MU_DAR, PI_DAR
from bdgen.neutrino.source import DIF, Medium, NeutrinoSource, Region, _stopping_data, load_source
from bdgen.neutrino.stopping import csda_range, dedx

approx = partial(pytest.approx, abs=0.0)

IRON = (0.46557, 286.0)


@pytest.mark.parametrize("za,i_ev,published", [(0.46557, 286.0, 1.451), (0.44384, 63.7, 1.595),
                                               (0.49919, 85.7, 1.815), (0.50274, 135.2, 1.711)])
def test_minimum_ionisation_against_pdg(za, i_ev, published):
    """The minimum of -dE/dx against the PDG "minimum ionization" values (iron, beryllium, air,
    shielding concrete; PDG RPP 2024 atomic and nuclear properties, recalled): within 5%, the
    formula having no density effect, which lowers the minimum by a few per cent in solids (observed
    +3.6%, +3.9%, 0.0%, +2.3%); the minimum sits at beta gamma ~ 3-3.5 as it should."""
    bg = np.geomspace(0.5, 20.0, 4000)
    d = dedx(bg, C.M_MU, za, i_ev)
    assert d.min() == approx(published, rel=0.05)
    assert 2.5 < bg[d.argmin()] < 4.0


# PDG muon table for aluminium (Z/A 0.48181, I = 166.0 eV): T (MeV), p (MeV/c), CSDA range (g/cm^2);
# PDG RPP 2020 section 34 tables, as stored in github.com/brownd1978/TrackToy, Data/MuonRangeAl.dat
MUON_AL = [(20.0, 68.02, 3.053), (40.0, 100.3, 9.750), (100.0, 176.4, 39.34), (200.0, 286.8, 98.71),
           (500.0, 596.4, 283.1)]


@pytest.mark.parametrize("t_mev,p_mev,r_pdg", MUON_AL)
def test_range_against_pdg_muon_table(t_mev, p_mev, r_pdg):
    """The CSDA range of muons in aluminium against the PDG table (density effect and shell
    corrections included there, not here): within 3% from 68 to 600 MeV/c."""
    assert float(csda_range(p_mev * 1e-3, C.M_MU, 0.48181, 166.0)) == approx(r_pdg, rel=0.03)


@pytest.mark.parametrize("mass", [C.M_PIPM, S.M_KPM])
@pytest.mark.parametrize("p", [0.05, 0.1, 0.2, 0.4, 1.0])
def test_range_is_the_integral_of_the_loss(mass, p):
    """The tabulated CSDA range against an independent quadrature of dT/(-dE/dx) from T = 1 MeV
    (plus the same linear last MeV), 2e-3."""
    m = mass * 1e3
    t_max = math.hypot(p * 1e3, m) - m
    inv = lambda t: 1.0 / float(dedx(math.sqrt((t + m) ** 2 - m * m) / m, mass, *IRON))
    ref = integrate.quad(inv, 1.0, t_max, epsrel=1e-8)[0] + inv(1.0)
    assert float(csda_range(p, mass, *IRON)) == approx(ref, rel=2e-3)


class _Fixed:
    """A spectrum that always gives momentum p along the beam."""

    def __init__(self, p: float) -> None:
        self.p = p

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
        return np.full(n, self.p), np.zeros(n), 0


def _steel_block(length: float = 20.0) -> NeutrinoSource:
    beam = load_beam("bnb_dump")
    steel = Medium("steel", 7.874, 160.8, 0.094, *IRON)
    return NeutrinoSource(beam, DIF, regions=(Region("steel", 0.0, length, 5.0, steel, 132.1),),
                          absorber=steel, wall=steel)


@pytest.mark.parametrize("charge", [1, -1])
def test_range_out_bookkeeping(charge):
    """A pi+/- of 0.2 GeV/c made at the upstream face of a long steel block: it decays in flight
    with probability (Lambda/lambda_d)(1 - exp(-R/Lambda)) and otherwise reaches the end of its range
    R with probability exp(-R/Lambda) (1/Lambda = 1/lambda_d + 1/lambda_abs), where a pi+ decays at
    rest (after its lifetime) and a pi- is captured; closed forms to 1e-9 (proton vertices all in
    the block's first interaction lengths, the range 5.2 cm)."""
    src = _steel_block()
    n = 4000
    rng = np.random.default_rng(1)
    dec = _parent_decays(src, _Fixed(0.2), 1.0, C.M_PIPM, S.CTAU_PI, charge, n, rng)
    lam_d = 0.2 / C.M_PIPM * S.CTAU_PI
    lam_a = 160.8 / 7.874 / 100.0
    big = 1.0 / (1.0 / lam_d + 1.0 / lam_a)
    r = float(csda_range(0.2, C.M_PIPM, *IRON)) / 7.874 / 100.0
    p_flight = big / lam_d * -math.expm1(-r / big)
    p_rest = math.exp(-r / big) if charge > 0 else 0.0
    w0 = src.interaction_fractions().sum() / n
    assert dec.weight == approx(np.full(n, w0 * (p_flight + p_rest)), rel=1e-9)
    frac_rest = dec.at_rest.mean()
    assert frac_rest == approx(p_rest / (p_flight + p_rest), abs=4 * math.sqrt(0.25 / n))
    # decays at rest sit one range downstream of the production point, with p4 = (m, 0) and region
    # = len(regions); decays in flight lie before it
    z0 = dec.position[:, 2] - np.where(dec.at_rest, r, 0.0)
    assert np.all(dec.p4[dec.at_rest] == np.array([C.M_PIPM, 0.0, 0.0, 0.0]))
    assert np.all(dec.region[dec.at_rest] == 1)
    if charge > 0:
        assert np.all(z0[dec.at_rest] >= 0) and np.median(z0[dec.at_rest]) < 0.3


def test_dump_decays_at_rest():
    """BNB dump mode at MiniBooNE: pi+ decaying at rest give the 29.79 MeV nu_mu line (about a third
    of the nu_mu flux, most of it from the steel block) and, through their muons, almost all the
    nu_e (> 90%, all below the 52.8 MeV Michel endpoint); K+ at rest give the 235.5 MeV nu_mu line;
    no pi- or K- decays at rest (the anti-nu_e come only from mu- decays and K0_L)."""
    src = load_source("bnb_dump")
    nu = decay_in_flight(src, load_detector("miniboone"), 40000, np.random.default_rng(2))
    numu = nu.flavour == 14
    dar = numu & (nu.component == PI_DAR)
    assert np.allclose(nu.energy[dar], S.E_PI_MU, rtol=1e-12)
    share = nu.total(mask=dar)[0] / nu.total(mask=numu)[0]
    assert 0.15 < share < 0.5
    nue = nu.flavour == 12
    mu_dar = nu.total(mask=nue & (nu.component == MU_DAR))[0] / nu.total(mask=nue)[0]
    assert mu_dar > 0.9
    assert nu.energy[nue & (nu.component == MU_DAR)].max() <= C.M_MU / 2 + 1e-12
    kdar = numu & (nu.component == K_DAR)
    line = np.isclose(nu.energy[kdar], S.E_K_MU, rtol=1e-12)
    assert line.any() and nu.weight[kdar][line].sum() / nu.weight[kdar].sum() == approx(
        S.BR_K_MUNU / (S.BR_K_MUNU + S.BR_K_MU3), rel=0.05)
    # pi- histories are the second n: they never decay at rest
    n = 40000
    pim = (nu.history >= n) & (nu.history < 2 * n)
    assert not np.any(pim & (nu.component == PI_DAR))


def test_stopping_data_errors():
    """z_over_a and mean_excitation_ev come together, and Z/A <= 1."""
    assert _stopping_data({}, "x") == (None, None)
    with pytest.raises(CardError, match=r"x\.mean_excitation_ev is missing: give z_over_a and mean_excitation_ev"):
        _stopping_data({"z_over_a": 0.5}, "x")
    with pytest.raises(CardError, match=r"x\.z_over_a = 1.5: must be in \(0, 1\]"):
        _stopping_data({"z_over_a": 1.5, "mean_excitation_ev": 100.0}, "x")


def test_range_out_in_the_end_medium_and_lifetime():
    """A pi+ of 0.15 GeV/c crossing the air region (made at z_vertex, 0 < z_vertex < 10 m) along the
    axis reaches the steel absorber (the end medium) with 1 - (10 m - z_vertex)/R_air of its range
    left; it stops at 10 m + that fraction of its steel range if it survives, and decays at rest after an exponential lifetime; the in-flight
    decays in the absorber lie before the stopping point."""
    beam = load_beam("bnb_dump")
    air = Medium("air", 1.205e-3, 122.0, 1.0, 0.49919, 85.7)
    steel = Medium("steel", 7.874, 160.8, 0.094, *IRON)
    src = NeutrinoSource(beam, DIF, regions=(Region("air", 0.0, 10.0, 5.0, air, 90.1),), absorber=steel, wall=steel)
    n = 20000
    dec = _parent_decays(src, _Fixed(0.15), 1.0, C.M_PIPM, S.CTAU_PI, 1, n, np.random.default_rng(4))
    r_air = float(csda_range(0.15, C.M_PIPM, 0.49919, 85.7)) / 1.205e-3 / 100.0
    r_fe = float(csda_range(0.15, C.M_PIPM, *IRON)) / 7.874 / 100.0
    rest = dec.at_rest & (dec.region == 1)
    assert rest.sum() > 1000
    # the path in air is 10 m - z_vertex: the implied vertices lie inside the air region
    z_vertex = 10.0 - r_air * (1.0 - (dec.position[rest, 2] - 10.0) / r_fe)
    assert z_vertex.min() > -1e-6 and z_vertex.max() < 10.0 + 1e-6 and z_vertex.max() - z_vertex.min() > 5.0
    assert np.allclose(dec.position[rest, :2], 0.0)
    in_fe = ~dec.at_rest & (dec.position[:, 2] > 10.0)
    assert in_fe.any() and dec.position[in_fe, 2].max() <= 10.0 + r_fe + 1e-9
    # the decay at rest comes an exponential lifetime after the arrival, whose spread (proton
    # vertices along the 10 m of air) is only ~3.5 ns: the spread of the times is that of the
    # lifetime, tau_pi = 26.03 ns (within 10%); without it the times would spread by ~3.5 ns
    assert np.std(dec.time[rest]) == approx(math.hypot(S.TAU_PI, 3.5), rel=0.1)
