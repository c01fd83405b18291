"""`/okr`, its modals and the check-in buttons: parse, ack, hand over to services, answer.

ROUTER (listeners/router.py) holds the subcommands and generates the help; other modules add
theirs (`schedule`, `digest`, `pause`, `export`, …) the same way, with `ROUTER.add(name, handler,
usage_line)`. A handler takes one Invocation and runs after ack().
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import outbound
from bot.domain.channels import is_team_channel_id
from bot.domain.limits import MAX_KEY_RESULTS
from bot.domain.references import RefKind, parse_ref
from bot.domain.slack_text import (
    mention,
    mention_label,
    parse_channel_mention,
    parse_user_mention,
)
from bot.errors import Invalid, Usage
from bot.forms.okr import parse_checkins, parse_close, parse_objective, rows_metadata
from bot.forms.reminder import parse_origin
from bot.forms.state import flatten, text
from bot.ids import Action, Block, Callback, Option
from bot.listeners import growing, homes, reminders, rewording
from bot.listeners.buttons import Click, button
from bot.listeners.common import Caller, caller, creation_key, unit_of_work
from bot.listeners.router import Invocation, Router
from bot.services import checkins, follows, objective_views, okrs, quick_checkins
from bot.ui import checkin as checkin_ui
from bot.ui import follows as follow_ui
from bot.ui import okr as ui
from bot.ui.blocks import ephemeral

if TYPE_CHECKING:
    from bot.settings import Settings
    from storage.db import Database

LIST_LIMIT = 40  # objectives in one `/okr list` answer: a header, a context, 40 sections, a note < 50
LIST_FOLD = 5  # objectives `/okr list` shows before its *Show all* button


def register(app: App) -> None:
    app.command("/okr")(ROUTER)
    app.view(Callback.OBJECTIVE_NEW)(submit_new)
    app.view(Callback.OBJECTIVE_EDIT)(submit_edit)
    app.view(Callback.OBJECTIVE_CLOSE)(submit_close)
    app.view(Callback.CHECKIN)(submit_checkin)
    app.action(Action.CHECKIN_NEXT)(next_checkin_page)
    app.action(Action.HOME_CHECKIN)(open_checkin_from_button)
    app.action(Action.OPEN_CHECKIN)(open_checkin_from_button)
    app.action(Action.HOME_NEW_OBJECTIVE)(open_new_from_home)
    app.action(Action.SHOW_OBJECTIVE)(show_from_button)
    app.action(Action.EDIT_OBJECTIVE)(edit_from_button)
    app.action(Action.CLOSE_OBJECTIVE)(close_from_button)
    app.action(Action.SHARE_OBJECTIVE)(share_from_button)
    app.action(Action.SHOW_ALL_OBJECTIVES)(show_all_from_button)
    app.action(Action.ADD_KEY_RESULT)(add_key_result)
    app.action(Action.KR_MORE_OPTIONS)(more_key_result_options)
    app.action(Action.KEY_RESULT_MENU)(row_menu)
    app.action(Action.OBJECTIVE_MENU)(row_menu)
    app.action(Action.CHECKIN_KEY_RESULT)(checkin_key_result_from_button)
    app.action(Action.HIDE_GUIDE)(homes.hide_guide_button)


# --- subcommands ----------------------------------------------------------------------------------


def _new(call: Invocation) -> None:
    open_objective_modal(
        call.client,
        call.db,
        call.who,
        call.trigger_id,
        title=call.rest,
        channel_id=call.command.get("channel_id"),
    )


def _list(call: Invocation) -> None:
    call.respond(**list_answer(call.db, call.who, call.rest, call.command, fold=LIST_FOLD))


def list_answer(db: Database, who: Caller, rest: str, command: dict, *, fold: int | None) -> dict:
    """`/okr list`'s answer; folded to `fold` objectives with *Show all*, or whole (up to LIST_LIMIT)."""
    target, cycle_text = _list_arguments(rest)
    filters, title = _list_filters(who, command, target)
    with unit_of_work(db, who) as (session, workspace):
        page = objective_views.objective_page(
            session, workspace, who.user_id, cycle_text=cycle_text, limit=LIST_LIMIT, **filters
        )
    return ui.objective_list(
        f"{title or _here_title(page, command)} · {page.cycle}",
        page.objectives,
        cycle=page.cycle,
        command="/okr list",
        fold=fold,
        words=rest.strip(),
        rights=page.rights,
        shareable=is_team_channel_id(command.get("channel_id")),
    )


