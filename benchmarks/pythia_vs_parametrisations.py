"""Pythia 8 meson spectra against the parametrisations of the beam files (a production systematic).

Usage::

    python benchmarks/pythia_vs_parametrisations.py [--events 100000] [--seed 20260311]
                                                    [--no-signal] [--json results.json]

Prints, as Markdown tables:

1. at 8.89 GeV/c on Be (``load_beam("bnb")``, Sanford-Wang) and 120 GeV/c on C
   (``load_beam("numi")``, BMPT): pi0 and eta yields per collision and per proton on target,
   <p> and <theta>, and the fraction of the mesons below 10, 30 and 100 mrad, for Pythia and for
   the parametrisation.  Normalisations: Pythia's yields are per inelastic nucleon-nucleon
   collision (Z/A p-p, 1 - Z/A p-n, mesons from strong and electromagnetic processes including
   the decays of eta, eta', rho0, omega, phi: bdgen.production.pythia); the parametrisation's
   are its integral over its sampled domain (theta < pi/2; mb) divided by the inelastic
   p-nucleus cross section sigma = A / (N_A lambda_I) of the beam file's nuclear interaction
   length (PDG).  "Per POT" multiplies both by the probability 1 - exp(-L/lambda) that a proton
   interacts in the target (primary interactions only, no cascade); the beam file's own per_pot
   is printed beside them.  Means and fractions are over theta < pi/2 for both (Pythia's
   fractions from its TABLE density, i.e. what bdgen samples);
2. the eta, eta', rho0, omega and phi yields relative to the pi0 from Pythia at 8.89 (Be),
   30 (C), 120 (C) and 400 (Mo) GeV/c, with the origin of the pi0 (prompt, eta and omega decays,
   other listed mesons, weak decays), and the process variation SoftQCD vs LowEnergyQCD at 8.89
   and 30 GeV/c;
3. unless ``--no-signal``: the signal of two worked examples (the built-in MiniBooNE card on the
   BNB, NOvA ND on NuMI) with the beam files' spectra reweighted to Pythia's shapes through
   ``production.spectrum_systematics`` (beam files copied to a temporary directory with
   ``"pythia8"`` added to their alternatives).

Every Pythia table is cached (``$BDGEN_CACHE/pythia8``), so a second run costs seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bdgen.beams import Beam, load_beam
from bdgen.production.pythia import DEFAULT_EVENTS, DEFAULT_SEED, PythiaTables, pythia_tables

N_A = 6.02214076e23
MB = 1e-27  # cm^2
THETA_CUTS = (0.01, 0.03, 0.1)  # rad (a subset of bdgen.production.pythia.THETA_CUTS)
RATIO_POINTS = ((8.89, "Be", 4, 9.0122), (30.0, "C", 6, 12.011), (120.0, "C", 6, 12.011), (400.0, "Mo", 42, 95.95))


def sigma_inel_mb(beam: Beam) -> float:
    """Inelastic p-nucleus cross section (mb) from the target's nuclear interaction length."""
    t = beam.target
    return t.A / (N_A * t.interaction_length) / MB


def p_interact(beam: Beam) -> float:
    """Probability that a beam proton interacts in the target, 1 - exp(-L / lambda_I)."""
    return 1.0 - math.exp(-beam.target.length / beam.target.lambda_m)


def param_moments(sp: Any, n: int = 1200) -> dict[str, float]:
    """Integral (density units x GeV/c rad), <p>, <theta> and fractions below THETA_CUTS of a
    spectrum over its sampled domain, by the trapezoid rule on an (n+1)^2 quadratic grid."""
    x = np.linspace(0.0, 1.0, n + 1) ** 2
    pg, tg = sp.p_min + (sp.p_max - sp.p_min) * x, sp.theta_max * x
    d = sp.density(pg[:, None], tg[None, :])
    f_p = np.trapezoid(d, tg, axis=1)
    f_t = np.trapezoid(d, pg, axis=0)
    tot = float(np.trapezoid(f_p, pg))
    cum_t = np.concatenate([[0.0], np.cumsum(0.5 * (f_t[1:] + f_t[:-1]) * np.diff(tg))])
    out = {"integral": tot, "mean_p": float(np.trapezoid(f_p * pg, pg)) / tot,
           "mean_theta": float(np.trapezoid(f_t * tg, tg)) / tot}
    for c in THETA_CUTS:
        out[f"frac_{c:g}"] = float(np.interp(c, tg, cum_t)) / tot
    return out


def pythia_moments(t: PythiaTables, species: str) -> dict[str, float]:
    """Forward (theta < pi/2) yield per collision, <p>, <theta> and cone fractions: counted event
    by event ("frac_*") and from the TABLE density that bdgen samples ("table_frac_*")."""
    sp = t.spectrum(species, theta_max=0.5 * math.pi)
    fwd = t.forward_yield(species)
    out = {"per_collision": t.yield_(species)[0], "per_collision_err": t.yield_(species)[1],
           "forward": fwd, "mean_p": t.mean_p(species, forward=True),
           "mean_theta": t.mean_theta(species, forward=True)}
    for c in THETA_CUTS:
        out[f"frac_{c:g}"] = t.cone_yield(species, c) / fwd
        out[f"table_frac_{c:g}"] = sp.integral(theta_max=c) / sp.integral()
    return out


