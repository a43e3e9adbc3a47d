"""Command-line interface: ``bdgen run``, ``bdgen beams``, ``bdgen card``.

Exit status: 0 on success, 2 for bad input (one line on stderr naming the key, the value and
what is allowed; nothing is written), 130 when interrupted (no output file is left behind).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .errors import CardError

log = logging.getLogger("bdgen")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"bdgen: error: {message}\n")


def _build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="bdgen", description="Light dark matter from proton beam dumps: event generator.")
    p.add_argument("--version", action="version", version=f"bdgen {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="generate events from a card (default: the built-in MiniBooNE card)")
    r.add_argument("card", nargs="?", help="run card (TOML); omitted: the built-in MiniBooNE card")
    r.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a card key by its dotted path, e.g. --set model.m_v=0.03 (repeatable)")
    r.add_argument("-o", "--output", help="output file: .root (TTree), .h5/.hdf5 or .hepmc3 (NuHepMC)")
    r.add_argument("--no-output", action="store_true",
                   help="write no event file (not even the card's run.output): print the summary only")
    r.add_argument("--summary", help="also write the run summary as JSON to this file")
    r.add_argument("--overwrite", action="store_true", help="replace existing output files")
    r.add_argument("--seed", type=int, help="random seed (overrides run.seed)")
    r.add_argument("--threads", type=int, help="threads running chunks in parallel (overrides run.threads; 0 = all cores)")
    r.add_argument("--workers", type=int, help="run the chunks on a local Dask cluster of N processes (run.workers)")
    r.add_argument("--scheduler", help="run the chunks on the Dask scheduler at this address (run.scheduler)")
    r.add_argument("--stream", action="store_true",
                   help="write the events while generating, in bounded memory (needs -o or run.output)")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary table")

    sub.add_parser("beams", help="list the beam files, one line each")

    sc = sub.add_parser("scan", help="signal and limits on eps and Y on a mass grid")
    sc.add_argument("card", nargs="?", help="run card (default: the built-in MiniBooNE card)")
    sc.add_argument("--grid", action="append", required=True, metavar="NAME=LO:HI:N[:log|lin]",
                    help="scanned mass (m_chi or m_v) in GeV, e.g. m_chi=0.001:0.5:40:log (repeatable)")
    sc.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="card overrides; relations such as model.m_v=3*m_chi tie a mass to a scanned one")
    sc.add_argument("--background", type=float, default=0.0, help="expected background events (default 0)")
    sc.add_argument("--background-error", type=float, default=0.0, help="its Gaussian uncertainty")
    sc.add_argument("--observed", type=float, help="observed events (default: the background, a projection)")
    sc.add_argument("--cl", type=float, default=0.9, help="confidence level (default 0.9)")
    sc.add_argument("--limit", default="classical", choices=["classical", "feldman_cousins"],
                    help="upper limit on the signal: classical Poisson with background (default) or Feldman-Cousins")
    sc.add_argument("-o", "--output", required=True, help="the table: .csv or .h5")
    sc.add_argument("--plot", help="also draw Y against m_chi (against m_v for an m_v scan) (.png or .pdf)")
    sc.add_argument("--compare", help="published limits to draw: CSV with columns m_chi, Y (m_v, Y for an m_v scan)")
    sc.add_argument("--thermal", nargs="*", choices=["scalar", "dirac", "majorana", "pseudo_dirac"], metavar="DM",
                    help="draw thermal relic targets at the card's alpha_D and m_V/m_chi on the plot: for the species "
                         "given (scalar, dirac, majorana, pseudo_dirac; several allowed) or, with no value, the "
                         "card's model.dm")
    sc.add_argument("--eps-grid", metavar="LO:HI:N",
                    help="signal.channel = decay only: eps values (log-spaced) of the direct runs that give N(eps) "
                         "(default 1e-8:1e-2:19)")
    sc.add_argument("--seed", type=int, help="random seed")
    sc.add_argument("--overwrite", action="store_true", help="replace existing output files")
    sc.add_argument("-q", "--quiet", action="store_true", help="no progress and no table")

    th = sub.add_parser("thermal", help="thermal relic targets Y(m_chi) for chi chibar -> V* -> SM freeze-out")
    th.add_argument("--grid", default="m_chi=0.001:1:13:log", help="m_chi grid, NAME=LO:HI:N[:log|lin] (GeV; default m_chi=0.001:1:13:log)")
    th.add_argument("--dm", choices=["scalar", "dirac", "majorana", "pseudo_dirac"], default="scalar",
                    help="complex scalar, Dirac, Majorana (axial current) or pseudo-Dirac chi1 chi2 (default scalar)")
    th.add_argument("--splitting", type=float, default=None,
                    help="pseudo_dirac only: Delta/m_chi1, m_chi2 = (1 + Delta/m_chi1) m_chi1 "
                         "(default 1e-3, the small-splitting limit; docs/thermal.md)")
    th.add_argument("--ratio", type=float, default=3.0, help="m_V/m_chi (default 3)")
    th.add_argument("--alpha-d", type=float, default=0.5, help="alpha_D (default 0.5)")
    th.add_argument("--neutrinos", choices=["decoupled", "coupled"], default="decoupled",
                    help="neutrino temperature in g_*(T): decoupled at 2 MeV (physical, default) or kept at the "
                         "photon temperature with today's entropy for Omega (not consistent; the published lines' "
                         "convention; changes m_chi < 30 MeV; docs/thermal.md)")
    th.add_argument("--no-chi-heating", dest="chi_heating", action="store_false",
                    help="with decoupled neutrinos, leave chi out of the plasma that the neutrinos leave behind "
                         "(by default chi's entropy goes to the photons after neutrino decoupling, as it must; "
                         "changes m_chi < 10 MeV by up to 10%%; only with --neutrinos decoupled; docs/thermal.md)")
    th.add_argument("--workers", type=int, default=0,
                    help="processes computing the masses in parallel (default 0: all in this process, as for "
                         "bdgen run)")
    th.add_argument("-o", "--output", required=True, help="table (.csv)")
    th.add_argument("--overwrite", action="store_true", help="replace an existing table")

    pl = sub.add_parser("plot", help="weighted spectra of an event file (recoil T and angle, chi energy, time)")
    pl.add_argument("file", help="a bdgen output file (.root, .h5)")
    pl.add_argument("-o", "--output", required=True, help="the figure (.png or .pdf)")
    pl.add_argument("--detector", help="the event set of one detector in a multi-detector file")
    pl.add_argument("--overwrite", action="store_true", help="replace an existing figure")
    pl.add_argument("--neutrino", metavar="NU.h5",
                    help="overlay the neutrino backgrounds of a 'bdgen neutrino' HDF5 file (scaled to the file's POT)")

    nu = sub.add_parser("neutrino", help="neutrino fluxes at the detector and the NC elastic / nu-e backgrounds "
                                         "in the card's recoil window")
    nu.add_argument("card", nargs="?", help="run card (TOML); omitted: the built-in MiniBooNE card")
    nu.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="override a card key by its dotted path (repeatable), e.g. --set beam.name=bnb_dump")
    nu.add_argument("-o", "--output", help="flux and recoil histograms and event samples: .h5/.hdf5 (or .csv: histograms)")
    nu.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    nu.add_argument("--seed", type=int, help="random seed (overrides run.seed)")
    nu.add_argument("--samples", type=int,
                    help="histories: stopped pi+ (decay at rest) or pions of each charge and kaons of each species "
                         "(in flight); default 200000")
    nu.add_argument("--events", type=int, default=20000, help="equal-weight events per channel (default 20000)")
    nu.add_argument("-q", "--quiet", action="store_true", help="no table")

    rw = sub.add_parser("reweight", help="new weights for other couplings (model.epsilon, model.alpha_d)")
    rw.add_argument("file", help="a bdgen output file (.root, .h5)")
    rw.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                    help="model.epsilon=... and/or model.alpha_d=... (repeatable)")
    rw.add_argument("-o", "--output", required=True, help="the reweighted file (.root, .h5)")
    rw.add_argument("--summary", help="also write the new summary as JSON")
    rw.add_argument("--overwrite", action="store_true", help="replace existing output files")
    rw.add_argument("-q", "--quiet", action="store_true", help="no summary table")

    d = sub.add_parser("detectors", help="list the detector files; 'detectors show NAME' for details")
    dsub = d.add_subparsers(dest="det_command", parser_class=_Parser)
    show = dsub.add_parser("show", help="masses and number densities of a detector, and a PNG drawing")
    show.add_argument("name", help="detector file name (see 'bdgen detectors')")
    show.add_argument("--png", help="drawing to write (default: NAME.png); '-' for none")
    show.add_argument("--overwrite", action="store_true", help="replace an existing PNG")

    c = sub.add_parser("card", help="print a built-in card (to copy and edit)")
    c.add_argument("name", nargs="?", default="miniboone", help="built-in card name (default: miniboone)")
    return p


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def summary_table(s: dict[str, Any]) -> str:
    """The short text table printed at the end of a run."""
    card = s.get("config") or {}
    decay = card.get("signal", {}).get("channel") == "decay" and card.get("model", {}).get("name") != "inelastic"
    br_label = "BR(M->g V)" if decay else "BR(M->g chi chi)"  # per parent; V per proton for brem
    lines = [
        (f"bdgen {s['version']}  seed {s['seed']}  POT {s['pot']:.4g}  "
         f"{s['n_generated']:,} trials in {s['wall_seconds']:.2f} s"),
        f"{'production':<10} {'signal':<9} {br_label:>17} {'V produced':>11} {'events':>11} {'error':>10}",
    ]
    for ch in s["channels"]:
        lines.append(
            f"{ch['production']:<10} {ch['signal']:<9} {ch['branching_ratio']:>17.5g} "
            f"{ch['mediators_produced']:>11.4g} {_fmt(ch['events']):>11} {_fmt(ch['error']):>10}"
            + (f"   closed: {ch['closed']}" if "closed" in ch else "")
        )
    rel = s.get("relative_error")
    lines.append(
        f"{'total':<10} {'':<9} {'':>17} {s['mediators_produced']:>11.4g} {_fmt(s['signal_events']):>11} "
        f"{_fmt(s['signal_events_error']):>10}" + (f"   ({100 * rel:.2f}%)" if rel else "")
    )
    lines.append(f"geometric acceptance {s['geometric_acceptance']:.4g}; {s['n_events']} events in the sample"
                 + (" (unweighted)" if s["unweighted"] else ""))
    sig = (s.get("config") or {}).get("signal", {})
    cuts = []
    if sig.get("angle_min", 0.0) > 0.0 or sig.get("angle_max", math.pi) < math.pi:
        cuts.append(f"recoil angle {sig['angle_min']:g} to {sig['angle_max']:g} rad to the beam axis")
    if sig.get("timing_cut", 0.0) > 0.0:
        cuts.append(f"timing_cut {sig['timing_cut']:g} ns (BdNMC's factor min(1, delay/cut))")
    if cuts:
        lines.append("cuts: " + "; ".join(cuts))
    syst = s.get("systematics") or {}
    if syst:
        lines.append("spectrum systematics (signal events with each alternative meson spectrum): "
                     + ", ".join(f"{name} {_fmt(v['signal_events'])}" for name, v in syst.items()))
    for note in s.get("notes", []):
        lines.append(f"note: {note}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from . import io
    from .config import load_card
    from .rng import SEED_LIMIT

    if args.seed is not None and not 0 <= args.seed < SEED_LIMIT:
        raise CardError(f"--seed = {args.seed}: must be an integer with seed >= 0 and seed < 2**63")
    overrides = list(args.overrides)
    if args.threads is not None:
        overrides.append(f"run.threads={args.threads}")
    if args.workers is not None:
        overrides.append(f"run.workers={args.workers}")
    if args.scheduler is not None:
        overrides.append(f'run.scheduler="{args.scheduler}"')
    try:
        cfg = load_card(args.card, overrides)
    except CardError as exc:  # a bad --threads/--workers/--scheduler is reported under its option
        given = {"run.threads": args.threads, "run.workers": args.workers, "run.scheduler": args.scheduler}
        key = str(exc).split(" ", 1)[0]
        if given.get(key) is not None:
            raise CardError("--" + key.removeprefix("run.") + str(exc)[len(key):]) from None
        raise
    if args.output and not args.no_output:
        from .config import output_format

        output_format(args.output, "-o")  # a bad -o is reported as -o, not as run.output
        # the stored card (provenance) names the file the events went to (the card as given was
        # checked above, its own run.output included; generate() re-checks the result)
        from dataclasses import replace

        cfg = replace(cfg, run=replace(cfg.run, output=str(args.output)))
    if args.no_output and (args.output or args.stream):
        raise CardError("--no-output: cannot be combined with -o or --stream")
    out = None if args.no_output else (args.output or cfg.run.output)
    if out is not None:
        io.check_writable(out, overwrite=args.overwrite, key="-o" if args.output else "run.output")
        if io.output_format(out) == "hepmc3":
            from .io.hepmc import check_hepmc3

            check_hepmc3(cfg)  # a channel or layout NuHepMC cannot hold: before the run
    if args.summary:
        io.check_writable(args.summary, overwrite=args.overwrite, key="--summary", events_file=False)
        if out is not None and Path(args.summary).resolve() == Path(out).resolve():
            raise CardError(f"--summary = \"{args.summary}\": the same file as the event output")

    from .pipeline import generate, prepare

    prepare(cfg)  # beam and detector files: errors before any work
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        total = cfg.run.events
        bar = tqdm(total=total, unit=" events", file=sys.stderr, disable=None, leave=False,
                   desc="bdgen", dynamic_ncols=True)

    def progress(d: dict[str, Any]) -> None:
        if bar is None:
            return
        bar.n = d["events"]
        bar.set_postfix_str(f"{d['trials']:,} trials, rel. error {d['relative_error']:.3g}")
        bar.refresh()

    if args.stream and out is None:
        raise CardError("--stream: give an output file (-o or run.output)")
    try:
        result = generate(cfg, seed=args.seed, progress=progress,
                          stream_to=out if args.stream else None, overwrite=args.overwrite)
    finally:
        if bar is not None:
            bar.close()
    _write_outputs(result, None if args.stream else out, args)
    if args.stream and not args.quiet:
        print(f"events written to {out}")
    return 0


def _write_outputs(result: Any, out: str | None, args: argparse.Namespace) -> None:
    """Write the events (if ``out``) and the JSON summary (``--summary``), print the tables."""
    from . import io

    if out is not None:
        io.write(result, out, overwrite=args.overwrite)
    if args.summary:
        io.write_json(result.summary, args.summary, overwrite=args.overwrite)
    if not args.quiet:
        per = result.per_channel if len(result.per_channel) > 1 else result.per_detector
        for name, r in per.items():
            if len(per) > 1:
                print(f"== {name}")
            print(summary_table(r.summary))
        if out is not None:
            print(f"events written to {out}")


def _beams(args: argparse.Namespace) -> int:
    from . import resources
    from .beams import load_beam

    for name in resources.available(resources.beams_dir()):
        b = load_beam(name)
        mesons = ", ".join(f"{k} {v.per_pot:.3g}/POT ({v.model})" for k, v in b.mesons.items())
        brem = f"; brem {b.brem.z_min}<z<{b.brem.z_max}, pT<{b.brem.pt_max} GeV" if b.brem else ""
        cap = (f"; pi- capture {b.capture.per_pot:.3g}/POT (R_gamma {b.capture.radiative_fraction:g})"
               if b.capture else "")
        print(f"{name:<14} {b.proton_momentum:g} GeV/c p on {b.target.name} (Z={b.target.Z}): {mesons}{brem}{cap}")
    return 0


def _detectors(args: argparse.Namespace) -> int:
    import math

    from . import resources
    from .detectors import load_detector

    if args.det_command is None:
        print(f"{'name':<20} {'beam':<13} {'distance':>9} {'off-axis':>9} {'fiducial':>10}  description")
        for name in resources.available(resources.detectors_dir()):
            d = load_detector(name)
            print(f"{name:<20} {d.beam!s:<13} {d.distance:>7.1f} m {math.degrees(d.off_axis_angle):>7.2f} d "
                  f"{d.fiducial_mass:>8.4g} t  {d.description}")
        return 0
    d = load_detector(args.name)
    png = None if args.png == "-" else Path(args.png or f"{d.name}.png")
    kept = None
    if png is not None and args.png is None and png.exists() and not args.overwrite:
        kept, png = png, None  # the default drawing is there already: show the data, keep the file
    if png is not None:
        from .io import check_writable

        check_writable(png, overwrite=args.overwrite, key="--png", events_file=False)
    print(f"{d.name}: {d.description}")
    print(f"beam {d.beam}; fiducial centre {np.round(d.centre, 3).tolist()} m, distance {d.distance:.2f} m, "
          f"{math.degrees(d.off_axis_angle):.3f} deg off axis")
    for kind, vols in (("fiducial", d.fiducial), ("outer", d.outer)):
        for v in vols:
            m = v.material
            print(f"  {kind:<8} {v.name:<18} {v.shape.kind:<8} {v.mass_tonnes:10.4g} t  {m.name} {m.density} g/cm3: "
                  f"n_e {m.electron_density * 1e-6:.5g}, n_p {m.proton_density * 1e-6:.5g}, "
                  f"n_n {m.neutron_density * 1e-6:.5g} cm^-3")
    print(f"fiducial mass {d.fiducial_mass:.5g} t; total mass {d.total_mass:.5g} t")
    if d.published:
        print("published: " + ", ".join(f"{k} {v}" for k, v in d.published.items()))
    if d.frame is not None:
        print(f"experiment frame: origin {list(d.frame.origin)} m, rotation {list(d.frame.rotation_deg)} deg. "
              f"{d.frame.description}")
    if png is not None:
        from .plotting import draw_detector

        draw_detector(d, png)
        print(f"drawing written to {png}")
    if kept is not None:
        print(f"drawing not redrawn: {kept} exists (--overwrite to redraw it, --png FILE for another file)")
    return 0


def _scan(args: argparse.Namespace) -> int:
    from . import io
    from .scan import parse_grid, run_scan, write_table

    grids = [parse_grid(g) for g in args.grid]
    if Path(args.output).suffix.lower() not in (".csv", ".h5", ".hdf5"):
        raise CardError(f"-o = \"{args.output}\": a scan table is .csv, .h5 or .hdf5")
    io.check_writable(args.output, overwrite=args.overwrite, events_file=False)
    if args.plot:
        if Path(args.plot).suffix.lower() not in (".png", ".pdf"):
            raise CardError(f"--plot = \"{args.plot}\": the figure is a .png or .pdf file")
        io.check_writable(args.plot, overwrite=args.overwrite, key="--plot", events_file=False)
    if args.compare:
        if not args.plot:
            raise CardError(f"--compare \"{args.compare}\": draws on the --plot figure; give --plot too")
        from .plotting import read_limits_csv

        read_limits_csv(args.compare, x="m_v" if [g.name for g in grids] == ["m_v"] else "m_chi")
    if args.thermal is not None and not args.plot:
        raise CardError("--thermal: draws the thermal targets on the --plot figure; give --plot too "
                        "(or compute them with 'bdgen thermal')")
    if not 0 < args.cl < 1:
        raise CardError(f"--cl = {args.cl}: must be in (0, 1)")

    def progress(k: int, n: int) -> None:
        if not args.quiet:
            print(f"scan point {k}/{n}", file=sys.stderr)

    eps_grid = None
    if args.eps_grid is not None:
        parts = args.eps_grid.split(":")
        try:
            lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
        except (ValueError, IndexError):
            raise CardError(f"--eps-grid {args.eps_grid!r}: expected LO:HI:N, e.g. 1e-8:1e-2:19") from None
        if len(parts) != 3 or not (0 < lo < hi) or n < 2:
            raise CardError(f"--eps-grid {args.eps_grid!r}: need 0 < LO < HI and N >= 2")
        eps_grid = np.geomspace(lo, hi, n)
    points, settings = run_scan(args.card, args.overrides, grids, background=args.background,
                                background_error=args.background_error, observed=args.observed, cl=args.cl,
                                method=args.limit, seed=args.seed, eps_grid=eps_grid, progress=progress)
    write_table(points, settings, args.output, overwrite=args.overwrite)
    if eps_grid is not None and "eps_grid" not in settings:
        print("bdgen: note: --eps-grid is used only for visible decays (signal.channel = \"decay\"); ignored",
              file=sys.stderr)
    if args.plot:
        from .plotting import plot_sensitivity

        thermal = None
        x_axis = "m_v" if [g.name for g in grids] == ["m_v"] else "m_chi"
        if args.thermal is not None:
            from . import constants as C
            from .thermal import min_ratio, thermal_target

            card0 = settings["resolved_card_first_point"]  # scans are dark-photon cards (run_scan refuses others)
            thermal = {}
            for dm in dict.fromkeys(args.thermal or [card0["model"]["dm"]]):
                line, failed = [], []
                for p in points:
                    if not (p.m_v > min_ratio(dm) * p.m_chi and p.m_chi > C.M_E):  # V -> chi chi' and ee open
                        continue
                    try:
                        y = thermal_target(p.m_chi, ratio=p.m_v / p.m_chi, alpha_d=card0["model"]["alpha_d"], dm=dm)["y"]
                    except ValueError as exc:  # no eps gives Omega h^2 = 0.12 there
                        failed.append(f"m_chi = {p.m_chi:.4g}: {exc}")
                        continue
                    line.append((getattr(p, x_axis), y))
                for f in failed:
                    print(f"bdgen: note: no thermal target for {dm} at {f}", file=sys.stderr)
                if not line:
                    print(f"bdgen: note: no thermal target for {dm} at any point (m_V <= {min_ratio(dm):g} m_chi, "
                          "m_chi <= m_e or no eps fits)", file=sys.stderr)
                elif len(line) < len(points):
                    print(f"bdgen: note: thermal target for {dm} at {len(line)} of {len(points)} points (none where "
                          f"m_V <= {min_ratio(dm):g} m_chi, m_chi <= m_e or no eps fits)", file=sys.stderr)
                thermal[dm] = line
            ratios = [p.m_v / p.m_chi for p in points]
            if thermal and max(ratios) > min(ratios) * (1 + 1e-9):
                print(f"bdgen: note: the thermal targets are computed at each point's own m_V/m_chi "
                      f"({min(ratios):.3g} to {max(ratios):.3g}); tie the masses (--set 'model.m_v=3*m_chi') for "
                      "the usual fixed-ratio lines", file=sys.stderr)
        fixed_ratio = len({round(p.m_v / p.m_chi, 9) for p in points}) == 1
        plot_sensitivity(points, args.plot, compare=args.compare, thermal=thermal,
                         x=x_axis,
                         title=f"{100 * args.cl:g}% CL, background {args.background:g}"
                               + (f" ± {args.background_error:g}" if args.background_error else "")
                               + f", signal < {settings['signal_upper_limit']:.3g} events, "
                               + f"$\\alpha_D$ = {settings['resolved_card_first_point']['model']['alpha_d']:g}"
                               + (f", $m_V$ = {points[0].m_v / points[0].m_chi:.3g} $m_\\chi$" if fixed_ratio else "")
                               + (f", $m_\\chi$ = {points[0].m_chi:.4g} GeV" if x_axis == "m_v" else ""))
    if not any(math.isfinite(p.epsilon_limit) for p in points):
        print("bdgen: note: no finite limit at any point (inf: no signal there; nan: no epsilon of the grid "
              "excluded, for visible decays)", file=sys.stderr)
    if not args.quiet:
        print(f"signal upper limit {settings['signal_upper_limit']:.4g} events ({args.limit}, CL {args.cl})")
        band = "eps_grid" in settings  # visible decays: an excluded band [lower, upper] in eps
        print(f"{'m_chi':>10} {'m_V':>10} {'signal':>11} {'error':>9} {'eps limit':>11} {'Y limit':>11}"
              + (f" {'eps upper':>11} {'Y upper':>11}" if band else ""))
        for p in points:
            print(f"{p.m_chi:>10.4g} {p.m_v:>10.4g} {p.signal_events:>11.4g} {p.signal_events_error:>9.2g} "
                  f"{p.epsilon_limit:>11.4g} {p.y_limit:>11.4g}"
                  + (f" {p.epsilon_upper:>11.4g} {p.y_upper:>11.4g}" if band else ""))
        print(f"table written to {args.output}" + (f", plot to {args.plot}" if args.plot else ""))
    return 0


def _thermal(args: argparse.Namespace) -> int:
    from . import io
    from .scan import parse_grid
    from .physics.widths import R_MEASURED_RANGE
    from .thermal import DEFAULT_SPLITTING, check_target_args, iter_thermal_targets

    grid = parse_grid(args.grid, names=("m_chi",))
    # the API's checks (bdgen.thermal.check_target_args), reported with the options' names
    options = {"m_chi": "--grid m_chi", "ratio": "--ratio", "alpha_d": "--alpha-d", "splitting": "--splitting",
               "neutrinos": "--neutrinos", "dm": "--dm"}
    try:
        for m in (grid.values.min(), grid.values.max()):  # the mass check is a lower bound
            check_target_args(float(m), ratio=args.ratio, alpha_d=args.alpha_d, dm=args.dm, splitting=args.splitting,
                              neutrinos=args.neutrinos, chi_heating=args.chi_heating)
    except ValueError as exc:
        name, _, rest = str(exc).partition(" = ")
        if name == "chi_heating":  # "chi_heating = False: why" -> "--no-chi-heating: why"
            raise CardError(f"--no-chi-heating: {rest.partition(': ')[2]}") from None
        raise CardError(f"{options.get(name, name)} = {rest.replace('use dm ', 'use --dm ')}") from None
    if args.alpha_d > 1:
        print(f"bdgen: warning: --alpha-d = {args.alpha_d} > 1: the tree-level cross-sections are not reliable "
              "at such couplings", file=sys.stderr)
    splitting = DEFAULT_SPLITTING if args.splitting is None else args.splitting
    if Path(args.output).suffix.lower() != ".csv":
        raise CardError(f"-o = \"{args.output}\": the table is a .csv file")
    if args.workers < 0:
        raise CardError(f"--workers = {args.workers}: must be >= 0 (0 or 1: no extra processes)")
    workers = max(args.workers, 1)
    io.check_writable(args.output, overwrite=args.overwrite, events_file=False)
    rows = []
    print(f"{'m_chi/GeV':>10} {'epsilon':>11} {'Y':>11} {'<sigma v>(x=20)':>16}")
    try:
        results = iter_thermal_targets(grid.values, workers=workers, ratio=args.ratio, alpha_d=args.alpha_d,
                                       dm=args.dm, splitting=splitting if args.dm == "pseudo_dirac" else None,
                                       neutrinos=args.neutrinos, chi_heating=args.chi_heating)
        for mc, r in zip(grid.values, results):
            rows.append((mc, args.ratio * mc, r["epsilon"], r["y"], r["sigma_v_cm3_s"]))
            print(f"{mc:>10.4g} {r['epsilon']:>11.4g} {r['y']:>11.4g} {r['sigma_v_cm3_s']:>13.4g} cm3/s")
    except ValueError as exc:
        raise CardError(f"{exc}; no table written") from None
    history = args.neutrinos
    if args.neutrinos == "decoupled":
        history += " (chi heats the photons after decoupling)" if args.chi_heating else " (chi not in the plasma)"
    what = f"pseudo_dirac chi1 chi2, Delta = {splitting:g} m_chi1" if args.dm == "pseudo_dirac" else f"{args.dm} chi"
    with io.atomic_path(args.output, overwrite=args.overwrite) as tmp:
        np.savetxt(tmp, np.array(rows), delimiter=",", fmt="%.8g", comments="",
                   header=f"# bdgen thermal target: {what}, m_V = {args.ratio} m_chi, alpha_D = {args.alpha_d}, "
                          f"Omega h^2 = 0.120, neutrinos {history}, hadrons via R measured at "
                          f"{R_MEASURED_RANGE[0]:g}-{R_MEASURED_RANGE[1]:g} GeV (PDG 2020) and modelled outside, "
                          f"bdgen {__version__}; m_chi and m_v in GeV, y = epsilon^2 alpha_D (m_chi/m_v)^4, "
                          "sigma_v_cm3_s = <sigma v> of the Boltzmann equation at x = m_chi/T = 20 in cm^3/s"
                          "\nm_chi,m_v,epsilon,y,sigma_v_cm3_s")
    print(f"table written to {args.output}")
    return 0


def _plot(args: argparse.Namespace) -> int:
    from . import io
    from .plotting import plot_spectra

    if not Path(args.file).is_file():
        raise CardError(f"file = \"{args.file}\": no such file")
    if Path(args.output).suffix.lower() not in (".png", ".pdf"):
        raise CardError(f"-o = \"{args.output}\": the figure is a .png or .pdf file")
    io.check_writable(args.output, overwrite=args.overwrite, events_file=False)
    if Path(args.file).suffix.lower() not in (".root", ".h5", ".hdf5"):
        raise CardError(f"file = \"{args.file}\": bdgen plot draws event files (.root, .h5, .hdf5); a scan table is "
                        "drawn by 'bdgen scan ... --plot FILE'")
    try:
        events, meta = io.read(args.file, detector=args.detector)
    except KeyError as exc:
        if args.detector is None:
            raise CardError(f"file = \"{args.file}\": several event sets (detectors or signal channels); "
                            f"choose one with --detector NAME ({exc.args[0]})") from None
        try:  # a single-detector file named by its own detector
            events, meta = io.read(args.file)
        except KeyError:
            raise CardError(f"--detector = {args.detector!r}: {exc.args[0]}") from None
        if meta["summary"].get("detector") != args.detector:
            raise CardError(f"--detector = {args.detector!r}: {args.file} holds the events of detector "
                            f"{meta['summary'].get('detector')!r} only") from None
    s = meta["summary"]
    backgrounds = None
    if args.neutrino:
        from .io.neutrino import backgrounds_for

        if not Path(args.neutrino).is_file():
            raise CardError(f"--neutrino = \"{args.neutrino}\": no such file")
        if Path(args.neutrino).suffix.lower() not in (".h5", ".hdf5"):
            raise CardError(f"--neutrino = \"{args.neutrino}\": give the HDF5 file of 'bdgen neutrino -o FILE.h5' "
                            "(the CSV tables cannot be read back)")
        backgrounds = backgrounds_for(args.neutrino, events, detector=args.detector or s.get("detector"),
                                      pot=float(meta.get("pot", s.get("pot", 0.0))),
                                      beam=s.get("config", {}).get("beam", {}).get("name"),
                                      signal_config=meta.get("config") or s.get("config"))
    with io.atomic_path(args.output, overwrite=args.overwrite) as tmp:
        plot_spectra(events, tmp.with_suffix(Path(args.output).suffix), backgrounds=backgrounds)
        tmp.with_suffix(Path(args.output).suffix).replace(tmp)
    extra = ""
    if backgrounds:
        extra = " with neutrino backgrounds " + ", ".join(f"{b[0]} ({float(b[1]['weight'].sum()):.4g})" for b in backgrounds)
    # the weights of the plotted event set sum to its detector's estimate (the file's top-level
    # summary is the first detector's)
    expected = float(np.sum(events["weight"]))
    print(f"{len(events['weight'])} events ({expected:.4g} expected) plotted to {args.output}{extra}")
    return 0


def neutrino_table(summary: dict[str, Any]) -> str:
    """The text table of ``bdgen neutrino``: fluxes per flavour and background counts per detector."""
    names = {"numu": "nu_mu", "numubar": "anti-nu_mu", "nue": "nu_e", "nuebar": "anti-nu_e"}
    pot = summary["pot"]
    lo, hi = summary["window"]
    head = (f"bdgen {summary['version']} neutrino  beam {summary['beam']} ({summary['source'].replace('_', ' ')})  "
            f"POT {pot:.4g}  seed {summary['seed']}  {summary['histories']:,} histories in "
            f"{summary['wall_seconds']:.1f} s")
    lines = [head]
    for det, s in summary["detectors"].items():
        lines.append(f"== {det}: {s['distance_m']:.1f} m, fiducial volume {s['fiducial_volume_m3']:.4g} m^3")
        lines.append(f"{'flavour':<11} {'flux /POT/cm^2':>15} {'error':>10} {'<E> (GeV)':>10} {'flux x POT /cm^2':>17}")
        for key in ("numu", "numubar", "nue", "nuebar"):
            f = s["flux"][key]
            lines.append(f"{names[key]:<11} {f['per_pot_per_cm2']:>15.4g} {f['error'] * 1e-4:>10.2g} "
                         f"{f['mean_energy']:>10.4g} {f['per_pot_per_cm2'] * pot:>17.4g}")
        angle = summary.get("angle_window", [0.0, math.pi])
        cut = (f" and {angle[0]:g} <= angle <= {angle[1]:g} rad (recoil to the beam axis)"
               if angle[0] > 0.0 or angle[1] < math.pi else "")
        lines.append(f"backgrounds with {lo:g} < T < {hi:g} GeV (recoil kinetic energy){cut}, the signal window, "
                     f"efficiency {summary['efficiency']:g}:")
        lines.append(f"{'channel':<12} {'events':>11} {'error':>9} {'per POT':>11}   by flavour (nu_mu, anti-nu_mu, "
                     "nu_e, anti-nu_e)")
        for ch, r in s["backgrounds"].items():
            bf = r["by_flavour"]
            lines.append(f"{ch:<12} {r['events']:>11.4g} {r['error']:>9.2g} {r['per_pot']:>11.4g}   "
                         + ", ".join(f"{bf.get(k, 0.0):.3g}" for k in ("numu", "numubar", "nue", "nuebar")))
        lines.append(f"{'NC elastic':<12} {s['nc_elastic_events']:>11.4g} {s['nc_elastic_error']:>9.2g} "
                     f"{s['nc_elastic_events'] / pot:>11.4g}   (protons + neutrons)")
    for note in summary.get("notes", []):
        lines.append(f"note: {note}")
    return "\n".join(lines)


def _neutrino(args: argparse.Namespace) -> int:
    from . import io
    from .config import load_card
    from .rng import SEED_LIMIT

    if args.seed is not None and not 0 <= args.seed < SEED_LIMIT:
        raise CardError(f"--seed = {args.seed}: must be an integer with seed >= 0 and seed < 2**63")
    if args.samples is not None and args.samples < 1:
        raise CardError(f"--samples = {args.samples}: must be >= 1")
    if args.events < 1:
        raise CardError(f"--events = {args.events}: must be >= 1")
    cfg = load_card(args.card, args.overrides)
    if args.output:
        from .io.neutrino import output_format

        output_format(args.output)
        io.check_writable(args.output, overwrite=args.overwrite, events_file=False)
    from .neutrino.background import run_background
    from .io.neutrino import write
    from .neutrino.source import load_source

    load_source(cfg.beam.name)  # a beam without a [neutrino] table fails before any work
    result = run_background(cfg, seed=args.seed, n_samples=args.samples, n_events=args.events)
    if args.output:
        write(result, args.output, overwrite=args.overwrite)
    if not args.quiet:
        print(neutrino_table(result.summary))
        if args.output:
            print(f"histograms written to {args.output}")
    return 0


def _reweight(args: argparse.Namespace) -> int:
    from . import io
    from .reweight import reweight_file

    if not args.overrides:
        raise CardError("reweight: give at least one --set model.epsilon=... or model.alpha_d=...")
    if not Path(args.file).is_file():
        raise CardError(f"file = \"{args.file}\": no such file")
    io.check_writable(args.output, overwrite=args.overwrite)
    if args.summary:
        io.check_writable(args.summary, overwrite=args.overwrite, key="--summary", events_file=False)
    result = reweight_file(args.file, args.overrides)
    _write_outputs(result, args.output, args)
    return 0


def _card(args: argparse.Namespace) -> int:
    from .config import builtin_card_path

    sys.stdout.write(builtin_card_path(args.name).read_text())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bdgen`` command."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="bdgen: %(message)s")
    from .io import OutputExistsError

    try:
        commands = {
            "run": _run, "beams": _beams, "detectors": _detectors, "reweight": _reweight,
            "scan": _scan, "plot": _plot, "thermal": _thermal, "card": _card, "neutrino": _neutrino,
        }
        code = commands[args.command](args)
        sys.stdout.flush()  # here, so that a closed pipe is reported below, not at interpreter exit
        return code
    except (CardError, OutputExistsError) as exc:
        print(f"bdgen: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bdgen: interrupted; no output written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout closed early (e.g. `bdgen card | head`): stop quietly, as other Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except SystemError as exc:
        # Ctrl-C while a compiled (numba) kernel runs on the main thread surfaces as a
        # SystemError whose context is the KeyboardInterrupt
        if isinstance(exc.__context__, KeyboardInterrupt) or isinstance(exc.__cause__, KeyboardInterrupt):
            print("bdgen: interrupted; no output written", file=sys.stderr)
            return 130
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
