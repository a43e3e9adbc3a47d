"""Reweight a finished sample to other couplings (epsilon, alpha_D) without regenerating it.

Every event's weight is POT x efficiency x Y_c x dBR_c x P / (N q_c) (see :mod:`bdgen.pipeline`):
the sampling probabilities q_c and the kinematics do not change, so new couplings only change

- the production density at the event's own V* mass^2 s: for pi0/eta/eta' the three-body dBR/ds(s)
  (which also moves the Breit-Wigner through Gamma_V), likewise for eta' -> rho V*, omega V* and
  pi- capture (their own dBR/ds), for rho/omega/phi the mixing BR, for bremsstrahlung and
  q qbar -> V eps^2 x BR(V -> chi chi);
- the scattering probability, proportional to eps^2 alpha_D (sigma has no other dependence).

So w' = w x [production(new)/production(old)] x (eps'^2 alpha_D')/(eps^2 alpha_D), event by event,
exactly.  The MC error is recomputed from the per-trial sums of the new weights.  An unweighted
sample becomes weighted.  Masses, beams, detectors or channels cannot be changed this way.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from .config import PRODUCTION_CHANNELS, Config, apply_overrides, config_from_dict
from .errors import CardError
from .physics.meson_decays import br_eta_prime_bdnmc, br_vector_mixing, capture, eta_prime_vector, three_body
from .physics.widths import br_to_chi

#: Keys that ``bdgen reweight --set`` may change.
REWEIGHTABLE = ("model.epsilon", "model.alpha_d")
#: Channel codes of the output (the order of the production channels).
_CHANNELS = PRODUCTION_CHANNELS


def production_factor(channel: str, s: np.ndarray, old: Config, new: Config) -> np.ndarray:
    """Ratio new/old of the production density for events of ``channel`` at V* mass^2 ``s``."""
    mo, mn = old.model, new.model
    bdnmc = old.compat.bdnmc
    if channel == "eta_prime" and bdnmc:  # BdNMC's on-shell formula (bdgen.pipeline._channel)
        ro = br_eta_prime_bdnmc(mo.m_v, mo.epsilon) * br_to_chi(mo.m_v, mo.m_chi, mo.epsilon, mo.alpha_d, mo.dirac,
                                                                 bdnmc=True)
        rn = br_eta_prime_bdnmc(mn.m_v, mn.epsilon) * br_to_chi(mn.m_v, mn.m_chi, mn.epsilon, mn.alpha_d, mn.dirac,
                                                                 bdnmc=True)
        return np.full(s.shape, rn / ro if ro > 0 else 0.0)
    if channel in ("pi0", "eta", "eta_prime", "eta_prime_rho", "eta_prime_omega", "pi_capture"):
        def build(m: Any) -> Any:
            if channel == "pi_capture":  # R_gamma cancels in the ratio
                return capture(m.m_v, m.m_chi, m.epsilon, m.alpha_d, m.dirac, 1.0, bdnmc=bdnmc)
            if channel.startswith("eta_prime_"):
                return eta_prime_vector(channel.removeprefix("eta_prime_"), m.m_v, m.m_chi, m.epsilon, m.alpha_d,
                                        m.dirac)
            return three_body(channel, m.m_v, m.m_chi, m.epsilon, m.alpha_d, m.dirac, bdnmc=bdnmc)

        to, tn = build(mo), build(mn)
        from .physics.meson_decays import bdnmc_uses_on_shell

        if bdnmc and bdnmc_uses_on_shell(to):
            return np.full(s.shape, tn.branching_ratio() / to.branching_ratio())
        do = np.asarray(to.dbr_ds(s))
        dn = np.asarray(tn.dbr_ds(s))
        return np.where(do > 0, dn / np.where(do > 0, do, 1.0), 0.0)
    if channel in ("rho", "omega", "phi"):
        bo = br_vector_mixing(channel, mo.m_v, mo.m_chi, mo.epsilon, mo.alpha_d, mo.dirac, bdnmc=bdnmc)
        bn = br_vector_mixing(channel, mn.m_v, mn.m_chi, mn.epsilon, mn.alpha_d, mn.dirac, bdnmc=bdnmc)
        return np.full(s.shape, bn / bo if bo > 0 else 0.0)
    # bremsstrahlung and q qbar -> V: V per POT ~ eps^2, times BR(V -> chi chi) (BdNMC omits the BR
    # for bremsstrahlung; for drell_yan bdgen always includes it)
    ratio = (mn.epsilon / mo.epsilon) ** 2
    if not bdnmc or channel == "drell_yan":
        ratio *= br_to_chi(mn.m_v, mn.m_chi, mn.epsilon, mn.alpha_d, mn.dirac, bdnmc=bdnmc) / br_to_chi(
            mo.m_v, mo.m_chi, mo.epsilon, mo.alpha_d, mo.dirac, bdnmc=bdnmc)
    return np.full(s.shape, ratio)


def reweight_events(events: dict[str, np.ndarray], old: Config, new: Config) -> np.ndarray:
    """New weights for ``events`` (shape (n,)) under the couplings of ``new``.

    Raises CardError for visible-decay samples (signal.channel = "decay"): their weight holds the
    probability to decay inside the detector, which depends on the V's path through it and on
    Gamma_V(eps) in a way the output does not record; they need a new run.
    """
    if old.model.name != "dark_photon":
        raise CardError(f"model.name = {old.model.name!r}: reweighting is implemented for the dark photon only; "
                        "run again with the new couplings")
    if old.signal.channel == "decay" or "decay" in (old.signal.channels or ()):
        raise CardError("signal.channel = \"decay\": visible-decay samples cannot be reweighted (the decay "
                        "probability depends on the V's path and lifetime); run again with the new couplings")
    w = np.asarray(events["weight"], dtype=float)
    out = np.zeros_like(w)
    s = events["v_E"] ** 2 - events["v_px"] ** 2 - events["v_py"] ** 2 - events["v_pz"] ** 2
    for code, name in enumerate(_CHANNELS):
        sel = events["channel"] == code
        if np.any(sel):
            out[sel] = w[sel] * production_factor(name, s[sel], old, new)
    if old.signal.channel == "flux":  # chi crossings: production only, no scattering factor
        return out
    scat = (new.model.epsilon**2 * new.model.alpha_d) / (old.model.epsilon**2 * old.model.alpha_d)
    return out * scat


def error_from_trials(trial: np.ndarray, w: np.ndarray, n: float) -> float:
    """Standard error of sum(w) from per-trial sums (the two chi of a trial are correlated)."""
    if w.size == 0:
        return 0.0
    if n <= 1:
        return math.nan  # undefined with at most one effective trial
    _, inv = np.unique(trial, return_inverse=True)
    a = np.bincount(inv, weights=w)
    total = a.sum()
    var = (np.sum(a * a) - total * total / n) * n / (n - 1)
    return float(math.sqrt(max(var, 0.0)))


def vov_from_trials(trial: np.ndarray, w: np.ndarray, n: float) -> float | None:
    """Variance of the variance of sum(w) over n trials (:func:`bdgen.pipeline._vov`, MCNP's
    reliability check) from the per-trial sums; None when it is undefined."""
    from .pipeline import _scaled_powers, _vov

    if w.size == 0:
        return None
    _, inv = np.unique(trial, return_inverse=True)
    a = np.bincount(inv, weights=w)
    ref = float(np.max(np.abs(a)))
    v = _vov(float(a.sum()), float(np.sum(a * a)), _scaled_powers(a, ref), n, ref)
    return None if math.isnan(v) else v


def new_config(meta_config: dict[str, Any], overrides: list[str]) -> tuple[Config, Config]:
    """(old, new) configurations from a file's stored card and ``--set`` overrides."""
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        if key not in REWEIGHTABLE:
            raise CardError(f"--set {key}: reweighting can change only {list(REWEIGHTABLE)}; "
                            "other keys need a new run")
    old = config_from_dict(meta_config)
    new = config_from_dict(apply_overrides(meta_config, overrides))
    return old, new


