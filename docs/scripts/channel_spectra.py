"""Energy, angle and timing spectra of every signal channel, as PNGs in docs/.

Each channel is generated with the built-in MiniBooNE card (or the facility named below) and a
fixed seed, and drawn as four weighted histograms (events per bin for the card's POT):

- the recoil's kinetic energy T (electron, nucleon, nucleus), or the energy transfer
  nu = E_chi - E_chi' for the inelastic channels, or the lepton-pair energy for visible decays;
- cos(theta) of the recoil (or of the pi0 / photon / lepton pair) to the beam axis;
- the incoming chi (or V) energy;
- the delay of the arrival time behind a particle at the speed of light (ns).

Usage::

    python docs/scripts/channel_spectra.py [--events 4000] [--out docs] [--only nucleon coherent]

Writes ``docs/spectra_<channel>.png`` and prints one line per channel.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

#: channel -> (card overrides, label)
CHANNELS: dict[str, tuple[list[str], str]] = {
    "electron": (["signal.channel=electron", "signal.t_min=0.01"], "MiniBooNE, chi e -> chi e, T_e > 10 MeV"),
    "nucleon": (["signal.channel=nucleon", "signal.t_min=0.035"], "MiniBooNE, chi N -> chi N, T_N > 35 MeV"),
    "coherent": (["beam.name=sns", "detector.name=coherent_csi", "signal.channel=coherent", "signal.t_min=1e-5",
                  "signal.t_max=1e-4", "model.m_v=0.03", "model.m_chi=0.01", "run.pot=1e23"],
                 "SNS / COHERENT CsI, chi A -> chi A, 10-100 keV"),
    "decay": (["signal.channel=decay", "model.m_v=0.05", "model.m_chi=0.03", 'production.channels=["pi0"]',
               "model.epsilon=1e-6"], "MiniBooNE, V -> e+ e- inside the detector (m_V < 2 m_chi)"),
    "pi0_inelastic": (["signal.channel=pi0_inelastic", "signal.t_min=0.0", "signal.t_max=10.0"],
                      "MiniBooNE, chi N -> chi Delta, Delta -> N pi0"),
    "delta_gamma": (["signal.channel=delta_gamma", "signal.t_min=0.0", "signal.t_max=10.0"],
                    "MiniBooNE, chi N -> chi Delta, Delta -> N gamma"),
    "dis": (["beam.name=numi", "detector.name=nova_nd", "signal.channel=dis", "model.m_v=0.3", "model.m_chi=0.1",
             "signal.t_min=1.0", "signal.t_max=1000.0",
             'production.channels=["pi0", "eta", "rho", "omega", "phi"]', "run.pot=1e21"],
            "NuMI / NOvA ND, deep-inelastic chi N -> chi X"),
}


def _cos(px: np.ndarray, py: np.ndarray, pz: np.ndarray) -> np.ndarray:
    p = np.sqrt(px * px + py * py + pz * pz)
    return np.divide(pz, p, out=np.zeros_like(p), where=p > 0)


def spectra(channel: str, events: int, seed: int = 1) -> tuple[dict[str, np.ndarray], float, str]:
    """(columns to plot, signal events, label) for ``channel``."""
    import bdgen

    sets, label = CHANNELS[channel]
    cfg = bdgen.load_card(None, [*sets, f"run.events={events}"])
    r = bdgen.generate(cfg, seed=seed)
    ev = r.events
    if channel == "decay":
        e_vis = ev["recoil_E"] + ev["chi_out_E"]
        px, py, pz = (ev[f"recoil_{c}"] + ev[f"chi_out_{c}"] for c in ("px", "py", "pz"))
        cols = {"E_ee [GeV]": e_vis, "cos theta_ee": _cos(px, py, pz)}
    elif channel == "pi0_inelastic":
        cols = {"nu = E_chi - E_chi' [GeV]": ev["recoil_T"], "cos theta_pi0": _cos(ev["pi0_px"], ev["pi0_py"],
                                                                                 ev["pi0_pz"])}
    elif channel == "delta_gamma":
        cols = {"nu = E_chi - E_chi' [GeV]": ev["recoil_T"],
                "cos theta_gamma": _cos(ev["gamma_px"], ev["gamma_py"], ev["gamma_pz"])}
    elif channel == "dis":
        cols = {"nu = E_chi - E_chi' [GeV]": ev["recoil_T"],
                "cos theta_X": _cos(ev["recoil_px"], ev["recoil_py"], ev["recoil_pz"])}
    else:
        cols = {"recoil T [GeV]": ev["recoil_T"], "cos theta_recoil": _cos(ev["recoil_px"], ev["recoil_py"],
                                                                           ev["recoil_pz"])}
    cols["E_chi [GeV]" if channel != "decay" else "E_V [GeV]"] = ev["chi_E"]
    cols["delay [ns]"] = ev["delay"]
    cols["weight"] = ev["weight"]
    return cols, float(r.summary["signal_events"]), label


def draw(channel: str, cols: dict[str, np.ndarray], signal: float, label: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    w = cols.pop("weight")
    fig, axes = plt.subplots(2, 2, figsize=(9, 6.5))
    for ax, (name, x) in zip(axes.ravel(), cols.items()):
        lo, hi = (float(np.min(x)), float(np.max(x))) if x.size else (0.0, 1.0)
        if hi <= lo:
            hi = lo + 1.0
        ax.hist(x, bins=40, range=(lo, hi), weights=w, histtype="step", color="C0")
        ax.set_xlabel(name)
        ax.set_ylabel("events / bin")
    fig.suptitle(f"{label}\n{signal:.4g} signal events (bdgen, seed 1)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=4000)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1]))
    ap.add_argument("--only", nargs="*", default=list(CHANNELS))
    args = ap.parse_args()
    from bdgen.beams import pythia8_available

    for ch in args.only:
        if ch == "dis" and not pythia8_available():  # its parton densities come from Pythia 8
            print(f"{ch:15s} skipped: needs the parton densities of pythia8mc (pip install 'bdgen[pythia]')")
            continue
        cols, signal, label = spectra(ch, args.events)
        path = Path(args.out) / f"spectra_{ch}.png"
        draw(ch, cols, signal, label, path)
        print(f"{ch:15s} {signal:12.4g} events  -> {path}")


if __name__ == "__main__":
    main()
