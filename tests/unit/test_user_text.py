"""What people typed is shown as text on every surface: one function, held to examples."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain.slack_text import escape, neutralize_broadcasts, readable, truncate, unescape
from bot.ui.blocks import plain_user_text, user_text


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("R&D <quality>", "R&amp;D &lt;quality&gt;"),
        ("<https://evil.example|Reset your password>", "Reset your password (https://evil.example)"),
        ("see <https://example.com>", "see https://example.com"),
        ("ask <@U0BOB|bob> or <@U0CAROL>", "ask @bob or @U0CAROL"),
        ("in <#C0GROWTH|growth>", "in #growth"),
        ("<!here> look", "@\u200bhere look"),
        ("<!subteam^S1|@designers> look", "@\u200bdesigners look"),
        ("<team>", "&lt;team&gt;"),
        ("plain", "plain"),
        (None, ""),
    ],
)
def test_user_text_is_text_never_markup(typed, shown):
    assert user_text(typed) == shown
    # Whatever was typed, nothing we send back opens a Slack escape of its own.
    assert "<" not in user_text(typed) and ">" not in user_text(typed)


def test_user_text_cuts_before_escaping_so_no_escape_is_cut_in_half():
    assert user_text("&" * 10, 5) == "&amp;" * 4 + "…"


def test_plain_text_surfaces_get_the_readable_text_unescaped():
    assert plain_user_text("R&D with <@U0BOB|bob>", 150) == "R&D with @bob"


def test_readable_leaves_text_without_markup_alone():
    assert readable("a < b & c > d") == "a < b & c > d"


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("R&amp;D &lt;quality&gt;", "R&D <quality>"),
        ("&amp;lt;", "&lt;"),  # a person who typed "&lt;" gets "&lt;" back: unescaped once
        ("<@U0BOB|bob> ships", "<@U0BOB|bob> ships"),
    ],
)
def test_slash_command_text_is_unescaped_once(sent, typed):
    assert unescape(sent) == typed


def test_the_digest_says_one_point_and_one_objective_in_the_singular():
    from datetime import date
    from types import SimpleNamespace

    from bot.domain.progress import PaceStatus
    from bot.ui.digest import change_text, digest_parent

    assert change_text(0.01) == "+1 pt since last week" and change_text(-0.02) == "−2 pts since last week"
    objective = SimpleNamespace(number=1, title="Delight customers")
    status = SimpleNamespace(objective=objective, progress=0.4, pace=PaceStatus.ON_TRACK)
    data = SimpleNamespace(
        channel_id="C1",
        week_start=date(2026, 11, 30),
        cycle=None,
        left_out=0,
        objectives=[SimpleNamespace(status=status, change=0.01)],
    )
    assert digest_parent(data)["text"].startswith("Weekly digest: 1 objective. ")


def test_a_fallback_keeps_underscores_inside_words_and_drops_emphasis():
    from bot.ui.posts import plain

    assert plain("*Weekly digest*: _Fridays_ (America/Los_Angeles), not_in_channel") == (
        "Weekly digest: Fridays (America/Los_Angeles), not_in_channel"
    )


# Mostly plain pieces, so that many texts take user_text's fast path; a few of Slack's markup.
PIECES = ["a", " ", ".", "@", "!", "\u00e9", "here", "Channel", "&", "<!here>", "<@U1|jo>"]


@given(text=st.lists(st.sampled_from(PIECES), max_size=12).map("".join), limit=st.integers(1, 45))
@example(text="@here", limit=45)
@example(text="ask @Channel.", limit=45)
@example(text="R&D", limit=45)
@example(text="plain but long", limit=5)
@settings(max_examples=300, deadline=None)
def test_user_text_fast_path_shows_what_the_full_path_shows(text, limit):
    # user_text returns markup-free text unchanged without the regexes: it must agree with them.
    full = escape(truncate(neutralize_broadcasts(readable(text)), limit))
    assert user_text(text, limit) == full
