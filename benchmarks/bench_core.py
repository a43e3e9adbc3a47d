"""Benchmark of the core chain on the default (MiniBooNE) card.

Measures, each in a fresh subprocess after one warm-up run (so numba's cache is warm):

- time to 1% statistical precision on the signal count (``run.precision = 0.01``),
- throughput in trials (meson decays) per second and written events per second,
- peak resident memory, and how time and memory grow with the number of trials.

Usage::

    python benchmarks/bench_core.py [--sizes 1e6 3e6 1e7] [--json benchmarks/results_core.json]

Prints a table and writes the numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import bdgen
t1 = time.perf_counter()
overrides = json.loads(sys.argv[1])
cfg = bdgen.load_card(None, overrides)
r = bdgen.generate(cfg)
t2 = time.perf_counter()
s = r.summary
print(json.dumps({
    "import_s": t1 - t0, "generate_s": t2 - t1, "trials": s["n_generated"], "events": s["n_events"],
    "signal": s["signal_events"], "rel_error": s["relative_error"],
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
}))
"""


def run_child(overrides: list[str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(overrides)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="*", type=float, default=[3e5, 1e6, 3e6, 1e7])
    ap.add_argument("--json", default=str(Path(__file__).with_name("results_core.json")))
    args = ap.parse_args()

    run_child(["run.events=10"])  # warm numba's cache
    rows = []
    for label, extra in (("1%, 1 core", ["run.threads=1"]), ("1%, 2 cores", ["run.threads=2"]),
                         ("1%, 1 core, no IS", ["run.threads=1", "run.importance_sampling=false"])):
        r = run_child(["run.precision=0.01", *extra])
        r["label"] = label
        rows.append(r)
    numi = ["beam.name=numi", "detector.name=nova_nd", "run.pot=1.36e21"]
    for label, extra in (("NuMI/NOvA 1%, 1 core", [*numi, "run.precision=0.01", "run.threads=1"]),
                         ("NuMI/NOvA 1%, 2 cores", [*numi, "run.precision=0.01", "run.threads=2"]),
                         ("1%, Dask 2 workers", ["run.precision=0.01", "run.workers=2"])):
        r = run_child(extra)
        r["label"] = label
        rows.append(r)
    for n in args.sizes:
        r = run_child(["run.precision=1e-9", f"run.max_trials={int(n)}", "run.threads=1"])
        r["label"] = f"{int(n):.0e} trials"
        rows.append(r)
    print(f"{'run':<20}{'trials':>12}{'events':>9}{'gen s':>8}{'trials/s':>12}{'events/s':>10}"
          f"{'rel.err':>9}{'peak MB':>9}")
    for r in rows:
        print(f"{r['label']:<20}{r['trials']:>12,}{r['events']:>9,}{r['generate_s']:>8.2f}"
              f"{r['trials'] / r['generate_s']:>12.3g}{r['events'] / r['generate_s']:>10.3g}"
              f"{r['rel_error']:>9.4f}{r['peak_rss_mb']:>9.0f}")
    print(f"import bdgen: {rows[0]['import_s']:.2f} s (not included in 'gen s')")
    meta = {"python": platform.python_version(), "machine": platform.machine(), "processor": platform.processor()}
    Path(args.json).write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    print(f"written {args.json}")


if __name__ == "__main__":
    main()
