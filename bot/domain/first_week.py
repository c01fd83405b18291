"""A new workspace's first week: the method as four steps, each ticked from real data
(3–5 KRAs a role → 1–3 KPIs each → objectives inside a KRA → sprints that serve a key result)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

# The guide shows while a workspace is new: it has no KRAs, or its first is less than this old.
FIRST_WEEK = timedelta(days=7)


class Step(StrEnum):
    KRAS = "kras"
    KPIS = "kpis"
    OBJECTIVE = "objective"
    SPRINT = "sprint"


@dataclass(frozen=True)
class FirstWeek:
    """What one person has done of the path."""

    kra_count: int = 0
    kras_without_kpis: tuple[int, ...] = ()  # KRA numbers, oldest first
    objectives_in_kra: int = 0
    sprints_serving: int = 0
    team_channel: str | None = None  # where "start a sprint" opens, if a KRA or objective names one
    done: dict[Step, bool] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        *,
        kra_count: int,
        kras_without_kpis: tuple[int, ...],
        objectives_in_kra: int,
        sprints_serving: int,
        team_channel: str | None = None,
    ) -> FirstWeek:
        done = {
            Step.KRAS: kra_count >= 3,
            Step.KPIS: kra_count > 0 and not kras_without_kpis,
            Step.OBJECTIVE: objectives_in_kra > 0,
            Step.SPRINT: sprints_serving > 0,
        }
        return cls(kra_count, kras_without_kpis, objectives_in_kra, sprints_serving, team_channel, done)

    @property
    def complete(self) -> bool:
        return bool(self.done) and all(self.done.values())


def in_first_week(first_kra_at: datetime | None, now: datetime) -> bool:
    """A workspace with no KRAs yet, or whose first KRA is less than a week old. Workspaces that
    have had KRAs longer (their people already work the method) never see the guide."""
    return first_kra_at is None or now - first_kra_at < FIRST_WEEK
