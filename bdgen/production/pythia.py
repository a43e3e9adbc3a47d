"""Pythia 8 as a meson spectrum model: tabulated (p, theta) spectra of pi0, eta, eta', rho0,
omega and phi from nucleon-nucleon collisions at the beam momentum, cached on disk.

What is generated
-----------------
Inelastic proton-proton and proton-neutron collisions in the fixed-target lab frame
(``Beams:frameType = 2``, ``Beams:eA`` = beam energy, ``Beams:eB = 0.``; Pythia's "Beam
Parameters" page), a fraction Z/A of them on protons and 1 - Z/A on neutrons
(``round(n_events Z/A)`` p-p events, at least one, the rest p-n; each class is weighted by its
fraction over its number of events).  These are free nucleon-nucleon collisions: no nuclear effects (no
Angantyr, no intranuclear cascade, no reinteractions in the target), so the yields are per
nucleon-nucleon collision, not per proton-nucleus collision.

The process set depends on the CM energy sqrt(s) of the nucleon-nucleon system:

- sqrt(s) >= 10 GeV: ``SoftQCD:inelastic`` (non-diffractive with multiparton interactions,
  single, double and central diffraction).  10 GeV is Pythia's default and smallest allowed
  ``Beams:eMinPert``, "the perturbative MPI machinery cannot be made to work at lower energies"
  (Pythia 8.3 "Beam Parameters" page, variable energies).
- below: ``LowEnergyQCD:inelastic`` (the non-perturbative string model of the "Low-energy QCD
  Processes" page: non-diffractive, diffractive, excitation, annihilation, resonant).  At the
  BNB (sqrt(s) = 4.3 GeV) ``SoftQCD`` runs outside its validity (tens of thousands of
  beam-remnant warnings) and gives eta/pi0 = 0.106 against 0.052 for ``LowEnergyQCD``
  (docs/pythia8.md); ``LowEnergyQCD`` "will undershoot e.g. the expected charged
  multiplicity at higher energies" (same page), hence the switch.  ``process=`` forces either.

Elastic scattering is left out (``:inelastic`` rather than ``:all``): it makes no mesons, and
the yields are then per *inelastic* collision, the normalisation of the parametrisations and of
the interaction length that sets the number of collisions per proton on target.  The cross
sections (``Pythia::getSigmaTotal``/``getSigmaPartial``) are stored, so that per-event numbers of
``SoftQCD:all`` (the convention of the project's environment notes) are ``yield x sigma_inel/sigma_tot``.

Counting mesons
---------------
Only the pi0 is made stable (``111:mayDecay = off``: nothing we record comes from its decay).
The eta, eta', rho0, omega and phi decay as usual, and *every* instance of the six species in
the complete event record is recorded with its lab momentum at production, classified by its
direct mother:

- ``"prompt"``: made in the string fragmentation or by the decay of any other short-lived
  hadron (rho+-, K*, Delta, N*, b1, ...);
- ``"eta"``, ``"eta_prime"``, ``"rho"``, ``"omega"``, ``"phi"``: a decay product of that listed
  meson (e.g. the three pi0 of eta -> 3 pi0); group ``"strong"`` = these five;
- ``"weak"``: a decay product of a hadron with c tau0 > 1 mm (K0_S, Lambda, Sigma+-, Xi, Omega).

Setting all six species stable (``mayDecay = off``, weak decays left on as by default) counts
each meson once, at its production, and is equivalent to ``sources=("prompt", "weak")`` here
(tested), but loses the feed-down among the six (e.g. about 0.5 pi0 per collision at
120 GeV/c from eta decays and 0.45 from omega decays, next to 2.4 prompt ones).  The default
``sources=("prompt", "strong")`` counts every meson made in the collision by strong and
electromagnetic processes, excluding weak-decay products: the usual definition of measured
inclusive spectra (e.g. NA61/SHINE's "primary" hadrons), which the Sanford-Wang and BMPT fits
describe, and every such meson is a separate chance of a meson -> gamma V decay in bdgen.
With ``sources=("prompt", "strong", "weak")`` (or ``"all"``) weak decays are added as well.

Spectra
-------
Each species is histogrammed in the lab momentum p (GeV/c) and polar angle theta (rad, about the
beam), on cells quadratically spaced on [0, p_beam) x [0, pi) (fine near 0, where the forward
spectra peak; the whole phase space, so the table integrates to the yield), separately for the
groups prompt, strong and weak.  The number of cells per axis is
``clip(round(sqrt(N / 5)), 4, 100)`` for N recorded mesons of that species: 5 entries per cell
on average over the grid, several times more in the occupied cells (much of the quadratic grid
is kinematically empty).  Within a cell the density is flat in theta, not proportional to
sin(theta), so the mesons below the first cell edges are resolved only to a cell: coarser cells
(20 entries) made the eta at 8.89 GeV/c 40 % too forward below 30 mrad with 1e5 events, these
3-7 % (the exact cone yields below :data:`THETA_CUTS` are stored for such checks).
:meth:`PythiaTables.spectrum` turns a histogram into the piecewise
constant TABLE density (:mod:`bdgen.production.spectra`) in mesons per collision per GeV/c per
rad; its integral is the yield per collision.

Cache
-----
Tables are stored in ``$BDGEN_CACHE/pythia8/`` (or ``~/.cache/bdgen/pythia8/``) as ``.npz``
files named by a SHA-256 hash of (beam momentum, Z, A, number of events, seed, process, pythia8mc
version, the Pythia settings, the binning rule and the file format), written atomically
(temporary file + rename), and kept in memory for the rest of the process: a second request
costs nothing.

References: C. Bierlich et al., "A comprehensive guide to the physics and usage of PYTHIA 8.3",
SciPost Phys. Codebases 8 (2022), arXiv:2203.11601 (sections on soft QCD, low-energy processes,
particle decays, the Python interface); the settings pages shipped with pythia8mc 8.317.2
(``share/Pythia8/xmldoc``: BeamParameters, QCDSoftProcesses, QCDLowEnergyProcesses,
ParticleDecays, PythonInterface).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import constants as C
from .spectra import Spectrum, table_params, table_spectrum

#: Recorded species and their PDG codes ("rho" is the rho0).
SPECIES: dict[str, int] = {"pi0": 111, "eta": 221, "eta_prime": 331, "rho": 113, "omega": 223, "phi": 333}
_NAMES = tuple(SPECIES)
#: Classes of a meson's direct mother (see the module docstring).
MOTHERS = ("prompt", "eta", "eta_prime", "rho", "omega", "phi", "weak")
#: Named groups of mother classes.
SOURCE_GROUPS: dict[str, tuple[str, ...]] = {
    "strong": ("eta", "eta_prime", "rho", "omega", "phi"),
    "all": MOTHERS,
}
#: Groups with their own histogram.
HIST_GROUPS = ("prompt", "strong", "weak")
#: Default selection: every meson from strong and electromagnetic processes.
DEFAULT_SOURCES = ("prompt", "strong")
#: sqrt(s) (GeV) from which SoftQCD is used (Pythia's Beams:eMinPert default and minimum).
ECM_PERTURBATIVE = 10.0
#: Mothers with c tau0 above this (mm) count as weak decays.
WEAK_TAU0 = 1.0
DEFAULT_EVENTS = 100_000
DEFAULT_SEED = 20260311
#: Events per nextBatch call (bounds the memory of the awkward event records).
BATCH = 5000
ENTRIES_PER_CELL = 5.0
N_CELLS_MIN = 4
N_CELLS_MAX = 100
#: Cone half-angles (rad) below which the yields are also counted exactly (event by event; the
#: TABLE density is flat in theta within a cell, so it resolves the forward cone only to a cell).
THETA_CUTS = (0.01, 0.03, 0.1, 0.3)
#: Version of the cache file layout (part of the key).
FORMAT = 1
_NS, _NM = len(SPECIES), len(MOTHERS)
_GROUP_OF_MOTHER = np.array([0, 1, 1, 1, 1, 1, 2])


class PythiaUnavailable(ImportError):
    """pythia8mc is not installed (``pip install 'bdgen[pythia]'``)."""


def _import_pythia() -> Any:
    try:
        import pythia8mc
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise PythiaUnavailable("pythia8mc is not installed; install bdgen[pythia] "
                                "(pip install 'bdgen[pythia]', which pins pythia8mc==8.317.2)") from exc
    return pythia8mc


def pythia_version() -> str:
    """The installed pythia8mc version (e.g. "8.317.2"); raises :class:`PythiaUnavailable`."""
    from importlib import metadata

    _import_pythia()
    return metadata.version("pythia8mc")


def cache_dir() -> Path:
    """Directory of the cached tables: ``$BDGEN_CACHE/pythia8`` or ``~/.cache/bdgen/pythia8``."""
    root = os.environ.get("BDGEN_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "bdgen"
    return base / "pythia8"


def sqrt_s(p_beam: float, m_target: float = C.M_P) -> float:
    """CM energy (GeV) of a proton of momentum ``p_beam`` (GeV/c) on a nucleon at rest."""
    e = math.hypot(p_beam, C.M_P)
    return math.sqrt(C.M_P**2 + m_target**2 + 2.0 * e * m_target)


def _process(p_beam: float, process: str) -> str:
    if process == "auto":
        return "SoftQCD" if sqrt_s(p_beam) >= ECM_PERTURBATIVE else "LowEnergyQCD"
    if process not in ("SoftQCD", "LowEnergyQCD"):
        raise ValueError(f"process = {process!r}: must be 'auto', 'SoftQCD' or 'LowEnergyQCD'")
    return process


def _common_settings(process: str) -> list[str]:
    """Settings shared by the p-p and p-n runs (the beam ids, energy and seed are added)."""
    return [
        "Beams:frameType = 2",
        "Beams:idA = 2212",
        "Beams:eB = 0.",
        f"{process}:inelastic = on",
        "111:mayDecay = off",
        "Random:setSeed = on",
        "Print:quiet = on",
    ]


def _n_cells(n_entries: int) -> int:
    return int(np.clip(round(math.sqrt(n_entries / ENTRIES_PER_CELL)), N_CELLS_MIN, N_CELLS_MAX))


def _quadratic_edges(n: int, x_max: float) -> np.ndarray:
    x = np.linspace(0.0, 1.0, n + 1)
    return x_max * x * x


def _resolve(sources: Iterable[str] | str) -> np.ndarray:
    """Mask over :data:`MOTHERS` of a selection of classes and groups."""
    if isinstance(sources, str):
        sources = (sources,)
    mask = np.zeros(_NM, dtype=bool)
    for s in sources:
        names = SOURCE_GROUPS.get(s, (s,))
        for n in names:
            if n not in MOTHERS:
                raise ValueError(f"unknown source {s!r}; allowed: {list(MOTHERS) + list(SOURCE_GROUPS)}")
            mask[MOTHERS.index(n)] = True
    if not mask.any():
        raise ValueError("sources: select at least one class")
    return mask


def _species_index(species: str) -> int:
    if species not in SPECIES:
        raise ValueError(f"species {species!r}: Pythia tables hold {list(SPECIES)}")
    return _NAMES.index(species)


@dataclass(frozen=True)
class PythiaTables:
    """Meson yields and (p, theta) histograms from Pythia 8 nucleon-nucleon collisions.

    All yields are mesons per inelastic nucleon-nucleon collision (Z/A p-p, 1 - Z/A p-n).

    Attributes
    ----------
    p_beam : float
        Beam momentum, GeV/c.
    Z : int
    A : float
        Target charge and mass number (the p-p/p-n mixture is Z/A).
    n_events, seed : int
    process : str
        "SoftQCD" or "LowEnergyQCD".
    version : str
        pythia8mc version.
    settings : tuple of str
        The Pythia settings common to both runs.
    key : str
        Cache key (hex SHA-256 of the generation parameters).
    n_pp, n_pn : int
        Events generated on protons and on neutrons.
    sigma : dict
        Pythia's cross sections in mb: "tot", "el", "inel", each the Z/A-weighted mean of
        p-p and p-n, and "tot_pp", "el_pp", "tot_pn", "el_pn".
    yields : ndarray, shape (6, 7)
        Mesons per collision by species (:data:`SPECIES` order) and mother class (:data:`MOTHERS`).
    cov : ndarray, shape (42, 42)
        Covariance of the statistical errors of ``yields.ravel()``.
    entries : ndarray, shape (6, 7)
        Number of generated mesons behind each yield.
    sum_p, sum_theta : ndarray, shape (6, 7)
        Sums of weight x p (GeV/c) and weight x theta (rad): divided by the yields, the means.
    fwd_yields, fwd_sum_p, fwd_sum_theta : ndarray, shape (6, 7)
        The same for theta < pi/2.
    cone_yields : ndarray, shape (6, 7, len(THETA_CUTS))
        Mesons per collision with theta below each of :data:`THETA_CUTS`.
    p_edges, theta_edges : tuple of ndarray
        Per species, the histogram cell edges (GeV/c, rad), shapes (n_p + 1,), (n_t + 1,).
    hist, hist_w2 : tuple of ndarray
        Per species, shape (3, n_p, n_t): mesons per collision in each cell (sum of weights) for
        the groups :data:`HIST_GROUPS`, and the sum of squared weights (statistical variance).
    path : Path or None
        The cache file.
    """

    p_beam: float
    Z: int
    A: float
    n_events: int
    seed: int
    process: str
    version: str
    settings: tuple[str, ...]
    key: str
    n_pp: int
    n_pn: int
    sigma: dict[str, float]
    yields: np.ndarray
    cov: np.ndarray
    entries: np.ndarray
    sum_p: np.ndarray
    sum_theta: np.ndarray
    fwd_yields: np.ndarray
    fwd_sum_p: np.ndarray
    fwd_sum_theta: np.ndarray
    cone_yields: np.ndarray
    p_edges: tuple[np.ndarray, ...]
    theta_edges: tuple[np.ndarray, ...]
    hist: tuple[np.ndarray, ...]
    hist_w2: tuple[np.ndarray, ...]
    path: Path | None = field(default=None, compare=False)

    @property
    def sqrt_s(self) -> float:
        """p-p CM energy, GeV."""
        return sqrt_s(self.p_beam)

    def _coef(self, species: str, sources: Iterable[str] | str) -> np.ndarray:
        c = np.zeros((_NS, _NM))
        c[_species_index(species)] = _resolve(sources)
        return c.ravel()

    def yield_(self, species: str, sources: Iterable[str] | str = DEFAULT_SOURCES) -> tuple[float, float]:
        """(mesons per collision, statistical error) of ``species`` from the mother classes or
        groups ``sources`` (e.g. ``("prompt", "strong")``, ``"all"``, ``("prompt", "omega")``)."""
        c = self._coef(species, sources)
        return float(c @ self.yields.ravel()), float(math.sqrt(max(c @ self.cov @ c, 0.0)))

    def yields_dict(self, sources: Iterable[str] | str = DEFAULT_SOURCES) -> dict[str, tuple[float, float]]:
        """:meth:`yield_` of every species."""
        return {s: self.yield_(s, sources) for s in SPECIES}

    def ratio(self, species: str, to: str = "pi0",
              sources: Iterable[str] | str = DEFAULT_SOURCES) -> tuple[float, float]:
        """(yield ratio species/to, statistical error with the correlation of the two yields)."""
        a, b = self._coef(species, sources), self._coef(to, sources)
        ya, yb = float(a @ self.yields.ravel()), float(b @ self.yields.ravel())
        if yb <= 0.0:
            return math.nan, math.nan
        r = ya / yb
        g = (a - r * b) / yb  # gradient of ya/yb
        return r, float(math.sqrt(max(g @ self.cov @ g, 0.0)))

    def forward_yield(self, species: str, sources: Iterable[str] | str = DEFAULT_SOURCES) -> float:
        """Mesons per collision with theta < pi/2."""
        return float(self.fwd_yields[_species_index(species)][_resolve(sources)].sum())

    def cone_yield(self, species: str, theta_cut: float, sources: Iterable[str] | str = DEFAULT_SOURCES) -> float:
        """Mesons per collision with theta < ``theta_cut`` (rad; one of :data:`THETA_CUTS`), counted
        event by event."""
        if theta_cut not in THETA_CUTS:
            raise ValueError(f"theta_cut = {theta_cut}: cone yields are stored for {THETA_CUTS}")
        return float(self.cone_yields[_species_index(species)][_resolve(sources), THETA_CUTS.index(theta_cut)].sum())

    def mean_p(self, species: str, sources: Iterable[str] | str = DEFAULT_SOURCES, *,
               forward: bool = False) -> float:
        """Mean lab momentum (GeV/c), over all angles or (``forward``) theta < pi/2."""
        i, m = _species_index(species), _resolve(sources)
        y, s = (self.fwd_yields, self.fwd_sum_p) if forward else (self.yields, self.sum_p)
        tot = y[i][m].sum()
        return float(s[i][m].sum() / tot) if tot > 0 else math.nan

    def mean_theta(self, species: str, sources: Iterable[str] | str = DEFAULT_SOURCES, *,
                   forward: bool = False) -> float:
        """Mean lab angle (rad), over all angles or (``forward``) theta < pi/2."""
        i, m = _species_index(species), _resolve(sources)
        y, s = (self.fwd_yields, self.fwd_sum_theta) if forward else (self.yields, self.sum_theta)
        tot = y[i][m].sum()
        return float(s[i][m].sum() / tot) if tot > 0 else math.nan

    def histogram(self, species: str, sources: Iterable[str] | str = DEFAULT_SOURCES
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(p edges [GeV/c], theta edges [rad], mesons per collision per cell, statistical error),
        shapes (n_p + 1,), (n_t + 1,), (n_p, n_t), (n_p, n_t).

        ``sources`` must be a union of whole groups :data:`HIST_GROUPS` (the histograms are
        stored per group).
        """
        i, m = _species_index(species), _resolve(sources)
        groups = np.zeros(len(HIST_GROUPS), dtype=bool)
        for g in range(len(HIST_GROUPS)):
            sel = m[_GROUP_OF_MOTHER == g]
            if sel.any() and not sel.all():
                raise ValueError(f"sources {sources!r}: spectra are stored per group {HIST_GROUPS} "
                                 "(select whole groups)")
            groups[g] = sel.all()
        h = self.hist[i][groups].sum(axis=0)
        w2 = self.hist_w2[i][groups].sum(axis=0)
        return self.p_edges[i], self.theta_edges[i], h, np.sqrt(w2)

    def table(self, species: str, sources: Iterable[str] | str = DEFAULT_SOURCES) -> np.ndarray:
        """TABLE parameter vector (:func:`bdgen.production.spectra.table_params`) of the density
        in mesons per collision per GeV/c per rad, shape (4 + n_p n_t,)."""
        pe, te, h, _ = self.histogram(species, sources)
        dens = h / np.outer(np.diff(pe), np.diff(te))
        return table_params(dens, float(pe[-1]), float(te[-1]), p_spacing="quadratic", theta_spacing="quadratic")

    def spectrum(self, species: str, sources: Iterable[str] | str = DEFAULT_SOURCES, *,
                 theta_max: float | None = None) -> Spectrum:
        """The TABLE :class:`~bdgen.production.spectra.Spectrum` of ``species``: density in
        mesons per collision per GeV/c per rad; ``theta_max`` (rad) limits the sampled angles
        (at most the table's pi).  Raises ValueError if no such meson was generated."""
        par = self.table(species, sources)
        if not np.any(par[4:] > 0.0):
            raise ValueError(f"Pythia made no {species} in {self.n_events} collisions at {self.p_beam:g} GeV/c "
                             f"(sources {sources!r}); raise the number of events")
        return table_spectrum(par, theta_max=theta_max, label=f"pythia8 {species}")

    # -- (de)serialisation ---------------------------------------------------------------
    def _arrays(self) -> dict[str, np.ndarray]:
        meta = {
            "p_beam": self.p_beam, "Z": self.Z, "A": self.A, "n_events": self.n_events, "seed": self.seed,
            "process": self.process, "version": self.version, "settings": list(self.settings), "key": self.key,
            "n_pp": self.n_pp, "n_pn": self.n_pn, "sigma": self.sigma,
        }
        out: dict[str, np.ndarray] = {"meta": np.array(json.dumps(meta, sort_keys=True))}
        for name in ("yields", "cov", "entries", "sum_p", "sum_theta", "fwd_yields", "fwd_sum_p", "fwd_sum_theta",
                     "cone_yields"):
            out[name] = getattr(self, name)
        for i, s in enumerate(SPECIES):
            out[f"p_edges_{s}"] = self.p_edges[i]
            out[f"theta_edges_{s}"] = self.theta_edges[i]
            out[f"hist_{s}"] = self.hist[i]
            out[f"hist_w2_{s}"] = self.hist_w2[i]
        return out

    @classmethod
    def _from_arrays(cls, d: Any, path: Path | None) -> PythiaTables:
        meta = json.loads(str(d["meta"]))
        return cls(
            p_beam=float(meta["p_beam"]), Z=int(meta["Z"]), A=float(meta["A"]), n_events=int(meta["n_events"]),
            seed=int(meta["seed"]), process=str(meta["process"]), version=str(meta["version"]),
            settings=tuple(meta["settings"]), key=str(meta["key"]), n_pp=int(meta["n_pp"]), n_pn=int(meta["n_pn"]),
            sigma={k: float(v) for k, v in meta["sigma"].items()},
            yields=d["yields"], cov=d["cov"], entries=d["entries"], sum_p=d["sum_p"], sum_theta=d["sum_theta"],
            fwd_yields=d["fwd_yields"], fwd_sum_p=d["fwd_sum_p"], fwd_sum_theta=d["fwd_sum_theta"],
            cone_yields=d["cone_yields"], p_edges=tuple(d[f"p_edges_{s}"] for s in SPECIES), theta_edges=tuple(d[f"theta_edges_{s}"] for s in SPECIES),
            hist=tuple(d[f"hist_{s}"] for s in SPECIES), hist_w2=tuple(d[f"hist_w2_{s}"] for s in SPECIES),
            path=path,
        )