@button
def show_all_from_button(click: Click) -> None:
    """*Show all* under a folded `/okr list`: the same list, whole, in place of the folded one."""
    command = {"channel_id": click.channel_id, "channel_name": click.channel.get("name") or ""}
    words = click.value
    answer = list_answer(click.db, click.who, "" if words == "-" else words, command, fold=None)
    outbound.answer(click.respond, replace_original=True, **answer)


def _list_arguments(rest: str) -> tuple[str, str]:
    parts = rest.split()
    if len(parts) > 2:
        raise Usage(
            "`/okr list` takes `mine`, `@person`, `#channel` or `all`, and a cycle, e.g. `/okr list all 2026-Q4`."
        )
    target = cycle = ""
    for part in parts:
        lowered = part.lower()
        if lowered in ("mine", "me", "all") or parse_user_mention(part) or parse_channel_mention(part):
            if target:
                raise Usage("Name one of `mine`, `@person`, `#channel` or `all`, e.g. `/okr list #growth`.")
            target = part
        elif not cycle:
            cycle = part
        else:
            raise Usage(
                "`/okr list` takes `mine`, `@person`, `#channel` or `all`, and a cycle, e.g. `/okr list all 2026-Q4`."
            )
    return target, cycle


def _list_filters(who: Caller, command: dict, target: str) -> tuple[dict, str | None]:
    """Whose objectives `/okr list TARGET` asks for, and the list's title; no target: this
    channel's when it has objectives, else the caller's (the title then depends on which)."""
    lowered = target.lower()
    if lowered == "all":
        return {}, "All objectives"
    if lowered in ("mine", "me"):
        return {"user_id": who.user_id}, "Your objectives"
    # Titles carry the names Slack sent, so the list's plain-text header reads "#growth", not "<#C…>".
    if user := parse_user_mention(target):
        return {"user_id": user}, f"Objectives of {mention('@', user, mention_label(target))}"
    if channel := parse_channel_mention(target):
        return {"channel_id": channel}, f"Objectives of {mention('#', channel, mention_label(target))}"
    return {"channel_or_reader": command.get("channel_id") or ""}, None


def _here_title(page: objective_views.ObjectivePage, command: dict) -> str:
    if page.channel_id:
        return f"Objectives of {mention('#', page.channel_id, command.get('channel_name') or '')}"
    return "Your objectives"


def _show(call: Invocation) -> None:
    call.respond(**show_answer(call.db, call.who, _one_reference(call.rest, "show"), call.channel_id))


def show_answer(db: Database, who: Caller, reference: str, channel_id: str) -> dict:
    """One objective with the actions the reader may take (`/okr show`, or *Show* on a list)."""
    with unit_of_work(db, who) as (session, workspace):
        card = objective_views.objective_card(session, workspace, who.user_id, reference)
    return ui.objective_detail(
        card.detail,
        card.tz,
        card.following,
        may_change=card.may_change,
        shareable=is_team_channel_id(channel_id),
        check_in=card.check_in,
    )


@button
def show_from_button(click: Click) -> None:
    """*Show* beside an objective of `/okr list`: its card, as `/okr show` answers, below the list."""
    answer = show_answer(click.db, click.who, click.value, click.channel_id)
    outbound.answer(click.respond, replace_original=False, **answer)


def _checkin(call: Invocation) -> None:
    who = call.who
    if not call.rest.strip():
        if not open_checkin_modal(call.client, call.db, who, call.trigger_id):
            call.respond(**ephemeral(NOTHING_TO_CHECK_IN))
        return
    # One invocation of the command, one check-in: a replay of the same signed request carries the
    # same trigger_id and records nothing.
    trigger_id = call.command.get("trigger_id")
    dedupe = f"cmd:{trigger_id}" if trigger_id else None
    with unit_of_work(call.db, who) as (session, workspace):
        done = checkins.check_in_from_command(
            session, workspace, who.user_id, call.rest, dedupe_prefix=dedupe
        )
    call.respond(**ephemeral(checkin_ui.recorded_message(done.recorded, done.weeks)))
    homes.refresh(call.db, call.client, who, who.user_id, *done.owners)


