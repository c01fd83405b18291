"""The objective modal (new and edit), the close modal and the check-in modal, parsed and validated.

Every problem goes under the exact block it concerns; a form either parses whole or raises
Invalid, so nothing is ever stored half-parsed.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from bot.domain.channels import TEAM_CHANNEL_PATTERN
from bot.domain.limits import CYCLE_MAX, MAX_KEY_RESULTS, NOTE_MAX
from bot.domain.numbers import parse_number, typed_unit
from bot.domain.progress import Confidence
from bot.errors import Invalid
from bot.forms import state
from bot.forms.okr_rules import Description, KeyResultRules, Title, key_result_count_problem
from bot.forms.state import field_errors, flatten, text
from bot.forms.state import rows_metadata as rows_metadata  # the New objective form's, as the KRA form's
from bot.ids import Block, Option

_USER = r"^[UW][A-Z0-9]{2,}$"


class KeyResultForm(KeyResultRules):
    """A row of the modal: the rules every key result follows (okr_rules), and its owner."""

    row: int = 0  # the modal row it came from (1-5): the edit form's row n is the n-th key result
    owner_id: str = Field(pattern=_USER)


class ObjectiveForm(BaseModel):
    title: Title = Field(min_length=1)
    description: Description = ""
    owner_id: str = Field(pattern=_USER)
    cycle: str = Field(min_length=1, max_length=CYCLE_MAX)
    channel_id: str | None = Field(default=None, pattern=TEAM_CHANNEL_PATTERN)
    parent_id: int | None = None
    kra_id: int | None = None
    key_results: list[KeyResultForm] = Field(default_factory=list)


_KR_BLOCK = re.compile(r"^kr_(\d+)_(title|start|target|unit|owner|weight|milestone)$")

_OBJECTIVE_FIELDS = {
    "title": Block.OBJ_TITLE,
    "description": Block.OBJ_DESCRIPTION,
    "owner_id": Block.OBJ_OWNER,
    "cycle": Block.OBJ_CYCLE,
    "channel_id": Block.OBJ_CHANNEL,
    "parent_id": Block.OBJ_PARENT,
    "kra_id": Block.OBJ_KRA,
}

_OBJECTIVE_MESSAGES = {
    Block.OBJ_TITLE: "Give the objective a title (at most 150 characters).",
    Block.OBJ_DESCRIPTION: "Keep the description under 3,000 characters.",
    Block.OBJ_OWNER: "Choose the person who owns this objective.",
    Block.OBJ_CYCLE: "Choose a cycle, e.g. 2026-Q4.",
    Block.OBJ_CHANNEL: "Choose a channel (public or private), or leave it empty.",
    Block.OBJ_PARENT: "Choose an objective from the list, or none.",
    Block.OBJ_KRA: "Choose a KRA from the list, or none.",
}


def _choice_id(value: Any) -> int | None | str:
    """A static select's value: None for no choice or "none", the id, or the raw value if bad."""
    if value in (None, "", Option.NONE):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    return number if number > 0 else str(value)


def _number(raw: Any, block: str, errors: dict[str, str]) -> float | None:
    try:
        return parse_number(text(raw))
    except ValueError as error:
        errors[block] = str(error)
        return None


def _key_result_row(
    values: dict[str, Any], n: int, owner_default: Any, errors: dict[str, str]
) -> KeyResultForm | None:
    """Row n as a key result, or None with its problems in `errors` under their blocks."""

    def typed(block: Block) -> str:
        return text(values.get(block.of(n=n)))

    title, target = typed(Block.KR_TITLE), typed(Block.KR_TARGET)
    milestone = Option.MILESTONE in (values.get(Block.KR_MILESTONE.of(n=n)) or [])
    data: dict[str, Any] = {
        "row": n,
        "title": title,
        "milestone": milestone,
        "owner_id": values.get(Block.KR_OWNER.of(n=n)) or owner_default,
        "weight": typed(Block.KR_WEIGHT) or 1.0,
    }
    if not milestone:  # a milestone is done or not done, whatever was typed in start, target and unit
        # "10%" → "30%" with no unit given: the key result is measured in %, as typed.
        unit = typed(Block.KR_UNIT) or typed_unit(target) or typed_unit(typed(Block.KR_START))
        data |= {"start": typed(Block.KR_START) or 0.0, "target": target or None, "unit": unit}
    found: dict[str, str] = {}
    if not title:
        found[Block.KR_TITLE.of(n=n)] = "Give this key result a title, or clear its row."
    if not milestone and not target:
        found[Block.KR_TARGET.of(n=n)] = "Give a target, e.g. 100, 95% or $1,200."
    try:
        form = KeyResultForm.model_validate(data)
    except ValidationError as error:
        found = _shown(field_errors(error, lambda field: _kr_block(field, n)), values) | found
        form = None
    errors.update(found)
    return None if found or form is None else form