def compare(beam_name: str, n_events: int, seed: int) -> dict[str, Any]:
    beam = load_beam(beam_name)
    tgt = beam.target
    t0 = time.process_time()
    tab = pythia_tables(beam.proton_momentum, tgt.Z, tgt.A, n_events=n_events, seed=seed)
    cpu = time.process_time() - t0
    sig, pint = sigma_inel_mb(beam), p_interact(beam)
    rows: dict[str, Any] = {"beam": beam_name, "p_beam": beam.proton_momentum, "target": tgt.name, "Z": tgt.Z,
                            "A": tgt.A, "sigma_inel_pA_mb": sig, "p_interact": pint, "process": tab.process,
                            "n_events": tab.n_events, "cpu_s": cpu, "species": {}}
    for species in ("pi0", "eta"):
        src = beam.mesons[species]
        pm = param_moments(src.generic())
        py = pythia_moments(tab, species)
        rows["species"][species] = {
            "param_model": src.model, "param": {**pm, "per_collision": pm["integral"] / sig,
                                                "per_pot_primary": pm["integral"] / sig * pint,
                                                "per_pot_file": src.per_pot},
            "pythia": {**py, "per_pot_primary": py["forward"] * pint},
        }
    return rows


def ratios(n_events: int, seed: int) -> list[dict[str, Any]]:
    out = []
    points = [(p, name, z, a, "auto") for p, name, z, a in RATIO_POINTS]
    points += [(8.89, "Be", 4, 9.0122, "SoftQCD"), (30.0, "C", 6, 12.011, "SoftQCD")]
    for p, name, z, a, proc in points:
        t0 = time.process_time()
        t = pythia_tables(p, z, a, n_events=n_events, seed=seed, process=proc)
        row: dict[str, Any] = {"p_beam": p, "target": name, "Z": z, "A": a, "process": t.process,
                               "sqrt_s": t.sqrt_s, "n_events": t.n_events, "cpu_s": time.process_time() - t0,
                               "sigma_inel_mb": t.sigma["inel"], "yields": t.yields_dict(),
                               "ratios": {s: t.ratio(s) for s in ("eta", "eta_prime", "rho", "omega", "phi")},
                               "ratios_stable": {s: t.ratio(s, sources=("prompt", "weak"))
                                                 for s in ("eta", "eta_prime", "rho", "omega", "phi")},
                               "pi0_origin": {k: t.yield_("pi0", v)[0] for k, v in (
                                   ("prompt", "prompt"), ("eta", "eta"), ("omega", "omega"),
                                   ("other_strong", ("eta_prime", "rho", "phi")), ("weak", "weak"))},
                               "mean_p_pi0": t.mean_p("pi0"), "mean_theta_pi0": t.mean_theta("pi0")}
        out.append(row)
    return out


def signal_systematics(n_events: int, seed: int) -> list[dict[str, Any]]:
    """Signal with the nominal spectra and reweighted to BMPT / Pythia (production.spectrum_systematics)."""
    import bdgen
    import bdgen.resources as res

    tmp = Path(tempfile.mkdtemp())
    extra = f"pythia_events = {n_events}\npythia_seed = {seed}\n"
    try:
        # the shipped beam files already list the pythia8 alternative: give it this script's
        # number of collisions and seed
        for name in ("bnb", "numi"):
            text = (res.beams_dir() / f"{name}.toml").read_text()
            n_alt = text.count('"pythia8"]\n')
            text = text.replace('"pythia8"]\n', '"pythia8"]\n' + extra)
            assert n_alt == 2 and text.count(extra) == 2, f"{name}.toml: expected two pythia8 alternatives"
            (tmp / f"{name}.toml").write_text(text)
        orig = res.beams_dir
        res.beams_dir = lambda: tmp  # type: ignore[assignment]
        out = []
        try:
            cases = [("MiniBooNE (BNB), built-in card", []),
                     ("NOvA ND (NuMI)", ["beam.name=numi", "detector.name=nova_nd", "run.pot=1.36e21"])]
            for title, sets in cases:
                for ch in ("pi0", "eta"):
                    ov = [*sets, f'production.channels=["{ch}"]', "production.spectrum_systematics=true",
                          "run.precision=0.02"]
                    r = bdgen.generate(bdgen.load_card(None, ov), seed=1)
                    s = r.summary
                    out.append({"case": title, "channel": ch, "overrides": ov, "signal": s["signal_events"],
                                "error": s["signal_events_error"],
                                "alternatives": {k: v["signal_events"] for k, v in s["systematics"].items()}})
        finally:
            res.beams_dir = orig  # type: ignore[assignment]
    finally:
        shutil.rmtree(tmp)
    return out


