"""Drawing many digest charts without slowing the posting down.

A chart is ~20 ms of pure CPU under the GIL, and a Friday with hundreds of channels draws one per
channel while the same process talks to Slack and the database. Past a few charts in one run, they
are drawn in one child process instead, on another core; until it has started (≈1 s, spawned so
that no lock or connection of ours is copied into it), and if it ever fails, they are drawn here.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context

from bot.ui.chart import ProgressChart, render_png, warm_up

log = logging.getLogger("northline.jobs.charts")

PROCESS_AFTER = 8  # charts drawn here before a run hands the rest to a child process
CHILD_SECONDS = 60.0  # a chart that takes longer means the child is stuck: draw here from then on


class ChartRenderer:
    def __init__(self, *, process_after: int | None = None, cores: int | None = None):
        self.process_after = PROCESS_AFTER if process_after is None else process_after
        self.use_child = (cores if cores is not None else os.cpu_count() or 1) > 1
        self._lock = threading.Lock()
        self._drawn = 0
        self._pool: ProcessPoolExecutor | None = None
        self._ready: Future | None = None
        self.in_child = 0  # how many charts the child drew (for tests and the benchmark)

    def __enter__(self) -> ChartRenderer:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def render(self, chart: ProgressChart) -> bytes:
        pool = self._child()
        if pool is not None:
            try:
                png = pool.submit(render_png, chart).result(timeout=CHILD_SECONDS)
                with self._lock:
                    self.in_child += 1
                return png
            except Exception:  # noqa: BLE001 - a broken or stuck child must not cost the digest its chart
                log.warning("the chart process failed; drawing charts in this process", exc_info=True)
                self._give_up_child(pool)
        return render_png(chart)

    def close(self) -> None:
        with self._lock:
            pool, self._pool, self.use_child = self._pool, None, False
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _child(self) -> ProcessPoolExecutor | None:
        """The child process once it is ready; None while charts are still drawn here."""
        with self._lock:
            self._drawn += 1
            if self._pool is None and self.use_child and self._drawn > self.process_after:
                try:
                    self._pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
                    self._ready = self._pool.submit(warm_up)
                except Exception:  # noqa: BLE001 - no child (no fork allowed, no memory): draw here
                    log.warning("could not start the chart process; drawing charts in this process", exc_info=True)
                    self.use_child = False
                    return None
            pool, ready = self._pool, self._ready
        if pool is None or ready is None or not ready.done():
            return None
        if ready.exception() is not None:
            log.warning("the chart process did not start; drawing charts in this process", exc_info=ready.exception())
            self._give_up_child(pool)
            return None
        return pool

    def _give_up_child(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool, self.use_child = None, False
        pool.shutdown(wait=False, cancel_futures=True)
