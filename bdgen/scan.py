"""Mass scans: signal yields on a grid of (m_chi, m_V) and the resulting limits on eps and Y.

A grid is given as ``NAME=LO:HI:N[:log|lin]`` for ``m_chi`` or ``m_v`` (GeV); the other mass
may be tied to it by a relation ``model.m_v=3*m_chi`` (a number times a grid variable, or the
variable alone; nothing is evaluated).  Each grid point is one run of the card (at its
``run.precision``, default 0.05 for scans); its events give, through the exact reweighting of
:mod:`bdgen.reweight`, the signal as a function of eps at the card's alpha_D, from which the
limit on eps and on Y = eps^2 alpha_D (m_chi/m_V)^4 follow (:mod:`bdgen.limits`).

Visible decays (``signal.channel = "decay"``) cannot be reweighted (the decay probability in the
detector depends on the V's path and on Gamma_V(eps)): there N(eps) is computed by direct runs on
an eps grid (``eps_grid``, common random numbers), and the excluded band is where N(eps) >= s_up,
interpolated log-log between grid points: a lower limit (eps too small: too few V) and an upper
one (eps too large: the V decay before the detector).
"""

from __future__ import annotations

import math
import secrets
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .config import Config, apply_overrides, builtin_card_path, config_from_dict, read_card
from .errors import CardError
from .limits import classical_upper_limit, epsilon_limit, feldman_cousins_upper_limit, y_parameter
from .reweight import reweight_events

GRID_VARIABLES = ("m_chi", "m_v")
_GRID = re.compile(r"^\s*(m_chi|m_v)\s*=\s*([^:]+):([^:]+):(\d+)(?::(log|lin))?\s*$")
_REL = re.compile(r"^\s*model\.(m_chi|m_v)\s*=\s*(?:([0-9.eE+-]+)\s*\*\s*)?(m_chi|m_v)\s*$")


@dataclass(frozen=True)
class Grid:
    """One scanned variable: name (m_chi or m_v) and its values (GeV), shape (n,)."""

    name: str
    values: np.ndarray


def parse_grid(spec: str, names: tuple[str, ...] = GRID_VARIABLES) -> Grid:
    """Parse ``m_chi=0.001:0.5:40:log`` (NAME one of ``names``); CardError naming the spec otherwise."""
    m = _GRID.match(spec)
    if m is None or m.group(1) not in names:
        spacing = spec.rsplit(":", 1)[-1] if spec.count(":") == 3 else None
        hint = (f" (spacing {spacing!r}: log or lin)" if spacing is not None and not spacing.replace(".", "").isdigit()
                else "")
        if len(names) == 1:
            raise CardError(f"--grid {spec!r}: give {names[0]}=LO:HI:N[:log|lin]{hint}")
        raise CardError(f"--grid {spec!r}: expected NAME=LO:HI:N[:log|lin] with NAME in {list(names)}{hint}")
    name, lo_s, hi_s, n_s, kind = m.groups()
    try:
        lo, hi, n = float(lo_s), float(hi_s), int(n_s)
    except ValueError:
        raise CardError(f"--grid {spec!r}: LO and HI must be numbers") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise CardError(f"--grid {spec!r}: LO and HI must be finite")
    if not (0 < lo <= hi) or n < 1 or (n > 1 and lo == hi):
        raise CardError(f"--grid {spec!r}: need 0 < LO < HI (LO = HI only with N = 1) and N >= 1")
    values = np.geomspace(lo, hi, n) if (kind or "log") == "log" else np.linspace(lo, hi, n)
    return Grid(name, values)


def split_relations(overrides: list[str]) -> tuple[list[str], list[tuple[str, float, str]]]:
    """Separate ``model.m_v=3*m_chi`` relations from ordinary ``--set`` overrides."""
    plain, rel = [], []
    for item in overrides:
        m = _REL.match(item)
        if m is not None:
            target, factor, source = m.groups()
            rel.append((target, float(factor) if factor else 1.0, source))
        else:
            plain.append(item)
    return plain, rel


