"""The product's vocabulary: the states and kinds every layer speaks of.

They live in the domain so that ui/ and the pure rules can name them without importing storage;
storage stores them (the one thing of bot/ it imports, a contract in pyproject.toml).
"""

from enum import StrEnum


class Status(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    CLOSED = "closed"


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class KeyResultKind(StrEnum):
    METRIC = "metric"
    MILESTONE = "milestone"


class ReviewDecision(StrEnum):
    KEEP = "keep"
    CHANGE = "change"
    RETIRE = "retire"


class SprintOutcome(StrEnum):
    MET = "met"
    PARTLY = "partly"
    MISSED = "missed"


# CheckIn.origin / KpiMeasurement.origin of a value a workflow step recorded with nobody present
# (scheduled or event-started), for the person it named: shown as "by workflow".
BY_WORKFLOW = "workflow"