def cache_key(p_beam: float, Z: int, A: float, n_events: int, seed: int, process: str = "auto") -> tuple[str, dict[str, Any]]:
    """(hex SHA-256 key, the dict it hashes) of a table request; ``process`` is resolved first."""
    proc = _process(p_beam, process)
    d = {
        "p_beam": float(p_beam), "Z": int(Z), "A": float(A), "n_events": int(n_events), "seed": int(seed),
        "process": proc, "pythia8mc": pythia_version(), "settings": _common_settings(proc),
        "binning": [ENTRIES_PER_CELL, N_CELLS_MIN, N_CELLS_MAX], "weak_tau0": WEAK_TAU0, "batch": BATCH,
        "theta_cuts": THETA_CUTS,
        "species": SPECIES, "format": FORMAT,
    }
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest(), d


_MEMO: dict[tuple[str, str], PythiaTables] = {}


def pythia_tables(p_beam: float, Z: int, A: float, *, n_events: int = DEFAULT_EVENTS, seed: int = DEFAULT_SEED,
                  process: str = "auto", cache: Path | str | None = None) -> PythiaTables:
    """Yields and (p, theta) histograms of the six species from Pythia 8 (cached).

    Parameters
    ----------
    p_beam : float
        Proton beam momentum, GeV/c.
    Z : int
        Target charge (protons per nucleus).
    A : float
        Target mass number (the p-n fraction is 1 - Z/A).
    n_events : int
        Nucleon-nucleon collisions to generate (>= 2).
    seed : int
        Seed of the two Pythia runs (p-p and p-n streams derived by ``numpy.random.SeedSequence``).
    process : str
        "auto" (SoftQCD from sqrt(s) = 10 GeV up, LowEnergyQCD below), "SoftQCD" or "LowEnergyQCD".
    cache : path, optional
        Cache directory (default :func:`cache_dir`).

    Returns
    -------
    PythiaTables
        Read from the cache when present; else generated (``n_events`` Pythia events) and written.

    Raises
    ------
    PythiaUnavailable
        pythia8mc is not installed.
    """
    if not p_beam > 0:
        raise ValueError(f"p_beam = {p_beam}: must be > 0")
    if not (1 <= int(Z) and Z <= A):
        raise ValueError(f"Z = {Z}, A = {A}: need 1 <= Z <= A")
    if int(n_events) < 2:
        raise ValueError(f"n_events = {n_events}: must be >= 2")
    key, meta = cache_key(p_beam, Z, A, n_events, seed, process)
    directory = Path(cache).expanduser() if cache is not None else cache_dir()
    memo_key = (key, str(directory))
    if memo_key in _MEMO:
        return _MEMO[memo_key]
    path = directory / f"pythia8_p{p_beam:g}_Z{int(Z)}_A{A:g}_n{int(n_events)}_{key[:16]}.npz"
    tables = _read(path, key)
    if tables is None:
        tables = _generate(p_beam, int(Z), float(A), int(n_events), int(seed), meta["process"], meta["pythia8mc"], key)
        _write(path, tables)
        tables = PythiaTables(**{**tables.__dict__, "path": path})
    _MEMO[memo_key] = tables
    return tables


