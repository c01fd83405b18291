"""The digest chart: the same PNG whether drawn here or in the chart process, and a chart even
when that process cannot start or dies."""

from __future__ import annotations

import io
import time
from datetime import date, timedelta

from PIL import Image

from bot.jobs.charts import ChartRenderer
from bot.ui.chart import ChartLine, ProgressChart, render_png

START, END = date(2026, 10, 1), date(2027, 1, 1)


def a_chart(objectives: int = 3) -> ProgressChart:
    days = tuple(START + timedelta(days=7 * week) for week in range(9))
    lines = tuple(
        ChartLine(days, tuple(float(week * (n + 2)) for week in range(9)), f"OBJ-{n + 1} objective {n + 1}")
        for n in range(objectives)
    )
    return ProgressChart("2026-Q4", START, END, lines)


def drawn_in_child(renderer: ChartRenderer, chart: ProgressChart, seconds: float = 60) -> bytes:
    """Render until the child (which takes a moment to start) has drawn one; its PNG."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        before = renderer.in_child
        png = renderer.render(chart)
        if renderer.in_child > before:
            return png
        time.sleep(0.05)
    raise AssertionError("the chart process never drew a chart")


def test_a_chart_is_a_png_of_the_frame_size():
    image = Image.open(io.BytesIO(render_png(a_chart())))
    assert image.format == "PNG" and image.size == (800, 450)


def test_the_chart_process_draws_the_same_png_as_this_process():
    chart = a_chart()
    with ChartRenderer(process_after=0, cores=2) as renderer:
        assert drawn_in_child(renderer, chart) == render_png(chart)


def test_the_first_charts_of_a_run_and_a_one_core_machine_stay_in_this_process():
    chart = a_chart(1)
    with ChartRenderer(process_after=1000, cores=2) as few, ChartRenderer(process_after=0, cores=1) as one_core:
        for _ in range(5):
            assert few.render(chart) == one_core.render(chart) == render_png(chart)
        assert few._pool is None and one_core._pool is None
        assert few.in_child == one_core.in_child == 0


def test_a_dead_chart_process_costs_no_chart():
    chart = a_chart()
    with ChartRenderer(process_after=0, cores=2) as renderer:
        drawn_in_child(renderer, chart)
        for process in list(renderer._pool._processes.values()):
            process.kill()
            process.join()
        assert renderer.render(chart) == render_png(chart)  # drawn here instead
        assert renderer._pool is None and not renderer.use_child
        drawn = renderer.in_child
        assert renderer.render(chart) == render_png(chart)
        assert renderer.in_child == drawn
