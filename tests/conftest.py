"""Shared fixtures: a seeded numpy Generator and small run configurations."""

from __future__ import annotations

import numpy as np
import pytest

import bdgen


@pytest.fixture
def rng() -> np.random.Generator:
    """A numpy Generator with a fixed seed (tests must not depend on global state)."""
    return np.random.default_rng(20261125)


@pytest.fixture
def small_card():
    """Factory: the built-in card with overrides, e.g. small_card("run.events=200")."""

    def make(*overrides: str) -> bdgen.Config:
        return bdgen.load_card(None, list(overrides))

    return make
