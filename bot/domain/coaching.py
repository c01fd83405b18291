"""KRA coaching: gentle notes, never a refusal.

The rules: 3-5 active KRAs per person, 1-3 KPIs per KRA, and a KRA is an outcome area
("Product quality"), not a task ("Run QA audits") and not something with a deadline.
"""

import re

MIN_KRAS = 3
MAX_KRAS = 5
MAX_KPIS = 3

# Imperative verbs that open a to-do rather than name an area of accountability.
# fmt: off
TASK_VERBS = frozenset(
    [
        "run", "do", "fix", "write", "complete", "finish", "create", "build", "send", "call", "conduct",
        "prepare", "organize", "organise", "implement", "update", "launch", "ship", "hold", "schedule",
        "attend", "review", "make", "clean", "migrate", "deploy", "test", "plan", "deliver", "publish",
        "hire", "recruit", "onboard", "train", "analyze", "analyse", "audit", "draft", "develop",
        "document", "submit", "close", "collect", "meet", "present", "redesign", "refactor", "release",
        "remove", "replace", "resolve", "set", "start", "install", "configure", "upgrade", "automate",
        # Verbs of keeping something going: still a duty, not the outcome it serves.
        "manage", "ensure", "maintain", "handle", "coordinate", "oversee", "monitor", "verify",
        "approve", "respond", "reply", "answer", "compile", "produce", "facilitate", "perform",
        "execute", "arrange", "contact", "email", "pay", "invoice", "follow",
    ]
)
# fmt: on
TASK_PHRASES = ("set up", "follow up", "sign up", "roll out", "clean up", "reach out", "kick off")

# Words that, right after the first word, show it was a noun: "Test coverage", "Call quality",
# "Build reliability", "Release readiness" name outcome areas, not tasks.
# fmt: off
_OUTCOME_NOUNS = frozenset(
    [
        "quality", "coverage", "adherence", "readiness", "satisfaction", "health", "rate", "rates",
        "times", "performance", "reliability", "accuracy", "efficiency", "success", "excellence",
        "velocity", "management", "compliance", "experience", "stability", "throughput", "speed",
        "cadence", "hygiene", "capacity", "retention", "pipeline", "process", "operations",
    ]
)
# fmt: on

_WEEKDAYS = (
    r"mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
)
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_WHEN = (
    rf"(?:{_WEEKDAYS}|{_MONTHS}|today|tonight|tomorrow|eod|eow|eom|eoq|eoy"
    r"|(?:the\s+)?end\s+of|(?:next|this)\s+(?:week|month|quarter|year|sprint)"
    r"|q[1-4]|h[12]|20\d\d|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}"
    r"|(?:the\s+)?\d{1,2}(?:st|nd|rd|th))\b"
)
_DEADLINE = re.compile(
    rf"\b(?:by|before|until|due(?:\s+(?:by|on))?)\s+{_WHEN}"  # "by Friday", "due 2026-12-01"
    r"|\bdeadline\b"
    r"|\b\d{4}-\d{1,2}-\d{1,2}\b",  # an ISO date anywhere
    re.IGNORECASE,
)

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")

# A recurring deliverable is a task done often ("Weekly reports", "Monthly board update"), while
# "Monthly recurring revenue" or "Weekly active teams" name what is measured.
_RECURRING_DELIVERABLE = re.compile(
    r"^(?:bi-?weekly|daily|weekly|fortnightly|monthly|quarterly|annual|yearly)\s+"
    r"(?:[a-z]+\s+)?(?:reports?|reporting|meetings?|newsletters?|updates?|reviews?|stand-?ups?|syncs?"
    r"|emails?|posts?|1:1s|one-on-ones|demos?|calls?|check-?ins?|retros?|retrospectives?|summar(?:y|ies)"
    r"|decks?|invoices?|payroll|backups?|releases?)\b",
    re.IGNORECASE,
)


def _quote(title: str) -> str:
    title = " ".join(title.split())
    return f"“{title if len(title) <= 60 else title[:59] + '…'}”"


def _starts_with_task_verb(title: str) -> bool:
    words = _WORD.findall(title.lower())
    if not words:
        return False
    if _RECURRING_DELIVERABLE.match(" ".join(title.lower().split()).strip("“”\"' ")):
        return True
    if " ".join(words[:2]) in TASK_PHRASES:
        return True
    if words[0] not in TASK_VERBS:
        return False
    return not (len(words) > 1 and words[1] in _OUTCOME_NOUNS)


def starts_like_task(title: str) -> bool:
    """True when a title opens like a to-do ("Launch X", "Set up Y", "Weekly reports")."""
    return _starts_with_task_verb((title or "").strip())


def has_deadline(title: str) -> bool:
    return bool(_DEADLINE.search(title or ""))


def looks_like_task(title: str) -> bool:
    """True when a KRA title reads like a to-do: an imperative verb first, or a deadline."""
    title = (title or "").strip()
    return bool(title) and (_starts_with_task_verb(title) or has_deadline(title))


def kra_coaching(*, active_kra_count: int, kpi_count: int, title: str) -> list[str]:
    """Notes for someone saving a KRA.

    active_kra_count is how many active KRAs the owner will have once this one is saved;
    kpi_count is how many KPIs this KRA will have. An empty list means nothing to say.
    """
    notes: list[str] = []
    title = (title or "").strip()
    if title and _starts_with_task_verb(title):
        notes.append(
            f"{_quote(title)} reads like a task. KRAs work best as outcomes you own, e.g. “Product quality”."
        )
    if title and has_deadline(title):
        notes.append(
            f"{_quote(title)} has a deadline in it. KRAs are ongoing areas; put dates on "
            "objectives and key results instead."
        )
    if kpi_count == 0:
        notes.append("Add 1–3 KPIs so you can tell how it's going.")
    elif kpi_count > MAX_KPIS:
        notes.append(
            f"This KRA has {kpi_count} KPIs. 1–3 keeps it readable: keep the ones that tell you most."
        )
    if active_kra_count > MAX_KRAS:
        notes.append(
            f"You'll have {active_kra_count} active KRAs. 3–5 keeps your focus sharp: "
            "consider merging or retiring one."
        )
    elif 0 <= active_kra_count < MIN_KRAS:
        kras = "KRA" if active_kra_count == 1 else "KRAs"
        notes.append(
            f"You'll have {active_kra_count} active {kras}. Most people own 3–5; "
            "is there another area you're accountable for?"
        )
    return notes
