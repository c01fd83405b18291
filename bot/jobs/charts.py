"""Drawing many digest charts without slowing the posting down.

A chart is ~20 ms of pure CPU under the GIL, and a Friday with hundreds of channels draws one per
channel while the same process talks to Slack and the database. So a run that expects more than a
few charts draws them all in one child process, on another core: spawned (no lock or connection
of ours is copied into it) as soon as the run knows how many it will draw, so that it has started
(≈1 s) by the time the first is ready. A small run, a one-core machine, or a child that fails
draws in this process instead.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from multiprocessing import get_context
from typing import Any

from bot.ui.chart import render_png, warm_up

log = logging.getLogger("northline.jobs.charts")

PROCESS_AFTER = 8  # a run expecting more charts than this draws them in a child process
CHILD_SECONDS = 60.0  # a chart (the first one included) that takes longer means the child is stuck


class ChartRenderer:
    def __init__(
        self,
        draw: Callable[[Any], bytes] = render_png,
        *,
        process_after: int | None = None,
        cores: int | None = None,
    ):
        self.draw = draw  # chart -> PNG; module-level, so that the child can be handed it
        self.process_after = PROCESS_AFTER if process_after is None else process_after
        self.use_child = (cores if cores is not None else os.cpu_count() or 1) > 1
        self._lock = threading.Lock()
        self._expected = 0
        self._pool: ProcessPoolExecutor | None = None
        self.in_child = 0  # how many charts the child drew (tests read it)

    def __enter__(self) -> ChartRenderer:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def expect(self, charts: int) -> None:
        """This run will draw `charts` more charts; past PROCESS_AFTER in all, start the child now."""
        with self._lock:
            self._expected += charts
            if self._pool is not None or not self.use_child or self._expected <= self.process_after:
                return
            try:
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
                self._pool.submit(warm_up)  # imports matplotlib while the run reads its data
            except Exception:  # noqa: BLE001 - no child (no processes allowed, no memory): draw here
                log.warning(
                    "could not start the chart process; drawing charts in this process", exc_info=True
                )
                self._pool, self.use_child = None, False

    def begin(self, chart: Any) -> Callable[[], bytes]:
        """Start drawing `chart`; the returned function gives its PNG. With a child, the drawing
        goes on there while the caller posts the digest's messages."""
        pool = self._pool
        if pool is not None:
            try:
                drawing = pool.submit(self.draw, chart)
                return partial(self._finish, pool, drawing, chart)
            except Exception:  # noqa: BLE001 - the child broke since the last chart
                log.warning("the chart process failed; drawing charts in this process", exc_info=True)
                self._give_up_child(pool)
        return partial(self.draw, chart)

    def render(self, chart: Any) -> bytes:
        return self.begin(chart)()

    def _finish(self, pool: ProcessPoolExecutor, drawing: Future, chart: Any) -> bytes:
        try:
            png = drawing.result(timeout=CHILD_SECONDS)
        except Exception:  # noqa: BLE001 - a broken or stuck child must not cost the digest its chart
            log.warning("the chart process failed; drawing charts in this process", exc_info=True)
            self._give_up_child(pool)
            return self.draw(chart)
        with self._lock:
            self.in_child += 1
        return png

    def close(self) -> None:
        with self._lock:
            pool, self._pool, self.use_child = self._pool, None, False
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _give_up_child(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool, self.use_child = None, False
        pool.shutdown(wait=False, cancel_futures=True)