NOTHING_TO_CHECK_IN = (
    "You own no active key results, so there is nothing to check in. "
    "Set an objective with `/okr new`, or ask an owner to give you a key result."
)


def _edit(call: Invocation) -> None:
    open_edit(call.client, call.db, call.who, call.trigger_id, _one_reference(call.rest, "edit"))


def open_edit(client: WebClient, db: Database, who: Caller, trigger_id: str, reference: str) -> None:
    """The edit form of one objective (`/okr edit`, or *Edit* under `/okr show`)."""
    with unit_of_work(db, who) as (session, workspace):
        form = objective_views.edit_form(session, workspace, who.user_id, reference)
    view = ui.objective_modal(
        owner_id=form.objective.owner_id,
        choices=form.choices,
        objective=form.objective,
        key_results=form.key_results,
        private_metadata=json.dumps({"obj": form.objective.number}),
    )
    outbound.open_view(client, trigger_id, view)


def _close(call: Invocation) -> None:
    open_close(call.client, call.db, call.who, call.trigger_id, _one_reference(call.rest, "close"))


def open_close(client: WebClient, db: Database, who: Caller, trigger_id: str, reference: str) -> None:
    """The close form of one objective (`/okr close`, or *Close* under `/okr show`)."""
    with unit_of_work(db, who) as (session, workspace):
        form = objective_views.close_form(session, workspace, who.user_id, reference)
    view = ui.close_modal(form.status, form.proposed, json.dumps({"obj": form.number}))
    outbound.open_view(client, trigger_id, view)


def _archive(call: Invocation) -> None:
    who = call.who
    reference = _one_reference(call.rest, "archive")
    with unit_of_work(call.db, who) as (session, workspace):
        archived = okrs.archive(session, workspace, who.user_id, reference)
    call.respond(
        **ephemeral(
            f"Archived *`{archived.ref}` {ui.user_text(archived.title, 150)}*. Its key results and check-ins are kept."
        )
    )
    homes.refresh(call.db, call.client, who, who.user_id, *archived.owners)


def _one_reference(rest: str, verb: str) -> str:
    parts = rest.split()
    if len(parts) != 1:
        raise Usage(f"Name one objective, like `/okr {verb} OBJ-3`. `/okr list` shows yours.")
    return parts[0]


ROUTER = Router("/okr", "*`/okr` — objectives, key results and weekly check-ins*")
ROUTER.add(
    "new", _new, "• `/okr new` — set an objective with up to 5 key results (opens a form)", "add", weekly=True
)
ROUTER.add(
    "list",
    _list,
    "• `/okr list [mine | @person | #channel | all] [2026-Q4]` — objectives with progress and pace "
    "(default: this channel's, else yours)",
    "ls",
    weekly=True,
)
ROUTER.add(
    "show",
    _show,
    "• `/okr show OBJ-3` — one objective: where it fits, its key results, their check-ins and trend",
    weekly=True,
)
ROUTER.add(
    "checkin",
    _checkin,
    "• `/okr checkin` — check in on all your key results (opens a form)",
    "check-in",
    weekly=True,
)
ROUTER.lines.append("• `/okr checkin KR-7 42 [on-track | at-risk | off-track] [note]` — a one-line check-in")
ROUTER.weekly.append(ROUTER.lines[-1])
ROUTER.buttons += [("Check in", Action.HOME_CHECKIN), ("New objective", Action.HOME_NEW_OBJECTIVE)]
ROUTER.add(
    "edit", _edit, "• `/okr edit OBJ-3` · `/okr close OBJ-3` (score each key result) · `/okr archive OBJ-3`"
)
ROUTER.add("close", _close)
ROUTER.add("archive", _archive)


