"""HepMC3 output following the NuHepMC 1.0.0 conventions (written with ``pyhepmc``).

NuHepMC (Gardiner et al., arXiv:2310.13211; specification 1.0.0) requirements met:

- G.R.1-3: run info with the NuHepMC version 1.0.0 and the tool ``bdgen``;
- G.R.4/5: conventions G.C.1 (exposure: ``NuHepMC.Exposure.POT``), G.C.2 (flux-averaged total
  "cross section": here the expected signal per POT, ``signal_events / POT``, with the unit
  ``events/POT`` and target scale ``PerDetector``, G.R.6 leaves both open) and E.C.5;
- G.R.7: weight ``CV`` = the event's expected number for the run's POT (plus ``weight_<model>``
  systematic weights);
- G.R.8-10: process ids 710 (chi-electron elastic), 720 (chi-nucleon elastic), 730 (coherent
  chi-nucleus), 740 (chi N -> chi Delta, Delta -> N pi0, pi0 -> gamma gamma) and 741
  (Delta -> N gamma), with names and descriptions; vertex statuses 1 (primary) and 2 (the
  Delta and pi0 decays, at the same point); particle statuses 1, 2 (decayed: the Delta 2214/2114
  and the pi0), 4, 20;
- G.R.11: the dark-sector codes 51/52 (chi) and 55 (V) declared with names;
- E.R.2-7: unique event numbers, ``signal_process_id``, units GeV and mm, ``lab_pos`` (the
  vertex in mm, in the output frame), one primary vertex (status 1) with the incoming chi
  (status 4) and the target at rest (status 20: electron, nucleon or nucleus) going to the
  outgoing chi and the recoil (status 1).  The vertex time is t x c in mm; ``bdgen.t_ns`` holds
  the time of flight and ``bdgen.t_arrival_ns`` the time from the spill's reference (see the t_spill column).

Provenance (G.S.1): the resolved card and the seed as ``NuHepMC.Provenance.bdgen.*``.
HepMC3 is a per-event Python loop (about 15 k events/s); use ROOT or HDF5 for large samples.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..constants import C_M_PER_NS
from ..errors import CardError

if TYPE_CHECKING:
    from ..config import Config
    from ..pipeline import RunResult

PROCESSES = {
    "electron": (710, "chi e elastic", "chi e- -> chi e- through a kinetically mixed dark photon"),
    "nucleon": (720, "chi N elastic", "chi N -> chi N on free protons and neutrons (incoherent), dark photon"),
    "coherent": (730, "chi A coherent", "chi A -> chi A, coherent on the nucleus (Helm form factor), dark photon"),
    "pi0_inelastic": (740, "chi N -> chi Delta(1232) -> chi N pi0",
                      "Delta(1232) excitation by the dark photon, Delta -> N pi0, pi0 -> gamma gamma"),
    "delta_gamma": (741, "chi N -> chi Delta(1232) -> chi N gamma",
                    "Delta(1232) excitation by the dark photon, Delta -> N gamma"),
}
_NAMES = {51: "chi (complex scalar dark matter)", -51: "anti-chi (complex scalar dark matter)",
          52: "chi (Dirac dark matter)", -52: "anti-chi (Dirac dark matter)", 55: "V (dark photon)",
          58: "chi2 (heavier state of inelastic dark matter)"}


def check_hepmc3(cfg: "Config") -> None:
    """Refuse, before any work, a run whose events a NuHepMC file cannot hold: without
    pyhepmc, a channel that is not a scattering (``decay``, ``dis``, ``flux``), several signal
    channels or several detectors.  Raises CardError."""
    try:
        import pyhepmc  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the installation
        raise CardError("HepMC3 output needs pyhepmc: pip install 'bdgen[hepmc]'") from None
    if cfg.signal.channels is not None and len(cfg.signal.channels) > 1:
        raise CardError("signal.channels: HepMC3 output holds one event set; write ROOT or HDF5, or one file per "
                        "channel")
    channel = cfg.signal.channels[0] if cfg.signal.channels else cfg.signal.channel
    if channel not in PROCESSES:
        raise CardError(f"signal.channel = \"{channel}\": NuHepMC output needs a scattering channel "
                        "(a beam particle and a target); use ROOT or HDF5")
    if cfg.detector.names is not None and len(cfg.detector.names) > 1:
        raise CardError("detector.names: HepMC3 output holds one detector; write one file per detector")


def write_hepmc3(path: str | Path, result: "RunResult") -> None:
    """Write the single event set of ``result`` as NuHepMC/HepMC3 ASCII to ``path``."""
    check_hepmc3(result.config)
    import pyhepmc

    from .. import __version__

    s = result.summary
    channel = result.config.signal.channels[0] if result.config.signal.channels else result.config.signal.channel
    ev = result.events
    weight_names = ["CV"] + [k for k in ev if k.startswith("weight_")]
    ri = pyhepmc.GenRunInfo()
    ri.tools = [pyhepmc.GenRunInfo.ToolInfo("bdgen", __version__, "light dark matter from proton beam dumps")]
    ri.weight_names = weight_names
    a = ri.attributes
    a["NuHepMC.Version.Major"] = 1
    a["NuHepMC.Version.Minor"] = 0
    a["NuHepMC.Version.Patch"] = 0
    a["NuHepMC.Conventions"] = ["G.C.1", "G.C.2", "E.C.5"]
    a["NuHepMC.Exposure.POT"] = float(s["pot"])
    a["NuHepMC.FluxAveragedTotalCrossSection"] = float(s["signal_events"]) / float(s["pot"])
    a["NuHepMC.FluxAveragedTotalCrossSectionUncertainty"] = float(s["signal_events_error"]) / float(s["pot"])
    a["NuHepMC.Units.CrossSection.Unit"] = "events/POT"
    a["NuHepMC.Units.CrossSection.TargetScale"] = "PerDetector"
    pid, name, desc = PROCESSES[channel]
    a["NuHepMC.ProcessIDs"] = [pid]
    a[f"NuHepMC.ProcessInfo[{pid}].Name"] = name
    a[f"NuHepMC.ProcessInfo[{pid}].Description"] = desc
    delta = channel in ("pi0_inelastic", "delta_gamma")
    a["NuHepMC.VertexStatusIDs"] = [1, 2] if delta else [1]
    a["NuHepMC.VertexStatusInfo[1].Name"] = "PrimaryVertex"
    a["NuHepMC.VertexStatusInfo[1].Description"] = "chi scattering vertex"
    if delta:
        a["NuHepMC.VertexStatusInfo[2].Name"] = "DecayVertex"
        a["NuHepMC.VertexStatusInfo[2].Description"] = "Delta or pi0 decay (at the scattering point)"
    statuses = {1: ("UndecayedPhysical", "outgoing chi and final-state particles"),
                4: ("IncomingBeam", "incoming chi"), 20: ("Target", "target at rest")}
    if delta:
        statuses[2] = ("DecayedPhysical", "the Delta(1232) and the pi0, decayed")
    a["NuHepMC.ParticleStatusIDs"] = sorted(statuses)
    for sid, (nm, ds) in statuses.items():
        a[f"NuHepMC.ParticleStatusInfo[{sid}].Name"] = nm
        a[f"NuHepMC.ParticleStatusInfo[{sid}].Description"] = ds
    a["NuHepMC.AdditionalParticleNumbers"] = sorted(_NAMES)
    for code, nm in _NAMES.items():
        a[f"NuHepMC.AdditionalParticleNumber[{code}].Name"] = nm
    a["NuHepMC.Provenance.bdgen.config"] = json.dumps(s["config"], sort_keys=True)
    a["NuHepMC.Provenance.bdgen.seed"] = str(s["seed"])
    inelastic_dm = result.config.model.name == "inelastic"
    mm = 1000.0
    c_mm_per_ns = C_M_PER_NS * mm
    with pyhepmc.open(str(path), "w") as out:
        for i in range(len(ev["weight"])):
            e = pyhepmc.GenEvent(pyhepmc.Units.GEV, pyhepmc.Units.MM)
            e.run_info = ri
            e.event_number = int(ev["event_id"][i])
            pos = (ev["x"][i] * mm, ev["y"][i] * mm, ev["z"][i] * mm, ev["t"][i] * c_mm_per_ns)
            v = pyhepmc.GenVertex(pos)
            v.status = 1
            m_t = float(ev["recoil_E"][i] - ev["recoil_T"][i])
            v.add_particle_in(pyhepmc.GenParticle(
                (ev["chi_px"][i], ev["chi_py"][i], ev["chi_pz"][i], ev["chi_E"][i]), int(ev["chi_pdg"][i]), 4))
            v.add_particle_in(pyhepmc.GenParticle((0.0, 0.0, 0.0, m_t), int(ev["recoil_pdg"][i]), 20))
            chi_in = int(ev["chi_pdg"][i])
            chi_out = chi_in if not inelastic_dm else (58 if chi_in == 52 else 52)
            v.add_particle_out(pyhepmc.GenParticle(
                (ev["chi_out_px"][i], ev["chi_out_py"][i], ev["chi_out_pz"][i], ev["chi_out_E"][i]), chi_out, 1))
            e.add_vertex(v)
            if not delta:
                v.add_particle_out(pyhepmc.GenParticle(
                    (ev["recoil_px"][i], ev["recoil_py"][i], ev["recoil_pz"][i], ev["recoil_E"][i]),
                    int(ev["recoil_pdg"][i]), 1))
            else:
                _add_delta_decay(pyhepmc, e, v, ev, i, pos)
            e.weights = [float(ev[k][i]) if k != "CV" else float(ev["weight"][i]) for k in weight_names]
            e.attributes["signal_process_id"] = pid
            e.attributes["lab_pos"] = [float(pos[0]), float(pos[1]), float(pos[2])]
            e.attributes["bdgen.t_ns"] = float(ev["t"][i])
            e.attributes["bdgen.t_arrival_ns"] = float(ev["t_arrival"][i])
            out.write(e)


def _p4(ev: dict[str, np.ndarray], pre: str, i: int) -> tuple[float, float, float, float]:
    return (float(ev[f"{pre}_px"][i]), float(ev[f"{pre}_py"][i]), float(ev[f"{pre}_pz"][i]), float(ev[f"{pre}_E"][i]))


def _add_delta_decay(pyhepmc: object, e: object, v: object, ev: dict[str, np.ndarray], i: int,
                     pos: tuple[float, ...]) -> None:
    """The Delta (status 2, 2214 on protons, 2114 on neutrons) out of the primary vertex, decaying
    at the same point to the nucleon and the pi0 (status 2, then gamma gamma) or a photon."""
    proton = int(ev["recoil_pdg"][i]) == 2212
    delta = pyhepmc.GenParticle(_p4(ev, "recoil", i), 2214 if proton else 2114, 2)  # type: ignore[attr-defined]
    v.add_particle_out(delta)  # type: ignore[attr-defined]
    dv = pyhepmc.GenVertex(pos)  # type: ignore[attr-defined]
    dv.status = 2
    dv.add_particle_in(delta)
    dv.add_particle_out(pyhepmc.GenParticle(_p4(ev, "nucleon", i), 2212 if proton else 2112, 1))  # type: ignore[attr-defined]
    e.add_vertex(dv)  # type: ignore[attr-defined]
    if "pi0_E" in ev:
        pi0 = pyhepmc.GenParticle(_p4(ev, "pi0", i), 111, 2)  # type: ignore[attr-defined]
        dv.add_particle_out(pi0)
        pv = pyhepmc.GenVertex(pos)  # type: ignore[attr-defined]
        pv.status = 2
        pv.add_particle_in(pi0)
        for g in ("gamma1", "gamma2"):
            pv.add_particle_out(pyhepmc.GenParticle(_p4(ev, g, i), 22, 1))  # type: ignore[attr-defined]
        e.add_vertex(pv)  # type: ignore[attr-defined]
    else:
        dv.add_particle_out(pyhepmc.GenParticle(_p4(ev, "gamma", i), 22, 1))  # type: ignore[attr-defined]


def read_hepmc3_weights(path: str | Path) -> np.ndarray:
    """The CV weights of a HepMC3 file (for tests and quick checks)."""
    import pyhepmc

    with pyhepmc.open(str(path)) as f:
        return np.array([e.weights[0] for e in f])
