"""The leptophobic U(1)_B model (bdgen.physics.models, model.name = "baryonic").

Independent references:
- closed forms typed here: BR(pi0 -> gamma V_B) = 2 (alpha_B/alpha)(1 - m_V^2/m_pi^2)^3
  BR(pi0 -> gamma gamma) (Tulin, arXiv:1404.4370; Batell et al., arXiv:1405.7049) in the
  narrow-width limit, and BdNMC's pi0 formula 2 (sqrt(alpha_B/alpha) - kappa)^2 (...)^3;
- Gamma(pi0 -> gamma gamma) = alpha^2 m_pi^3/(64 pi^3 f_pi^2) against the PDG width 7.8 eV, and
  the V -> P gamma width against the P -> gamma V rate through the same coupling (crossing);
- the quark-counting of the baryon current (r = 1, 0, 2, -1 for pi0, rho, omega, phi);
- end-to-end runs: zero electron events at eps = 0, nuclei with charge A, nucleons with the
  isoscalar magnetic moment, and clear errors for what the model does not offer.
"""

from __future__ import annotations

import math
import subprocess
import sys
from functools import partial

import pytest

import bdgen
from bdgen import constants as C
from bdgen.errors import CardError
from bdgen.physics import meson_decays as MD
from bdgen.physics import widths as W
from bdgen.physics.models import Couplings

approx = partial(pytest.approx, abs=0.0)

ALPHA = 1 / 137.035999
M_PI0 = 0.1349768


def _cp(**kw: float) -> Couplings:
    base = dict(name="baryonic", m_v=0.06, m_chi=0.02, epsilon=0.0, alpha_d=1e-4, alpha_b=1e-5, dirac=False)
    base.update(kw)
    return Couplings(**base)  # type: ignore[arg-type]


def test_pi0_two_body_rate_narrow_width() -> None:
    cp = _cp()
    tb = MD.three_body("pi0", cp.m_v, cp.m_chi, 0.0, cp.alpha_d, False, couplings=cp)
    want = 2 * (1e-5 / ALPHA) * (1 - cp.m_v**2 / M_PI0**2) ** 3 * 0.98823 * cp.br_to_chi()
    assert tb.branching_ratio() == approx(want, rel=3e-3)


def test_bdnmc_combination_with_kinetic_mixing() -> None:
    """With eps != 0 the amplitude is sqrt(alpha_B/alpha) - eps (BdNMC brpi0toVBgamma)."""
    cp = _cp(epsilon=2e-3)
    assert cp.meson_epsilon("pi0") == approx(abs(math.sqrt(1e-5 / ALPHA) - 2e-3), rel=1e-6)
    assert cp.meson_epsilon("eta") == approx(abs(0.61 * math.sqrt(1e-5 / ALPHA) - 2e-3), rel=1e-6)


def test_quark_counting() -> None:
    """rho0 (isovector) does not couple at eps = 0; omega twice, phi once (opposite sign)."""
    cp = _cp()
    g = math.sqrt(1e-5 / ALPHA)
    assert cp.meson_epsilon("rho") == 0.0
    assert cp.meson_epsilon("omega") == approx(2 * g, rel=1e-8)
    assert cp.meson_epsilon("phi") == approx(g, rel=1e-8)
    dp = Couplings("dark_photon", 0.06, 0.02, 1e-3, 0.1, 0.0, False)
    assert {dp.meson_epsilon(m) for m in ("pi0", "eta", "rho", "omega", "phi")} == {1e-3}


def test_omega_mixing_rate() -> None:
    """omega -> V_B* -> chi chi = (3 (2 g)^2/alpha) BR(omega -> ee) m^3 Gamma_chi(m)/|D|^2, with the
    running width in D: Im = m Gamma_chi(m) + m_V (Gamma_V - Gamma_chi(m_V)), the visible part
    (V_B -> pi0 gamma, leptons, hadrons) at m_V."""
    cp = _cp(m_v=0.3, m_chi=0.1, alpha_d=0.5)
    br = MD.br_vector_mixing("omega", cp.m_v, cp.m_chi, 0.0, cp.alpha_d, False, couplings=cp)
    m = MD.vector_meson_mass("omega")
    g2 = 4 * 1e-5 / ALPHA
    gam = cp.total_width()
    g_m = float(W.width_to_chi(m, 0.5, 0.1, False))
    im = m * g_m + 0.3 * (gam - float(W.width_to_chi(0.3, 0.5, 0.1, False)))
    want = 3 * g2 / ALPHA * 7.38e-5 * m**3 * g_m / ((m * m - 0.09) ** 2 + im**2)
    assert br == approx(want, rel=1e-8)


def test_pi0_gamma_gamma_width_normalisation() -> None:
    """alpha^2 m^3/(64 pi^3 f_pi^2) with f_pi = 92.07 MeV is the PDG Gamma(pi0 -> gamma gamma) =
    7.80 eV x 0.988 = 7.71 eV within 3 % (the chiral-anomaly prediction)."""
    from bdgen.physics.models import F_PI

    gam = ALPHA**2 * M_PI0**3 / (64 * math.pi**3 * F_PI**2)
    assert gam == approx(7.71e-9, rel=0.03)


