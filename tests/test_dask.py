"""Chunks on a local Dask cluster give the same events as one thread."""

from __future__ import annotations

import numpy as np
import pytest

import bdgen

pytest.importorskip("distributed")


@pytest.mark.slow
def test_local_cluster_identical_to_single_thread():
    card = ["run.events=300", "run.chunk_size=100000"]
    a = bdgen.generate(bdgen.load_card(None, [*card, "run.threads=1"]), seed=8)
    b = bdgen.generate(bdgen.load_card(None, [*card, "run.workers=2"]), seed=8)
    assert a.summary["signal_events"] == b.summary["signal_events"]
    for k in a.events:
        np.testing.assert_array_equal(a.events[k], b.events[k], err_msg=k)
