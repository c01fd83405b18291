"""Everything objective-shaped people see: the objective and close modals, lists, details."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.numbers import format_number
from bot.domain.progress import PaceStatus, disagreement, final_score, percent
from bot.domain.references import RefKind, format_ref
from bot.forms.okr import MAX_KEY_RESULTS, MILESTONE, NONE, TITLE_MAX, UNIT_MAX
from bot.ids import Block, Callback
from bot.ui.blocks import (
    MESSAGE_BLOCKS,
    context,
    divider,
    ephemeral,
    fit,
    header,
    local_day,
    plain_user_text,
    section,
    user_text,
)
from bot.ui.inputs import channel_input, checkbox_input, modal, select_input, text_input, user_input
from bot.ui.kra import kra_ref
from bot.ui.progress import progress_bar
from storage.models import CheckIn, KeyResult, KeyResultKind, Objective, Status

if TYPE_CHECKING:
    from bot.services.okrs import (
        KeyResultStatus,
        ModalChoices,
        ObjectiveDetail,
        ObjectiveList,
        ObjectiveStatus,
    )

USAGE_LINES = [
    "*`/okr` — objectives, key results and weekly check-ins*",
    "• `/okr new` — set an objective with up to 5 key results (opens a form)",
    "• `/okr list [mine | @person | #channel | all] [2026-Q4]` — objectives with progress and pace "
    "(default: this channel's, else yours)",
    "• `/okr show OBJ-3` — one objective: where it fits, its key results, their check-ins and trend",
    "• `/okr checkin` — check in on all your key results (opens a form)",
    "• `/okr checkin KR-7 42 [on-track | at-risk | off-track] [note]` — a one-line check-in",
    "• `/okr edit OBJ-3` · `/okr close OBJ-3` (score each key result) · `/okr archive OBJ-3`",
]
USAGE_FOOTER = "• `/okr help` — this text"


def usage(extra: Sequence[str] = ()) -> str:
    return "\n".join([*USAGE_LINES, *extra, USAGE_FOOTER])


TREND_BETTER = " · :large_green_circle: better"
TREND_WORSE = " · :red_circle: worse"
TREND_SAME = " · no change"


def obj_ref(objective: Objective) -> str:
    return format_ref(RefKind.OBJ, objective.number)


def kr_ref(key_result: KeyResult) -> str:
    return format_ref(RefKind.KR, key_result.number)


def value_text(key_result: KeyResult, value: float | None) -> str:
    if value is None:
        return "–"
    if key_result.kind == KeyResultKind.MILESTONE:
        return "done" if value >= 1 else "not done"
    return format_number(value, key_result.unit)


def pace_text(pace: PaceStatus) -> str:
    return f"{pace.emoji} {pace.label}"


def confidence_text(status: KeyResultStatus) -> str:
    if status.confidence is None:
        return ""
    text = f" · owner says {status.confidence.emoji} {status.confidence.label}"
    if disagreement(status.pace, status.confidence):
        text += " :warning:"
    return text


def key_result_line(status: KeyResultStatus, *, owner: bool = True) -> str:
    kr = status.key_result
    if kr.status == Status.CLOSED and kr.final_score is not None:
        tail = f"final score *{kr.final_score:.1f}*"
    else:
        tail = pace_text(status.pace) + confidence_text(status)
    if kr.kind == KeyResultKind.MILESTONE:
        numbers = f"milestone, {value_text(kr, kr.current_value) if kr.current_value is not None else 'not done'}"
    else:
        numbers = (
            f"{value_text(kr, kr.current_value)} ({format_number(kr.start_value, kr.unit)} → "
            f"{format_number(kr.target_value, kr.unit)})"
        )
    weight = f" · weight {format_number(kr.weight)}" if kr.weight != 1 else ""
    who = f" · <@{kr.owner_id}>" if owner else ""
    return (
        f"• `{kr_ref(kr)}` {user_text(kr.title, 150)}\n"
        f"    `{progress_bar(status.progress)}` {numbers}{weight} · {tail}{who}"
    )


def objective_heading(status: ObjectiveStatus) -> str:
    o = status.objective
    channel = f" · <#{o.channel_id}>" if o.channel_id else ""
    state = {Status.CLOSED: " · _closed_", Status.ARCHIVED: " · _archived_"}.get(o.status, "")
    return f"*`{obj_ref(o)}` {user_text(o.title, 150)}* — <@{o.owner_id}> · {o.cycle}{channel}{state}"


def closed_score(status: ObjectiveStatus) -> float:
    return final_score([(s.key_result.final_score, s.key_result.weight) for s in status.key_results])


def _shown(status: ObjectiveStatus) -> str:
    if status.objective.status == Status.CLOSED:
        return f"final score {closed_score(status):.1f}"
    return f"{percent(status.progress)}%"


def objective_summary(status: ObjectiveStatus, *, with_key_results: bool = True) -> str:
    if status.objective.status == Status.CLOSED:
        # What it scored when it was closed, not where the numbers drifted since.
        score = closed_score(status)
        bar = f"`{progress_bar(score)}` final score *{score:.1f}*"
    else:
        bar = f"`{progress_bar(status.progress)}`"
    if status.objective.status == Status.ACTIVE:
        bar += f" · {pace_text(status.pace)}"
    lines = [objective_heading(status), bar]
    if with_key_results:
        lines += [key_result_line(s) for s in status.key_results] or ["_No key results._"]
    return "\n".join(lines)


def objective_list(title: str, result: ObjectiveList, *, cycle: str | None, command: str) -> dict:
    if not result.statuses:
        where = f" in {cycle}" if cycle else ""
        return ephemeral(f"{title}: no objectives{where} yet. Set one with `/okr new`.")
    blocks: list[dict] = [header(plain_user_text(title, 150))]  # a header is plain text: names, not <#C…>
    if cycle:
        blocks.append(context(f"{cycle} · {percent(result.expected)}% of the cycle has passed"))
    blocks += [section(objective_summary(s)) for s in result.statuses]
    more = result.total - len(result.statuses)
    pointer = f"Narrow it with `{command} @person` or `{command} #channel`, or see your own on App Home."
    if more > 0:
        blocks.append(context(f"…and {more} more not shown. {pointer}"))
    blocks = fit(blocks, MESSAGE_BLOCKS, "…and {count} more not shown. " + pointer)
    fallback = f"{title}: " + "; ".join(
        f"{obj_ref(s.objective)} {user_text(s.objective.title, 100)} {_shown(s)}" for s in result.statuses[:20]
    )
    if more > 0:
        fallback += f"; and {more} more"
    return ephemeral(fallback, blocks)


def _trend(history: Sequence[CheckIn], key_result: KeyResult) -> str:
    if not history:
        return "no check-ins yet"
    points = [value_text(key_result, c.value) for c in reversed(history)]
    verdict = ""
    if len(history) >= 2:
        # Good or bad, not up or down: 34% → 28% is better when the key result aims down.
        newest, before = history[0].value, history[1].value
        better = (newest - before) * (1 if key_result.target_value >= key_result.start_value else -1)
        verdict = TREND_BETTER if better > 0 else (TREND_WORSE if better < 0 else TREND_SAME)
    return " → ".join(points) + verdict


def _last_checkin(checkin: CheckIn | None, key_result: KeyResult, tz: ZoneInfo) -> str:
    if checkin is None:
        return "_No check-in yet._"
    confidence = f" · {checkin.confidence.replace('_', ' ')}" if checkin.confidence else ""
    note = f" — “{user_text(checkin.note, 300)}”" if checkin.note else ""
    if checkin.automatic:  # a bound data source: nobody typed it
        who = f"automatic, from its {checkin.origin.removeprefix('source:')} source"
    else:
        who = f"by <@{checkin.author_id}>" + (" through the API" if (checkin.origin or "").startswith("api:") else "")
    return (
        f"_Last check-in {local_day(checkin.created_at, tz)} {who}:_ "
        f"{value_text(key_result, checkin.value)}{confidence}{note}"
    )


def _source_line(binding) -> str:
    if binding is None:
        return ""
    if binding.failing_since is not None:
        return (
            f"\n    :warning: _its {binding.kind.value} source is failing since {binding.failing_since:%Y-%m-%d %H:%M} UTC:_ "
            f"{user_text(binding.last_error or 'unknown error', 300)}"
        )
    return f"\n    _updates itself from its {binding.kind.value} source every {binding.every_minutes} min_"


def objective_detail(detail: ObjectiveDetail, tz: ZoneInfo = UTC) -> dict:
    """`/okr show`; `tz` is the reader's, for the dates they read."""
    status = detail.status
    o = status.objective
    chain = []
    if detail.kra:
        chain.append(f"`{kra_ref(detail.kra)}` {user_text(detail.kra.title, 80)}")
    chain += [f"`{obj_ref(a)}` {user_text(a.title, 80)}" for a in detail.ancestors]
    chain.append(f"*`{obj_ref(o)}` {user_text(o.title, 80)}*")
    blocks = [
        header(f"{obj_ref(o)} {plain_user_text(o.title, 140)}"),
        section(objective_summary(status, with_key_results=False)),
        context("Alignment: " + " → ".join(chain) + (" → key results" if status.key_results else "")),
    ]
    if o.description:
        blocks.append(section(user_text(o.description, 2900)))
    for s in status.key_results:
        history = detail.history.get(s.key_result.id, [])
        last = history[0] if history else None
        served = detail.sprints.get(s.key_result.id, [])
        sprints = ", ".join(f"`{format_ref(RefKind.SPR, sp.number)}` {user_text(sp.name, 40)}" for sp in served[:5])
        blocks.append(
            section(
                f"{key_result_line(s)}\n    {_last_checkin(last, s.key_result, tz)}\n"
                f"    _trend:_ {_trend(history, s.key_result)}\n"
                f"    _sprints:_ {sprints or 'no sprint has served it yet'}"
                f"{_source_line(detail.sources.get(s.key_result.id))}"
            )
        )
    if not status.key_results:
        blocks.append(context("No key results."))
    if status.cycle:
        blocks.append(context(f"{status.cycle.name}: {percent(status.expected)}% of the cycle has passed"))
    if o.status == Status.ACTIVE:
        blocks.append(context(f"`/okr checkin` · `/okr edit {obj_ref(o)}` · `/okr close {obj_ref(o)}`"))
        shown = f"{percent(status.progress)}%"
    elif o.status == Status.CLOSED:
        # Check-ins, edits and closing again are refused on a closed objective.
        blocks.append(context(f"Closed: its scores and history are kept · `/okr archive {obj_ref(o)}` hides it from lists"))
        shown = f"final score {closed_score(status):.1f}"
    else:
        blocks.append(context("Archived: its history is kept"))
        shown = "archived"
    return ephemeral(f"{obj_ref(o)} {user_text(o.title, 150)}: {shown}", fit(blocks, MESSAGE_BLOCKS, "…and {count} more."))