def reweight_file(path: str, overrides: list[str]) -> Any:
    """Read a bdgen file and return a :class:`bdgen.RunResult` with the new weights."""
    from . import io

    events0, meta = io.read(path) if _has_default_set(path) else ({}, None)
    if meta is None:
        summary0 = _read_summary(path)
        if summary0.get("signals"):
            return _reweight_signal_channels(path, summary0, overrides)
        names = list(summary0.get("detectors", {}))
        # the stored summary's keys are sorted; keep the run's detector order (its first detector
        # is the file's top-level summary)
        from .resources import is_user_file

        order = [Path(n).stem if is_user_file(n) else n  # own files are named by their stem
                 for n in summary0.get("config", {}).get("detector", {}).get("names") or []]
        names.sort(key=lambda n: order.index(n) if n in order else len(order))
        sets = {n: io.read(path, detector=n) for n in names}
    else:
        summary0 = meta["summary"]
        sets = {summary0.get("detector", "detector"): (events0, meta)}
    return _reweight_sets(path, overrides, summary0, sets)


def _reweight_one(path: str, overrides: list[str], events: dict[str, np.ndarray], meta: dict[str, Any]) -> Any:
    """One event set with its metadata (its summary holds the configuration it was made with)."""
    summary0 = meta["summary"]
    return _reweight_sets(path, overrides, summary0, {summary0.get("detector", "detector"): (events, meta)})


