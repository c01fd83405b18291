"""The review pack's chart as PNG bytes: each KPI's latest value as a share of its target, a
dot where it began, the target as a line at 100 %. Pure input (a KpiChart), pure output.

Drawn with matplotlib (Agg) in the style of bot/ui/chart.py: the same size per row, DPI, grid
and colour cycle, under the same lock (matplotlib figures are not thread-safe). A pack's chart is
one per request, so it is drawn whole rather than from a kept frame.
"""

from __future__ import annotations

import io

from bot.ui.chart import _Frame
from bot.ui.chart import _lock as draw_lock
from bot.ui.review_pack import KpiChart

X_MAX = 200.0  # beyond twice the target, a bar is drawn to the edge with its value written
ROW_INCHES = 0.32
TREND_COLOURS = {"improving": "C2", "worsening": "C3"}


def render_kpi_png(chart: KpiChart) -> bytes:
    with draw_lock:
        return _draw(chart)


def _draw(chart: KpiChart) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    rows = max(1, len(chart.bars))
    width = _Frame.SIZE[0]
    figure = Figure(figsize=(width, 1.6 + ROW_INCHES * rows), dpi=_Frame.DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    positions = list(range(rows))[::-1]  # the first KPI on top
    ends = [min(bar.end, X_MAX) for bar in chart.bars]
    colours = [TREND_COLOURS.get(bar.trend, "C0") for bar in chart.bars]
    axes.barh(positions[: len(ends)], [max(0.0, e) for e in ends], color=colours, height=0.6)
    starts = [
        (min(max(bar.start, 0.0), X_MAX), y)
        for bar, y in zip(chart.bars, positions, strict=False)
        if bar.start is not None
    ]
    if starts:
        axes.scatter(
            [x for x, _ in starts],
            [y for _, y in starts],
            s=24,
            color="black",
            zorder=3,
            label="start of period",
        )
    axes.axvline(100, linestyle="--", color="grey", label="target")
    for bar, y in zip(chart.bars, positions, strict=False):
        axes.text(min(max(bar.end, 0.0), X_MAX) + 2, y, f"{bar.end:.0f}%", va="center", fontsize="x-small")
    # What people typed is text, never markup: no mathtext for a "$" in a KPI's name.
    axes.set_yticks(
        positions[: len(chart.bars)], [bar.label for bar in chart.bars], fontsize="small", parse_math=False
    )
    axes.set_xlim(0, X_MAX + 20)
    axes.set_ylim(-1.9, rows - 0.3)  # a free strip at the bottom for the legend
    axes.set_xlabel("latest value, % of target (100 = on target; more is better either way)")
    axes.set_title(chart.title, fontsize="medium", parse_math=False)
    axes.grid(True, axis="x", alpha=0.3)
    if not chart.bars:
        axes.text(X_MAX / 2, 0, "no KPI values in this period", ha="center", va="center")
    handles, _ = axes.get_legend_handles_labels()
    handles += [
        Patch(color=colour, label=trend) for trend, colour in (*TREND_COLOURS.items(), ("other", "C0"))
    ]
    axes.legend(handles=handles, loc="lower right", fontsize="x-small", ncol=len(handles))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
