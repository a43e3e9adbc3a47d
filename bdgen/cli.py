"""Command-line interface: ``bdgen run``, ``bdgen beams``, ``bdgen card``.

Exit status: 0 on success, 2 for bad input (one line on stderr naming the key, the value and
what is allowed; nothing is written), 130 when interrupted (no output file is left behind).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any, Sequence

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
    r.add_argument("-o", "--output", help="output file: .root (TTree) or .h5/.hdf5")
    r.add_argument("--summary", help="also write the run summary as JSON to this file")
    r.add_argument("--overwrite", action="store_true", help="replace existing output files")
    r.add_argument("--seed", type=int, help="random seed (overrides run.seed)")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary table")

    sub.add_parser("beams", help="list the beam files, one line each")

    c = sub.add_parser("card", help="print a built-in card (to copy and edit)")
    c.add_argument("name", nargs="?", default="miniboone", help="built-in card name (default: miniboone)")
    return p


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def summary_table(s: dict[str, Any]) -> str:
    """The short text table printed at the end of a run."""
    lines = [
        f"bdgen {s['version']}  seed {s['seed']}  POT {s['pot']:.4g}  "
        f"{s['n_generated']:,} trials in {s['wall_seconds']:.2f} s",
        f"{'production':<10} {'signal':<9} {'BR(M->g chi chi)':>17} {'V produced':>11} {'events':>11} {'error':>10}",
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
    lines.append(f"geometric acceptance {s['geometric_acceptance']:.4g}; {s['n_events']} events written"
                 + (" (unweighted)" if s["unweighted"] else ""))
    for note in s.get("notes", []):
        lines.append(f"note: {note}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from . import io
    from .config import load_card

    from .rng import SEED_LIMIT

    if args.seed is not None and not 0 <= args.seed < SEED_LIMIT:
        raise CardError(f"--seed = {args.seed}: must be an integer with seed >= 0 and seed < 2**63")
    cfg = load_card(args.card, args.overrides)
    out = args.output or cfg.run.output
    if out is not None:
        io.check_writable(out, overwrite=args.overwrite, key="-o" if args.output else "run.output")
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

    try:
        result = generate(cfg, seed=args.seed, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    if out is not None:
        io.write(result, out, overwrite=args.overwrite)
    if args.summary:
        io.write_json(result.summary, args.summary, overwrite=args.overwrite)
    if not args.quiet:
        print(summary_table(result.summary))
        if out is not None:
            print(f"events written to {out}")
    return 0


def _beams(args: argparse.Namespace) -> int:
    from . import resources
    from .beams import load_beam

    for name in resources.available(resources.beams_dir()):
        b = load_beam(name)
        mesons = ", ".join(f"{k} {v.per_pot:.3g}/POT ({v.model})" for k, v in b.mesons.items())
        brem = f"; brem {b.brem.z_min}<z<{b.brem.z_max}, pT<{b.brem.pt_max} GeV" if b.brem else ""
        print(f"{name:<14} {b.proton_momentum:g} GeV/c p on {b.target.name} (Z={b.target.Z}): {mesons}{brem}")
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
        if args.command == "run":
            return _run(args)
        if args.command == "beams":
            return _beams(args)
        return _card(args)
    except (CardError, OutputExistsError) as exc:
        print(f"bdgen: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bdgen: interrupted; no output written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
