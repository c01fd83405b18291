"""The rules of an objective and its key results, defined once for every way one is typed: the
*New objective* modal (bot/forms/okr.py) and the OKRs-as-code file (bot/forms/okr_file.py).

A rule raises ValueError (or returns its problem) saying what to do, in lower case and without a
full stop: the modal shows it under the field as a sentence, the file after the line and place
it concerns.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.domain.limits import DESCRIPTION_MAX, MAX_KEY_RESULTS, TITLE_MAX, UNIT_MAX
from bot.domain.numbers import format_number, parse_number

# A milestone is done or not done: it moves from 0 to 1, with no unit.
MILESTONE_START = 0.0
MILESTONE_TARGET = 1.0


def max_length(what: str, limit: int, hint: str = "") -> AfterValidator:
    """Text of at most `limit` characters; the problem names the field and how long it is."""

    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"keep the {what} under {limit:,} characters (it has {len(value):,}){hint}")
        return value

    return AfterValidator(check)


def number(value: Any) -> Any:
    """A number as people type it (42, 3.5, 50%, $1,200, -3); parse_number's ValueError says what
    was wrong and how to type it. Anything but text is left to the field's type."""
    return parse_number(value) if isinstance(value, str) else value


def positive_weight(weight: float) -> float:
    if weight <= 0:
        raise ValueError("the weight must be greater than 0 (1 is the default; 2 counts double)")
    return weight


def key_result_count_problem(count: int) -> str | None:
    """What is wrong with an objective of `count` key results, if anything (none is the form's to say)."""
    if count > MAX_KEY_RESULTS:
        return (
            f"an objective has at most {MAX_KEY_RESULTS} key results (this one has {count}); "
            "keep the ones that matter most"
        )
    return None


Title = Annotated[str, max_length("title", TITLE_MAX)]
Description = Annotated[str, max_length("description", DESCRIPTION_MAX)]
Unit = Annotated[str, max_length("unit", UNIT_MAX, hint=", e.g. %, h or $")]
Number = Annotated[float, BeforeValidator(number)]
Weight = Annotated[float, BeforeValidator(number), AfterValidator(positive_weight)]


class KeyResultRules(BaseModel):
    """A key result's own fields and rules, whoever typed it. A metric moves from `start` to a
    different `target`; a milestone has neither of its own (nor a unit) and comes out as
    MILESTONE_START → MILESTONE_TARGET. How a missing start or target is reported is the form's own business."""

    title: Title
    milestone: bool = False
    start: Number | None = None
    target: Number | None = None
    unit: Unit = ""
    weight: Weight = 1.0

    @field_validator("target")
    @classmethod
    def _target_differs(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is not None and value == info.data.get("start"):
            raise ValueError(
                f"the target must differ from the start (both are {format_number(value)}); "
                "a key result measures a change"
            )
        return value

    @model_validator(mode="after")
    def _milestone(self) -> KeyResultRules:
        if self.milestone:
            # Left out, or given as a milestone's own values (as code that builds one does).
            if self.start not in (None, MILESTONE_START) or self.target not in (None, MILESTONE_TARGET):
                raise ValueError("a milestone is done or not done: leave out start and target")
            if self.unit:
                raise ValueError("a milestone is done or not done: leave out the unit")
            self.start, self.target = MILESTONE_START, MILESTONE_TARGET
        return self