# --- modals ----------------------------------------------------------------------------------------


def open_objective_modal(
    client: WebClient,
    db: Database,
    who: Caller,
    trigger_id: str,
    *,
    title: str = "",
    channel_id: str | None = None,
) -> None:
    """The New objective modal (also for a *New objective* button elsewhere)."""
    with unit_of_work(db, who) as (session, workspace):
        choices = okrs.modal_choices(session, workspace, who.user_id)
    channel = channel_id if channel_id and channel_id[:1] == "C" else None
    view = ui.objective_modal(
        owner_id=who.user_id,
        choices=choices,
        channel_id=channel,
        title=title,
        rows=1,
        private_metadata=rows_metadata(1),
    )
    outbound.open_view(client, trigger_id, view)


def _redraw_new_objective(view: dict, rows: int, options: bool, who: Caller, db: Database) -> dict:
    """The New objective form as `view` holds it, with `rows` key result groups; its owner,
    channel and title carried over (Slack keeps the rest by block_id)."""
    values = flatten(view)
    with unit_of_work(db, who) as (session, workspace):
        choices = okrs.modal_choices(session, workspace, who.user_id)
    owner = values.get(Block.OBJ_OWNER)
    channel = values.get(Block.OBJ_CHANNEL)
    return ui.objective_modal(
        owner_id=owner if isinstance(owner, str) and owner else who.user_id,
        choices=choices,
        channel_id=channel if isinstance(channel, str) and channel[:1] == "C" else None,
        title=text(values.get(Block.OBJ_TITLE)),
        rows=rows,
        options=options,
        private_metadata=rows_metadata(rows, options=options),
    )


# *Add key result* and *More options* in the New objective form.
add_key_result, more_key_result_options = growing.buttons(MAX_KEY_RESULTS, _redraw_new_objective)


def open_key_result_checkin(
    client: WebClient, db: Database, who: Caller, trigger_id: str, reference: str
) -> None:
    """The check-in form for one key result (its row's *Check in*, or App Home's): its state and
    the clicker's right to it are checked again, as `/okr checkin KR-n` would."""
    with unit_of_work(db, who) as (session, workspace):
        form = objective_views.key_result_checkin(session, workspace, who.user_id, reference)
    outbound.open_view(client, trigger_id, checkin_ui.checkin_modal(form.data, form.tz))


def open_objective_checkin(
    client: WebClient, db: Database, who: Caller, trigger_id: str, reference: str
) -> None:
    """The check-in form for the key results of one objective the clicker may check in on."""
    with unit_of_work(db, who) as (session, workspace):
        form = objective_views.objective_checkin(session, workspace, who.user_id, reference)
    outbound.open_view(client, trigger_id, checkin_ui.checkin_modal(form.data, form.tz))


def open_checkin_modal(client: WebClient, db: Database, who: Caller, trigger_id: str) -> bool:
    """Open the check-in modal for `who`; False (nothing opened) when they own no active key results."""
    with unit_of_work(db, who) as (session, workspace):
        form = checkins.modal_form(session, workspace, who.user_id)
    if not form.data.items:
        return False
    outbound.open_view(client, trigger_id, checkin_ui.checkin_modal(form.data, form.tz))
    return True


def submit_new(
    ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database, settings: Settings
) -> None:
    form = parse_objective(view)
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        saved = okrs.create_objective(session, workspace, who.user_id, form, creation_key=creation_key(view))
    owners = [saved.objective.owner_id, *(kr.owner_id for kr in saved.key_results)]
    message = ui.saved_message("Created", saved.objective, saved.key_results, saved.notes)
    reword = rewording.rewrites_request(settings, workspace, form, saved.objective.cycle)
    ack()
    outbound.dm(client, who.user_id, message)
    rewording.send_rewrites(client, who.user_id, settings, reword)
    homes.refresh(db, client, who, who.user_id, *owners)


