"""Ask Northline's messages: an answer, the week's brief, the list of what can be asked, and the
suggested prompts, from the plain results of bot.services.ask. Pure functions.

Titles and notes are what people typed: shown through user_text(), as text, never as markup.
Channel and person mentions are built here from ids, never from typed text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain.ask import QUESTIONS, Intent, Prompt, Question, Scope
from bot.domain.limits import TITLE_MAX
from bot.domain.progress import percent
from bot.domain.slack_text import unescape
from bot.ui.blocks import MESSAGE_BLOCKS, MESSAGE_TEXT_BUDGET, context, fit, section, user_text

if TYPE_CHECKING:
    from bot.services.ask import Answer, Brief, Item

NOTE_CHARS = 300
BRIEF_ITEMS = 8  # lines under each of the brief's four headings
THINKING = "is looking it up…"
THREAD_TITLE_CHARS = 60


def prompts(suggested: list[Prompt]) -> list[dict]:
    """assistant.threads.setSuggestedPrompts' `prompts`: a title and the message it sends."""
    return [{"title": p.title, "message": p.message} for p in suggested]


def thread_title(question_text: str) -> str:
    """The thread's title in the panel's history: the question, as typed, cut short (plain text)."""
    text = " ".join(unescape(question_text or "").split())
    return text if len(text) <= THREAD_TITLE_CHARS else text[: THREAD_TITLE_CHARS - 1] + "…"


def answer_message(answer: Answer) -> dict:
    """chat.postMessage's text and blocks for an answer in the assistant thread."""
    question = answer.question
    if answer.brief is not None:
        return brief_message(answer.brief)
    special = _special(question, answer)
    if special is not None:
        return special
    heading = _heading(question)
    blocks = [section(f"*{heading}*")]
    if not answer.items:
        blocks.append(section(_EMPTY[question.intent]))
    blocks += [section(_line(item, question.intent)) for item in answer.items]
    shown = len(answer.items)
    more = f"More: `{answer.more}`" if answer.more else ""
    if answer.total > shown:
        more = f"Showing {shown} of {answer.total}. {more}"
    if more:
        blocks.append(context(more))
    fitted = fit(blocks, MESSAGE_BLOCKS, "…and {count} more lines.", max_chars=MESSAGE_TEXT_BUDGET)
    return {"text": heading, "blocks": fitted}


def _special(question: Question, answer: Answer) -> dict | None:
    if question.intent in (Intent.UNKNOWN, Intent.HELP):
        return what_can_be_asked(understood=question.intent is Intent.HELP)
    if question.scope is Scope.CHANNEL and not question.channel_id:
        text = (
            f"Which channel is {user_text(question.named_channel, 82)}? Type `#` and pick it from Slack's list, "
            "so the question carries the channel itself."
        )
        return {"text": "Which channel?", "blocks": [section(text)]}
    if question.intent is Intent.BRIEF:
        text = "A brief for which channel? Ask `Brief for #channel`, picking the channel from Slack's list."
        return {"text": "Which channel?", "blocks": [section(text)]}
    if question.intent is Intent.DRAFT:
        return draft_message(question, answer)
    return None


def what_can_be_asked(*, understood: bool = False) -> dict:
    lead = (
        "Here is what I can answer:" if understood else "I didn't understand that. Here is what I can answer:"
    )
    lines = "\n".join(f"• *{q}* — {hint}" for q, hint in QUESTIONS)
    return {
        "text": lead,
        "blocks": [
            section(lead),
            section(lines),
            context("I answer from this workspace's objectives, key results, check-ins and sprints."),
        ],
    }


