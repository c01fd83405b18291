"""The demo's team, read from data.yaml beside this module and checked before anything is seeded.

A wrong field, a missing one or a reference to nothing (an owner who is not among the people, an
objective's KRA or parent, a key result the sprint serves) raises DemoDataError, which names the
file and the field's path.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.domain.enums import Direction
from bot.domain.progress import Confidence

DATA_FILE = Path(__file__).with_name("data.yaml")


class DemoDataError(ValueError):
    """The demo's data file cannot be read or does not hold a valid team."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Channel(_Model):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)


class Kpi(_Model):
    name: str = Field(min_length=1)
    unit: str = ""
    target: float
    direction: Direction
    weekly: tuple[float, ...] = Field(min_length=1)  # oldest first; the last is this week's


class Kra(_Model):
    title: str = Field(min_length=1)
    owner: str
    role: str = ""
    kpis: tuple[Kpi, ...] = ()


class KeyResult(_Model):
    """A key result and the story its check-ins tell (data.yaml explains each field)."""

    title: str = Field(min_length=1)
    owner: str
    start: float = 0.0
    target: float = 1.0
    unit: str = ""
    step: float = Field(default=1.0, gt=0)
    offset: float = 0.0
    confidence: Confidence = Confidence.ON_TRACK
    note: str = ""
    earlier_note: str = ""
    pending_note: str = ""
    this_week: bool = True
    milestone: bool = False


class Objective(_Model):
    title: str = Field(min_length=1)
    owner: str
    kra: str  # a KRA's title
    parent: str | None = None  # an earlier objective's title
    key_results: tuple[KeyResult, ...] = Field(min_length=1)


class Sprint(_Model):
    name: str = Field(min_length=1)
    started_by: str
    goal: str = ""
    serves: tuple[str, ...] = ()  # key results' titles


class DemoData(_Model):
    workspace: str = Field(min_length=1)
    team_id: str = Field(min_length=1)
    channel: Channel
    people: dict[str, str] = Field(min_length=1)  # Slack user id → name
    home_of: str
    history_weeks: int = Field(ge=1)
    kras: tuple[Kra, ...]
    objectives: tuple[Objective, ...]
    sprint: Sprint

    @model_validator(mode="after")
    def _references(self) -> DemoData:
        problems = _unknown_people(self) + _unknown_titles(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _unknown_people(data: DemoData) -> list[str]:
    """Every user id the file names, where it names it, if it is not one of the people."""
    named = [("home_of", data.home_of), ("sprint.started_by", data.sprint.started_by)]
    named += [(f"kras.{i}.owner", kra.owner) for i, kra in enumerate(data.kras)]
    for i, objective in enumerate(data.objectives):
        named.append((f"objectives.{i}.owner", objective.owner))
        named += [
            (f"objectives.{i}.key_results.{k}.owner", key_result.owner)
            for k, key_result in enumerate(objective.key_results)
        ]
    return [
        f"{where}: {user_id!r} is not one of the people"
        for where, user_id in named
        if user_id not in data.people
    ]


def _unknown_titles(data: DemoData) -> list[str]:
    """Titles that name nothing (an objective's KRA or parent, what the sprint serves) or name two things."""
    problems: list[str] = []
    kra_titles = [kra.title for kra in data.kras]
    kr_titles = [kr.title for objective in data.objectives for kr in objective.key_results]
    _unique(problems, "kras", kra_titles)
    _unique(problems, "objectives", [objective.title for objective in data.objectives])
    _unique(problems, "key results", kr_titles)
    earlier: list[str] = []
    for i, objective in enumerate(data.objectives):
        if objective.kra not in kra_titles:
            problems.append(f"objectives.{i}.kra: no KRA is titled {objective.kra!r}")
        if objective.parent is not None and objective.parent not in earlier:
            problems.append(f"objectives.{i}.parent: no earlier objective is titled {objective.parent!r}")
        earlier.append(objective.title)
    problems += [
        f"sprint.serves.{i}: no key result is titled {title!r}"
        for i, title in enumerate(data.sprint.serves)
        if title not in kr_titles
    ]
    return problems


def _unique(problems: list[str], what: str, titles: list[str]) -> None:
    twice = sorted({title for title in titles if titles.count(title) > 1})
    if twice:
        problems.append(f"{what}: titles must differ, {', '.join(map(repr, twice))} appears more than once")


def parse(text: str, source: str = "demo data") -> DemoData:
    """The team in `text` (YAML), or DemoDataError naming `source` and what is wrong."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DemoDataError(f"{source} is not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise DemoDataError(f"{source} should hold a mapping of the demo's team, not {type(raw).__name__}")
    try:
        return DemoData.model_validate(raw)
    except ValidationError as error:
        lines = [
            f"  {'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}"
            for e in error.errors(include_url=False)
        ]
        raise DemoDataError(f"{source} does not hold a valid demo team:\n" + "\n".join(lines)) from error


@cache
def load(path: Path = DATA_FILE) -> DemoData:
    """The demo's team from data.yaml (or `path`), read once."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DemoDataError(f"cannot read the demo's data file {path}: {error}") from error
    return parse(text, str(path))
