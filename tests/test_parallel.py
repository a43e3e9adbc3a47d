"""Chunk-level parallelism: results do not depend on the number of threads."""

from __future__ import annotations

import numpy as np
import pytest

import bdgen


@pytest.mark.parametrize("mode", ["run.events=300", "run.precision=0.1"])
def test_threads_give_identical_events(mode):
    runs = [bdgen.generate(bdgen.load_card(None, [mode, f"run.threads={t}", "run.chunk_size=100000"]), seed=9)
            for t in (1, 2, 3)]
    ref = runs[0]
    for r in runs[1:]:
        assert r.summary["signal_events"] == ref.summary["signal_events"]
        assert r.summary["n_generated"] == ref.summary["n_generated"]
        for k in ref.events:
            np.testing.assert_array_equal(r.events[k], ref.events[k], err_msg=k)


def test_threads_validated():
    with pytest.raises(bdgen.CardError, match="run.threads = -1"):
        bdgen.load_card(None, ["run.threads=-1"])