def draft_message(question: Question, answer: Answer) -> dict:
    subject = question.subject
    if not subject:
        text = (
            "Draft key results for what? Say the objective, e.g. `Draft key results for faster onboarding`."
        )
        return {"text": "Draft key results for what?", "blocks": [section(text)]}
    shown = user_text(subject, TITLE_MAX)
    lines = [
        f"*A starting shape for “{shown}”* ({answer.cycle}): 2–5 key results, each an outcome with a number.",
        "1. _A measure that shows it works_ — from *today's value* to *the target* by the end of "
        f"{answer.cycle} (e.g. “Activation rate from 35 % to 50 %”).",
        "2. _A measure of how much or how many_ — from *baseline* to *target* (e.g. “Weekly active teams from 120 to 200”).",
        "3. _A measure of quality or time_ — from *baseline* to *target* (e.g. “Time to first value from 9 days to 3”).",
        "Name the result, not the task: “Launch X” is a milestone; what should launching X change?",
    ]
    blocks = [section("\n".join(lines)), context(f"Write them in the form: `{answer.more}`")]
    return {"text": f"A starting shape for key results: {subject[:100]}", "blocks": blocks}


def brief_message(brief: Brief) -> dict:
    """The week's brief: what moved, what's at risk and why, blockers, what to decide."""
    where = f"<#{brief.channel_id}>" if brief.channel_id else "this channel"
    heading = f"The week's brief for {where}"
    if not brief.objective_count:
        return {
            "text": heading,
            "blocks": [
                section(f"*{heading}*\n{where} has no active objectives, so there is nothing to brief yet.")
            ],
        }
    blocks = [section(f"*{heading}*")]
    for title, items, empty in (
        ("What moved", brief.moved, "No check-ins this week."),
        ("At risk, and why", brief.at_risk, "Nothing is at risk."),
        ("Blockers mentioned", brief.blockers, "No check-in note this week mentions a blocker."),
        ("To decide", brief.decide, "Nothing waits on a decision."),
    ):
        blocks.append(section(f"*{title}*" + ("" if items else f"\n_{empty}_")))
        blocks += [section(_brief_line(item, title)) for item in items[:BRIEF_ITEMS]]
        if len(items) > BRIEF_ITEMS:
            blocks.append(context(f"…and {len(items) - BRIEF_ITEMS} more."))
    blocks.append(context("More: `/okr list` in the channel, `/okr show OBJ-n` for one objective."))
    fitted = fit(blocks, MESSAGE_BLOCKS, "…and {count} more.", max_chars=MESSAGE_TEXT_BUDGET)
    return {"text": heading, "blocks": fitted}


# --- lines --------------------------------------------------------------------------------------------


def _heading(question: Question) -> str:
    where = {
        Scope.CHANNEL: f" in <#{question.channel_id}>",
        Scope.PERSON: f" for <@{question.user_id}>",
        Scope.MINE: " in your objectives",
        Scope.WORKSPACE: "",
    }[question.scope]
    return {
        Intent.NEEDS_ME: "What needs you this week",
        Intent.AT_RISK: f"At risk{where}",
        Intent.HOW_IS: f"How it's going{where}",
        Intent.CHANGED: f"What changed since last week{where}",
        Intent.NOT_CHECKED_IN: f"Not checked in this week{where}",
        Intent.UNALIGNED_SPRINTS: "Active sprints that serve no key result",
    }[question.intent]


_EMPTY = {
    Intent.NEEDS_ME: "Nothing: your key results are checked in this week and none is at risk.",
    Intent.AT_RISK: "Nothing is at risk here: every key result is on pace, and no owner says otherwise.",
    Intent.HOW_IS: "No active objectives here.",
    Intent.CHANGED: "No check-ins in the last seven days.",
    Intent.NOT_CHECKED_IN: "Everyone has checked in this week.",
    Intent.UNALIGNED_SPRINTS: "Every active sprint serves at least one active key result.",
    Intent.HELP: "",
    Intent.UNKNOWN: "",
    Intent.BRIEF: "",
    Intent.DRAFT: "",
}