@dataclass
class ScanPoint:
    """Results at one grid point (masses in GeV)."""

    m_chi: float
    m_v: float
    signal_events: float
    signal_events_error: float
    channels: dict[str, float]
    epsilon_limit: float
    y_limit: float
    n_events: int
    epsilon_upper: float = math.nan
    y_upper: float = math.nan
    channel_errors: dict[str, float] = field(default_factory=dict)


def signal_vs_epsilon(events: dict[str, np.ndarray], cfg: Config) -> Callable[[float], float]:
    """N(eps) at the card's alpha_D by exact reweighting of ``events`` (see bdgen.reweight)."""

    def at(eps: float) -> float:
        card = cfg.to_dict()
        card["model"]["epsilon"] = float(eps)
        new = config_from_dict(card)
        return float(np.sum(reweight_events(events, cfg, new)))

    return at


DEFAULT_EPS_GRID = np.geomspace(1e-8, 1e-2, 19)  # visible decays: three points per decade


def band_crossings(eps: np.ndarray, n: np.ndarray, s_up: float) -> tuple[float, float]:
    """The lower and upper ends of {eps: N(eps) >= s_up} from N on an increasing grid ``eps`` (k,),
    interpolated log-log between the grid points around each crossing (N = 0 counts as 1e-300).

    Returns (nan, nan) when N stays below s_up; an end beyond the grid is nan (lower) or inf
    (upper) so that it is never mistaken for a limit."""
    eps = np.asarray(eps, float)
    ln = np.log(np.maximum(np.asarray(n, float), 1e-300))
    ls = math.log(s_up)
    above = ln >= ls
    if not above.any():
        return math.nan, math.nan
    i, j = int(np.argmax(above)), int(len(above) - 1 - np.argmax(above[::-1]))

    def cross(a: int, b: int) -> float:
        t = (ls - ln[a]) / (ln[b] - ln[a])
        return float(math.exp(math.log(eps[a]) + t * (math.log(eps[b]) - math.log(eps[a]))))

    lower = cross(i - 1, i) if i > 0 else math.nan
    upper = cross(j, j + 1) if j < len(eps) - 1 else math.inf
    return lower, upper


def _decay_band(base: dict[str, Any], sets: list[str], grid_e: np.ndarray, s_up: float, seed: int,
                generate: Callable[..., Any], refine: int = 3) -> tuple[float, float]:
    """Lower and upper eps of the visible-decay band N(eps) >= s_up by direct runs (same seed).

    The grid is run upwards; once N has fallen to zero after being positive (the V now decay
    before the detector, and N only falls further) the rest of the grid is zero.  Each end found
    between two grid points is then narrowed by ``refine`` bisections in ln eps (one run each)
    before the log-log interpolation of :func:`band_crossings`."""
    cache: dict[float, float] = {}
    # where the V decay before (or far beyond) the detector N is tiny and its weights so uneven
    # that the precision rule would run for ever; those runs stop at 2e7 trials unless the card
    # sets run.max_trials
    cap = [] if any(o.startswith("run.max_trials") for o in sets) else ["run.max_trials=20000000"]

    def n_at(e: float) -> float:
        if e not in cache:
            cfg_e = config_from_dict(apply_overrides(base, [*sets, *cap, f"model.epsilon={float(e)!r}"]))
            cache[e] = float(generate(cfg_e, seed=seed).summary["signal_events"])
        return cache[e]

    n_e: list[float] = []
    for e in grid_e:
        if n_e and n_e[-1] == 0.0 and max(n_e) > 0.0:
            n_e.append(0.0)
        else:
            n_e.append(n_at(float(e)))
    lower, upper = band_crossings(grid_e, np.array(n_e), s_up)

    def narrow(edge: float) -> float:
        if not (math.isfinite(edge) and edge > 0):
            return edge
        k = int(np.searchsorted(grid_e, edge))
        a, b = float(grid_e[max(k - 1, 0)]), float(grid_e[min(k, len(grid_e) - 1)])
        for _ in range(refine):
            mid = math.sqrt(a * b)
            if (n_at(mid) >= s_up) == (n_at(a) >= s_up):
                a = mid
            else:
                b = mid
        lo_e, hi_e = band_crossings(np.array([a, b]), np.array([n_at(a), n_at(b)]), s_up)
        return lo_e if edge == lower else hi_e

    return narrow(lower), narrow(upper)


