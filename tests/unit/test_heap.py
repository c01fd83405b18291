"""A delivery process settles its heap once started (bot/bootstrap.py settle_heap): what exists
then is left out of the cycle collector's scans, and young objects are collected less often."""

from __future__ import annotations

import gc

from bot.bootstrap import YOUNG_GENERATION_THRESHOLD, settle_heap


def test_settling_freezes_what_exists_and_collects_the_young_less_often():
    threshold = gc.get_threshold()
    try:
        gc.unfreeze()
        assert gc.get_freeze_count() == 0
        settle_heap()
        assert gc.get_freeze_count() > 1000  # the modules, the app, the pools: not scanned again
        assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, *threshold[1:])
        cycle = []
        cycle.append(cycle)  # garbage with a cycle is still collected
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
