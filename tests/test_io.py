"""Output files: ROOT (TTree via uproot) and HDF5 (h5py), provenance, atomic writes."""

from __future__ import annotations

import json
import os

import h5py
import numpy as np
import pytest
import uproot

import bdgen
from bdgen import io
from bdgen.errors import CardError
from bdgen.io import OutputExistsError
from bdgen.pipeline import EVENT_COLUMNS

SUFFIXES = [".root", ".h5", ".hdf5"]


@pytest.fixture(scope="module")
def result() -> bdgen.RunResult:
    cfg = bdgen.load_card(None, ["run.events=200"])
    return bdgen.generate(cfg, seed=7, chunk_size=100_000)


@pytest.fixture(scope="module")
def empty_result() -> bdgen.RunResult:
    # 2 m_chi > m_eta > m_pi0: every production channel is closed, no event
    cfg = bdgen.load_card(None, ["run.events=200", "model.m_chi=0.3"])
    return bdgen.generate(cfg, seed=7)


def _listing(d) -> set[str]:
    return set(os.listdir(d))


# ---------------------------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_round_trip_with_bdgen_read(result, tmp_path, suffix):
    path = tmp_path / f"ev{suffix}"
    assert bdgen.write(result, path) == path
    assert _listing(tmp_path) == {path.name}  # no temporary file left behind
    events, meta = io.read(path)
    assert set(events) == set(EVENT_COLUMNS)
    for col, (dt, _) in EVENT_COLUMNS.items():
        assert events[col].dtype == np.dtype(dt), col
        np.testing.assert_array_equal(events[col], result.events[col], err_msg=col)
    s = result.summary
    assert meta["config"] == s["config"]
    assert meta["config"] == result.config.to_dict()
    assert meta["seed"] == s["seed"] == 7
    assert meta["bdgen_version"] == bdgen.__version__
    assert meta["pot"] == s["pot"]
    assert meta["signal_events"] == s["signal_events"]
    assert meta["signal_events_error"] == s["signal_events_error"]
    assert meta["summary"]["signal_events"] == s["signal_events"]
    assert meta["summary"]["n_events"] == len(result)
    assert events["weight"].sum() == pytest.approx(meta["signal_events"], rel=1e-12)


def test_root_file_read_directly_with_uproot(result, tmp_path):
    path = tmp_path / "ev.root"
    io.write(result, path)
    with uproot.open(path) as f:
        tree = f["events"]
        assert tree.classname.startswith("TTree")
        assert set(tree.keys()) == set(EVENT_COLUMNS)
        assert tree.num_entries == len(result)
        arrays = tree.arrays(library="np")
        for col in EVENT_COLUMNS:
            np.testing.assert_array_equal(arrays[col], result.events[col], err_msg=col)
        run = f["run"]
        assert run.classname.startswith("TTree")
        assert run.num_entries == 1
        r = run.arrays(library="np")
        assert r["pot"][0] == pytest.approx(result.summary["pot"])
        assert r["signal_events"][0] == result.summary["signal_events"]
        assert r["signal_events_error"][0] == result.summary["signal_events_error"]
        assert int(r["seed"][0]) == 7
        assert int(r["n_generated"][0]) == result.summary["n_generated"]
        config = json.loads(str(f["config"]))
        summary = json.loads(str(f["summary"]))
        assert str(f["bdgen_version"]) == bdgen.__version__
        # the branches carry no units: every column's description (with its unit) is stored
        columns = json.loads(str(f["columns"]))
        assert str(f["detector"]) == result.summary["detector"]
    assert columns == {k: d for k, (_, d) in EVENT_COLUMNS.items()}
    assert config == result.summary["config"]
    assert summary["seed"] == 7
    assert arrays["weight"].sum() == pytest.approx(r["signal_events"][0], rel=1e-12)
    assert arrays["weight"].sum() == pytest.approx(summary["signal_events"], rel=1e-12)


