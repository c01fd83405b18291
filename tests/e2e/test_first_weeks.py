"""What a team hits in its first weeks, end to end: text shown as typed, forms that save once,
numbers that read right, and Slack's limits. Signed HTTP into the real app, a real database,
the emulator recording what the app sent."""

from __future__ import annotations

import json

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.ids import Block, Callback
from storage.models import CheckIn, Kra, Sprint
from tests.conftest import ALICE, BOB, CHANNEL, TEAM, TOKEN
from tests.factories import (
    answer,
    answer_text,
    cli_runner,
    make_objective_via_slack,
    make_objectives,
    opened_view,
    single_token_env,
)
from tests.slack.client import escaped_command_text

EVIL = "<https://evil.example|Reset your password> & <team>"


def make_kra_via_slack(slack, emulator, title: str, *, user=ALICE) -> dict:
    before = len(emulator.calls_to("views.open"))
    slack.command("/kra", "add", user_id=user, team_id=TEAM)
    view = opened_view(emulator, Callback.KRA_NEW, count=before + 1)
    values = {
        Block.KRA_TITLE: title,
        Block.KRA_OWNER: user,
        Block.KPI_NAME.of(n=1): "NPS",
        Block.KPI_TARGET.of(n=1): "50",
    }
    response = slack.submit_view(view, values, user_id=user, team_id=TEAM)
    assert response.status == 200 and not response.body, response.text
    return view


def mrkdwn_texts(payload) -> list[str]:
    """Every text Slack reads as mrkdwn: a message's `text` and each mrkdwn text object."""
    found: list[str] = []

    def walk(node, key=None) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node.get("text", ""))
            elif key is None and isinstance(node.get("text"), str):
                found.append(node["text"])  # a message's top-level fallback
            for k, value in node.items():
                if isinstance(value, dict | list):
                    walk(value, k)
        elif isinstance(node, list):
            for item in node:
                walk(item, key)

    walk(payload)
    return found


def _no_live_markup(payload) -> None:
    for text in mrkdwn_texts(payload):
        assert "<https://evil.example" not in text and "<team>" not in text, text


# --- 1. typed text is text ----------------------------------------------------------------------


def test_a_kra_title_typed_as_a_link_is_shown_as_text_on_every_surface(slack, emulator, db):
    make_kra_via_slack(slack, emulator, EVIL)
    dm = emulator.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == ALICE)[-1]
    home = emulator.wait_for("views.publish", where=lambda c: c.args.get("user_id") == ALICE)[-1]
    listed = answer(slack, "/kra", f"list <@{ALICE}|alice>", user_id=BOB)
    shown = answer(slack, "/kra", "show KRA-1", user_id=BOB)
    for surface in (dm.args, home.args["view"], listed, shown):
        _no_live_markup(surface)
    # The link's real address is in plain sight, and "<team>" reads as typed.
    assert "Reset your password (https://evil.example) &amp; &lt;team&gt;" in answer_text(listed)
    with db.session() as session:
        assert session.scalars(select(Kra.title)).one() == EVIL  # stored as typed
    slack.settle()


def test_a_mention_typed_into_a_sprint_goal_pings_nobody(slack, emulator, db):
    before = len(emulator.calls_to("views.open"))
    slack.command("/sprint", "start", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    view = emulator.wait_for("views.open", count=before + 1)[-1].args["view"]
    response = slack.submit_view(
        view, {Block.SPRINT_GOAL: f"Ship it with <@{BOB}> <!channel>"}, user_id=ALICE, team_id=TEAM
    )
    assert response.status == 200, response.text
    post = emulator.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == CHANNEL)[-1]
    for text in mrkdwn_texts(post.args):
        assert f"<@{BOB}>" not in text and "<!channel>" not in text, text
    assert f"@{BOB}" in json.dumps(post.args)
    slack.settle()