def test_v_to_pi0_gamma_by_crossing() -> None:
    """One coupling g: Gamma(P -> gamma V) = g^2 (m_P^2 - m_V^2)^3/(32 pi m_P^3) and
    Gamma(V -> P gamma) = g^2 (m_V^2 - m_P^2)^3/(96 pi m_V^3) (spin average 1/3)."""
    from bdgen.physics.models import F_PI

    a_b = 1e-5
    gam_gg = ALPHA**2 * M_PI0**3 / (64 * math.pi**3 * F_PI**2)
    m_low = 0.05
    rate = 2 * (a_b / ALPHA) * (1 - m_low**2 / M_PI0**2) ** 3 * gam_gg
    g2 = rate * 32 * math.pi * M_PI0**3 / (M_PI0**2 - m_low**2) ** 3
    m_high = 0.4
    want = g2 * (m_high**2 - M_PI0**2) ** 3 / (96 * math.pi * m_high**3)
    assert _cp(alpha_b=a_b).width_pi0_gamma(m_high) == approx(want, rel=2e-3)  # PDG vs particle pi0 mass


def _run(*sets: str, seed: int = 5) -> bdgen.RunResult:
    return bdgen.generate(bdgen.load_card(None, list(sets)), seed=seed)


def test_no_electron_events_at_zero_mixing() -> None:
    r = _run("model.name=baryonic", "model.alpha_b=1e-5", "model.epsilon=0", "signal.channel=electron",
             "run.events=10")
    assert r.summary["signal_events"] == 0.0 and len(r) == 0
    assert any("electrons" in n for n in r.summary["notes"])


def test_nucleon_targets_and_rate() -> None:
    """p and n both carry G_E = 1, G_M = mu_p + mu_n at Q^2 = 0; the rate scales as
    alpha_B^2 (production x scattering) at eps = 0."""
    from bdgen.pipeline import _targets

    cfg = bdgen.load_card(None, ["model.name=baryonic", "model.alpha_b=1e-5", "model.epsilon=0"])
    tgs = _targets(cfg)
    from bdgen.physics.form_factors import sachs

    for t in tgs:
        ge, gm = sachs(t.ff_model, 0.0, t.mass, t.mu, t.q2_cut)
        assert ge == 1.0 and gm == approx(C.MU_P + C.MU_N, rel=1e-12)
    base = ["model.name=baryonic", "model.epsilon=0", "run.precision=0.05", "run.importance_sampling=false"]
    r1 = _run(*base, "model.alpha_b=1e-6")
    r2 = _run(*base, "model.alpha_b=2e-6")
    # the same seed and the same kinematics: exactly a factor 4 (alpha_B in production and scattering),
    # up to the tiny change of Gamma_V (V_B -> pi0 gamma is closed at m_V = 0.1 GeV)
    assert r2.summary["signal_events"] == approx(4 * r1.summary["signal_events"], rel=1e-6)


def test_coherent_charge_is_mass_number() -> None:
    from bdgen.pipeline import _resolve_detectors, _targets

    card = ["beam.name=sns", "detector.name=coherent_csi", "signal.channel=coherent", "model.m_v=0.03",
            "model.m_chi=0.01"]
    dp = bdgen.load_card(None, card)
    bb = bdgen.load_card(None, card + ["model.name=baryonic", "model.alpha_b=1e-5", "model.epsilon=0"])
    t_dp = {t.name: t for t in _targets(dp, _resolve_detectors(dp))}
    t_bb = {t.name: t for t in _targets(bb, _resolve_detectors(bb))}
    assert t_dp["Cs"].z == 55 and t_bb["Cs"].z == 133 and t_bb["I"].z == 127


def test_channels_the_model_does_not_offer_close() -> None:
    from bdgen.pipeline import prepare

    cfg = bdgen.load_card(None, ["model.name=baryonic", "model.alpha_b=1e-5", "model.epsilon=0",
                                 'production.channels=["pi0", "rho", "brem"]'])
    why = {c.name: c.closed_reason for c in prepare(cfg).channels}
    assert why["pi0"] is None
    assert "isovector" in why["rho"]
    assert "bremsstrahlung" in why["brem"]


@pytest.mark.parametrize("sets,field", [
    (["model.name=baryonic"], "model.alpha_b"),
    (["model.alpha_b=1e-5"], "model.alpha_b"),
    (["model.name=baryonic", "model.alpha_b=1e-5", "signal.channel=decay"], "signal.channel"),
    (["model.epsilon=0"], "model.epsilon"),
    (["model.name=leptophobic"], "model.name"),
])
def test_bad_cards(sets: list[str], field: str) -> None:
    with pytest.raises(CardError, match=field.replace(".", r"\.")):
        bdgen.load_card(None, sets)


def test_cli_runs_the_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = subprocess.run([sys.executable, "-m", "bdgen.cli", "run", "-q", "--set", "model.name=baryonic",
                          "--set", "model.alpha_b=1e-6", "--set", "run.precision=0.2", "--summary",
                          str(tmp_path / "s.json"), "-o", str(tmp_path / "e.h5")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    import json

    s = json.loads((tmp_path / "s.json").read_text())
    assert s["signal_events"] > 0
    assert s["config"]["model"]["alpha_b"] == 1e-6