@pytest.mark.parametrize("suffix", [".h5", ".hdf5"])
def test_hdf5_file_read_directly_with_h5py(result, tmp_path, suffix):
    path = tmp_path / f"ev{suffix}"
    io.write(result, path)
    with h5py.File(path, "r") as f:
        g = f["events"]
        assert set(g) == set(EVENT_COLUMNS)
        for col, (dt, desc) in EVENT_COLUMNS.items():
            ds = g[col]
            assert ds.shape == (len(result),)
            assert ds.dtype == np.dtype(dt)
            np.testing.assert_array_equal(ds[()], result.events[col], err_msg=col)
            assert ds.attrs["description"] == desc
        attrs = dict(f.attrs)
        weights = g["weight"][()]
    for key in ("bdgen_version", "seed", "pot", "signal_events", "signal_events_error", "n_generated",
                "unweighted", "config", "summary"):
        assert key in attrs, key
    assert attrs["seed"] == 7
    assert attrs["pot"] == pytest.approx(result.summary["pot"])
    assert json.loads(attrs["config"]) == result.summary["config"]
    assert json.loads(attrs["summary"])["signal_events"] == result.summary["signal_events"]
    assert weights.sum() == pytest.approx(attrs["signal_events"], rel=1e-12)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_empty_run_writes_and_reads(empty_result, tmp_path, suffix):
    assert len(empty_result) == 0
    path = tmp_path / f"empty{suffix}"
    io.write(empty_result, path)
    events, meta = io.read(path)
    assert set(events) == set(EVENT_COLUMNS)
    assert all(v.shape == (0,) for v in events.values())
    assert meta["signal_events"] == 0.0
    assert all("closed" in ch for ch in meta["summary"]["channels"])


@pytest.mark.parametrize("suffix", [".root", ".h5"])
def test_fresh_entropy_seed_is_stored(tmp_path, suffix):
    """Without a seed, the entropy drawn is recorded in the file (and reproduces the run)."""
    import dataclasses

    cfg = bdgen.load_card(None, ["run.events=20"])
    cfg = dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, seed=None))
    res = bdgen.generate(cfg, chunk_size=100_000)
    path = tmp_path / f"ev{suffix}"
    io.write(res, path)
    events, meta = io.read(path)
    assert meta["seed"] == res.summary["seed"]
    again = bdgen.generate(cfg, seed=meta["seed"], chunk_size=100_000)
    for col in EVENT_COLUMNS:
        np.testing.assert_array_equal(again.events[col], events[col], err_msg=col)


def test_unweighted_file_weights(tmp_path):
    cfg = bdgen.load_card(None, ["run.events=100", "run.unweighted=true"])
    res = bdgen.generate(cfg, seed=9, chunk_size=100_000)
    path = tmp_path / "u.h5"
    io.write(res, path)
    events, meta = io.read(path)
    w = events["weight"]
    assert len(w) > 0 and np.all(w == w[0])
    assert w.sum() == pytest.approx(meta["signal_events"], rel=1e-12)
    assert bool(meta["unweighted"]) is True