def pythia_spectrum(species: str, p_beam: float, Z: int, A: float, *, n_events: int = DEFAULT_EVENTS,
                    seed: int = DEFAULT_SEED, process: str = "auto",
                    sources: Iterable[str] | str = DEFAULT_SOURCES, theta_max: float | None = None,
                    cache: Path | str | None = None) -> Spectrum:
    """The TABLE spectrum of ``species`` (a key of :data:`SPECIES`) from :func:`pythia_tables`:
    density in (p [GeV/c], theta [rad]) in mesons per nucleon-nucleon collision per GeV/c per rad,
    whose integral over the sampled domain is the yield per collision (see
    :meth:`PythiaTables.spectrum`)."""
    return pythia_tables(p_beam, Z, A, n_events=n_events, seed=seed, process=process,
                         cache=cache).spectrum(species, sources, theta_max=theta_max)


def _read(path: Path, key: str) -> PythiaTables | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as d:
            tables = PythiaTables._from_arrays(d, path)
    except (OSError, ValueError, KeyError):  # unreadable or foreign file: regenerate
        return None
    return tables if tables.key == key else None


def _write(path: Path, tables: PythiaTables) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **tables._arrays())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache may be shared
        os.replace(tmp, path)  # atomic on POSIX: readers see the old file or the complete new one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _seeds(seed: int) -> tuple[int, int]:
    """Pythia seeds (1 .. 900 000 000) of the p-p and p-n runs."""
    children = np.random.SeedSequence(seed).spawn(2)
    return tuple(int(c.generate_state(1, dtype=np.uint32)[0]) % 900_000_000 + 1 for c in children)  # type: ignore[return-value]


