"""Sprint alignment.

A sprint goal is *aligned* when it serves at least one active key result. The alignment nudges
want two more facts: which key results no sprint serves this cycle, and which of those have
been off track for the last two check-ins in a row.
"""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.progress import Confidence, PaceStatus

_OFF_TRACK = "off_track"  # PaceStatus.OFF_TRACK and Confidence.OFF_TRACK share this value


@dataclass(frozen=True)
class SprintFacts:
    """What alignment needs to know about one sprint.

    key_result_ids: every key result the sprint goal is linked to.
    active_key_result_ids: those of them still active (not closed or archived); defaults to all
    linked ones, and is always narrowed to the linked ones.
    """

    id: int
    channel_id: str
    cycle_name: str
    key_result_ids: frozenset[int] = frozenset()
    active_key_result_ids: frozenset[int] | None = None

    def __post_init__(self) -> None:
        linked = frozenset(self.key_result_ids)
        active = linked if self.active_key_result_ids is None else self.active_key_result_ids
        # frozen: set through object.__setattr__, only here, to normalise the inputs.
        object.__setattr__(self, "key_result_ids", linked)
        object.__setattr__(self, "active_key_result_ids", frozenset(active) & linked)

    @property
    def aligned(self) -> bool:
        return is_aligned(self.active_key_result_ids or ())


def is_aligned(served_active_kr_ids: Collection[int]) -> bool:
    """A sprint goal is aligned when it serves at least one active key result."""
    return len(served_active_kr_ids) >= 1


def served_key_results(sprints: Iterable[SprintFacts]) -> set[int]:
    """Every active key result at least one of `sprints` serves."""
    served: set[int] = set()
    for sprint in sprints:
        served |= sprint.active_key_result_ids or frozenset()
    return served


def off_track_twice_unserved(
    history: Mapping[int, Sequence[PaceStatus | Confidence]],
    served_kr_ids: Collection[int],
) -> set[int]:
    """Key results whose last two check-ins were both off track and that no sprint serves.

    history maps a key result id to the status at each of its check-ins, OLDEST FIRST. The
    caller chooses what "off track" means there (the pace computed at each check-in, or the
    owner's confidence); both enums are accepted.
    """
    served = set(served_kr_ids)
    return {
        kr_id
        for kr_id, statuses in history.items()
        if kr_id not in served
        and len(statuses) >= 2
        and all(str(status) == _OFF_TRACK for status in statuses[-2:])
    }
