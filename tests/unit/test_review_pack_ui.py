"""The review pack's layout as pure functions: words that read right, limits kept, what people
typed shown as typed in Slack, in Markdown and in the PNG."""

from __future__ import annotations

from datetime import datetime

from bot.domain.review_pack import Period, read_kpi
from bot.services.review_pack import KpiLine, KraSection, ReviewPack
from bot.ui.kpi_chart import render_kpi_png
from bot.ui.review_pack import CHART_MAX_BARS, KpiBar, KpiChart, chart_of, md, pack_markdown, pack_messages
from tests.slack.blockkit import MESSAGE_BLOCKS_TEXT_MAX, blocks_text_length, message_errors

PERIOD = Period("2026-Q4", datetime(2026, 10, 1), datetime(2027, 1, 1))
PNG = b"\x89PNG\r\n\x1a\n"


def kpi(name: str, baseline, values, target=10.0, higher=True, unit="h") -> KpiLine:
    return KpiLine("KPI-1", name, unit, target, higher, read_kpi(baseline, values, target, higher))


def pack(kras: int, kpis: int, name: str = "KPI") -> ReviewPack:
    sections = [
        KraSection(
            ref=f"KRA-{n}",
            title="T" * 150,
            role="R" * 150,
            created_at=datetime(2025, 1, 1),
            archived_at=None,
            kpis=[kpi(f"{name} {p} " + "x" * 140, 4, [5, 6]) for p in range(kpis)],
        )
        for n in range(1, kras + 1)
    ]
    return ReviewPack("U1", "Alice", PERIOD, datetime(2026, 11, 30), sections)


def test_a_big_pack_splits_into_messages_inside_the_limits_with_each_kra_whole():
    messages = pack_messages(pack(12, 3))
    assert len(messages) > 1
    for message in messages:
        # Held to the emulator's own model of Slack's limits, not to the product's count.
        assert message_errors(message) == []
        assert blocks_text_length(message["blocks"]) <= MESSAGE_BLOCKS_TEXT_MAX
        assert message["blocks"][0]["type"] != "divider"
    texts = [
        " ".join(b.get("text", {}).get("text", "") for b in m["blocks"] if b["type"] == "section")
        for m in messages
    ]
    for n in range(1, 13):
        # A KRA's title and its KPIs land in the same message.
        assert sum(f"`KRA-{n}`" in t for t in texts) == 1
    assert messages[0]["text"].endswith(f"(part 1 of {len(messages)})")


def test_a_decreasing_kpi_reads_right_in_slack_and_markdown():
    section = KraSection(
        "KRA-1",
        "Customer satisfaction",
        "",
        datetime(2025, 1, 1),
        None,
        kpis=[kpi("First-response time", 24, [12, 8], target=6, higher=False)],
    )
    one = ReviewPack("U1", "Alice", PERIOD, datetime(2026, 11, 30), [section])
    slack_text = str(pack_messages(one))
    assert (
        "target ↓ 6 h, lower is better" in slack_text
        and "24 h → 8 h, improving · 67% of target" in slack_text
    )
    assert (
        "24 h | 8 h | target ↓ 6 h, lower is better | 24 h → 8 h, improving · 67% of target"
        in pack_markdown(one)
    )


def test_markdown_shows_what_people_typed_as_typed():
    assert md("**bold** [link](http://x) <b>|#") == "\\*\\*bold\\*\\* \\[link\\](http://x) \\<b\\>\\|\\#"
    assert md("two\nlines") == "two lines"
    assert len(md("x" * 500, 100)) == 100


def test_the_chart_draws_typed_dollars_as_text_and_caps_its_rows():
    bars = (
        KpiBar("KPI-1 $\\undefined$ per $ seat", 50.0, None, "improving"),
        KpiBar("KPI-2 b", 250.0, 80.0, "worsening"),
    )
    assert render_kpi_png(KpiChart("Al$ice: $\\frac{$", bars, 0)).startswith(PNG)
    assert render_kpi_png(KpiChart("empty", (), 0)).startswith(PNG)
    many = pack(30, 3)
    chart = chart_of(many)
    assert len(chart.bars) == CHART_MAX_BARS and chart.left_out == 90 - CHART_MAX_BARS


def test_the_chart_leaves_out_what_the_period_did_not_measure():
    section = KraSection(
        "KRA-1",
        "A",
        "",
        datetime(2025, 1, 1),
        None,
        kpis=[kpi("measured", 4, [5]), kpi("carried over", 4, []), kpi("zero target", None, [3], target=0)],
    )
    chart = chart_of(ReviewPack("U1", "Alice", PERIOD, datetime(2026, 11, 30), [section]))
    assert [b.label for b in chart.bars] == ["KPI-1 measured"]
    assert chart.left_out == 1  # the zero target: no scale to draw it on