def _run(pythia8mc: Any, p_beam: float, id_b: int, n: int, seed: int, process: str) -> dict[str, Any]:
    """Generate ``n`` events on nucleon ``id_b``; per-meson arrays and per-event count moments."""
    py = pythia8mc.Pythia("", False)
    m_p = py.particleData.m0(2212)
    settings = _common_settings(process) + [f"Beams:idB = {id_b}", f"Beams:eA = {math.hypot(p_beam, m_p)!r}",
                                            f"Random:seed = {seed}"]
    for s in settings:
        if not py.readString(s):
            raise RuntimeError(f"Pythia rejected the setting {s!r}")
    if not py.init():
        raise RuntimeError(f"Pythia failed to initialise for p on {id_b} at {p_beam} GeV/c ({process})")
    import awkward as ak

    pdgs = np.array(list(SPECIES.values()))
    by_pdg = {pdg: i for i, pdg in enumerate(SPECIES.values())}
    tau_cache: dict[int, float] = {}
    sp_l, mo_l, p_l, t_l = [], [], [], []
    s1 = np.zeros(_NS * _NM)
    s2 = np.zeros((_NS * _NM, _NS * _NM))
    done = 0
    while done < n:
        k = min(BATCH, n - done)
        ev = py.nextBatch(k, 2.0)
        prt = ev.prt
        cnt = ak.to_numpy(ak.num(prt.id)).astype(np.int64)
        n_ev = cnt.size
        off = np.concatenate([[0], np.cumsum(cnt)[:-1]])
        evi = np.repeat(np.arange(n_ev), cnt)
        fid = ak.to_numpy(ak.flatten(prt.id)).astype(np.int64)
        sel = np.isin(fid, pdgs)
        # a decayed or recoiled copy of a meson (its only daughter is itself) is not a new meson
        st = ak.to_numpy(ak.flatten(prt.status))
        d1 = ak.to_numpy(ak.flatten(prt.daughter1)).astype(np.int64)
        d2 = ak.to_numpy(ak.flatten(prt.daughter2)).astype(np.int64)
        cand = sel & (st < 0) & (d1 == d2) & (d1 > 0)
        cand[cand] = fid[(d1 + off[evi])[cand]] == fid[cand]
        sel &= ~cand
        idx = np.nonzero(sel)[0]
        mother = fid[ak.to_numpy(ak.flatten(prt.mother1)).astype(np.int64)[idx] + off[evi[idx]]]
        mclass = np.zeros(idx.size, dtype=np.int64)
        for mid in np.unique(mother):
            a = abs(int(mid))
            if a in by_pdg:  # a decay product of a listed meson (never of the stable pi0)
                c = MOTHERS.index(_NAMES[by_pdg[a]])
            else:
                if a not in tau_cache:
                    tau_cache[a] = float(py.particleData.tau0(a))
                c = MOTHERS.index("weak") if tau_cache[a] > WEAK_TAU0 else 0
            mclass[mother == mid] = c
        species = np.array([by_pdg[int(x)] for x in np.unique(fid[idx])], dtype=np.int64)
        species = species[np.searchsorted(np.unique(fid[idx]), fid[idx])]
        px = ak.to_numpy(ak.flatten(prt.p.px))[idx]
        pyy = ak.to_numpy(ak.flatten(prt.p.py))[idx]
        pz = ak.to_numpy(ak.flatten(prt.p.pz))[idx]
        pt = np.hypot(px, pyy)
        sp_l.append(species)
        mo_l.append(mclass)
        p_l.append(np.hypot(pt, pz))
        t_l.append(np.arctan2(pt, pz))
        per_event = np.bincount(evi[idx] * (_NS * _NM) + species * _NM + mclass,
                                minlength=n_ev * _NS * _NM).reshape(n_ev, _NS * _NM).astype(np.float64)
        s1 += per_event.sum(axis=0)
        s2 += per_event.T @ per_event
        done += n_ev
    e_cm = py.infoPython().eCM()
    return {
        "species": np.concatenate(sp_l), "mother": np.concatenate(mo_l), "p": np.concatenate(p_l),
        "theta": np.concatenate(t_l), "s1": s1, "s2": s2, "n": done,
        "sigma_tot": float(py.getSigmaTotal(2212, id_b, e_cm)),
        "sigma_el": float(py.getSigmaPartial(2212, id_b, e_cm, 2)),
        "settings": settings, "id_b": id_b,
    }


