"""Ask Northline's intent grammar (bot/domain/ask.py): many phrasings, one intent each."""

from __future__ import annotations

import pytest

from bot.domain.ask import Intent, Question, Scope, mentions_blocker, parse_question, suggested_prompts


@pytest.mark.parametrize(
    "text",
    [
        "What needs me this week?",
        "what needs me",
        "What needs my attention?",
        "what do I need to do this week",
        "What should I check in on?",
        "what's on my plate",
        "my todo",
    ],
)
def test_what_needs_me(text):
    assert parse_question(text) == Question(Intent.NEEDS_ME, Scope.MINE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What's at risk?", Question(Intent.AT_RISK)),
        ("what is at-risk", Question(Intent.AT_RISK)),
        ("Anything off track?", Question(Intent.AT_RISK)),
        ("which key results are behind", Question(Intent.AT_RISK)),
        ("What\u2019s at risk in my objectives?", Question(Intent.AT_RISK, Scope.MINE)),
        ("risks in mine", Question(Intent.AT_RISK, Scope.MINE)),
        (
            "What's at risk in <#C0GROWTH|growth>?",
            Question(Intent.AT_RISK, Scope.CHANNEL, channel_id="C0GROWTH"),
        ),
        ("is <@U0BOB> behind?", Question(Intent.AT_RISK, Scope.PERSON, user_id="U0BOB")),
    ],
)
def test_at_risk_and_its_scope(text, expected):
    assert parse_question(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How is <#C0GROWTH> doing?", Question(Intent.HOW_IS, Scope.CHANNEL, channel_id="C0GROWTH")),
        ("how's <#G0OLDPRIV|team> going", Question(Intent.HOW_IS, Scope.CHANNEL, channel_id="G0OLDPRIV")),
        ("How is <@U0BOB|bob> doing?", Question(Intent.HOW_IS, Scope.PERSON, user_id="U0BOB")),
        ("status of <@W0GRID>", Question(Intent.HOW_IS, Scope.PERSON, user_id="W0GRID")),
        ("how am I doing", Question(Intent.HOW_IS, Scope.MINE)),
        ("How are we doing?", Question(Intent.HOW_IS)),
        ("how is #growth doing", Question(Intent.HOW_IS, Scope.CHANNEL, named_channel="#growth")),
    ],
)
def test_how_is(text, expected):
    assert parse_question(text) == expected


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("What changed since last week?", Intent.CHANGED),
        ("what's new", Intent.CHANGED),
        ("what moved", Intent.CHANGED),
        ("any changes this week?", Intent.CHANGED),
        ("Who hasn't checked in?", Intent.NOT_CHECKED_IN),
        ("who has not checked in this week", Intent.NOT_CHECKED_IN),
        ("who didn't check-in", Intent.NOT_CHECKED_IN),
        ("missing check-ins", Intent.NOT_CHECKED_IN),
        ("Which sprints serve no key result?", Intent.UNALIGNED_SPRINTS),
        ("sprints without key results", Intent.UNALIGNED_SPRINTS),
        ("unaligned sprints", Intent.UNALIGNED_SPRINTS),
        ("help", Intent.HELP),
        ("What can you do?", Intent.HELP),
        ("tell me a joke", Intent.UNKNOWN),
        ("", Intent.UNKNOWN),
        ("   ", Intent.UNKNOWN),
    ],
)
def test_other_intents(text, intent):
    assert parse_question(text).intent is intent


def test_brief_takes_its_channel_and_not_a_person():
    assert parse_question("Brief for <#C0GROWTH|growth>") == Question(
        Intent.BRIEF, Scope.CHANNEL, channel_id="C0GROWTH"
    )
    assert parse_question("weekly summary please") == Question(Intent.BRIEF)
    assert parse_question("brief for <@U0BOB>") == Question(Intent.BRIEF)


def test_a_channel_mention_checks_its_changed_scope_too():
    assert parse_question("what changed in <#C0GROWTH>") == Question(
        Intent.CHANGED, Scope.CHANNEL, channel_id="C0GROWTH"
    )
    # A DM is not a team channel: the question falls back to the workspace.
    assert parse_question("what changed in <#D0DIRECT>").scope is Scope.WORKSPACE


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("Draft key results for faster onboarding", "faster onboarding"),
        ("draft KRs: “Happier customers”?", "Happier customers"),
        ("Suggest key results about &lt;b&gt;growth&lt;/b&gt;", "<b>growth</b>"),
        ("Draft key results for …", ""),
    ],
)
def test_draft_keeps_what_was_typed_as_its_subject(text, subject):
    assert parse_question(text) == Question(Intent.DRAFT, Scope.MINE, subject=subject)


def test_slack_escapes_are_read_once():
    # Slack escapes &, < and > of what was typed; the grammar reads the text as typed.
    assert parse_question("what's at risk &amp; why") == Question(Intent.AT_RISK)
    assert parse_question("draft key results for a &lt; b").subject == "a < b"


def test_prompts_fit_where_the_person_is():
    assert [p.message for p in suggested_prompts("C0GROWTH")][:2] == [
        "How is <#C0GROWTH> doing?",
        "Brief for <#C0GROWTH>",
    ]
    for elsewhere in (None, "D0DIRECT", ""):
        assert [p.title for p in suggested_prompts(elsewhere)] == [
            "What needs me this week?",
            "What's at risk?",
            "Who hasn't checked in?",
            "Draft key results for …",
        ]


@pytest.mark.parametrize(
    ("note", "blocked"),
    [
        ("blocked on legal", True),
        ("Waiting for the data team", True),
        ("we can’t ship until the audit", True),
        ("depends on the billing migration", True),
        ("stuck", True),
        ("great week, shipped it", False),
        ("", False),
        (None, False),
    ],
)
def test_blockers_in_notes(note, blocked):
    assert mentions_blocker(note) is blocked
