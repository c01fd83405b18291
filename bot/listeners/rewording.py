"""Key-result rewrites worded by the operator's language model (docs/ai.md), after an objective is
saved from the form: the deterministic notes and rewrites are in the saved message already; when
a model is declared and the workspace left it on, a second DM gives the model's wording of the
rewrites. A model that fails adds nothing: the deterministic rewrites stand."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk import WebClient

from bot import outbound
from bot.ai import model, prompt
from bot.domain.kr_quality import key_result_notes
from bot.services import ask
from bot.ui import assistant as ui

if TYPE_CHECKING:
    from bot.forms.okr import ObjectiveForm
    from bot.settings import Settings
    from storage.models import Workspace

HEADING = "Suggested rewrites of your key results"


def rewrites_request(
    settings: Settings | None, workspace: Workspace, form: ObjectiveForm, cycle: str
) -> list[dict] | None:
    """The model's messages for the form's noted key results, or None (no model, switched off,
    nothing noted). Called inside the transaction; nothing is sent here."""
    if settings is None or settings.ai is None or not ask.may_use_model(workspace):
        return None
    noted = []
    for position, kr in enumerate(form.key_results, start=1):
        notes = key_result_notes(
            kr.title, milestone=kr.milestone, start=kr.start, target=kr.target, unit=kr.unit, cycle=cycle
        )
        if notes:
            noted.append(
                prompt.key_result_facts(
                    position,
                    kr.title,
                    milestone=kr.milestone,
                    start=kr.start,
                    target=kr.target,
                    unit=kr.unit,
                    notes=[(n.text, n.rewrite) for n in notes],
                )
            )
    return prompt.rewrites(form.title, cycle, noted) if noted else None


def send_rewrites(
    client: WebClient, user_id: str, settings: Settings | None, messages: list[dict] | None
) -> None:
    """After the commit and the saved message: the model's wording, in a DM; nothing if it fails."""
    if messages is None or settings is None or settings.ai is None:
        return
    try:
        said = model.complete(settings.ai, messages)
    except model.ModelError:
        return  # the saved message's own rewrites stand
    message = ui.worded_message(said, HEADING)
    outbound.dm(client, user_id, message["text"], [ui.heading_section(HEADING), *message["blocks"]])
