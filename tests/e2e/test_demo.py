"""`northline demo`: the offline demo prints every section as text and writes the progress chart."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.demo import CHART_FILE, run_demo

NOW = datetime(2026, 11, 19, 10, 0)  # a Thursday, about halfway through 2026-Q4
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

SECTIONS = [
    "$ /kra list all",
    "$ /okr list all",
    "$ /okr show OBJ-4",
    "App Home of Maya",
    "$ /sprint show (in #product-team)",
    "Weekly digest in #product-team (Friday 16:00)",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("demo")
    return run_demo(str(folder), now=NOW), folder


def _section(output: str, title: str) -> str:
    """The text of one section, up to the next one."""
    start = output.index(title)
    ends = [output.index(other, start + 1) for other in SECTIONS if other in output[start + 1 :]]
    return output[start : min(ends, default=len(output))]


def test_every_section_is_printed_in_order(demo):
    output, _ = demo
    positions = [output.index(title) for title in SECTIONS]
    assert positions == sorted(positions)


def test_references_progress_and_pace_show(demo):
    output, _ = demo
    for reference in ("KRA-1", "KPI-1", "OBJ-1", "OBJ-4", "KR-1", "KR-10", "SPR-1"):
        assert reference in output
    assert "▓" in output and "%" in output
    okr_list = _section(output, "$ /okr list all")
    assert "2026-Q4" in okr_list
    for pace in ("on track", "at risk", "off track"):
        assert pace in okr_list
    # A decreasing key result and a milestone.
    assert "(24 h → 6 h)" in okr_list
    assert "milestone, done" in okr_list
    # Slack markup is turned into something a terminal shows.
    assert ":large_green_circle:" not in output and "🟢" in output


def test_objective_sits_under_a_kra_and_a_parent_objective(demo):
    output, _ = demo
    show = _section(output, "$ /okr show OBJ-4")
    assert "Alignment: KRA-7 Design quality → OBJ-1 Make onboarding effortless for new teams → OBJ-4" in show
    assert "trend:" in show and "Last check-in" in show


def test_home_shows_key_results_objectives_needs_you_and_sprint_goals(demo):
    output, _ = demo
    home = _section(output, "App Home of Maya")
    for heading in (
        "Needs you this week",
        "Your key results",
        "Your objectives",
        "Your teams' sprint goals",
        "Your Key Result Areas",
    ):
        assert heading in home
    assert "KR-2" in home and "without a check-in since Monday" in home
    assert "Pace " in home
    assert "SPR-1" in home and "aligned" in home


def test_sprint_is_aligned_with_two_key_results(demo):
    output, _ = demo
    sprint = _section(output, "$ /sprint show (in #product-team)")
    assert "SPR-1" in sprint
    assert "Aligned: the goal serves 2 key results." in sprint
    assert "KR-2" in sprint and "KR-4" in sprint
    assert "days left" in sprint


def test_digest_parent_thread_and_chart(demo):
    output, folder = demo
    digest = _section(output, "Weekly digest in #product-team (Friday 16:00)")
    assert "Weekly digest for #product-team" in digest
    assert "pts since last week" in digest
    # It leads with what changed and what is at risk (and why), each key result once.
    assert "What changed this week\n• KR-1 Grow weekly active teams from 340 to 420: 49% → 59%\n" in digest
    assert (
        "• KR-4 Cut first response time from 24 h to 6 h: 31% → 36%; pace at risk\n"
        "      “Two agents out this week; a triage rota starts Monday”"
    ) in digest
    assert "• KR-5 Lift NPS from 35 to 50: confidence at risk; no check-in this week\n" in digest
    assert all(digest.count(f"KR-{n} ") == 1 for n in range(1, 11))
    # The thread: the rest, missing check-ins, the sprint.
    assert "No check-in since Mon 16 Nov 2026\n  │ • @Maya: 1 key result\n  │ • @Sam: 1 key result" in digest
    assert "aligned: it serves 2 active key results" in digest
    chart = folder / CHART_FILE
    assert f"Progress chart: {chart}" in digest
    assert chart.exists()
    assert chart.read_bytes().startswith(PNG_SIGNATURE)


def test_same_now_same_output(demo):
    output, folder = demo
    assert run_demo(str(folder), now=NOW) == output


def test_cli_demo(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--path", str(tmp_path)])
    assert exit_.value.code == 0
    printed = capsys.readouterr().out
    for title in SECTIONS:
        assert title in printed
    assert (tmp_path / CHART_FILE).read_bytes().startswith(PNG_SIGNATURE)