def run_scan(card_path: str | None, overrides: list[str], grids: list[Grid], *, background: float = 0.0,
             background_error: float = 0.0, observed: float | None = None, cl: float = 0.9,
             method: str = "classical", seed: int | None = None, eps_grid: np.ndarray | None = None,
             progress: Callable[[int, int], None] | None = None) -> tuple[list[ScanPoint], dict[str, Any]]:
    """Run the scan; returns the points and the settings used (for the output's metadata).

    ``eps_grid`` (increasing, shape (k,)): the eps values of the direct runs for visible decays
    (default :data:`DEFAULT_EPS_GRID`); unused for scattering channels."""
    from .pipeline import generate

    if method not in ("classical", "feldman_cousins"):
        raise CardError(f"--limit = {method!r}: must be 'classical' or 'feldman_cousins'")
    if not (background >= 0 and background_error >= 0 and math.isfinite(background + background_error)):
        raise CardError(f"--background = {background}, --background-error = {background_error}: must be finite "
                        "and >= 0")
    if observed is not None and not (observed >= 0 and math.isfinite(observed)):
        raise CardError(f"--observed = {observed}: must be a finite count >= 0")
    if not 0 < cl < 1:
        raise CardError(f"--cl = {cl}: must lie between 0 and 1")
    plain, relations = split_relations(overrides)
    base = read_card(builtin_card_path("miniboone") if card_path is None else card_path)
    names = [g.name for g in grids]
    if len(set(names)) != len(names):
        raise CardError(f"--grid: {names} scans a variable twice")
    for target, _f, source in relations:
        if target in names:
            raise CardError(f"model.{target} is both scanned and set by a relation")
        if source not in names:
            given = next((o for o in overrides if o.replace(" ", "").startswith(f"model.{target}=")), f"model.{target}")
            raise CardError(f"--set {given!r}: {source} is not a scanned variable; the relation must use one of "
                            f"{names} (the --grid variables)")
    for item in plain:
        key, _, value = item.partition("=")
        key = key.strip()
        if key in (f"model.{n}" for n in names):
            raise CardError(f"--set {item}: model.{key.split('.')[-1]} is scanned by --grid; "
                            "set it there, or scan the other mass")
        if key in ("model.m_chi", "model.m_v") and "*" in value:
            raise CardError(f"--set {item}: a relation is FACTOR*NAME with NAME a scanned mass "
                            f"({', '.join(names)}), e.g. model.m_v=3*m_chi")
    if not any(o.startswith(("run.precision", "run.events")) for o in plain):
        plain = [*plain, "run.precision=0.05"]
    if eps_grid is not None:
        eg = np.asarray(eps_grid, float)
        if eg.ndim != 1 or eg.size < 2 or not np.all(eg > 0) or not np.all(np.diff(eg) > 0):
            raise CardError(f"--eps-grid: {eg.tolist()}: need at least two increasing values > 0")
    any_decay = False
    n_obs = background if observed is None else observed
    if method == "classical":
        s_up = classical_upper_limit(n_obs, background, cl=cl, sigma_b=background_error)
    else:
        if background_error > 0:
            raise CardError("--limit feldman_cousins takes a known background (no --background-error)")
        s_up = feldman_cousins_upper_limit(int(math.floor(n_obs)), background, cl=cl)
    if not s_up > 0:
        raise CardError(f"--observed = {n_obs:g} with --background = {background:g}: the {method} {cl:g} CL upper "
                        "limit on the signal is 0 (fewer events than the background allows at this CL); no "
                        "coupling limit follows. Use --limit feldman_cousins, which never gives an empty interval")
    mesh = np.meshgrid(*[g.values for g in grids], indexing="ij")
    points = []
    first_card: dict[str, Any] | None = None
    total = mesh[0].size
    for k, combo in enumerate(zip(*[m.ravel() for m in mesh])):
        values = dict(zip(names, combo))
        for target, factor, source in relations:
            values[target] = factor * values[source]
        sets = plain + [f"model.{n}={float(v)!r}" for n, v in values.items()]
        cfg = config_from_dict(apply_overrides(base, sets))
        if cfg.model.name != "dark_photon":
            raise CardError(f"model.name = {cfg.model.name!r}: scans derive limits on eps and Y for the dark photon "
                            "(model.name = \"dark_photon\"); run the baryonic and inelastic models point by point "
                            "with bdgen run")
        if first_card is None:
            first_card = cfg.to_dict()
        if cfg.signal.channel == "flux" or "flux" in (cfg.signal.channels or ()):
            key = (f"signal.channels = {list(cfg.signal.channels)}" if cfg.signal.channels
                   else "signal.channel = \"flux\"")
            raise CardError(f"{key}: a scan derives limits from a signal; the chi flux (\"flux\") has none "
                            "(scan a scattering or decay channel)")
        decay = cfg.signal.channel == "decay"
        any_decay = any_decay or decay
        if "decay" in (cfg.signal.channels or ()):
            raise CardError("signal.channels = [\"decay\"]: scan visible decays with signal.channel = \"decay\"")
        if len(cfg.signal.channels or ()) > 1 or len(cfg.detector.names or ()) > 1:
            raise CardError("signal.channels / detector.names with several entries: a scan derives one limit "
                            "from one event set; scan one channel and one detector at a time")
        if seed is None:
            # one seed for every point: the points share their random numbers (the same mesons
            # where the channel mix agrees), so the scanned curve is smooth and point-to-point
            # differences are not blurred by independent noise
            seed = cfg.run.seed if cfg.run.seed is not None else secrets.randbits(62)
        r = generate(cfg, seed=seed)
        s = r.summary
        eps_up = math.nan
        if decay:
            grid_e = DEFAULT_EPS_GRID if eps_grid is None else np.asarray(eps_grid, float)
            eps_lim, eps_up = _decay_band(base, sets, grid_e, s_up, seed, generate)
        else:
            at = signal_vs_epsilon(r.events, cfg)
            eps_lim = epsilon_limit(at, cfg.model.epsilon, s_up) if s["signal_events"] > 0 else math.inf
        m = cfg.model
        points.append(ScanPoint(
            m_chi=m.m_chi, m_v=m.m_v, signal_events=s["signal_events"], signal_events_error=s["signal_events_error"],
            channels={c["production"]: c["events"] for c in s["channels"]},
            channel_errors={c["production"]: c["error"] for c in s["channels"]},
            epsilon_limit=eps_lim,
            y_limit=float(y_parameter(eps_lim, m.alpha_d, m.m_chi, m.m_v)) if math.isfinite(eps_lim) else eps_lim,
            n_events=s["n_events"],
            epsilon_upper=eps_up,
            y_upper=float(y_parameter(eps_up, m.alpha_d, m.m_chi, m.m_v)) if math.isfinite(eps_up) else eps_up,
        ))
        if progress is not None:
            progress(k + 1, total)
    from ._version import __version__

    settings = {"signal_upper_limit": s_up, "background": background, "background_error": background_error,
                "observed": n_obs, "cl": cl, "method": method, "overrides": overrides, "seed": seed,
                "grids": {g.name: g.values.tolist() for g in grids},
                "card": card_path if card_path is not None else "built-in miniboone",
                "units": "masses in GeV; signal_events (and events_<production channel>) at the card's "
                         "model.epsilon and model.alpha_d below; epsilon_limit at that alpha_d; "
                         "y_limit = epsilon_limit^2 alpha_d (m_chi/m_v)^4; inf: no signal at that point; "
                         "nan: no epsilon of the eps grid excluded (visible decays)",
                "resolved_card_first_point": first_card, "bdgen_version": __version__}
    if any_decay:  # a visible-decay scan: record its eps grid
        settings["eps_grid"] = (DEFAULT_EPS_GRID if eps_grid is None else np.asarray(eps_grid, float)).tolist()
    return points, settings