def start_sprint(slack, emulator, goal: str = "") -> None:
    before = len(emulator.calls_to("views.open"))
    slack.command("/sprint", "start", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    view = emulator.wait_for("views.open", count=before + 1)[-1].args["view"]
    response = slack.submit_view(view, {Block.SPRINT_GOAL: goal} if goal else {}, user_id=ALICE, team_id=TEAM)
    assert response.status == 200, response.text


# --- 2. slash-command text arrives escaped ---------------------------------------------------------


def test_the_emulator_escapes_a_commands_text_as_slack_does():
    assert escaped_command_text(
        "R&D <quality> for <@U0BOB|bob> in <#C0GROWTH|growth>, see <https://x.example|x>"
    ) == ("R&amp;D &lt;quality&gt; for <@U0BOB|bob> in <#C0GROWTH|growth>, see <https://x.example|x>")


def test_kra_add_prefills_the_title_as_typed(slack, emulator):
    slack.command("/kra", "add R&D <quality>", user_id=ALICE, team_id=TEAM)
    view = opened_view(emulator, Callback.KRA_NEW)
    title = next(b for b in view["blocks"] if b.get("block_id") == Block.KRA_TITLE)
    assert title["element"]["initial_value"] == "R&D <quality>"


def test_notes_and_goals_are_stored_as_typed_and_escaped_once_when_shown(slack, emulator, db):
    make_objective_via_slack(slack, emulator)
    answer(slack, "/okr", "checkin KR-1 45 R&D <fast>", channel_id=CHANNEL)
    start_sprint(slack, emulator)
    goal_answer = answer(slack, "/sprint", "goal Ship R&D <v2>", channel_id=CHANNEL)
    with db.session() as session:
        assert session.scalars(select(CheckIn.note)).one() == "R&D <fast>"
        assert session.scalars(select(Sprint.goal)).one() == "Ship R&D <v2>"
    assert "Ship R&amp;D &lt;v2&gt;" in answer_text(goal_answer)
    shown = answer_text(answer(slack, "/okr", "show OBJ-1", channel_id=CHANNEL))
    assert "R&amp;D &lt;fast&gt;" in shown and "&amp;amp;" not in shown
    slack.settle()


def test_length_limits_count_what_was_typed_not_the_escapes(slack, emulator, db):
    from bot.domain.limits import SPRINT_GOAL_MAX as GOAL_MAX

    start_sprint(slack, emulator)
    goal = "&" * GOAL_MAX  # five times longer once Slack has escaped it
    answer(slack, "/sprint", f"goal {goal}", channel_id=CHANNEL)
    with db.session() as session:
        assert session.scalars(select(Sprint.goal)).one() == goal
    slack.settle()


# --- 14. Slack's ~12,000 characters of text a message ----------------------------------------------


def test_a_busy_channels_digest_thread_is_accepted_by_slack_in_full(slack, emulator, db, now):
    """8 objectives x 4 key results with a 190-character note each: about 14,500 characters of
    thread, which Slack refuses as one message (msg_blocks_too_long)."""
    from tests.factories import make_objectives

    make_objectives(db, 8, key_results=4, checked_in=False, now=now)
    now = now.replace(tzinfo=None)
    with db.session() as session:
        from storage.models import KeyResult

        for kr in session.scalars(select(KeyResult)):
            kr.current_value, kr.last_checkin_at = 40.0, now
            kr.title = f"Raise weekly active teams in segment {kr.number} " + "t" * 80
            note = f"KR {kr.number:02d} " + "n" * 182 + "!"
            session.add(
                CheckIn(
                    workspace_id=kr.workspace_id,
                    key_result_id=kr.id,
                    value=40.0,
                    note=note,
                    author_id=ALICE,
                    created_at=now,
                )
            )
    assert "Posted" in answer(slack, "/okr", "digest", channel_id=CHANNEL)["text"]
    replies = [c for c in emulator.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    assert replies and all(c.ok for c in replies), [c.error for c in replies if not c.ok]
    # Every note once: those of the key results the parent leads with are there, the rest here.
    posts = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args["channel"] == CHANNEL]
    digest = json.dumps([c.args["blocks"] for c in posts])
    assert all(digest.count(f"KR {n:02d} ") == 1 for n in range(1, 33))
    assert emulator.violations == []


# --- 6. a one-line check-in keeps the confidence it does not mention ------------------------------


def test_a_one_line_check_in_without_a_confidence_keeps_the_last_one(slack, emulator, db):
    from storage.models import KeyResult

    make_objective_via_slack(slack, emulator)
    answer(slack, "/okr", "checkin KR-1 45 at-risk waiting on design")
    answer(slack, "/okr", "checkin KR-1 50 design landed")
    with db.session() as session:
        rows = [(c.value, c.confidence) for c in session.scalars(select(CheckIn).order_by(CheckIn.id))]
        last = session.scalars(select(KeyResult.last_confidence)).one()
    assert rows == [(45.0, "at_risk"), (50.0, "at_risk")] and last == "at_risk"
    shown = answer_text(answer(slack, "/okr", "show OBJ-1"))
    # The kept confidence (at risk) is shown beside the pace unless the pace says the same.
    assert ("Confidence :large_yellow_circle: at risk" in shown) != (
        "Pace :large_yellow_circle: at risk" in shown
    )
    slack.settle()


# --- 7. a typed % is kept ---------------------------------------------------------------------------


def test_a_percent_typed_with_start_and_target_is_the_unit(slack, emulator, db):
    from storage.models import KeyResult

    make_objective_via_slack(slack, emulator, krs=(("Activation", "10%", "30%", ""), ("Docs", "0", "20", "")))
    answer(slack, "/okr", "checkin KR-2 5%")
    with db.session() as session:
        units = dict(session.execute(select(KeyResult.number, KeyResult.unit)).all())
    assert units == {1: "%", 2: "%"}
    shown = answer_text(answer(slack, "/okr", "show OBJ-1"))
    assert "10% → 30%" in shown and "5%" in shown
    slack.settle()


# --- 12. words that read right -----------------------------------------------------------------------


def test_the_schedule_answers_fallback_keeps_underscores_and_says_switched_off_once(slack, emulator, db):
    from bot.services.workspaces import workspace_for
    from tests.factories import make_objective

    with db.session() as session:
        workspace_id = workspace_for(session, TEAM).id
    make_objective(db, workspace_id, BOB, channel=CHANNEL)  # Bob owns the channel's objective: he may
    set_answer = answer(slack, "/okr", "schedule digest fri 16:00", user_id=BOB, channel_id=CHANNEL)
    assert "America/New_York" in set_answer["text"]
    answer(slack, "/okr", "schedule off", user_id=BOB, channel_id=CHANNEL)
    shown = answer(slack, "/okr", "schedule", user_id=BOB, channel_id=CHANNEL)
    text = answer_text(shown)
    assert "switched off by" in text and "switched off: switched off" not in text
    slack.settle()


def test_a_reference_of_the_wrong_kind_gets_a_sentence_that_ends(slack):
    text = answer(slack, "/kra", "show OBJ-1")["text"]
    assert "looks like KRA-3. Try `/kra show KRA-3`" in text


def test_an_archived_kra_suggests_only_what_still_works(slack, emulator, db):
    make_kra_via_slack(slack, emulator, "Customer satisfaction")
    answer(slack, "/kra", "archive KRA-1")
    text = answer_text(answer(slack, "/kra", "show KRA-1"))
    assert "archived" in text and "/kra edit" not in text and "/kra kpi" not in text
    slack.settle()


# --- 15. the KRA review of someone with many KRAs ------------------------------------------------------


def test_the_review_of_thirty_kras_shows_whole_kras_and_counts_kras(slack, emulator, db):
    from bot.services.workspaces import workspace_for
    from storage.models import KraReview

    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        session.add_all(
            Kra(workspace_id=workspace.id, number=n, title=f"Area {n}", owner_id=ALICE, created_by=ALICE)
            for n in range(1, 31)
        )
    slack.command("/kra", "review", user_id=ALICE, team_id=TEAM)
    view = opened_view(emulator, Callback.KRA_REVIEW)
    decisions = [b for b in view["blocks"] if b.get("block_id", "").endswith("_decision")]
    notes = [b for b in view["blocks"] if b.get("block_id", "").endswith("_note")]
    assert len(decisions) == len(notes) == 24  # every KRA shown has its decision and its note
    assert "…and 6 more KRAs" in view["blocks"][-1]["elements"][0]["text"]
    assert len(view["blocks"]) <= 100

    assert slack.submit_view(view, {}, user_id=ALICE, team_id=TEAM).status == 200
    with db.session() as session:
        assert len(session.scalars(select(KraReview)).all()) == 24
    slack.command("/kra", "review", user_id=ALICE, team_id=TEAM)
    again = opened_view(emulator, Callback.KRA_REVIEW, count=2)
    first_six = [b["text"]["text"] for b in again["blocks"] if b.get("type") == "section"][1:7]
    assert all(f"KRA-{n} " in text for n, text in zip(range(25, 31), first_six, strict=True))
    slack.settle()


# --- 8. a closed objective shows its final score ------------------------------------------------------


def test_a_closed_objective_shows_its_final_score_and_only_what_still_works(slack, emulator, db):
    from storage.models import KeyResult

    make_objective_via_slack(slack, emulator, krs=(("Activation", "0", "100", "%"), ("Docs", "0", "10", "")))
    answer(slack, "/okr", "checkin KR-1 90")  # live progress would read 45%
    slack.command("/okr", "close OBJ-1", user_id=ALICE, team_id=TEAM)
    view = opened_view(emulator, Callback.OBJECTIVE_CLOSE, count=2)
    with db.session() as session:
        ids = {k.number: k.id for k in session.scalars(select(KeyResult))}
    scores = {Block.CLOSE_SCORE.of(id=ids[1]): "0.8", Block.CLOSE_SCORE.of(id=ids[2]): "0.4"}
    assert slack.submit_view(view, scores, user_id=ALICE, team_id=TEAM).status == 200
    shown = answer(slack, "/okr", "show OBJ-1")
    listed = answer_text(answer(slack, "/okr", "list mine"))
    for text in (answer_text(shown), listed):
        assert "final score *0.6*" in text
    assert "final score 0.6" in shown["text"]
    assert "/okr checkin" not in answer_text(shown) and "/okr edit" not in answer_text(shown)
    assert "/okr archive OBJ-1" in answer_text(shown)
    slack.settle()


# --- 11. dates in the reader's zone ---------------------------------------------------------------------


def test_a_check_in_on_monday_morning_in_auckland_reads_monday_for_the_reader(slack, emulator, db):
    from datetime import datetime

    from storage.models import KeyResult

    kiri = "U0KIRI"
    emulator.add_user(kiri, TEAM, name="kiri", real_name="Kiri Tane", tz="Pacific/Auckland")
    make_objective_via_slack(slack, emulator, user=kiri, owner=kiri, krs=(("Activation", "0", "100", "%"),))
    sunday_in_utc = datetime(2026, 11, 29, 20, 30)  # Monday 09:30 in Auckland
    with db.session() as session:
        kr = session.scalars(select(KeyResult)).one()
        kr.current_value, kr.last_checkin_at = 40.0, sunday_in_utc
        session.add(
            CheckIn(
                workspace_id=kr.workspace_id,
                key_result_id=kr.id,
                value=40.0,
                author_id=kiri,
                created_at=sunday_in_utc,
            )
        )
    shown = answer_text(answer(slack, "/okr", "show OBJ-1", user_id=kiri))
    monday_in_auckland = "<!date^1795993200^{date_short_pretty}|Mon 30 Nov 2026>"
    assert f"Last check-in {monday_in_auckland}" in shown and "Sun" not in shown
    before = len(emulator.calls_to("views.open"))
    slack.command("/okr", "checkin", user_id=kiri, team_id=TEAM)
    modal = json.dumps(opened_view(emulator, Callback.CHECKIN, count=before + 1))
    assert monday_in_auckland in modal and "Sun 29 Nov" not in modal
    # Read from London, the same moment is still Sunday evening.
    sunday_in_london = "<!date^1795953600^{date_short_pretty}|Sun 29 Nov 2026>"
    assert f"Last check-in {sunday_in_london}" in answer_text(
        answer(slack, "/okr", "show OBJ-1", user_id=ALICE)
    )
    slack.settle()


# --- 9. the export names people beside their ids -------------------------------------------------------


def test_the_export_names_people_beside_their_ids(slack, emulator, db):
    import csv
    import io

    from bot.services.export import export_rows, to_csv
    from bot.services.members import remember_user_change
    from bot.services.workspaces import workspace_for

    make_objective_via_slack(slack, emulator, channel_id=CHANNEL, **{Block.KR_OWNER.of(n=1): BOB})
    answer(slack, "/okr", "checkin KR-1 45", user_id=BOB)
    slack.settle()
    # What users.list / user_change keep on Member for everyone in the workspace.
    for user_id in (ALICE, BOB):
        remember_user_change(
            db, TEAM, WebClient(base_url=emulator.base_url, token=TOKEN).users_info(user=user_id)["user"]
        )
    with db.session() as session:
        rows = list(csv.DictReader(io.StringIO(to_csv(export_rows(session, workspace_for(session, TEAM))))))
    objective = next(r for r in rows if r["record"] == "objective")
    check_in = next(r for r in rows if r["record"] == "check_in")
    assert (objective["owner"], objective["owner_name"]) == (ALICE, "Alice Park")
    assert (check_in["author"], check_in["author_name"]) == (BOB, "Bob Diaz")


def _exported_channels(emulator) -> dict[str, str]:
    """The last /okr export's objective rows: channel id → channel name as the file says."""
    import csv
    import io

    (get_url,) = emulator.wait_for("files.getUploadURLExternal", ok=True)
    emulator.wait_for("files.completeUploadExternal", ok=True)
    text = emulator.files[get_url.response["file_id"]].content.decode("utf-8")
    rows = [row for row in csv.DictReader(io.StringIO(text)) if row["record"] == "objective"]
    return {row["channel"]: row["channel_name"] for row in rows}


def _objectives_in_three_channels(emulator, db) -> None:
    emulator.add_channel("C0LEADS", TEAM, name="leads", is_private=True)  # the app was added to it
    emulator.add_channel("C0BOARD", TEAM, name="board", is_private=True, is_member=False)
    make_objectives(db, 1, channel=CHANNEL, key_results=1, checked_in=False)
    make_objectives(db, 1, channel="C0LEADS", key_results=1, checked_in=False, first=2)
    make_objectives(db, 1, channel="C0BOARD", key_results=1, checked_in=False, first=3)


def test_the_export_names_channels_beside_their_ids(slack, emulator, db):
    _objectives_in_three_channels(emulator, db)
    slack.command("/okr", "export", user_id=ALICE, team_id=TEAM)
    assert slack.wait_for_response_url()["text"].startswith("Sent you the export in a DM")
    # A private channel the app was never added to has no name the app may read: left empty.
    assert _exported_channels(emulator) == {CHANNEL: "growth", "C0LEADS": "leads", "C0BOARD": ""}
    # One conversations.info per channel, after the rows were read (never inside the transaction).
    assert sorted(c.args["channel"] for c in emulator.calls_to("conversations.info")) == sorted(
        [CHANNEL, "C0LEADS", "C0BOARD"]
    )


def test_an_install_from_before_the_channel_scopes_still_exports_with_ids_only(slack, emulator, db):
    _objectives_in_three_channels(emulator, db)
    emulator.limit_scopes(TOKEN, {"commands", "chat:write", "im:write", "users:read", "files:write"})
    slack.command("/okr", "export", user_id=ALICE, team_id=TEAM)
    assert slack.wait_for_response_url()["text"].startswith("Sent you the export in a DM")
    assert _exported_channels(emulator) == {CHANNEL: "", "C0LEADS": "", "C0BOARD": ""}
    # Refused once for lack of the scope, the app does not ask again for every other channel.
    assert len(emulator.calls_to("conversations.info")) == 1


def test_northline_export_names_channels_with_the_bot_token(emulator, db, database_url, monkeypatch, capsys):
    import csv
    import io

    _objectives_in_three_channels(emulator, db)
    single_token_env(monkeypatch, emulator, database_url)
    code, out, _ = cli_runner(monkeypatch, database_url, capsys)("export", "--team", TEAM)
    assert code == 0
    rows = [r for r in csv.DictReader(io.StringIO(out)) if r["record"] == "objective"]
    assert {r["channel"]: r["channel_name"] for r in rows} == {
        CHANNEL: "growth",
        "C0LEADS": "leads",
        "C0BOARD": "",
    }


# --- 4. plain-text headers and modal errors use names --------------------------------------------------


def test_list_headers_name_the_channel_and_the_person(slack, emulator, db):
    make_objective_via_slack(slack, emulator, channel_id=CHANNEL)
    here = answer(slack, "/okr", "list", channel_id=CHANNEL)
    assert here["blocks"][0]["type"] == "header"
    assert here["blocks"][0]["text"]["text"].startswith("Objectives of #growth · ")
    theirs = answer(slack, "/okr", f"list <@{ALICE}|alice>")
    assert theirs["blocks"][0]["text"]["text"].startswith("Objectives of @alice · ")
    make_kra_via_slack(slack, emulator, "Customer satisfaction")
    kras = answer(slack, "/kra", f"list <@{ALICE}|alice>", user_id=BOB)
    assert kras["blocks"][0]["text"]["text"] == "KRAs of @alice"
    for payload in (here, theirs, kras):
        assert "<" not in payload["blocks"][0]["text"]["text"]
    slack.settle()


def test_a_modal_error_names_people_and_has_no_markup(slack, emulator, db):
    from bot.services.members import remember_user_change

    remember_user_change(
        db, TEAM, WebClient(base_url=emulator.base_url, token=TOKEN).users_info(user=ALICE)["user"]
    )
    start_sprint(slack, emulator)
    first = emulator.wait_for("views.open", count=1)
    slack.command("/sprint", "end", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    view = emulator.wait_for("views.open", count=len(first) + 1)[-1].args["view"]
    slack.command("/sprint", "end", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    second = emulator.wait_for("views.open", count=len(first) + 2)[-1].args["view"]
    assert slack.submit_view(view, {Block.SPRINT_OUTCOME: "met"}, user_id=ALICE, team_id=TEAM).json() is None
    response = slack.submit_view(second, {Block.SPRINT_OUTCOME: "missed"}, user_id=ALICE, team_id=TEAM)
    error = response.json()["errors"][Block.SPRINT_OUTCOME]
    assert "SPR-1 is already closed (ended by @Alice Park" in error
    assert "`" not in error and "<@" not in error
    slack.settle()


# --- 5. one form, one creation ----------------------------------------------------------------------------


def test_a_new_kra_form_delivered_twice_creates_one(slack, emulator, db):
    slack.command("/kra", "add", user_id=ALICE, team_id=TEAM)
    view = opened_view(emulator, Callback.KRA_NEW)
    values = {Block.KRA_TITLE: "Customer satisfaction", Block.KRA_OWNER: ALICE}
    assert slack.submit_view(view, values, user_id=ALICE, team_id=TEAM).status == 200
    again = slack.submit_view(view, values, user_id=ALICE, team_id=TEAM)  # Slack's retry of the same view
    assert again.status == 200 and "KRA-1" in json.dumps(again.json())
    slack.command("/kra", "add", user_id=ALICE, team_id=TEAM)
    create = opened_view(emulator, Callback.KRA_NEW, count=2)
    assert slack.submit_view(create, values, user_id=ALICE, team_id=TEAM).status == 200
    with db.session() as session:
        assert session.scalars(select(Kra.number).order_by(Kra.number)).all() == [1, 2]  # no gap
    slack.settle()


def test_a_new_objective_form_delivered_twice_creates_one(slack, emulator, db):
    from storage.models import Objective
    from tests.factories import objective_values

    slack.command("/okr", "new", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    view = opened_view(emulator, Callback.OBJECTIVE_NEW)
    values = objective_values()
    assert slack.submit_view(view, values, user_id=ALICE, team_id=TEAM).status == 200
    again = slack.submit_view(view, values, user_id=ALICE, team_id=TEAM)
    assert again.status == 200 and "OBJ-1" in json.dumps(again.json())
    with db.session() as session:
        assert session.scalars(select(Objective.number)).all() == [1]
    slack.settle()


def test_the_export_dates_kpis_and_key_results(slack, emulator, db):
    import csv
    import io

    from bot.services.export import export_rows, to_csv
    from bot.services.workspaces import workspace_for

    make_kra_via_slack(slack, emulator, "Customer satisfaction")
    make_objective_via_slack(slack, emulator)
    slack.settle()
    with db.session() as session:
        rows = list(csv.DictReader(io.StringIO(to_csv(export_rows(session, workspace_for(session, TEAM))))))
    for record in ("kra", "kpi", "objective", "key_result"):
        row = next(r for r in rows if r["record"] == record)
        assert row["created_at"].endswith("Z"), (record, row["created_at"])


# --- 17. the org-wide install the manifest now allows ------------------------------------------------


def test_an_org_admin_installs_it_for_the_whole_org_through_oauth(slack, emulator, db, settings, app_url):
    import re
    from urllib.request import Request, urlopen

    from bot.installations import installation_store
    from storage.models import Workspace
    from tests.conftest import CLIENT_ID, CLIENT_SECRET

    emulator.oauth_app(CLIENT_ID, CLIENT_SECRET)  # the app's credentials, which oauth.v2.access checks
    org = "E0ORG"
    for team in ("T0GRIDA", "T0GRIDB"):
        emulator.add_team(team, enterprise_id=org)
    emulator.add_user("U0ORGADMIN", "T0GRIDA", name="orgadmin", is_admin=True)
    emulator.add_user("U0GRIDB", "T0GRIDB", name="gridb")

    with urlopen(f"{app_url}/slack/install") as page:
        state = re.search(r"state=([\w-]+)", page.read().decode()).group(1)
        cookie = page.headers["Set-Cookie"].split(";")[0]
    code = emulator.begin_install("T0GRIDA", installer="U0ORGADMIN", enterprise_id=org, org_wide=True)
    request = Request(f"{app_url}/slack/oauth_redirect?code={code}&state={state}", headers={"Cookie": cookie})
    with urlopen(request) as done:
        assert done.status == 200
    store = installation_store(settings, db)
    try:
        bot = store.find_bot(enterprise_id=org, team_id=None, is_enterprise_install=True)
    finally:
        from tests.conftest import close_store

        close_store(store, db)
    assert bot is not None and bot.is_enterprise_install

    # A workspace of the org, where nobody installed anything by hand, is served by the org's token.
    from urllib.parse import urlencode

    response_url = emulator.new_response_url("T0GRIDB", channel_id="C0GRID", user_id="U0GRIDB")
    body = urlencode(
        {
            "token": "x",
            "team_id": "T0GRIDB",
            "team_domain": "t0gridb",
            "enterprise_id": org,
            "enterprise_name": f"Org {org}",
            "channel_id": "C0GRID",
            "channel_name": "grid",
            "user_id": "U0GRIDB",
            "user_name": "gridb",
            "command": "/kra",
            "text": "list",
            "api_app_id": emulator.app_id,
            "is_enterprise_install": "true",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )
    answered = slack.raw(body, {"Content-Type": "application/x-www-form-urlencoded", **slack.sign(body)})
    assert answered.status == 200, answered.text
    assert "no active KRAs" in slack.wait_for_response_url(response_url=response_url)["text"]
    with db.session() as session:
        assert session.scalar(select(Workspace.enterprise_id).where(Workspace.team_id == "T0GRIDB")) == org


def test_a_percent_typed_in_the_check_in_modal_is_kept(slack, emulator, db):
    from storage.models import KeyResult

    make_objective_via_slack(slack, emulator, krs=(("Docs", "0", "20", ""),))
    slack.command("/okr", "checkin", user_id=ALICE, team_id=TEAM)
    view = opened_view(emulator, Callback.CHECKIN, count=2)
    value_block = next(b["block_id"] for b in view["blocks"] if str(b.get("block_id", "")).endswith("_value"))
    assert slack.submit_view(view, {value_block: "5%"}, user_id=ALICE, team_id=TEAM).status == 200
    with db.session() as session:
        assert session.scalars(select(KeyResult.unit)).one() == "%"
    slack.settle()


def test_a_closed_sprints_end_day_is_told_in_the_readers_zone(db):
    """11: ended at 23:30 UTC on 30 November is 1 December for someone in Auckland."""
    from datetime import date, datetime

    from bot.errors import Conflict
    from bot.services import sprints
    from bot.services.workspaces import workspace_for
    from storage.models import Member, Status

    with db.session() as session:
        workspace = workspace_for(session, TEAM)
        session.add(
            Member(
                workspace_id=workspace.id,
                user_id=BOB,
                name="Bob",
                tz="Pacific/Auckland",
                refreshed_at=datetime(2026, 11, 30),
            )
        )
        sprint = Sprint(
            workspace_id=workspace.id,
            number=1,
            channel_id=CHANNEL,
            name="S",
            goal="G",
            starts_on=date(2026, 11, 16),
            ends_on=date(2026, 11, 27),
            created_by=ALICE,
            status=Status.CLOSED,
            ended_by=ALICE,
            ended_at=datetime(2026, 11, 30, 23, 30),
        )
        session.add(sprint)
        session.flush()
        with pytest.raises(Conflict) as closed:
            sprints.prepare_review(session, workspace, BOB, CHANNEL, sprint.id)
    assert "on Tue 1 Dec 2026" in closed.value.message