def _fmt(v: float, e: float | None = None) -> str:
    return f"{v:.4g}" if e is None else f"{v:.4g} ± {e:.2g}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="collisions per Pythia point")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--no-signal", action="store_true", help="skip the bdgen signal runs")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    t_start = time.process_time()
    results: dict[str, Any] = {"events": args.events, "seed": args.seed, "comparison": [], "ratios": []}
    print(f"# Pythia 8 vs parametrisations ({args.events} collisions per point, seed {args.seed})\n")
    for beam_name in ("bnb", "numi"):
        c = compare(beam_name, args.events, args.seed)
        results["comparison"].append(c)
        print(f"## {beam_name}: {c['p_beam']} GeV/c on {c['target']} (Z = {c['Z']}, A = {c['A']}); Pythia "
              f"{c['process']}; sigma_inel(pA) = {c['sigma_inel_pA_mb']:.1f} mb, P_int = {c['p_interact']:.3f}\n")
        print("| meson | model | per collision (all θ) | per collision (θ<π/2) | per POT (primary) | per POT (file) "
              "| ⟨p⟩ GeV/c | ⟨θ⟩ rad | f(θ<10 mrad) | f(θ<30 mrad) | f(θ<100 mrad) |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for species, d in c["species"].items():
            pm, py = d["param"], d["pythia"]
            print(f"| {species} | {d['param_model']} | – | {_fmt(pm['per_collision'])} | {_fmt(pm['per_pot_primary'])} "
                  f"| {_fmt(pm['per_pot_file'])} | {pm['mean_p']:.3f} | {pm['mean_theta']:.4f} | {pm['frac_0.01']:.4f} "
                  f"| {pm['frac_0.03']:.4f} | {pm['frac_0.1']:.4f} |")
            print(f"| {species} | pythia8 | {_fmt(py['per_collision'], py['per_collision_err'])} | {_fmt(py['forward'])} "
                  f"| {_fmt(py['per_pot_primary'])} | – | {py['mean_p']:.3f} | {py['mean_theta']:.4f} "
                  f"| {py['frac_0.01']:.4f} | {py['frac_0.03']:.4f} | {py['frac_0.1']:.4f} |")
            print(f"| {species} | pythia8 TABLE | | | | | | | {py['table_frac_0.01']:.4f} | {py['table_frac_0.03']:.4f} "
                  f"| {py['table_frac_0.1']:.4f} |")
        print()
    rows = ratios(args.events, args.seed)
    results["ratios"] = rows
    print("## Ratios to the pi0 (mesons from strong and EM processes, feed-down among the six included)\n")
    print("| p GeV/c | target | process | √s GeV | π0/coll. | η/π0 | η′/π0 | ρ0/π0 | ω/π0 | φ/π0 | ⟨p⟩π0 | ⟨θ⟩π0 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        y = r["yields"]["pi0"]
        rr = " | ".join(_fmt(*r["ratios"][s]) for s in ("eta", "eta_prime", "rho", "omega", "phi"))
        print(f"| {r['p_beam']:g} | {r['target']} | {r['process']} | {r['sqrt_s']:.2f} | {_fmt(*y)} | {rr} "
              f"| {r['mean_p_pi0']:.3f} | {r['mean_theta_pi0']:.4f} |")
    print("\n## The same ratios with each meson counted once (six stable: prompt + weak-decay products)\n")
    print("| p GeV/c | target | process | η/π0 | η′/π0 | ρ0/π0 | ω/π0 | φ/π0 |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        rr = " | ".join(_fmt(*r["ratios_stable"][s]) for s in ("eta", "eta_prime", "rho", "omega", "phi"))
        print(f"| {r['p_beam']:g} | {r['target']} | {r['process']} | {rr} |")
    print("\n## Origin of the pi0 (per collision)\n")
    print("| p GeV/c | process | prompt | from η | from ω | from η′, ρ0, φ | weak decays (not counted) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        o = r["pi0_origin"]
        print(f"| {r['p_beam']:g} | {r['process']} | {o['prompt']:.4f} | {o['eta']:.4f} | {o['omega']:.4f} "
              f"| {o['other_strong']:.4f} | {o['weak']:.4f} |")
    print()
    if not args.no_signal:
        sig = signal_systematics(args.events, args.seed)
        results["signal"] = sig
        print("## Signal reweighted to the alternative spectra (production.spectrum_systematics, seed 1, precision 2 %)\n")
        print("| case | channel | nominal signal | BMPT / nominal | Pythia / nominal |")
        print("|---|---|---|---|---|")
        for s in sig:
            a = s["alternatives"]
            bm = f"{a['bmpt'] / s['signal']:.3f}" if "bmpt" in a else "–"
            print(f"| {s['case']} | {s['channel']} | {_fmt(s['signal'], s['error'])} | {bm} "
                  f"| {a['pythia8'] / s['signal']:.3f} |")
        print()
    results["cpu_s"] = time.process_time() - t_start
    print(f"total CPU time: {results['cpu_s']:.1f} s")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1, default=float))


if __name__ == "__main__":
    main()
