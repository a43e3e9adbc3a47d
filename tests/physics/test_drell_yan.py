"""Leading-order q qbar -> V (bdgen.physics.drell_yan), production channel "drell_yan".

Independent references:
- scipy quadrature of dsigma/dy, and of the lab-momentum density;
- the symmetry of p-p in the c.m. rapidity (and its breaking on neutrons, where u <-> d);
- the same formula with Z couplings instead of eps e Q_q gives sigma(p p -> Z) x BR(Z -> mu mu)
  at 13 TeV; the ATLAS measurement (PLB 759 (2016) 601, arXiv:1603.09222: 1.981 +- 0.007 (stat)
  +- 0.038 (syst) +- 0.042 (lumi) nb) is NNLO, the LO value lies 25-40 % below it (K factor);
- an end-to-end NuMI run: the V flies along the beam and the chi pairs conserve its momentum.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
from scipy import integrate

pytest.importorskip("pythia8mc")

import bdgen
from bdgen import constants as C
from bdgen.physics import drell_yan as DY

approx = partial(pytest.approx, abs=0.0)

S_NUMI = 2 * C.M_P**2 + 2 * math.hypot(120.0, C.M_P) * C.M_P


def test_sigma_is_the_integral_of_dsigma_dy() -> None:
    y_max = -math.log(2.0 / math.sqrt(S_NUMI))
    # the interpolated densities have kinks at the grid nodes: Simpson's rule on a fine grid
    y = np.linspace(-y_max, y_max, 40001)
    q = integrate.simpson(DY.dsigma_dy(y, 2.0, S_NUMI, 1e-3, "proton"), x=y)
    assert DY.sigma(2.0, S_NUMI, 1e-3, "proton") == approx(q, rel=2e-4)


def test_rapidity_symmetry_and_isospin() -> None:
    y = np.linspace(-1.5, 1.5, 7)
    pp = DY.dsigma_dy(y, 2.0, S_NUMI, 1e-3, "proton")
    np.testing.assert_allclose(pp, pp[::-1], rtol=1e-12)
    pn = DY.dsigma_dy(y, 2.0, S_NUMI, 1e-3, "neutron")
    assert not np.allclose(pn, pn[::-1], rtol=1e-3, atol=0.0)


def test_eps_squared_scaling_and_threshold() -> None:
    a = DY.sigma(2.0, S_NUMI, 1e-3, "proton")
    assert DY.sigma(2.0, S_NUMI, 3e-3, "proton") == approx(9 * a, rel=1e-12)
    assert DY.sigma(20.0, S_NUMI, 1e-3, "proton") == 0.0  # m_V above sqrt(s) = 15 GeV


def test_lab_momentum_density_integrates_to_sigma() -> None:
    edges, dens = DY.lab_momentum_density(120.0, 2.0, 1e-3, 6, 12.011)
    total = float(np.sum(dens * np.diff(edges)))
    m_n = 0.5 * (C.M_P + C.M_N)
    s = C.M_P**2 + m_n**2 + 2 * math.hypot(120.0, C.M_P) * m_n
    f = 6 / 12.011
    want = f * DY.sigma(2.0, s, 1e-3, "proton") + (1 - f) * DY.sigma(2.0, s, 1e-3, "neutron")
    assert total == approx(want, rel=2e-3)


def test_z_production_at_13_tev(monkeypatch: pytest.MonkeyPatch) -> None:
    """eps e Q_q -> Z couplings: alpha eps^2 Q_q^2 -> sqrt(2) G_F M_Z^2 (v_q^2 + a_q^2)/(4 pi)."""
    g_f, m_z, sw2 = 1.1663788e-5, 91.1876, 0.23122
    charges = {}
    for fl, (q, t3) in {1: (-1 / 3, -0.5), 2: (2 / 3, 0.5), 3: (-1 / 3, -0.5), 4: (2 / 3, 0.5),
                        5: (-1 / 3, -0.5)}.items():
        v, a = t3 - 2 * q * sw2, t3
        charges[fl] = math.sqrt(math.sqrt(2) * g_f * m_z**2 * (v * v + a * a) / (4 * math.pi * C.ALPHA))
    monkeypatch.setattr(DY, "QUARKS", charges)
    sig_nb = DY.sigma(m_z, 13000.0**2, 1.0, "proton") * DY.GEV2_TO_CM2 * 1e33
    lo_mumu = sig_nb * 0.033662  # BR(Z -> mu mu), PDG 2024
    assert 0.60 * 1.981 < lo_mumu < 1.0 * 1.981


def test_run_at_numi() -> None:
    cfg = bdgen.load_card(None, ["beam.name=numi", "detector.name=nova_nd", "model.m_v=1.5", "model.m_chi=0.3",
                                 'production.channels=["drell_yan"]', "run.events=200"])
    r = bdgen.generate(cfg, seed=3)
    ev = r.events
    assert len(r) == 200 and r.summary["signal_events"] > 0
    assert np.all(ev["channel"] == 10)
    np.testing.assert_allclose(ev["v_px"], 0.0, atol=1e-6)
    np.testing.assert_allclose(ev["v_py"], 0.0, atol=1e-6)
    m_v = np.sqrt(ev["v_E"] ** 2 - ev["v_px"] ** 2 - ev["v_py"] ** 2 - ev["v_pz"] ** 2)
    np.testing.assert_allclose(m_v, 1.5, rtol=1e-6)


def test_closed_below_one_gev() -> None:
    from bdgen.pipeline import prepare

    cfg = bdgen.load_card(None, ["beam.name=numi", "detector.name=nova_nd", 'production.channels=["drell_yan"]'])
    (ch,) = prepare(cfg).channels
    assert ch.closed_reason is not None and "1.0 GeV" in ch.closed_reason
