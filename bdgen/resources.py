"""Locate the data shipped with bdgen: beam files, detector files and built-in cards.

In an installed wheel the repository's top-level ``fluxes/`` and ``detectors/`` directories
are packaged as ``bdgen/data/fluxes`` and ``bdgen/data/detectors`` (see pyproject.toml); in a
source checkout they are found next to the package.  Files are discovered by listing the
directory: there is no hand-kept registry.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _data_dir(kind: str) -> Path:
    packaged = Path(str(resources.files("bdgen"))) / "data" / kind
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parent.parent / kind
    if source.is_dir():
        return source
    raise FileNotFoundError(f"bdgen data directory {kind!r} not found (broken installation?)")


def beams_dir() -> Path:
    """Directory of the beam files (``<name>.toml``)."""
    return _data_dir("fluxes")


def detectors_dir() -> Path:
    """Directory of the detector files (``<name>.toml``)."""
    return _data_dir("detectors")


def cards_dir() -> Path:
    """Directory of the built-in run cards."""
    return Path(str(resources.files("bdgen"))) / "cards"


def data_file(directory: Path, name: str) -> Path:
    """The TOML file a beam or detector ``name`` refers to: a shipped ``<directory>/<name>.toml``,
    or, for a name ending in ``.toml``, the user's own file at that path (relative to the
    working directory)."""
    if is_user_file(name):
        return Path(name).expanduser()
    return directory / f"{name}.toml"


def is_user_file(name: str) -> bool:
    """True for a beam or detector name that is the path of the user's own TOML file."""
    return name.lower().endswith(".toml")


def available(directory: Path) -> list[str]:
    """Sorted names (file stems) of the TOML files in ``directory``."""
    return sorted(p.stem for p in directory.glob("*.toml"))
