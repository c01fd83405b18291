"""The digest's progress chart as PNG bytes: pure input (plain dates, numbers and labels, so it
can cross into another process), pure output. matplotlib (Agg) and Pillow, nothing of Slack.

A full matplotlib draw costs ~200 ms on a small machine, most of it laying out and rasterising
text glyph by glyph. So each cycle's frame (axes, ticks, grid, title, the expected line) is drawn
once per process and kept as a bitmap; a chart restores it, draws only its own lines with
matplotlib, and its legend with Pillow (the same DejaVu font, the same colours, drawn as
matplotlib's legend would be). ~20 ms a chart.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from datetime import date

from bot.domain.history import ObjectiveHistory


@dataclass(frozen=True)
class ChartLine:
    days: tuple[date, ...]
    percents: tuple[float, ...]
    label: str


@dataclass(frozen=True)
class ProgressChart:
    cycle_name: str
    cycle_start: date
    cycle_end: date
    lines: tuple[ChartLine, ...]


@dataclass
class HistoryChart:
    """A ProgressChart whose lines are still objectives' histories (label, history): whichever
    process draws it works out their weeks, so the chart process takes that arithmetic too."""

    cycle_name: str
    cycle_start: date
    cycle_end: date
    lines: tuple[tuple[str, ObjectiveHistory], ...]

    def progress_chart(self) -> ProgressChart:
        lines = []
        for label, history in self.lines:
            points = history.weekly()
            lines.append(
                ChartLine(tuple(d for d, _ in points), tuple(round(p * 100, 1) for _, p in points), label)
            )
        return ProgressChart(self.cycle_name, self.cycle_start, self.cycle_end, tuple(lines))


def render_history_png(chart: HistoryChart) -> bytes:
    return render_png(chart.progress_chart())


def render_png(chart: ProgressChart) -> bytes:
    # matplotlib figures are not thread-safe: one lock for every chart this process draws.
    with _lock:
        return _frame(chart.cycle_name, chart.cycle_start, chart.cycle_end).render(chart.lines)


def warm_up() -> None:
    """Import matplotlib and Pillow now (≈1 s), so that the first chart costs what the others do."""
    import matplotlib.backends.backend_agg  # noqa: F401
    import PIL.ImageDraw  # noqa: F401


_lock = threading.Lock()
_frames: dict[tuple, _Frame] = {}


def _frame(name: str, start: date, end: date) -> _Frame:
    key = (name, start, end)
    frame = _frames.get(key)
    if frame is None:
        if len(_frames) >= 4:  # a cycle or two are ever in use; don't keep old ones forever
            _frames.clear()
        frame = _frames[key] = _Frame(name, start, end)
    return frame


def _rgb(rgba: tuple[float, ...]) -> tuple[int, ...]:
    return tuple(round(c * 255) for c in rgba)


class _Frame:
    DPI = 100
    SIZE = (8, 4.5)

    def __init__(self, name: str, start: date, end: date):
        import matplotlib

        matplotlib.use("Agg", force=True)
        from matplotlib import font_manager
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import LineCollection
        from matplotlib.colors import to_rgba
        from matplotlib.figure import Figure
        from PIL import ImageFont

        self.figure = Figure(figsize=self.SIZE, dpi=self.DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = axes = self.figure.subplots()
        (self.expected,) = axes.plot([start, end], [0, 100], linestyle="--", color="grey", label="expected")
        axes.set_ylim(0, 105)
        axes.set_xlim(start, end)
        axes.set_ylabel("progress %")
        axes.set_title(f"{name}: objective progress by week")
        axes.grid(True, alpha=0.3)
        self.figure.autofmt_xdate()
        # The objectives' lines and markers, in matplotlib's colour cycle (C0, C1, …), drawn only by render().
        self.colours = [to_rgba(f"C{n}") for n in range(10)]
        self.expected_colour = _rgb(to_rgba(self.expected.get_color()))
        self.paths = axes.add_collection(LineCollection([], linewidths=1.5, animated=True))
        self.markers = axes.scatter([], [], s=36, animated=True, zorder=2.1)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        properties = font_manager.FontProperties(size="small")  # as legend(fontsize="small")
        self.font_px = properties.get_size_in_points() * self.DPI / 72
        self.font = ImageFont.truetype(font_manager.findfont(properties), round(self.font_px))
        self.palette = self._palette(start, end)

    def _palette(self, start: date, end: date):
        """128 colours for every chart of this frame, chosen once from a chart with all ten line
        colours and a full legend: mapping each chart onto a known palette costs a third of
        choosing one per chart, and looks the same (the lines only ever use these colours)."""
        from PIL import Image

        days = (start, start + (end - start) / 2, end)
        sample = tuple(
            ChartLine(days, (10.0 * n, 50.0, 100.0 - 10.0 * n), f"OBJ-{n} sample objective")
            for n in range(10)
        )
        return self._image(sample).quantize(colors=128, method=Image.Quantize.FASTOCTREE)

    def render(self, lines: tuple[ChartLine, ...]) -> bytes:
        from PIL import Image

        buffer = io.BytesIO()
        # A palette of 128 colours loses nothing visible on a line chart and makes the PNG a
        # third of the size and faster to encode than full RGB.
        image = self._image(lines).quantize(palette=self.palette, dither=Image.Dither.NONE)
        image.save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def _image(self, lines: tuple[ChartLine, ...]):
        """The chart as an RGB image: the kept frame, these lines, the legend."""
        from matplotlib.dates import date2num
        from PIL import Image

        self.canvas.restore_region(self.background)
        colours = [self.colours[n % len(self.colours)] for n in range(len(lines))]
        if lines:
            # All lines in one collection and all markers in another, one draw each: an artist
            # per line cost most of a chart.
            points = [tuple(zip(date2num(line.days), line.percents, strict=True)) for line in lines]
            self.paths.set_segments(points)
            self.paths.set_color(colours)
            self.axes.draw_artist(self.paths)
            self.markers.set_offsets([point for line in points for point in line])
            self.markers.set_color(
                [colour for line, colour in zip(points, colours, strict=True) for _ in line]
            )
            self.axes.draw_artist(self.markers)
        size = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", size, self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
        entries = [(self.expected_colour, True, "expected")]
        entries += [(_rgb(colour), False, line.label) for colour, line in zip(colours, lines, strict=True)]
        self._legend(image, entries)
        return image

    def _legend(self, image, entries) -> None:
        """matplotlib's legend, loc="upper left": a rounded, translucent box, a line with a marker
        and a label per entry (the expected line dashed, without a marker)."""
        from PIL import ImageDraw

        draw = ImageDraw.Draw(image, "RGBA")
        fs = self.font_px
        pad, spacing, handle, gap = 0.4 * fs, 0.5 * fs, 2.0 * fs, 0.8 * fs
        left, top = self.axes.bbox.x0 + 0.5 * fs, image.height - self.axes.bbox.y1 + 0.5 * fs
        text_width = max(draw.textlength(label, font=self.font) for _, _, label in entries)
        box_width = 2 * pad + handle + gap + text_width
        box_height = 2 * pad + len(entries) * fs + (len(entries) - 1) * spacing
        draw.rounded_rectangle(
            (left, top, left + box_width, top + box_height),
            radius=0.2 * fs,
            fill=(255, 255, 255, 204),
            outline=(204, 204, 204, 204),
        )
        line_width = max(1, round(1.5 * self.DPI / 72))
        marker = 3 * self.DPI / 72  # markersize 6 pt
        for row, (colour, dashed, label) in enumerate(entries):
            y = top + pad + row * (fs + spacing) + fs / 2
            x0, x1 = left + pad, left + pad + handle
            if dashed:
                dash = handle / 5
                for n in (0, 2, 4):
                    draw.line((x0 + n * dash, y, x0 + (n + 1) * dash, y), fill=colour, width=line_width)
            else:
                draw.line((x0, y, x1, y), fill=colour, width=line_width)
                middle = (x0 + x1) / 2
                draw.ellipse((middle - marker, y - marker, middle + marker, y + marker), fill=colour)
            draw.text((x1 + gap, y), label, font=self.font, fill=(0, 0, 0, 255), anchor="lm")