# ---------------------------------------------------------------------------------------------
# Overwrite rules
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_existing_file_not_overwritten(result, tmp_path, suffix):
    path = tmp_path / f"ev{suffix}"
    path.write_bytes(b"precious")
    with pytest.raises(OutputExistsError) as info:
        io.write(result, path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == b"precious"
    assert _listing(tmp_path) == {path.name}


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_overwrite_replaces(result, tmp_path, suffix):
    path = tmp_path / f"ev{suffix}"
    path.write_bytes(b"old")
    io.write(result, path, overwrite=True)
    events, meta = io.read(path)
    assert len(events["weight"]) == len(result)
    assert _listing(tmp_path) == {path.name}


def test_unknown_suffix_writes_nothing(result, tmp_path):
    with pytest.raises(CardError):
        io.write(result, tmp_path / "ev.csv")
    assert _listing(tmp_path) == set()


def test_write_json(tmp_path):
    path = tmp_path / "s.json"
    io.write_json({"a": 1, "b": np.float64(2.5)}, path)
    assert json.loads(path.read_text()) == {"a": 1, "b": 2.5}
    with pytest.raises(OutputExistsError):
        io.write_json({"a": 2}, path)
    assert json.loads(path.read_text()) == {"a": 1, "b": 2.5}
    io.write_json({"a": 3}, path, overwrite=True)
    assert json.loads(path.read_text()) == {"a": 3}
    assert _listing(tmp_path) == {"s.json"}


def test_check_writable(tmp_path):
    assert io.check_writable(tmp_path / "a.root", overwrite=False) == tmp_path / "a.root"
    with pytest.raises(CardError, match="unknown output format"):
        io.check_writable(tmp_path / "a.txt", overwrite=False)
    with pytest.raises(CardError, match="does not exist"):
        io.check_writable(tmp_path / "nodir" / "a.root", overwrite=False)
    (tmp_path / "b.h5").write_text("x")
    with pytest.raises(OutputExistsError):
        io.check_writable(tmp_path / "b.h5", overwrite=False)
    assert io.check_writable(tmp_path / "b.h5", overwrite=True) == tmp_path / "b.h5"
    (tmp_path / "d.root").mkdir()
    with pytest.raises(CardError, match="directory"):
        io.check_writable(tmp_path / "d.root", overwrite=True)
    assert _listing(tmp_path) == {"b.h5", "d.root"}


# ---------------------------------------------------------------------------------------------
# Atomic writes: a failure mid-write leaves no file and no temporary
# ---------------------------------------------------------------------------------------------


class Boom(RuntimeError):
    pass


def _failing_writer(path, result):
    with open(path, "wb") as fh:
        fh.write(b"half a file")
    raise Boom("disk full")


@pytest.fixture
def broken_writers(monkeypatch):
    import bdgen.io.hdf5
    import bdgen.io.root

    monkeypatch.setattr(bdgen.io.root, "write_root", _failing_writer)
    monkeypatch.setattr(bdgen.io.hdf5, "write_hdf5", _failing_writer)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_failed_write_leaves_nothing(result, tmp_path, suffix, broken_writers):
    path = tmp_path / f"ev{suffix}"
    with pytest.raises(Boom):
        io.write(result, path)
    assert not path.exists()
    assert _listing(tmp_path) == set()


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_failed_overwrite_keeps_old_file(result, tmp_path, suffix, broken_writers):
    path = tmp_path / f"ev{suffix}"
    path.write_bytes(b"previous run")
    with pytest.raises(Boom):
        io.write(result, path, overwrite=True)
    assert path.read_bytes() == b"previous run"
    assert _listing(tmp_path) == {path.name}


def test_interrupted_write_leaves_nothing(result, tmp_path, monkeypatch):
    import bdgen.io.root

    def interrupted(path, res):
        with open(path, "wb") as fh:
            fh.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(bdgen.io.root, "write_root", interrupted)
    with pytest.raises(KeyboardInterrupt):
        io.write(result, tmp_path / "ev.root")
    assert _listing(tmp_path) == set()


def test_failed_json_leaves_nothing(tmp_path):
    path = tmp_path / "s.json"
    with pytest.raises(TypeError):
        io.write_json({"x": object()}, path)  # not serialisable
    assert _listing(tmp_path) == set()
    path.write_text('{"keep": true}\n')
    with pytest.raises(TypeError):
        io.write_json({"x": object()}, path, overwrite=True)
    assert json.loads(path.read_text()) == {"keep": True}
    assert _listing(tmp_path) == {"s.json"}


def test_atomic_path_renames_only_on_success(tmp_path):
    dest = tmp_path / "x.bin"
    with io.atomic_path(dest, overwrite=False) as tmp:
        assert tmp.parent == tmp_path
        assert tmp != dest
        tmp.write_bytes(b"done")
        assert not dest.exists()
    assert dest.read_bytes() == b"done"
    assert _listing(tmp_path) == {"x.bin"}
    with pytest.raises(OutputExistsError):
        with io.atomic_path(dest, overwrite=False):
            pass
    with pytest.raises(ValueError):
        with io.atomic_path(dest, overwrite=True) as tmp:
            tmp.write_bytes(b"bad")
            raise ValueError
    assert dest.read_bytes() == b"done"
    assert _listing(tmp_path) == {"x.bin"}


def test_written_file_honours_umask(result, tmp_path):
    """A written file gets the usual permissions (0666 & ~umask), not mkstemp's 0600."""
    old = os.umask(0o022)
    try:
        path = tmp_path / "ev.h5"
        io.write(result, path)
    finally:
        os.umask(old)
    assert (path.stat().st_mode & 0o777) == 0o644


@pytest.mark.parametrize("suffix", [".root", ".h5"])
def test_read_one_set_of_a_multi_set_file_gives_its_numbers(tmp_path, suffix):
    """io.read(detector=NAME) returns that detector's (signal channel's) own signal estimate,
    equal to its weights' sum, for multi-detector and multi-channel files alike."""
    for sets, key in ((['signal.channels=["nucleon","electron"]'], ("nucleon", "electron")),
                      (['detector.names=["miniboone","sbnd"]'], ("miniboone", "sbnd"))):
        r = bdgen.generate(bdgen.load_card(None, [*sets, "run.events=300"]), seed=4)
        path = tmp_path / f"m{key[0]}{suffix}"
        io.write(r, path)
        for name in key:
            events, meta = io.read(path, detector=name)
            assert meta["detector"] == name
            assert meta["signal_events"] == pytest.approx(events["weight"].sum(), rel=1e-12)
        with pytest.raises(KeyError, match="the file has"):
            io.read(path)