# --- modals -------------------------------------------------------------------------------------


def _choice_label(prefix: str, title: str) -> str:
    return f"{prefix} {plain_user_text(title, 75)}"


def objective_modal(
    *,
    owner_id: str,
    choices: ModalChoices,
    objective: Objective | None = None,
    key_results: Sequence[KeyResult] = (),
    channel_id: str | None = None,
    title: str = "",
    private_metadata: str = "",
) -> dict:
    """The New objective form, or the Edit form prefilled from `objective` and its key results."""
    current_cycle = objective.cycle if objective else choices.cycles[1 if len(choices.cycles) > 1 else 0]
    parents = [(NONE, "— none —")] + [(str(p.id), _choice_label(obj_ref(p), p.title)) for p in choices.parents]
    kras = [(NONE, "— none —")] + [(str(k.id), _choice_label(kra_ref(k), k.title)) for k in choices.kras]
    owner = objective.owner_id if objective else owner_id
    blocks = [
        text_input(
            Block.OBJ_TITLE,
            "Objective",
            initial=(objective.title if objective else title)[:TITLE_MAX],
            max_length=TITLE_MAX,
            placeholder="Qualitative and inspiring, e.g. Customers love our onboarding",
        ),
        text_input(
            Block.OBJ_DESCRIPTION,
            "Description",
            initial=objective.description if objective else None,
            multiline=True,
            optional=True,
            max_length=3000,
        ),
        user_input(Block.OBJ_OWNER, "Owner", initial=owner),
        select_input(Block.OBJ_CYCLE, "Cycle", [(c, c) for c in choices.cycles], initial=current_cycle),
        channel_input(
            Block.OBJ_CHANNEL,
            "Team channel",
            initial=objective.channel_id if objective else channel_id,
            hint="Where its digest goes and where `/okr list` shows it.",
        ),
        select_input(
            Block.OBJ_PARENT,
            "Parent objective",
            parents,
            initial=str(objective.parent_id) if objective and objective.parent_id else NONE,
            optional=True,
            hint="The objective this one helps achieve (this cycle's active objectives).",
        ),
        select_input(
            Block.OBJ_KRA,
            "Key Result Area",
            kras,
            initial=str(objective.kra_id) if objective and objective.kra_id else NONE,
            optional=True,
            hint="The area of the owner's accountability it belongs to.",
        ),
    ]
    for n in range(1, MAX_KEY_RESULTS + 1):
        kr = key_results[n - 1] if n <= len(key_results) else None
        milestone = kr is not None and kr.kind == KeyResultKind.MILESTONE
        numbers = kr is not None and not milestone
        blocks += [
            divider(),
            context(f"*Key result {n}*" + (" — a measurable outcome: from start to target" if n == 1 else " (optional)")),
            text_input(
                Block.KR_TITLE.of(n=n),
                f"Key result {n}",
                initial=kr.title if kr else None,
                optional=True,
                max_length=TITLE_MAX,
                placeholder="e.g. Activation rate from 40% to 60%",
            ),
            text_input(
                Block.KR_START.of(n=n),
                "Start",
                initial=format_number(kr.start_value) if numbers else None,
                optional=True,
                placeholder="0",
            ),
            text_input(
                Block.KR_TARGET.of(n=n),
                "Target",
                initial=format_number(kr.target_value) if numbers else None,
                optional=True,
                placeholder="e.g. 60, 95% or $1,200",
            ),
            text_input(
                Block.KR_UNIT.of(n=n), "Unit", initial=kr.unit if kr else None, optional=True, max_length=UNIT_MAX
            ),
            user_input(Block.KR_OWNER.of(n=n), "Owner", initial=kr.owner_id if kr else owner, optional=True),
            text_input(
                Block.KR_WEIGHT.of(n=n),
                "Weight",
                initial=format_number(kr.weight) if kr else "1",
                optional=True,
                hint=None,
            ),
            checkbox_input(
                Block.KR_MILESTONE.of(n=n), "Milestone", (MILESTONE, "Done / not done (no numbers)"), checked=milestone
            ),
        ]
    if objective:
        return modal(Callback.OBJECTIVE_EDIT, f"Edit {obj_ref(objective)}", blocks, private_metadata=private_metadata)
    return modal(Callback.OBJECTIVE_NEW, "New objective", blocks, submit="Create", private_metadata=private_metadata)