_COLUMN_DOC = {
    "m_chi": "chi mass (GeV)",
    "m_v": "dark photon mass (GeV)",
    "signal_events": "expected signal events at the card's epsilon and alpha_D",
    "signal_events_error": "statistical (Monte Carlo) error of signal_events",
    "epsilon_limit": "upper limit on epsilon at the card's alpha_D (visible decays: lower edge of the excluded "
                     "band); inf: no signal; nan: nothing excluded",
    "y_limit": "the limit as Y = eps^2 alpha_D (m_chi/m_V)^4",
    "epsilon_upper": "visible decays: upper edge of the excluded band in epsilon (nan otherwise)",
    "y_upper": "visible decays: upper edge of the excluded band in Y (nan otherwise)",
    "n_events": "number of weighted events generated at the point",
}


def _channel_column_doc(name: str) -> str:
    """Description of an ``events_<channel>`` or ``events_error_<channel>`` column."""
    if name.startswith("events_error_"):
        return "statistical error of the signal events from production channel " + name.removeprefix("events_error_")
    return "signal events from production channel " + name.removeprefix("events_")


def write_table(points: list[ScanPoint], settings: dict[str, Any], path: str, *, overwrite: bool = False) -> None:
    """Write the scan as CSV (``.csv``) or HDF5 (``.h5``/``.hdf5``), atomically."""
    import json
    from pathlib import Path

    from .io import atomic_path

    chans = sorted({c for p in points for c in p.channels})
    cols: dict[str, np.ndarray] = {
        "m_chi": np.array([p.m_chi for p in points]),
        "m_v": np.array([p.m_v for p in points]),
        "signal_events": np.array([p.signal_events for p in points]),
        "signal_events_error": np.array([p.signal_events_error for p in points]),
        "epsilon_limit": np.array([p.epsilon_limit for p in points]),
        "y_limit": np.array([p.y_limit for p in points]),
        "epsilon_upper": np.array([p.epsilon_upper for p in points]),
        "y_upper": np.array([p.y_upper for p in points]),
        "n_events": np.array([p.n_events for p in points]),
    }
    for c in chans:
        cols[f"events_{c}"] = np.array([p.channels.get(c, 0.0) for p in points])
        cols[f"events_error_{c}"] = np.array([p.channel_errors.get(c, 0.0) for p in points])
    suffix = Path(path).suffix.lower()
    with atomic_path(path, overwrite=overwrite) as tmp:
        if suffix == ".csv":
            header = ",".join(cols)
            data = np.column_stack(list(cols.values()))
            meta = "# bdgen scan: " + json.dumps(settings)
            np.savetxt(tmp, data, delimiter=",", header=meta + "\n" + header, comments="", fmt="%.8g")
        elif suffix in (".h5", ".hdf5"):
            import h5py

            with h5py.File(tmp, "w") as f:
                g = f.create_group("scan")
                for k, v in cols.items():
                    g[k] = v
                    g[k].attrs["description"] = _COLUMN_DOC.get(k, _channel_column_doc(k))
                f.attrs["settings"] = json.dumps(settings)
        else:
            raise CardError(f"-o = {path!r}: a scan table is .csv, .h5 or .hdf5")
