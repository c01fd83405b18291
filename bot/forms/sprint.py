"""The Plan sprint and Review sprint modals, parsed and validated; the `/sprint goal` text too."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from bot.domain.enums import SprintOutcome
from bot.domain.limits import NOTE_MAX
from bot.domain.limits import SPRINT_GOAL_MAX as GOAL_MAX
from bot.domain.limits import SPRINT_KEY_RESULTS_MAX as MAX_KEY_RESULTS
from bot.domain.limits import SPRINT_NAME_MAX as NAME_MAX
from bot.errors import Invalid
from bot.forms.state import flatten, text
from bot.ids import Block

MIN_DAYS = 1
MAX_DAYS = 28  # four weeks

_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,31}$")


class SprintForm(BaseModel):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    starts_on: date
    ends_on: date
    goal: str = Field(default="", max_length=GOAL_MAX)
    key_result_numbers: list[int] = Field(default_factory=list)  # KR-n numbers, in this workspace


class ReviewForm(BaseModel):
    outcome: SprintOutcome
    note: str = Field(default="", max_length=NOTE_MAX)


@dataclass(frozen=True)
class SprintMetadata:
    """What a sprint modal carries in private_metadata. Only a hint: re-checked on submit."""

    channel_id: str
    sprint_id: int | None = None

    def dumps(self) -> str:
        return json.dumps({"channel": self.channel_id, "sprint": self.sprint_id})


def parse_metadata(view: dict, *, needs_sprint: bool) -> SprintMetadata:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
        channel_id = data["channel"]
        sprint_id = data.get("sprint")
        if not isinstance(channel_id, str) or not _CHANNEL.match(channel_id):
            raise ValueError(channel_id)
        if sprint_id is not None and (not isinstance(sprint_id, int) or isinstance(sprint_id, bool)):
            raise ValueError(sprint_id)
        if needs_sprint and sprint_id is None:
            raise ValueError("no sprint")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Invalid("This form is out of date; run `/sprint` again in the team's channel.") from None
    return SprintMetadata(channel_id=channel_id, sprint_id=sprint_id)


def check_goal(goal: str) -> str:
    goal = (goal or "").strip()
    if len(goal) > GOAL_MAX:
        raise Invalid(f"Keep the sprint goal under {GOAL_MAX} characters (it has {len(goal)}).")
    return goal


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def parse_start(view: dict) -> SprintForm:
    """The whole Plan sprint form, or an Invalid naming every field at fault; nothing half-parsed."""
    values = flatten(view)
    errors: dict[str, str] = {}
    name = _name(values, errors)
    starts_on, ends_on = _dates(values, errors)
    goal = text(values.get(Block.SPRINT_GOAL))
    if len(goal) > GOAL_MAX:
        errors[Block.SPRINT_GOAL] = f"Keep the sprint goal under {GOAL_MAX} characters (it has {len(goal)})."
    numbers = _key_result_numbers(values, errors)
    if errors:
        raise Invalid("Some fields need another look.", fields=errors)
    return SprintForm(name=name, starts_on=starts_on, ends_on=ends_on, goal=goal, key_result_numbers=numbers)


def _name(values: dict[str, Any], errors: dict[str, str]) -> str:
    name = text(values.get(Block.SPRINT_NAME))
    if not name:
        errors[Block.SPRINT_NAME] = "Give the sprint a name, e.g. Sprint 12."
    elif len(name) > NAME_MAX:
        errors[Block.SPRINT_NAME] = f"Keep the name under {NAME_MAX} characters (it has {len(name)})."
    return name


def _dates(values: dict[str, Any], errors: dict[str, str]) -> tuple[date | None, date | None]:
    starts_on = _date(values.get(Block.SPRINT_START))
    ends_on = _date(values.get(Block.SPRINT_END))
    if starts_on is None:
        errors[Block.SPRINT_START] = "Pick the day the sprint starts."
    if ends_on is None:
        errors[Block.SPRINT_END] = "Pick the day the sprint ends."
    if starts_on and ends_on:
        problem = _length_problem((ends_on - starts_on).days)
        if problem:
            errors[Block.SPRINT_END] = problem
    return starts_on, ends_on


def _length_problem(days: int) -> str | None:
    if days < 0:
        return "The end is before the start; pick an end date after the start date."
    if days < MIN_DAYS:
        return "A sprint lasts at least 1 day; pick an end date after the start date."
    if days > MAX_DAYS:
        return f"A sprint lasts at most 4 weeks ({MAX_DAYS} days); this one has {days}. Pick an earlier end date."
    return None


def _key_result_numbers(values: dict[str, Any], errors: dict[str, str]) -> list[int]:
    chosen = values.get(Block.SPRINT_KEY_RESULTS) or []
    if not isinstance(chosen, list) or not all(
        isinstance(v, str) and v.isdigit() and len(v) <= 10 for v in chosen
    ):
        errors[Block.SPRINT_KEY_RESULTS] = "Pick key results from the list."
        return []
    numbers = list(dict.fromkeys(int(v) for v in chosen))
    if len(numbers) > MAX_KEY_RESULTS:
        errors[Block.SPRINT_KEY_RESULTS] = (
            f"Pick at most {MAX_KEY_RESULTS} key results: the few this sprint really moves."
        )
    return numbers


def parse_review(view: dict) -> ReviewForm:
    values = flatten(view)
    errors: dict[str, str] = {}
    outcome = values.get(Block.SPRINT_OUTCOME)
    if outcome not in {o.value for o in SprintOutcome}:
        errors[Block.SPRINT_OUTCOME] = "Was the sprint goal met, partly met or missed?"
    note = text(values.get(Block.SPRINT_NOTE))
    if len(note) > NOTE_MAX:
        errors[Block.SPRINT_NOTE] = f"Keep the note under {NOTE_MAX:,} characters (it has {len(note):,})."
    if errors:
        raise Invalid("Some fields need another look.", fields=errors)
    return ReviewForm(outcome=SprintOutcome(outcome), note=note)
