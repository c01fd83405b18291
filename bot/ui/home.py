"""The App Home tab."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.models.views import View

from bot.ids import Action
from bot.ui.blocks import VIEW_BLOCKS, actions, button, context, divider, fit, header, section
from bot.ui.kra import kra_summary

if TYPE_CHECKING:
    from bot.services.home import HomeData


def home_view(data: HomeData) -> dict:
    blocks: list[dict] = [
        header("Northline"),
        actions(
            button("New KRA", Action.HOME_NEW_KRA, style="primary"),
        ),
        divider(),
        header("Your Key Result Areas"),
    ]
    if data.kras:
        blocks += [section(kra_summary(kra, data.kpis.get(kra.id, []))) for kra in data.kras]
        if data.kra_total > len(data.kras):
            blocks.append(context(f"…and {data.kra_total - len(data.kras)} more: `/kra list` shows them all."))
    else:
        blocks.append(section("You have no KRAs yet. A KRA is an area you are accountable for, like *Customer satisfaction*; declare 3–5 with *New KRA*."))
    return View(type="home", blocks=fit(blocks, VIEW_BLOCKS, "…and {count} more.")).to_dict()