def close_modal(status: ObjectiveStatus, proposed: dict[int, float], private_metadata: str) -> dict:
    o = status.objective
    blocks: list[dict] = [
        section(
            f"Close *`{obj_ref(o)}` {user_text(o.title, 150)}* and score each key result from 0.0 to 1.0. "
            "The proposal is its progress; 0.6–0.7 is a good result for an ambitious key result."
        )
    ]
    for s in status.key_results:
        if s.key_result.status != Status.ACTIVE:
            continue
        blocks += [
            section(key_result_line(s, owner=False)),
            text_input(
                Block.CLOSE_SCORE.of(id=s.key_result.id),
                f"Final score of {kr_ref(s.key_result)}",
                initial=f"{proposed[s.key_result.id]:.1f}",
                max_length=10,
            ),
        ]
    return modal(Callback.OBJECTIVE_CLOSE, f"Close {obj_ref(o)}", blocks, submit="Close", private_metadata=private_metadata)


# --- confirmations ------------------------------------------------------------------------------


def saved_message(verb: str, objective: Objective, key_results: Sequence[KeyResult], notes: Sequence[str]) -> str:
    lines = [f"{verb} *`{obj_ref(objective)}` {user_text(objective.title, 150)}* ({objective.cycle}):"]
    lines += [f"• `{kr_ref(kr)}` {user_text(kr.title, 150)}" for kr in key_results]
    lines.append(f"Check in with `/okr checkin`; see it with `/okr show {obj_ref(objective)}`.")
    lines += [f":bulb: {note}" for note in notes]
    return "\n".join(lines)


def closed_message(objective: Objective, key_results: Sequence[KeyResult]) -> str:
    mean = final_score([(kr.final_score, kr.weight) for kr in key_results])
    lines = [f"Closed *`{obj_ref(objective)}` {user_text(objective.title, 150)}* with a score of *{mean:.1f}*:"]
    lines += [f"• `{kr_ref(kr)}` {user_text(kr.title, 150)}: {kr.final_score:.1f}" for kr in key_results]
    return "\n".join(lines)
