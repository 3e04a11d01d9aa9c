"""The garbage collector settings that main() applies before building the program."""

from __future__ import annotations

import gc

import pytest

from components.gc_tuning import YOUNG_GENERATION_THRESHOLD, tune_garbage_collector


@pytest.fixture
def restored_gc():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_tuning_freezes_and_raises_threshold(restored_gc):
    gc.unfreeze()
    _young, middle, old = gc.get_threshold()

    tune_garbage_collector()

    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, middle, old)


def test_tuning_keeps_collecting_cycles(restored_gc):
    tune_garbage_collector()
    cycle: list = []
    cycle.append(cycle)
    del cycle

    assert gc.collect() >= 1
