"""Streamed runs (bounded memory): the same events as in-memory runs, nothing left behind."""

from __future__ import annotations

import numpy as np
import pytest

import bdgen
from bdgen import cli, io


@pytest.mark.parametrize("suffix", [".root", ".h5"])
@pytest.mark.parametrize("mode", [["run.events=800"], ["run.precision=0.1"], ["run.events=200", "run.unweighted=true"],
                                  ["run.events=200", "production.spectrum_systematics=true"]])
def test_streamed_equals_in_memory(tmp_path, suffix, mode):
    ref = bdgen.generate(bdgen.load_card(None, mode), seed=12)
    path = tmp_path / f"s{suffix}"
    res = bdgen.generate(bdgen.load_card(None, mode), seed=12, stream_to=str(path))
    assert len(res.events["weight"]) == 0  # the events went to the file
    assert res.summary["signal_events"] == ref.summary["signal_events"]
    assert res.summary["n_events"] == len(ref)
    assert res.summary.get("systematics") == ref.summary.get("systematics")
    ev, meta = bdgen.io.read(path)
    assert meta["signal_events"] == ref.summary["signal_events"]
    for k in ref.events:
        np.testing.assert_array_equal(ev[k], ref.events[k], err_msg=k)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no spool or temp files


def test_streamed_failure_leaves_nothing(tmp_path, monkeypatch):
    from bdgen.io import stream

    def boom(self, name, events):
        raise RuntimeError("disk full")

    monkeypatch.setattr(stream.StreamWriter, "write", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        bdgen.generate(bdgen.load_card(None, ["run.events=50"]), seed=1, stream_to=str(tmp_path / "x.root"))
    assert list(tmp_path.iterdir()) == []


def test_cli_stream(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "--stream", "-o", "a.h5", "--set", "run.events=100", "-q"]) == 0
    ev, _ = bdgen.io.read("a.h5")
    assert len(ev["weight"]) == 100
    assert cli.main(["run", "--stream", "-o", "a.h5", "--set", "run.events=100", "-q"]) == 2  # exists


def test_streamed_result_cannot_be_written_again(tmp_path):
    """The result of a streamed run holds the summary only; writing it to another file would
    give a file of 0 events claiming the run's signal, so io.write refuses (no file left)."""
    from bdgen.errors import CardError

    r = bdgen.generate(bdgen.load_card(None, ["run.events=30"]), stream_to=str(tmp_path / "s.root"), seed=2)
    with pytest.raises(CardError, match="holds no events"):
        io.write(r, tmp_path / "again.root")
    assert not (tmp_path / "again.root").exists()
