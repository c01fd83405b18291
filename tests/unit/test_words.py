from datetime import date

from bot.ui.reminders import _intro


def test_reminder_on_monday_names_the_previous_week():
    intro = _intro(pending=2, done=0, gone=0, week_start=date(2026, 12, 7))
    assert "no check-in since Monday 07 Dec" not in intro
    assert "2 key results have no check-in this week" in intro
    assert "for the week of <!date^1796040000^{date_short_pretty}|Mon 30 Nov 2026>." in intro


def test_fallback_text_carries_percent_not_bars():
    from bot.ui.progress import progress_percent, without_bars

    assert progress_percent(0.73) == "73%"
    assert progress_percent(None) == "–"
    assert without_bars("KR-1 Docs · ▓▓▓▓▓▓▓░░░ 73% · on track") == "KR-1 Docs · 73% · on track"
