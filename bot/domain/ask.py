"""Ask Northline's questions: what a person typed in the assistant panel, read as one intent.

Pure: text in, a Question out. The grammar is small and deterministic on purpose: each intent is
answered from the team's data by bot.services.ask, with no language model. What is not understood
is UNKNOWN, and is answered with the list of what can be asked (QUESTIONS).

Slack hands the typed text with its own markup for mentions (<#C123|growth>, <@U123>) and with
&, < and > escaped; `parse_question` reads both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.channels import is_team_channel_id
from bot.domain.slack_text import unescape

QUESTION_MAX = 2000  # longer than any question; what is beyond it is not read


class Intent(StrEnum):
    NEEDS_ME = "needs_me"
    AT_RISK = "at_risk"
    HOW_IS = "how_is"
    CHANGED = "changed"
    NOT_CHECKED_IN = "not_checked_in"
    UNALIGNED_SPRINTS = "unaligned_sprints"
    BRIEF = "brief"
    DRAFT = "draft"
    HELP = "help"
    UNKNOWN = "unknown"


class Scope(StrEnum):
    MINE = "mine"  # objectives the asker owns or owns a key result in
    CHANNEL = "channel"
    PERSON = "person"
    WORKSPACE = "workspace"


@dataclass(frozen=True)
class Question:
    intent: Intent
    scope: Scope = Scope.WORKSPACE
    channel_id: str | None = None
    user_id: str | None = None
    subject: str = ""  # DRAFT: what to draft key results for, as typed
    named_channel: str = ""  # "#growth" typed as plain text: a name we cannot resolve to an id


# What can be asked, in the order the help lists them (shown when a question is not understood).
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("What needs me this week?", "your key results to check in on, and those at risk"),
    ("What's at risk?", "add `in my objectives` or a #channel to narrow it"),
    ("How is #channel doing?", "or `How is @person doing?`"),
    ("What changed since last week?", "check-ins of the last seven days; add a #channel to narrow it"),
    ("Who hasn't checked in?", "this week, workspace-wide or for a #channel"),
    ("Which sprints serve no key result?", "active sprints not linked to a key result"),
    ("Brief for #channel", "the week's brief: what moved, what's at risk and why, blockers, what to decide"),
    ("Draft key results for …", "a starting shape for measurable key results"),
)

_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>", re.ASCII)
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>", re.ASCII)
_PLAIN_CHANNEL = re.compile(r"(?<![\w<])#([a-z0-9][a-z0-9._-]{0,79})", re.IGNORECASE)
_MINE = re.compile(r"\b(my|mine|me|i own)\b")
_DRAFT = re.compile(
    r"^\s*(?:please\s+)?(?:draft|suggest|write|propose)\s+(?:some\s+)?(?:krs|key results?)\b(?:\s+(?:for|about|on))?\s*:?\s*(?P<subject>.*)$",
    re.IGNORECASE | re.DOTALL,
)

# (intent, patterns over the lower-cased text with mentions taken out); the first match wins.
_RULES: tuple[tuple[Intent, tuple[str, ...]], ...] = (
    (Intent.BRIEF, (r"\bbrief\b", r"\bweekly summary\b", r"\bsummar(y|ise|ize)\b")),
    (
        Intent.UNALIGNED_SPRINTS,
        (
            r"\bsprints?\b.*\b(no|not|without|unlinked|unaligned|serve nothing|serving nothing)\b",
            r"\b(unaligned|unlinked)\s+sprints?\b",
        ),
    ),
    (
        Intent.NOT_CHECKED_IN,
        (
            r"\bwho\b.*\b(hasn'?t|has not|haven'?t|have not|didn'?t|did not|not yet)\b.*\bcheck(ed)?[ -]?in\b",
            r"\b(missing|overdue|late|no)\s+check[ -]?ins?\b",
            r"\bwho\b.*\b(is|are)\s+(late|behind on check[ -]?ins?)\b",
        ),
    ),
    (
        Intent.NEEDS_ME,
        (
            r"\bneeds?\s+(me|my)\b",
            r"\bwhat (should|do|must) i\b",
            r"\bmy (to-?do|todo|week)\b",
            r"\bon my plate\b",
        ),
    ),
    (
        Intent.AT_RISK,
        (r"\bat[ -]risk\b", r"\brisks?\b", r"\brisky\b", r"\boff[ -]track\b", r"\bbehind\b", r"\bslipping\b"),
    ),
    (
        Intent.CHANGED,
        (
            r"\bwhat('?s| has| is)? (changed|moved|new|happened)\b",
            r"\bchanges?\b.*\b(last|this|past) week\b",
            r"\bsince last week\b",
            r"\bwhat moved\b",
        ),
    ),
    (
        Intent.HOW_IS,
        (
            r"\bhow('?s| is| are| am)\b",
            r"\bstatus of\b",
            r"\bprogress of\b",
            r"\bupdate on\b",
        ),
    ),
    (Intent.HELP, (r"^\W*(help|\?|what can (you|i) (do|ask)|commands|hi|hello|hey)\W*$",)),
)
_COMPILED = tuple((intent, tuple(re.compile(p) for p in patterns)) for intent, patterns in _RULES)


def parse_question(text: str | None) -> Question:
    """The one intent a question asks, with its scope (a #channel, an @person, the asker's own)."""
    raw = unescape((text or "")[:QUESTION_MAX]).strip()
    draft = _DRAFT.match(raw)
    if draft:
        return Question(Intent.DRAFT, Scope.MINE, subject=_clean_subject(draft.group("subject")))
    channel = next((c for c in _CHANNEL.findall(raw) if is_team_channel_id(c)), None)
    user = next(iter(_USER.findall(raw)), None)
    bare = _USER.sub(" ", _CHANNEL.sub(" ", raw)).lower()
    bare = bare.replace("\u2019", "'")
    plain = _PLAIN_CHANNEL.search(bare)
    named = f"#{plain.group(1)}" if plain and channel is None else ""
    intent = _intent(bare)
    if intent is Intent.UNKNOWN:
        return Question(Intent.UNKNOWN)
    return _scoped(intent, channel, user, named, bare)


def mentioned_channel(text: str | None) -> str | None:
    """The first team channel a question names with Slack's link (<#C…>), if any."""
    raw = (text or "")[:QUESTION_MAX]
    return next((c for c in _CHANNEL.findall(raw) if is_team_channel_id(c)), None)


def _intent(bare: str) -> Intent:
    for intent, patterns in _COMPILED:
        if any(p.search(bare) for p in patterns):
            return intent
    return Intent.UNKNOWN


def _scoped(intent: Intent, channel: str | None, user: str | None, named: str, bare: str) -> Question:
    if intent in (Intent.NEEDS_ME, Intent.HELP, Intent.UNALIGNED_SPRINTS):
        return Question(intent, Scope.MINE if intent is Intent.NEEDS_ME else Scope.WORKSPACE)
    if channel:
        return Question(intent, Scope.CHANNEL, channel_id=channel)
    if user and intent is not Intent.BRIEF:
        return Question(intent, Scope.PERSON, user_id=user)
    if named:
        return Question(intent, Scope.CHANNEL, named_channel=named)
    if intent is Intent.AT_RISK and _MINE.search(bare):
        return Question(intent, Scope.MINE)
    if intent is Intent.HOW_IS and re.search(r"\bhow am i\b|\bhow('?s| is) my\b|\bhow are my\b", bare):
        return Question(intent, Scope.MINE)
    return Question(intent, Scope.WORKSPACE)


def _clean_subject(subject: str) -> str:
    subject = subject.strip().rstrip("?.!… ").strip().strip("\"'“”‘’").strip()
    return "" if subject in ("…", "...", "") else subject


@dataclass(frozen=True)
class Prompt:
    """A suggested prompt: its title (shown) and the message it sends when clicked."""

    title: str
    message: str


MAX_PROMPTS = 4  # assistant.threads.setSuggestedPrompts takes at most four


def suggested_prompts(context_channel_id: str | None) -> list[Prompt]:
    """What to suggest when the panel opens: about the channel the person is in, when it is a team
    channel; otherwise about their own week."""
    if is_team_channel_id(context_channel_id):
        here = f"<#{context_channel_id}>"
        return [
            Prompt("How is this channel doing?", f"How is {here} doing?"),
            Prompt("The week's brief for this channel", f"Brief for {here}"),
            Prompt("What's at risk here?", f"What's at risk in {here}?"),
            Prompt("What needs me this week?", "What needs me this week?"),
        ]
    return [
        Prompt("What needs me this week?", "What needs me this week?"),
        Prompt("What's at risk?", "What's at risk?"),
        Prompt("Who hasn't checked in?", "Who hasn't checked in this week?"),
        Prompt("Draft key results for …", "Draft key results for …"),
    ]


# Words in an owner's note that say something is in the way: the brief lists such notes as blockers.
_BLOCKER = re.compile(
    r"\b(block(ed|er|ers|ing)?|stuck|waiting (on|for)|depends on|dependency|can'?t|cannot|"
    r"need(s)? help|no access|on hold)\b",
    re.IGNORECASE,
)


def mentions_blocker(note: str | None) -> bool:
    """Whether an owner's note names something in the way ("blocked on legal", "waiting for data")."""
    return bool(note) and _BLOCKER.search((note or "").replace("\u2019", "'")) is not None
