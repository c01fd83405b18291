"""The outputs of Northline's Workflow Builder steps: pure functions, facts in, the `outputs` of
functions.completeSuccess out, keyed by the output names declared in manifest.yml.

A workflow drops these strings into whatever it posts next (Workflow Builder inserts a variable as
text, not as markup), so what people typed goes out readable (`plain_user_text`: a mention as
@name) with no Slack escaping that would show as "&amp;", and with @here/@channel defused.
Titles are cut to their length; then every string output as a whole goes through the same rule
(`_readable`), so a unit, a name or anything later added to a summary can never carry a
broadcast (`@channel`, `<!here>`, `<!subteam^…>`) or a live link into the next step's message.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from bot.domain.enums import Direction, KeyResultKind, Status
from bot.domain.numbers import format_number
from bot.domain.progress import Confidence, percent
from bot.domain.references import RefKind, format_ref
from bot.domain.slack_text import neutralize_broadcasts, readable
from bot.ui.blocks import plain_user_text
from bot.ui.okr import value_text

if TYPE_CHECKING:
    from bot.services.assessment import KeyResultStatus, ObjectiveStatus
    from bot.ui.shapes import KpiView


def _typed(text: str | None, limit: int) -> str:
    return neutralize_broadcasts(plain_user_text(text, limit))


def _readable(outputs: dict) -> dict:
    """Every string output as text, never markup, with broadcasts defused (numbers stay numbers)."""
    return {
        name: neutralize_broadcasts(readable(value)) if isinstance(value, str) else value
        for name, value in outputs.items()
    }


def _pace(status: KeyResultStatus | ObjectiveStatus) -> str:
    return status.pace.label


def _numbers(status: KeyResultStatus) -> str:
    kr = status.key_result
    if kr.kind == KeyResultKind.MILESTONE:
        return "done" if (kr.current_value or 0) >= 1 else "not done"
    return f"{value_text(kr, kr.current_value)} of {format_number(kr.target_value, kr.unit)}"


def key_result_summary(status: KeyResultStatus) -> str:
    """ "KR-5 Weekly active teams: 42 of 60 (70%), on track"."""
    kr = status.key_result
    shown = percent(status.progress or 0.0)
    line = f"{format_ref(RefKind.KR, kr.number)} {_typed(kr.title, 150)}: {_numbers(status)} ({shown}%), {_pace(status)}"
    if status.confidence is not None and status.confidence.value != status.pace.value:
        line += f", confidence {status.confidence.label}"
    return line


def checkin_outputs(status: KeyResultStatus) -> dict:
    return _readable(
        {
            "progress": percent(status.progress or 0.0),
            "pace": _pace(status),
            "summary": key_result_summary(status),
        }
    )


def kpi_outputs(kpi: KpiView) -> dict:
    """ "KPI-7 NPS: 42 (target 50, higher is better)"."""
    latest = kpi.latest_value if kpi.latest_value is not None else 0.0
    way = "higher" if kpi.direction == Direction.HIGHER else "lower"
    summary = (
        f"{format_ref(RefKind.KPI, kpi.number)} {_typed(kpi.name, 150)}: {format_number(latest, kpi.unit)} "
        f"(target {format_number(kpi.target, kpi.unit)}, {way} is better)"
    )
    return _readable({"latest_value": latest, "target": kpi.target, "summary": summary})


def confidence_tally(statuses: list[KeyResultStatus]) -> str:
    """ "2 on track, 1 at risk": the owners' own calls at their last check-ins; "" before any."""
    counted = Counter(s.confidence for s in statuses if s.confidence is not None)
    return ", ".join(f"{counted[c]} {c.label}" for c in Confidence if counted[c])


def objective_outputs(status: ObjectiveStatus) -> dict:
    objective = status.objective
    live = [s for s in status.key_results if s.key_result.status != Status.ARCHIVED]
    lines = [key_result_summary(s) for s in live]  # at most 5 key results an objective: short
    shown = percent(status.progress)
    pace = _pace(status)
    summary = f"{format_ref(RefKind.OBJ, objective.number)} {_typed(objective.title, 150)}: {shown}%, {pace}"
    if objective.status == Status.CLOSED:
        summary += " (closed)"
    return _readable(
        {
            "progress": shown,
            "pace": pace,
            "confidence": confidence_tally(live),
            "key_results": "\n".join(lines) if lines else "No key results yet.",
            "summary": summary,
        }
    )


def ask_outputs(sent: bool, count: int, reason: str = "") -> dict:
    outputs: dict = {"sent": sent, "key_results": count}
    if reason:
        outputs["reason"] = reason
    return _readable(outputs)