# A key result's options (*More options*): when the form did not show them they took their
# defaults, and an error can go under no field of theirs. The owner's default is the objective's
# owner, which is checked, and its error shown, as the objective's.
_OPTION_BLOCK = re.compile(r"^kr_\d+_(owner|weight|milestone)$")


def _shown(found: dict[str, str], values: dict[str, Any]) -> dict[str, str]:
    """The errors under fields the form showed (the options' blocks are absent when hidden)."""
    return {
        block: message
        for block, message in found.items()
        if block in values or not _OPTION_BLOCK.match(block)
    }


def _kr_block(field: str, n: int) -> str:
    block = {
        "start": Block.KR_START,
        "target": Block.KR_TARGET,
        "unit": Block.KR_UNIT,
        "owner_id": Block.KR_OWNER,
        "weight": Block.KR_WEIGHT,
    }.get(field, Block.KR_TITLE)
    return block.of(n=n)


def _row_is_empty(values: dict[str, Any], n: int) -> bool:
    # Owner and weight come prefilled, so they say nothing about whether a row is used.
    typed = (Block.KR_TITLE, Block.KR_START, Block.KR_TARGET, Block.KR_UNIT)
    return not any(text(values.get(block.of(n=n))) for block in typed) and not values.get(
        Block.KR_MILESTONE.of(n=n)
    )


def parse_objective(view: dict) -> ObjectiveForm:
    """The whole objective form or an Invalid naming every field at fault."""
    values = flatten(view)
    errors: dict[str, str] = {}
    owner = values.get(Block.OBJ_OWNER)
    rows = sorted({int(m.group(1)) for key in values if (m := _KR_BLOCK.match(key))})
    # An empty row between two filled ones is simply not a key result.
    filled = [n for n in rows if not _row_is_empty(values, n)]
    # The rows the form holds: only a forged one has a sixth, and then that many, whatever is empty.
    too_many = key_result_count_problem(max(filled, default=0))
    key_results: list[KeyResultForm] = []
    for n in filled:
        if too_many and n > MAX_KEY_RESULTS:
            errors[Block.KR_TITLE.of(n=n)] = too_many[:1].upper() + too_many[1:]
            continue
        row = _key_result_row(values, n, owner, errors)
        if row is not None:
            key_results.append(row)
    if not filled:
        errors[Block.KR_TITLE.of(n=1)] = "Add at least one key result: how will you know you got there?"
    data = {
        "title": text(values.get(Block.OBJ_TITLE)),
        "description": text(values.get(Block.OBJ_DESCRIPTION)),
        "owner_id": owner,
        "cycle": text(values.get(Block.OBJ_CYCLE)),
        "channel_id": values.get(Block.OBJ_CHANNEL) or None,
        "parent_id": _choice_id(values.get(Block.OBJ_PARENT)),
        "kra_id": _choice_id(values.get(Block.OBJ_KRA)),
    }
    try:
        form = ObjectiveForm.model_validate(data)
    except ValidationError as error:
        for problem in error.errors():
            block = _OBJECTIVE_FIELDS.get(str(problem["loc"][0]) if problem["loc"] else "", Block.OBJ_TITLE)
            errors.setdefault(block, _OBJECTIVE_MESSAGES[block])
        form = None
    if errors or form is None:
        raise Invalid("Some fields need another look.", fields=errors)
    form.key_results = key_results
    return form


def shown_rows(view: dict) -> int:
    """How many key result groups the New objective form shows (1 to 5): state.shown_rows."""
    return state.shown_rows(view, MAX_KEY_RESULTS)


# --- close ------------------------------------------------------------------------------------

_CLOSE_BLOCK = re.compile(r"^close_(\d+)_score$")


