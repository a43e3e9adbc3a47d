"""Neutrinos from the same mesons: fluxes at the detectors and the neutrino backgrounds.

Modules:

- :mod:`~bdgen.neutrino.spectra`: pi -> mu nu and K -> mu nu lines, (polarised) Michel spectra,
  K_l3 neutrino spectra.
- :mod:`~bdgen.neutrino.source`: the ``[neutrino]`` table of a beam file (stopped-pion yield, or
  the decay-in-flight geometry and pion yields).
- :mod:`~bdgen.neutrino.flux`: weighted neutrino samples at a detector; decay at rest.
- :mod:`~bdgen.neutrino.dif`: pions, kaons and muons decaying in flight, and pi+/K+ that range
  out decaying at rest (BNB target and dump modes).
- :mod:`~bdgen.neutrino.stopping`: Bethe energy loss and CSDA ranges of the mesons.
- :mod:`~bdgen.neutrino.xsec`: nu-e, nu-N neutral-current elastic and coherent nu-A cross-sections.
- :mod:`~bdgen.neutrino.background`: background rates in the card's recoil window, histograms,
  event samples (:func:`run_background`).
- :mod:`bdgen.io.neutrino`: HDF5/CSV output (with the other writers, the only place h5py is imported).

Usage::

    import bdgen
    from bdgen.neutrino import run_background
    cfg = bdgen.load_card(None, ["beam.name=bnb_dump"])
    res = run_background(cfg, seed=1)
    res.detectors["miniboone"].summary["backgrounds"]["nc_proton"]["events"]

Units: GeV, metres, ns; fluxes in neutrinos per POT per m^2 averaged over the fiducial volume.
The method and the numbers are described in docs/neutrino.md.
"""

from __future__ import annotations

from typing import Any

__all__ = ["run_background"]


def __getattr__(name: str) -> Any:
    if name == "run_background":
        from .background import run_background

        return run_background
    raise AttributeError(f"module 'bdgen.neutrino' has no attribute {name!r}")
