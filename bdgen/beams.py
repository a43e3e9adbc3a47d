"""Beams: proton beam and meson yields, read from ``fluxes/<name>.toml``.

File format (units: GeV/c, rad; yields per proton on target)::

    name = "bnb"
    proton_momentum = 8.89
    target = "Be"
    [mesons.pi0]
    per_pot = 0.9
    model = "sanford_wang"
    theta_max = 1.5708
    sanford_wang = [ { label = "pi+", weight = 0.5, c = [c1, ..., c9] }, ... ]
    [mesons.eta]
    per_pi0 = 0.0333      # every beam file carries its own eta/pi0 (no silent default)
    ...

Every file cites the sources of its numbers in comments.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from . import resources
from .errors import CardError, fmt_value
from .production.sanford_wang import SanfordWang


@dataclass(frozen=True)
class MesonSource:
    """One meson species of a beam.

    Attributes
    ----------
    name : str
        "pi0" or "eta".
    per_pot : float
        Mesons per proton on target.
    spectrum : SanfordWang
        The (p, theta) production spectrum.
    """

    name: str
    per_pot: float
    spectrum: SanfordWang


@dataclass(frozen=True)
class Beam:
    """A proton beam and its meson sources."""

    name: str
    description: str
    proton_momentum: float
    target: str
    mesons: MappingProxyType[str, MesonSource]


def _spectrum(d: dict[str, Any], p_beam: float, where: str) -> SanfordWang:
    model = d.get("model")
    if model != "sanford_wang":
        raise CardError(f"{where}.model = {fmt_value(model)}: must be \"sanford_wang\"")
    sets = d.get("sanford_wang")
    if not isinstance(sets, list) or not sets:
        raise CardError(f"{where}.sanford_wang: must be a non-empty list of parameter sets")
    params, weights = [], []
    for k, s in enumerate(sets):
        c = s.get("c") if isinstance(s, dict) else None
        if not isinstance(c, list) or len(c) != 9:
            raise CardError(f"{where}.sanford_wang[{k}].c: must be a list of 9 numbers")
        params.append([float(x) for x in c])
        weights.append(float(s.get("weight", 1.0)))
    theta_max = float(d.get("theta_max", 0.5 * np.pi))
    return SanfordWang(p_beam, np.array(params), np.array(weights), theta_max)


def load_beam(name: str, *, pi0_per_pot: float | None = None, eta_per_pi0: float | None = None) -> Beam:
    """Load ``fluxes/<name>.toml`` and apply the card's yield overrides."""
    directory = resources.beams_dir()
    path = directory / f"{name}.toml"
    if not path.is_file():
        raise CardError(f"beam.name = {fmt_value(name)}: unknown beam; available: {resources.available(directory)}")
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    where = f"beam file {path.name}: mesons"
    p_beam = float(data["proton_momentum"])
    mesons_in = data.get("mesons", {})
    if "pi0" not in mesons_in:
        raise CardError(f"{where}.pi0 is missing")
    pi0 = mesons_in["pi0"]
    n_pi0 = float(pi0_per_pot if pi0_per_pot is not None else pi0["per_pot"])
    out = {"pi0": MesonSource("pi0", n_pi0, _spectrum(pi0, p_beam, f"{where}.pi0"))}
    if "eta" in mesons_in:
        eta = mesons_in["eta"]
        if "per_pi0" not in eta and eta_per_pi0 is None:
            raise CardError(f"{where}.eta.per_pi0 is missing: every beam file must give its own eta/pi0")
        ratio = float(eta_per_pi0 if eta_per_pi0 is not None else eta["per_pi0"])
        out["eta"] = MesonSource("eta", n_pi0 * ratio, _spectrum(eta, p_beam, f"{where}.eta"))
    return Beam(
        name=name,
        description=str(data.get("description", "")),
        proton_momentum=p_beam,
        target=str(data.get("target", "")),
        mesons=MappingProxyType(out),
    )
