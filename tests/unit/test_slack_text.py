import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.slack_text import (
    ZWSP,
    escape,
    neutralize_broadcasts,
    parse_channel_mention,
    parse_user_mention,
    split_command,
    truncate,
)

# --- mentions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("<@U123|jane>", "U123"),
        ("<@U123>", "U123"),
        ("<@W0ABC9|jane.doe>", "W0ABC9"),  # Enterprise Grid user ids start with W
        (" <@U123|jane> ", "U123"),
        ("<@U123|>", "U123"),
        ("<@U123|Jane Doe (she/her)>", "U123"),
    ],
)
def test_parse_user_mention(token, expected):
    assert parse_user_mention(token) == expected


@pytest.mark.parametrize(
    "token",
    [
        "",
        "@jane",
        "U123",
        "<@u123>",
        "<@C123>",
        "<@U123",
        "<#C123|growth>",
        "<@U123> <@U456>",
        "<!here>",
        "x<@U123>",
    ],
)
def test_parse_user_mention_refuses(token):
    assert parse_user_mention(token) is None


@pytest.mark.parametrize(
    ("token", "expected"),
    [("<#C123|growth>", "C123"), ("<#C123>", "C123"), ("<#G0PRIV|secret>", "G0PRIV"), ("<#C1|>", "C1")],
)
def test_parse_channel_mention(token, expected):
    assert parse_channel_mention(token) == expected


@pytest.mark.parametrize("token", ["", "#growth", "C123", "<#c123>", "<@U123>", "<#C123", "<#U123>"])
def test_parse_channel_mention_refuses(token):
    assert parse_channel_mention(token) is None


# --- split_command ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("", "")),
        ("   ", ("", "")),
        ("help", ("help", "")),
        ("LIST", ("list", "")),
        ("  Checkin KR-3 42  on-track  ", ("checkin", "KR-3 42  on-track")),
        ("list <@U123|jane>", ("list", "<@U123|jane>")),
        ("goal\tShip the new onboarding", ("goal", "Ship the new onboarding")),
        ("goal\nline two", ("goal", "line two")),
    ],
)
def test_split_command(text, expected):
    assert split_command(text) == expected


def test_split_command_none():
    assert split_command(None) == ("", "")  # type: ignore[arg-type]


# --- neutralize_broadcasts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!here>", f"@{ZWSP}here"),
        ("<!here|here>", f"@{ZWSP}here"),
        ("<!here|@here>", f"@{ZWSP}here"),
        ("<!channel>", f"@{ZWSP}channel"),
        ("<!everyone>", f"@{ZWSP}everyone"),
        ("hey <!channel> look", f"hey @{ZWSP}channel look"),
        ("@here", f"@{ZWSP}here"),
        ("ping @channel and @everyone!", f"ping @{ZWSP}channel and @{ZWSP}everyone!"),
        ("@HERE", f"@{ZWSP}HERE"),
        ("<!subteam^S123|@designers>", f"@{ZWSP}designers"),
        ("<!subteam^S123>", f"@{ZWSP}group"),
    ],
)
def test_neutralize_broadcasts(text, expected):
    assert neutralize_broadcasts(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "nothing to see",
        "ops@here.com",  # an e-mail address, not a ping
        "@hereford",  # a different word
        "<@U123|jane>",  # a person is fine
        "<!date^1392734382^{date}|Feb 18>",
    ],
)
def test_neutralize_leaves_harmless_text_alone(text):
    assert neutralize_broadcasts(text) == text


def test_neutralize_is_idempotent():
    once = neutralize_broadcasts("<!here> and @channel")
    assert neutralize_broadcasts(once) == once


@given(st.text())
def test_neutralized_text_never_pings(text):
    out = neutralize_broadcasts(text)
    lowered = out.lower()
    for word in ("here", "channel", "everyone"):
        assert f"<!{word}" not in lowered
    assert "<!subteam" not in lowered


def test_escape():
    assert escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert escape("<!here>") == "&lt;!here&gt;"
    assert escape("") == ""


# --- truncate -------------------------------------------------------------------------------------


def test_truncate_short_text_untouched():
    assert truncate("hello", 5) == "hello"
    assert truncate("hello", 10) == "hello"
    assert truncate("", 3) == ""


def test_truncate_adds_ellipsis():
    assert truncate("hello world", 8) == "hello w…"
    assert truncate("hello world", 7) == "hello…"  # the trailing space is dropped


def test_truncate_tiny_limits():
    assert truncate("hello", 1) == "…"
    assert truncate("hello", 0) == ""
    assert truncate("hello", -3) == ""


def test_truncate_never_cuts_inside_an_escape():
    text = "owner <@U12345678|jane> says hi"
    out = truncate(text, 15)
    assert out == "owner…"
    assert "<" not in out


def test_truncate_keeps_a_whole_escape():
    text = "owner <@U1|j> says hi"
    assert truncate(text, 15) == "owner <@U1|j>…"


def test_truncate_never_cuts_inside_a_link():
    assert truncate("see <https://example.com/a/long/path|the doc> now", 30) == "see…"


@given(st.text(), st.integers(min_value=0, max_value=200))
def test_truncate_never_exceeds_limit(text, limit):
    out = truncate(text, limit)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text
    elif limit > 0:
        assert out.endswith("…")
