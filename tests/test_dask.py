"""Chunks on a local Dask cluster give the same events as one thread."""

from __future__ import annotations

import numpy as np
import pytest

import bdgen

pytest.importorskip("distributed")


@pytest.mark.slow
def test_local_cluster_identical_to_single_thread(caplog):
    import logging

    card = ["run.events=300", "run.chunk_size=100000"]
    a = bdgen.generate(bdgen.load_card(None, [*card, "run.threads=1"]), seed=8)
    level = logging.getLogger("distributed").level
    with caplog.at_level(logging.INFO):
        b = bdgen.generate(bdgen.load_card(None, [*card, "run.workers=2"]), seed=8)
    # Dask's start-up/shutdown chatter stays out of the user's terminal; its logger is restored
    assert not [r for r in caplog.records if r.name.startswith("distributed") and r.levelno < logging.ERROR]
    assert logging.getLogger("distributed").level == level
    assert a.summary["signal_events"] == b.summary["signal_events"]
    for k in a.events:
        np.testing.assert_array_equal(a.events[k], b.events[k], err_msg=k)


def test_unreachable_scheduler_is_a_card_error_and_restores_logging(monkeypatch):
    import logging

    import bdgen.pipeline
    from bdgen.errors import CardError
    from bdgen.pipeline import _DaskRunner

    monkeypatch.setattr(bdgen.pipeline, "DASK_CONNECT_TIMEOUT", 2)

    level = logging.getLogger("distributed").level
    with pytest.raises(CardError, match="run.scheduler"):
        _DaskRunner("tcp://127.0.0.1:1", 0)
    assert logging.getLogger("distributed").level == level
