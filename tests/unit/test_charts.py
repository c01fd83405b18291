"""The digest chart: the same PNG whether drawn here or in the chart process, and a chart even
when that process cannot start or dies."""

from __future__ import annotations

import io
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


def test_a_chart_is_a_png_of_the_frame_size():
    image = Image.open(io.BytesIO(render_png(a_chart())))
    assert image.format == "PNG" and image.size == (800, 450)


def test_the_chart_process_draws_the_same_png_as_this_process():
    chart = a_chart()
    with ChartRenderer(process_after=0, cores=2) as renderer:
        renderer.expect(1)
        assert renderer.render(chart) == render_png(chart)
        assert renderer.in_child == 1


def test_a_small_run_and_a_one_core_machine_draw_in_this_process():
    chart = a_chart(1)
    with ChartRenderer(process_after=8, cores=2) as few, ChartRenderer(process_after=0, cores=1) as one_core:
        few.expect(5)
        few.expect(3)  # 8 in all: not more than process_after
        one_core.expect(100)
        for _ in range(5):
            assert few.render(chart) == one_core.render(chart) == render_png(chart)
        assert few._pool is None and one_core._pool is None
        assert few.in_child == one_core.in_child == 0


def test_a_dead_chart_process_costs_no_chart():
    chart = a_chart()
    with ChartRenderer(process_after=0, cores=2) as renderer:
        renderer.expect(3)
        renderer.render(chart)
        assert renderer.in_child == 1
        for process in list(renderer._pool._processes.values()):
            process.kill()
            process.join()
        assert renderer.render(chart) == render_png(chart)  # drawn here instead
        assert renderer._pool is None and not renderer.use_child
        drawn = renderer.in_child
        assert renderer.render(chart) == render_png(chart)
        assert renderer.in_child == drawn


def test_expected_charts_add_up_across_a_run():
    with ChartRenderer(process_after=8, cores=2) as renderer:
        renderer.expect(5)
        assert renderer._pool is None
        renderer.expect(4)  # 9 in all
        assert renderer._pool is not None
        assert renderer.render(a_chart()) == render_png(a_chart())
        assert renderer.in_child == 1