def submit_edit(
    ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database, settings: Settings
) -> None:
    form = parse_objective(view)
    number = _metadata_number(view, "edit")
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        saved = okrs.update_objective(session, workspace, who.user_id, number, form)
    owners = [saved.objective.owner_id, *(kr.owner_id for kr in saved.key_results)]
    message = ui.saved_message("Updated", saved.objective, saved.key_results, saved.notes)
    reword = rewording.rewrites_request(settings, workspace, form, saved.objective.cycle)
    ack()
    outbound.dm(client, who.user_id, message)
    rewording.send_rewrites(client, who.user_id, settings, reword)
    homes.refresh(db, client, who, who.user_id, *owners)


def submit_close(ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    scores = parse_close(view)
    number = _metadata_number(view, "close")
    who = caller(context)
    with unit_of_work(db, who) as (session, workspace):
        objective, key_results = okrs.close_objective(session, workspace, who.user_id, number, scores)
    owners = [objective.owner_id, *(kr.owner_id for kr in key_results)]
    message = ui.closed_message(objective, key_results)
    ack()
    outbound.dm(client, who.user_id, message)
    homes.refresh(db, client, who, who.user_id, *owners)


def next_checkin_page(ack: Ack, body: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    """*Next* on the check-in form: this page's touched rows are recorded (as a submission would),
    then the form shows the next ten key results. A problem is told in a DM; the form stays."""
    ack()
    view = body.get("view") or {}
    paging = checkin_ui.parse_paging(view)
    if not paging.rest:
        return
    who = caller(context)
    dedupe = f"{view.get('id', '')}:{view.get('hash', '')}" if view.get("id") else None
    try:
        entries = parse_checkins(view)
        with unit_of_work(db, who) as (session, workspace):
            page = checkins.next_page(
                session,
                workspace,
                who.user_id,
                entries,
                paging.rest,
                first=paging.first,
                total=paging.total,
                saved=paging.saved,
                dedupe_prefix=dedupe,
            )
    except Invalid as error:
        if not error.fields:
            raise
        raise Invalid(checkin_ui.page_problems(view, error.fields)) from None
    shown = checkin_ui.checkin_modal(
        page.form.data, page.form.tz, private_metadata=view.get("private_metadata") or ""
    )
    outbound.update_view(client, view["id"], shown, view.get("hash"))
    if page.recorded:
        homes.refresh(db, client, who, who.user_id, *page.owners)


def submit_checkin(ack: Ack, view: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    entries = parse_checkins(view)
    earlier = checkin_ui.parse_paging(view).saved
    if not entries and not earlier:
        first = next(
            (
                b["block_id"]
                for b in view.get("blocks") or []
                if str(b.get("block_id", "")).endswith("_value")
            ),
            None,
        )
        raise Invalid(
            "Nothing changed: update a value, pick a confidence or add a note.",
            fields={first: "Nothing changed: update a value, pick a confidence or add a note."}
            if first
            else None,
        )
    who = caller(context)
    origin = parse_origin(view)  # opened by *Add a note* on a reminder: that message is redrawn
    # Slack may deliver one submission twice; both carry the same view id and hash.
    dedupe = f"{view.get('id', '')}:{view.get('hash', '')}" if view.get("id") else None
    with unit_of_work(db, who) as (session, workspace):
        submitted = quick_checkins.form_check_in(
            session,
            workspace,
            who.user_id,
            entries,
            dedupe_prefix=dedupe,
            earlier=earlier,
            listed=origin.listed if origin else None,
        )
    ack()
    done = submitted.done
    # Only the earlier pages (saved by *Next*) had check-ins: say so, the form closes.
    if done.recorded or not entries:
        outbound.dm(
            client, who.user_id, checkin_ui.recorded_message(done.recorded, done.weeks, earlier=earlier)
        )
        if origin and submitted.reminder:
            reminders.redraw(client, origin, submitted.reminder)
    if done.recorded:
        homes.refresh(db, client, who, who.user_id, *done.owners)


def _metadata_number(view: dict, verb: str) -> int:
    try:
        return parse_ref(f"OBJ-{json.loads(view.get('private_metadata') or '{}')['obj']}", RefKind.OBJ)
    except (ValueError, KeyError, TypeError):
        raise Invalid(f"This form is out of date; run `/okr {verb}` again.") from None


# --- buttons ---------------------------------------------------------------------------------------


@button
def open_checkin_from_button(click: Click) -> None:
    """*Check in* on App Home or in a reminder DM."""
    if not open_checkin_modal(click.client, click.db, click.who, click.trigger_id):
        outbound.dm(click.client, click.who.user_id, NOTHING_TO_CHECK_IN)


@button
def edit_from_button(click: Click) -> None:
    """*Edit* under `/okr show`: rights and state are checked again, as for `/okr edit`."""
    open_edit(click.client, click.db, click.who, click.trigger_id, click.value)


@button
def close_from_button(click: Click) -> None:
    """*Close* under `/okr show`: rights and state are checked again, as for `/okr close`."""
    open_close(click.client, click.db, click.who, click.trigger_id, click.value)


@button
def share_from_button(click: Click) -> None:
    """*Share to channel* under `/okr show`: the card as it is now, posted where the command ran,
    by someone who may change the objective."""
    share(click.respond, click.client, click.db, click.who, click.channel_id, click.value)


def share(
    respond: Respond, client: WebClient, db: Database, who: Caller, channel_id: str, reference: str
) -> None:
    """Post the objective's card as it is now into `channel_id`, for someone who may change it."""
    with unit_of_work(db, who) as (session, workspace):
        shared = objective_views.shared_card(session, workspace, who.user_id, reference)
    card = ui.objective_detail(shared.detail, shared.tz, shared_by=who.user_id)
    ref = shared.ref
    if is_team_channel_id(channel_id) and outbound.post(client, channel_id, card["text"], card["blocks"]):
        outbound.answer(respond, replace_original=False, **ephemeral(f"Shared `{ref}` in <#{channel_id}>."))
    else:
        outbound.answer(
            respond,
            replace_original=False,
            **ephemeral(
                f"I couldn't post in this channel. Invite me with `/invite @Northline`, then share `{ref}` again."
            ),
        )


ROW_MENU_STALE = "This menu is out of date; run `/okr show` again."


@button
def row_menu(click: Click) -> None:
    """A row's overflow (a key result of `/okr show` or a shared card, an objective of `/okr
    list`): the option picked, as "<verb> <reference>". Each verb checks rights and the current
    state again, as its command does."""
    verb, _, reference = click.picked.partition(" ")
    who, client, db, respond = click.who, click.client, click.db, click.respond
    trigger_id, channel_id = click.trigger_id, click.channel_id
    if verb == Option.ROW_SHOW:
        outbound.answer(respond, replace_original=False, **show_answer(db, who, reference, channel_id))
    elif verb == Option.ROW_CHECKIN and reference.upper().startswith("OBJ-"):
        open_objective_checkin(client, db, who, trigger_id, reference)
    elif verb == Option.ROW_CHECKIN:
        open_key_result_checkin(client, db, who, trigger_id, reference)
    elif verb == Option.ROW_EDIT:
        open_edit(client, db, who, trigger_id, reference)
    elif verb in (Option.ROW_FOLLOW, Option.ROW_UNFOLLOW):
        with unit_of_work(db, who) as (session, workspace):
            if verb == Option.ROW_FOLLOW:
                result = follows.follow(session, workspace, who.user_id, reference)
            else:
                result = follows.unfollow(session, workspace, who.user_id, reference)
        said = follow_ui.followed if verb == Option.ROW_FOLLOW else follow_ui.unfollowed
        outbound.answer(respond, replace_original=False, **said(result))
    elif verb == Option.ROW_SHARE:
        share(respond, client, db, who, channel_id, reference)
    else:
        raise Invalid(ROW_MENU_STALE)


@button
def checkin_key_result_from_button(click: Click) -> None:
    """*Check in* beside one key result on App Home: the form for that key result only."""
    open_key_result_checkin(click.client, click.db, click.who, click.trigger_id, click.value)


def open_new_from_home(ack: Ack, body: dict, client: WebClient, context: BoltContext, db: Database) -> None:
    ack()
    open_objective_modal(client, db, caller(context), body["trigger_id"])


__all__ = [
    "open_checkin_modal",
    "open_objective_modal",
    "register",
]