def _reweight_sets(path: str, overrides: list[str], summary0: dict[str, Any],
                   sets: dict[str, tuple[dict[str, np.ndarray], dict[str, Any]]]) -> Any:
    """The event sets of one file (one per detector), reweighted; see :func:`reweight_file`."""
    from .pipeline import RunResult

    old, new = new_config(summary0["config"], overrides)
    from .pipeline import prepare

    setup = prepare(new)
    pot = new.run.pot
    channel_info = {c.name: c for c in setup.channels}
    results = {}
    for name, (ev, m) in sets.items():
        s_old = m["summary"] if len(sets) == 1 else summary0["detectors"][name]
        factor = np.ones(len(ev["weight"]))
        w_new = reweight_events(ev, old, new)
        nz = ev["weight"] != 0
        factor[nz] = w_new[nz] / ev["weight"][nz]
        ev = dict(ev)
        for k in list(ev):
            if k == "weight" or k.startswith("weight_"):
                ev[k] = ev[k] * factor
        n = float(s_old.get("n_effective_trials", s_old["n_generated"]))
        summ = dict(s_old)
        summ["signal_events"] = float(np.sum(ev["weight"]))
        summ["signal_events_error"] = error_from_trials(ev["trial"], ev["weight"], n)
        summ["relative_error"] = (summ["signal_events_error"] / summ["signal_events"]
                                  if summ["signal_events"] > 0 else None)
        summ["variance_of_variance"] = vov_from_trials(ev["trial"], ev["weight"], n)
        # spectrum systematics: the estimate of each alternative model is the sum of its
        # (reweighted) weight column
        summ["systematics"] = {name: {**entry, "signal_events": float(np.sum(ev[f"weight_{name}"]))}
                               if f"weight_{name}" in ev else entry
                               for name, entry in s_old.get("systematics", {}).items()}
        summ["unweighted"] = False
        summ["config"] = new.to_dict()
        chans = []
        for ch in s_old["channels"]:
            ch = dict(ch)
            info = channel_info.get(ch["production"])
            if info is not None:
                ch["branching_ratio"] = info.branching_ratio
                ch["mediators_produced"] = pot * info.rate
            if "closed" not in ch:
                sel = ev["channel"] == _CHANNELS.index(ch["production"])
                ch["events"] = float(np.sum(ev["weight"][sel]))
                ch["error"] = error_from_trials(ev["trial"][sel], ev["weight"][sel], n)
            chans.append(ch)
        summ["channels"] = chans
        summ["mediators_produced"] = pot * setup.rate
        from .pipeline import _vov_note

        v = summ["variance_of_variance"]
        kept = [note for note in s_old.get("notes", []) if not note.startswith("the error estimate is unreliable")]
        summ["notes"] = (kept + _vov_note(math.nan if v is None else v)
                         + [f"reweighted from {path} with {', '.join(overrides)}"])
        results[name] = RunResult(events=ev, summary=summ, config=new)
    first = next(iter(results.values()))
    first.per_detector = results
    if len(results) > 1:
        first.summary["detectors"] = {k: {kk: vv for kk, vv in r.summary.items() if kk != "config"}
                                      for k, r in results.items()}
    return first


def _reweight_signal_channels(path: str, summary0: dict[str, Any], overrides: list[str]) -> Any:
    """A file of a ``signal.channels`` run: one event set per signal channel, each reweighted
    with its own channel's configuration (as the run generated it); the result's
    ``per_channel`` holds them, the first at the top level (as :func:`bdgen.generate`)."""
    from dataclasses import replace

    from . import io
    from .pipeline import channels_result

    old_all, new_all = new_config(summary0["config"], overrides)
    results: dict[str, Any] = {}
    order = list(old_all.signal.channels or ())  # the stored keys are sorted; keep the run's order
    for ch in sorted(summary0["signals"], key=lambda c: order.index(c) if c in order else len(order)):
        events, meta = io.read(path, detector=ch)
        # the channel's own summary (the file's top-level one is the first channel's)
        sub = {**summary0["signals"][ch], "config": replace(old_all, signal=replace(old_all.signal, channel=ch,
                                                                                     channels=None)).to_dict()}
        tmp_meta = {**meta, "summary": sub}
        r = _reweight_one(path, overrides, events, tmp_meta)
        r.config = replace(new_all, signal=replace(new_all.signal, channel=ch, channels=None))
        results[ch] = r
    return channels_result(results, new_all)


def _has_default_set(path: str) -> bool:
    from . import io

    try:
        io.read(path)
        return True
    except KeyError:
        return False


def _read_summary(path: str) -> dict[str, Any]:
    import json
    from pathlib import Path

    if Path(path).suffix.lower() == ".root":
        import uproot

        with uproot.open(path) as f:
            return json.loads(str(f["summary"]))  # type: ignore[no-any-return]
    import h5py

    with h5py.File(path, "r") as f:
        return json.loads(f.attrs["summary"])  # type: ignore[no-any-return]
