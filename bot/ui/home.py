"""The App Home tab."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.models.views import View

from bot.domain.first_week import Step
from bot.domain.schedule_time import zone
from bot.domain.slack_text import truncate
from bot.ids import Action, Block
from bot.ui.blocks import (
    VIEW_BLOCKS,
    actions,
    button,
    context,
    divider,
    fit,
    header,
    section,
    user_text,
)
from bot.ui.dates import people_date, people_time
from bot.ui.first_week import first_week_blocks
from bot.ui.kra import kpi_ref, kra_ref, kra_summary
from bot.ui.okr import confidence_text, kr_ref, obj_ref, objective_summary, pace_text, value_text
from bot.ui.preferences import change_button, reminders_line
from bot.ui.progress import progress_bar
from bot.ui.sources import provenance

if TYPE_CHECKING:
    from bot.services.home import HomeData


def home_view(data: HomeData) -> dict:
    blocks: list[dict] = [header("Northline"), actions(*_top_buttons(data))]
    if data.reminders is not None:
        blocks.append(section(reminders_line(data.reminders), accessory=change_button()))
    # The work first: what needs you this week, then the first-week guide while it has steps to do.
    blocks += _needs_you(data)
    blocks += first_week_blocks(data.first_week)
    blocks += _key_results(data)
    blocks += _objectives(data)
    blocks += _sprint_goals(data)
    blocks += [divider(), header("Your Key Result Areas")]
    if data.kras:
        blocks += [section(kra_summary(kra, data.kpis.get(kra.id, []))) for kra in data.kras]
        if not data.kpis_due and any(data.kpis.get(kra.id) for kra in data.kras):
            # Once on Home: beside each KPI due in *Needs you this week*, else here.
            blocks.append(actions(button("Log a value", Action.LOG_KPI)))
        if data.kra_total > len(data.kras):
            blocks.append(
                context(f"…and {data.kra_total - len(data.kras)} more: `/kra list` shows them all.")
            )
    else:
        blocks.append(
            section(
                "You have no KRAs yet. A KRA is an area you are accountable for, like *Customer satisfaction*; "
                "declare 3–5 with *New KRA*."
            )
        )
    return View(type="home", blocks=fit(blocks, VIEW_BLOCKS, "…and {count} more.")).to_dict()


def _top_buttons(data: HomeData) -> list[dict]:
    """Check in (the one primary button), and New objective / New KRA unless the first-week guide
    below already offers that step's button: each action once on the page."""
    buttons = [button("Check in", Action.HOME_CHECKIN, style="primary")]
    guide = data.first_week
    if guide is None or guide.done[Step.OBJECTIVE]:
        buttons.append(button("New objective", Action.HOME_NEW_OBJECTIVE))
    if guide is None or guide.done[Step.KRAS]:
        buttons.append(button("New KRA", Action.HOME_NEW_KRA))
    return buttons


def _unaligned(data: HomeData) -> list[dict]:
    """Your teams' sprints whose goal serves no key result."""
    sprints = getattr(data, "unaligned_sprints", [])
    if not sprints:
        return []
    lines = [
        f"• `{sprint.ref}` {user_text(sprint.name, 80)} in <#{sprint.channel_id}>: "
        f"{user_text(sprint.goal, 150) or '_no goal yet_'}"
        for sprint in sprints[:10]
    ]
    if len(sprints) > 10:
        lines.append(f"…and {len(sprints) - 10} more.")
    count = len(sprints)
    title = f"*{count} sprint{'s' if count != 1 else ''} of your teams serve{'s' if count == 1 else ''} no key result:*"
    hint = "Link the key result each one moves with `/sprint link KR-n` in its channel."
    return [section(truncate(title + "\n" + "\n".join(lines) + "\n" + hint, 3000))]


def _needs_you(data: HomeData) -> list[dict]:
    """What needs the person this week: each key result to check in and each KPI to measure, each
    with its own button (the top *Check in* is the one primary button, for all of them at once)."""
    blocks = [divider(), header("Needs you this week")] + _unaligned(data)
    if not data.needs_checkin:
        if data.key_result_total:
            blocks.append(section(":white_check_mark: All your key results are checked in this week."))
        else:
            blocks.append(
                section(
                    "Nothing yet. Set an objective with *New objective* and its key results show up here."
                )
            )
    else:
        count = data.needs_checkin_total
        blocks.append(
            section(f"*{count} key result{'s' if count != 1 else ''} without a check-in since Monday:*")
        )
        blocks += [_needs_checkin_row(data, kr, objective) for kr, objective in data.needs_checkin]
        more = data.needs_checkin_total - len(data.needs_checkin)
        if more > 0:
            blocks.append(context(f"…and {more} more: *Check in* at the top takes them all."))
    return blocks + _kpis_due(data)