def _line(item: Item, intent: Intent) -> str:
    parts = [f"`{item.ref}` {user_text(item.title, TITLE_MAX)}"]
    if item.kra_ref:
        parts[0] += f" (`{item.kra_ref}`)"
    elif item.parent_ref:
        parts[0] += f" (`{item.parent_ref}`)"
    facts = _facts(item, intent)
    if facts:
        parts.append(facts)
    if item.owner_id and intent is not Intent.NEEDS_ME:
        parts.append(f"<@{item.owner_id}>")
    if item.channel_id and intent is Intent.UNALIGNED_SPRINTS:
        parts.append(f"<#{item.channel_id}>")
    line = " · ".join(parts)
    if item.note:
        line += f"\n> {user_text(item.note, NOTE_CHARS)}"
    return line


def _facts(item: Item, intent: Intent) -> str:
    bits = []
    if intent is Intent.CHANGED and item.before is not None and item.progress is not None:
        bits.append(f"{percent(item.before)} % → {percent(item.progress)} %")
    elif item.progress is not None:
        bits.append(f"{percent(item.progress)} %")
    if item.pace is not None and intent not in (Intent.CHANGED, Intent.NOT_CHECKED_IN):
        bits.append(f"{item.pace.emoji} {item.pace.label}")
    if item.why:
        bits.append(item.why)
    return " · ".join(bits)


def _brief_line(item: Item, section_title: str) -> str:
    head = f"• `{item.ref}` {user_text(item.title, TITLE_MAX)}"
    if item.owner_id:
        head += f" (<@{item.owner_id}>)"
    if section_title == "What moved" and item.before is not None and item.progress is not None:
        head += f": {percent(item.before)} % → {percent(item.progress)} %"
    elif item.why:
        head += f": {item.why}"
    if item.note:
        head += f"\n> {user_text(item.note, NOTE_CHARS)}"
    return head


# --- worded by the operator's language model (docs/ai.md) ---------------------------------------------

WRITING = "is writing the answer…"
WORDED_HEADING = "Ask Northline"  # the notification text of a model's answer
STREAM_STEP = 300  # characters more of a streamed answer before the message is updated again
STREAM_UPDATES = 8  # chat.update calls for one streamed answer at most, before the final one
MODEL_TEXT_CHARS = 6000  # far beyond the model's max_tokens; what is beyond is cut
MODEL_PARAGRAPH_CHARS = 2800  # within a section's 3,000 once escaped text is cut
WORDED = "Worded by a language model from this workspace's data; `/okr show KR-n` shows a reference in full."


def worded_message(model_text: str, heading: str) -> dict:
    """What the model wrote, as text: escaped, mentions and broadcasts defused, links shown as
    typed (the one user-text rule), in sections within Slack's limits."""
    shown = unescape(model_text)[:MODEL_TEXT_CHARS]
    paragraphs = [p.strip() for p in shown.split("\n\n") if p.strip()]
    blocks = [section(user_text(p, MODEL_PARAGRAPH_CHARS)) for p in paragraphs]
    blocks.append(context(WORDED))
    fitted = fit(blocks, MESSAGE_BLOCKS, "…and {count} more paragraphs.", max_chars=MESSAGE_TEXT_BUDGET)
    return {"text": heading, "blocks": fitted}


def worded_brief(model_text: str, brief: Brief) -> dict:
    """The week's brief as the model worded it, under the same heading as the deterministic one."""
    where = f"<#{brief.channel_id}>" if brief.channel_id else "this channel"
    heading = f"The week's brief for {where}"
    worded = worded_message(model_text, heading)
    return {"text": heading, "blocks": [section(f"*{heading}*"), *worded["blocks"]]}


def with_fallback_note(message: dict, *, timed_out: bool) -> dict:
    """The deterministic answer, with a short note that the language model gave none."""
    why = "took too long" if timed_out else "could not answer just now"
    note = context(f"The language model {why}, so this answer comes from the data alone.")
    blocks = fit([*message.get("blocks", []), note], MESSAGE_BLOCKS, "…", max_chars=MESSAGE_TEXT_BUDGET)
    return {"text": message["text"], "blocks": blocks}


def heading_section(heading: str) -> dict:
    return section(f"*{heading}*")
