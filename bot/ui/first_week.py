"""The first week's guide on App Home: the method as four steps, each ticked from real data, each
with its button and one example drawn from the seeds (a Customer Support Manager)."""

from __future__ import annotations

from bot.domain.first_week import FirstWeek, Step
from bot.domain.references import RefKind, format_ref
from bot.ids import Action
from bot.ui.blocks import actions, button, context, divider, header, section

DONE, TO_DO = ":white_check_mark:", ":white_large_square:"

EXAMPLES = {
    Step.KRAS: "e.g. a Customer Support Manager: *Customer satisfaction*, *Customer query resolution*, "
    "*Team training and development*.",
    Step.KPIS: "e.g. *Customer satisfaction* measured by NPS (target 75, higher is better) and first-response "
    "time (target 6 h, lower is better).",
    Step.OBJECTIVE: "e.g. inside *Customer satisfaction*: “Improve customer satisfaction by the end of Q4”, "
    "with key results “Increase NPS from 60 to 75” and “Reduce response time from 24 h to 6 h”.",
    Step.SPRINT: "e.g. a two-week sprint “Saved replies for the 20 most common questions”, linked to "
    "“Reduce response time from 24 h to 6 h”.",
}


def _step(done: bool, title: str, detail: str, example: str, action: dict | None) -> dict:
    text = f"{DONE if done else TO_DO} *{title}* — {detail}\n_{example}_"
    return section(text, accessory=None if done else action)


def first_week_blocks(guide: FirstWeek | None) -> list[dict]:
    if guide is None:
        return []
    done = guide.done
    kras_detail = "the areas your role is accountable for"
    if guide.kra_count:
        kras_detail += f" (you have {guide.kra_count})"
    if guide.kras_without_kpis:
        refs = ", ".join(f"`{format_ref(RefKind.KRA, n)}`" for n in guide.kras_without_kpis[:5])
        kpis_detail = f"how you will know each area is going well ({refs} still has none)"
        if len(guide.kras_without_kpis) > 1:
            kpis_detail = kpis_detail.replace("still has none", "still have none")
        kpis_action = button("Add KPIs", Action.GUIDE_ADD_KPIS, str(guide.kras_without_kpis[0]))
    else:
        kpis_detail = "how you will know each area is going well" + (
            "" if guide.kra_count else " (after step 1)"
        )
        kpis_action = None
    if guide.team_channel:
        sprint_detail = f"plan one in <#{guide.team_channel}> and link it to a key result"
        sprint_action = button("Plan a sprint", Action.PLAN_SPRINT, guide.team_channel)
    else:
        sprint_detail = "in your team's channel: `/sprint start`, then `/sprint link KR-n`"
        sprint_action = None
    return [
        divider(),
        header("Your first week with Northline"),
        section(
            "Northline works in four steps: the areas you own, how you measure them, what you will achieve "
            "this quarter, and what the team does this sprint to get there."
        ),
        _step(
            done[Step.KRAS],
            "1. Declare 3–5 KRAs",
            kras_detail,
            EXAMPLES[Step.KRAS],
            button("New KRA", Action.GUIDE_NEW_KRA),
        ),
        _step(done[Step.KPIS], "2. Give each KRA 1–3 KPIs", kpis_detail, EXAMPLES[Step.KPIS], kpis_action),
        _step(
            done[Step.OBJECTIVE],
            "3. Set an objective inside a KRA",
            "2–5 key results for this quarter",
            EXAMPLES[Step.OBJECTIVE],
            button("New objective", Action.GUIDE_NEW_OBJECTIVE),
        ),
        _step(
            done[Step.SPRINT],
            "4. Start a sprint that serves a key result",
            sprint_detail,
            EXAMPLES[Step.SPRINT],
            sprint_action,
        ),
        context("This guide steps aside once all four are done."),
        actions(button("Hide this guide", Action.HIDE_GUIDE)),
    ]