def _needs_checkin_row(data: HomeData, kr, objective) -> dict:
    when = (
        f"last check-in {people_date(kr.last_checkin_at, tz=zone(data.timezone))}"
        if kr.last_checkin_at
        else "no check-in yet"
    )
    return section(
        f"• `{kr_ref(kr)}` {user_text(kr.title, 120)} ({when}) · in `{obj_ref(objective)}`",
        accessory=button("Check in", Action.CHECKIN_KEY_RESULT, kr_ref(kr)),
        block_id=Block.NEEDS_KR.of(number=kr.number),
    )


def _kpis_due(data: HomeData) -> list[dict]:
    if not data.kpis_due:
        return []
    count = data.kpis_due_total
    blocks = [section(f"*{count} KPI{'s' if count != 1 else ''} without a value since Monday:*")]
    blocks += [
        section(
            f"• `{kpi_ref(kpi)}` {user_text(kpi.name, 120)} · in `{kra_ref(kra)}` {user_text(kra.title, 80)}",
            accessory=button("Log a value", Action.LOG_KPI, kpi_ref(kpi)),
            block_id=Block.NEEDS_KPI.of(number=kpi.number),
        )
        for kpi, kra in data.kpis_due
    ]
    more = data.kpis_due_total - len(data.kpis_due)
    if more > 0:
        blocks.append(context(f"…and {more} more: *Log a value* lets you pick any of them."))
    return blocks


def _key_results(data: HomeData) -> list[dict]:
    if not data.key_results:
        return []
    blocks = [divider(), header("Your key results")]
    for status, objective in data.key_results:
        kr = status.key_result
        confidence = confidence_text(status)
        via = " · _last check-in by workflow_" if kr.id in data.by_workflow else ""
        if kr.id in data.by_source:
            origin, at = data.by_source[kr.id]
            via = f" · _from {provenance(origin)}, {people_time(at, tz=zone(data.timezone))}_"
        blocks.append(
            section(
                f"*`{kr_ref(kr)}` {user_text(kr.title, 150)}* · in `{obj_ref(objective)}` {user_text(objective.title, 80)}\n"
                f"`{progress_bar(status.progress)}` {value_text(kr, kr.current_value)} · "
                f"{pace_text(status.pace)}{confidence}{via}"
            )
        )
    more = data.key_result_total - len(data.key_results)
    if more > 0:
        blocks.append(context(f"…and {more} more: `/okr list mine` shows them all."))
    return blocks


def _objectives(data: HomeData) -> list[dict]:
    if not data.objectives:
        return []
    blocks = [divider(), header("Your objectives")]
    blocks += [section(objective_summary(status, with_key_results=False)) for status in data.objectives]
    more = data.objective_total - len(data.objectives)
    if more > 0:
        blocks.append(context(f"…and {more} more: `/okr list mine` shows them all."))
    return blocks


def _sprint_goals(data: HomeData) -> list[dict]:
    """Your teams' current sprint goals: whatever list the sprint module hands over."""
    if not data.team_sprint_goals:
        return []
    lines = []
    for sprint in data.team_sprint_goals[:20]:
        reference = getattr(sprint, "reference", "") or ""
        linked = getattr(sprint, "key_results", None) or []
        goal = user_text(getattr(sprint, "goal", "") or "", 300) or "_no goal set_"
        if getattr(sprint, "aligned", False):
            alignment = ":link: aligned" + (
                f" with {', '.join(f'`{k}`' for k in linked[:5])}" if linked else ""
            )
        else:
            alignment = ":warning: not aligned to a key result yet (`/sprint link KR-n`)"
        prefix = f"`{reference}` " if reference else ""
        lines.append(f"• {prefix}<#{sprint.channel_id}>: {goal} — {alignment}")
    return [divider(), header("Your teams' sprint goals"), section(truncate("\n".join(lines), 3000))]