def parse_close(view: dict) -> dict[int, float]:
    """Key result id → final score in [0, 1]."""
    values = flatten(view)
    scores: dict[int, float] = {}
    errors: dict[str, str] = {}
    for key, raw in values.items():
        match = _CLOSE_BLOCK.match(key)
        if not match:
            continue
        if not text(raw):
            errors[key] = "Give a score from 0.0 to 1.0, e.g. 0.7."
            continue
        try:
            score = parse_number(text(raw))
        except ValueError as error:
            errors[key] = f"{error}. Scores run from 0.0 to 1.0, e.g. 0.7."
            continue
        if not 0 <= score <= 1:
            errors[key] = "Scores run from 0.0 (no progress) to 1.0 (fully achieved), e.g. 0.7."
            continue
        scores[int(match.group(1))] = score
    if errors:
        raise Invalid("Some scores need another look.", fields=errors)
    return scores


# --- check-in ---------------------------------------------------------------------------------

_CHECKIN_BLOCK = re.compile(r"^checkin_(\d+)_value$")


class CheckInEntry(BaseModel):
    key_result_id: int
    value: float
    confidence: Confidence | None = None
    note: str = Field(default="", max_length=NOTE_MAX)
    unit: str = ""  # the unit typed with the value ("20%"): kept by a key result that has none


def _initials(view: dict) -> dict[str, str | None]:
    """What each input showed when the modal opened (Slack sends the view's blocks back)."""
    shown: dict[str, str | None] = {}
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        block_id = block.get("block_id")
        if not block_id or block.get("type") != "input":
            continue
        if "initial_value" in element:
            shown[block_id] = element.get("initial_value")
        elif element.get("initial_option"):
            shown[block_id] = element["initial_option"].get("value")
        else:
            shown[block_id] = None
    return shown


def _same_number(a: str | None, b: str | None) -> bool:
    if not text(a) and not text(b):
        return True
    try:
        return parse_number(text(a)) == parse_number(text(b))
    except ValueError:
        return text(a) == text(b)


def parse_checkins(view: dict) -> list[CheckInEntry]:
    """The rows someone touched: a new value, a note, a changed confidence. Untouched rows are
    left out, so a check-in records only what the person said."""
    values = flatten(view)
    shown = _initials(view)
    entries: list[CheckInEntry] = []
    errors: dict[str, str] = {}
    for key in values:
        match = _CHECKIN_BLOCK.match(key)
        if match:
            entry = _checkin_row(values, shown, key, int(match.group(1)), errors)
            if entry is not None:
                entries.append(entry)
    if errors:
        raise Invalid("Some check-ins need another look.", fields=errors)
    return entries


def _checkin_row(
    values: dict[str, Any], shown: dict[str, str | None], value_block: str, kr_id: int, errors: dict[str, str]
) -> CheckInEntry | None:
    """One key result's row if it was touched and is valid; its problems go into `errors`."""
    confidence_block = Block.CHECKIN_CONFIDENCE.of(id=kr_id)
    note_block = Block.CHECKIN_NOTE.of(id=kr_id)
    raw_value, initial_value = text(values.get(value_block)), shown.get(value_block)
    raw_confidence = values.get(confidence_block)
    note = text(values.get(note_block))
    touched = (
        not _same_number(raw_value, initial_value)
        or bool(note)
        or (raw_confidence or None) != (shown.get(confidence_block) or None)
    )
    if not touched:
        return None
    if len(note) > NOTE_MAX:
        errors[note_block] = f"Keep the note under {NOTE_MAX:,} characters."
    confidence = _confidence(raw_confidence, confidence_block, errors)
    value_text = raw_value or text(initial_value)
    if not value_text:
        errors[value_block] = "Enter the current value to check in, e.g. 42 or 95%."
        return None
    value = _number(value_text, value_block, errors)
    if value is None or note_block in errors or confidence_block in errors:
        return None
    return CheckInEntry(
        key_result_id=kr_id, value=value, confidence=confidence, note=note, unit=typed_unit(value_text)
    )


def _confidence(raw: Any, block: str, errors: dict[str, str]) -> Confidence | None:
    if not raw:
        return None
    try:
        return Confidence.parse(raw)
    except ValueError as error:
        errors[block] = str(error)
        return None