def _generate(p_beam: float, Z: int, A: float, n_events: int, seed: int, process: str, version: str,
              key: str) -> PythiaTables:
    pythia8mc = _import_pythia()
    f_p = Z / A
    # each nucleon with a non-zero share gets at least one event (n_events >= 2)
    n_pp = min(max(round(n_events * f_p), 1), n_events - (1 if f_p < 1.0 else 0))
    n_pn = n_events - n_pp
    seeds = _seeds(seed)
    runs = []
    for id_b, n, frac, s in ((2212, n_pp, f_p, seeds[0]), (2112, n_pn, 1.0 - f_p, seeds[1])):
        if n > 0:
            r = _run(pythia8mc, p_beam, id_b, n, s, process)
            r["w"] = frac / r["n"]
            r["frac"] = frac
            runs.append(r)
    k = _NS * _NM
    yields = np.zeros(k)
    cov = np.zeros((k, k))
    sigma = {"tot": 0.0, "el": 0.0}
    for r in runs:
        n = r["n"]
        mean = r["s1"] / n
        yields += r["frac"] * mean
        if n > 1:
            var = (r["s2"] - n * np.outer(mean, mean)) / (n - 1)  # per-event covariance
            cov += r["frac"] ** 2 * var / n
        tag = "pp" if r["id_b"] == 2212 else "pn"
        sigma[f"tot_{tag}"] = r["sigma_tot"]
        sigma[f"el_{tag}"] = r["sigma_el"]
        sigma["tot"] += r["frac"] * r["sigma_tot"]
        sigma["el"] += r["frac"] * r["sigma_el"]
    sigma["inel"] = sigma["tot"] - sigma["el"]
    sp = np.concatenate([r["species"] for r in runs])
    mo = np.concatenate([r["mother"] for r in runs])
    p = np.concatenate([r["p"] for r in runs])
    th = np.concatenate([r["theta"] for r in runs])
    w = np.concatenate([np.full(r["species"].size, r["w"]) for r in runs])
    cell = sp * _NM + mo
    fwd = th < 0.5 * math.pi

    def by_class(weights: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        m = slice(None) if mask is None else mask
        return np.bincount(cell[m], weights=weights[m], minlength=k).reshape(_NS, _NM)

    entries = np.bincount(cell, minlength=k).reshape(_NS, _NM)
    p_edges, t_edges, hist, hist_w2 = [], [], [], []
    for i in range(_NS):
        s = sp == i
        n_p = n_t = _n_cells(int(s.sum()))
        pe = _quadratic_edges(n_p, p_beam)
        te = _quadratic_edges(n_t, math.pi)
        g = _GROUP_OF_MOTHER[mo[s]]
        h = np.zeros((len(HIST_GROUPS), n_p, n_t))
        h2 = np.zeros_like(h)
        for j in range(len(HIST_GROUPS)):
            sel = g == j
            h[j] = np.histogram2d(p[s][sel], th[s][sel], bins=(pe, te), weights=w[s][sel])[0]
            h2[j] = np.histogram2d(p[s][sel], th[s][sel], bins=(pe, te), weights=w[s][sel] ** 2)[0]
        p_edges.append(pe)
        t_edges.append(te)
        hist.append(h)
        hist_w2.append(h2)
    return PythiaTables(
        p_beam=float(p_beam), Z=Z, A=A, n_events=n_events, seed=seed, process=process, version=version,
        settings=tuple(_common_settings(process)), key=key, n_pp=n_pp, n_pn=n_pn, sigma=sigma,
        yields=yields.reshape(_NS, _NM), cov=cov, entries=entries,
        sum_p=by_class(w * p), sum_theta=by_class(w * th),
        fwd_yields=by_class(w, fwd), fwd_sum_p=by_class(w * p, fwd), fwd_sum_theta=by_class(w * th, fwd),
        cone_yields=np.stack([by_class(w, th < c) for c in THETA_CUTS], axis=-1),
        p_edges=tuple(p_edges), theta_edges=tuple(t_edges), hist=tuple(hist), hist_w2=tuple(hist_w2),
    )
