"""Key-result quality, coached, end to end: the New objective form saves what the method allows,
as typed, and says what could be better with a suggested rewrite; the Edit form shows the notes
under each key result's title."""

from __future__ import annotations

from sqlalchemy import select

from bot.ids import Block, Callback
from storage.models import KeyResult
from tests.conftest import ALICE, TEAM
from tests.factories import by_block, make_objective_via_slack, opened_view


def _dm_to(emulator, user: str) -> str:
    slack_dms = [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args.get("channel") == user]
    assert slack_dms, "no DM"
    return slack_dms[-1].args["text"]


def test_a_task_counted_as_a_number_is_saved_and_coached(slack, emulator, db):
    make_objective_via_slack(
        slack,
        emulator,
        krs=(("Launch the <b>partner</b> portal", "0", "100", ""), ("Activation rate", "40", "60", "%")),
    )
    slack.settle()
    with db.session() as session:
        titles = list(session.scalars(select(KeyResult.title).order_by(KeyResult.number)))
    assert titles == ["Launch the <b>partner</b> portal", "Activation rate"]  # nothing blocked
    text = _dm_to(emulator, ALICE)
    assert (
        ":bulb: Key result 1: “Launch the &lt;b&gt;partner&lt;/b&gt; portal” reads like a task counted as a "
        "number. Name the result it should bring, with today's value and the target. "
        "Try: “Weekly users of the &lt;b&gt;partner&lt;/b&gt; portal from 0 to 100”."
    ) in text
    assert "Key result 2" not in text  # an outcome with a baseline and a target: nothing to say


def test_one_key_result_is_noted_and_the_edit_form_shows_the_notes_under_the_field(slack, emulator, db):
    make_objective_via_slack(slack, emulator, krs=(("Ship the pricing page", "0", "1", ""),))
    slack.settle()
    text = _dm_to(emulator, ALICE)
    assert ":bulb: One key result: most objectives read best with 2–5" in text
    assert "goes from 0 to 1 with no unit" in text
    slack.command("/okr", "edit OBJ-1", user_id=ALICE, team_id=TEAM)
    view = opened_view(emulator, Callback.OBJECTIVE_EDIT, count=2)
    hint = by_block(view)[Block.KR_TITLE.of(n=1)]["hint"]["text"]
    assert hint.startswith("“Ship the pricing page” reads like a task counted as a number.")
    assert "Try: “Weekly users of the pricing page from 0 to 1”." in hint
    assert "hint" not in by_block(view)[Block.KR_TITLE.of(n=2)]  # an empty row: nothing to say
    assert emulator.violations == []


def test_an_okr_file_is_imported_as_written_and_coached(monkeypatch, database_url, capsys, db, tmp_path):
    from tests.factories import cli_runner, import_yaml, workspaces_for

    workspaces_for(db, TEAM)
    cli = cli_runner(monkeypatch, database_url, capsys)
    text = """team: T0NORTH1
cycle: 2026-Q4
objectives:
  - key: partners
    title: Partners bring customers
    owner: U0ALICE
    key_results:
      - title: Launch the partner portal
        start: 0
        target: 100
  - key: churn
    title: Customers stay
    owner: U0ALICE
    key_results:
      - title: Logo churn
        start: 3%
        target: 1%
        unit: "%"
      - title: Net revenue retention by March
        start: 98
        target: 110
"""
    code, out, err = import_yaml(cli, tmp_path / "okrs.yaml", text)
    assert code == 0, err
    assert "created 5, updated 0, unchanged 0" in out
    assert out.splitlines()[-4:] == [
        "  notes on key-result quality (saved as written):",
        "    partners key result 1: “Launch the partner portal” reads like a task counted as a number. "
        "Name the result it should bring, with today's value and the target. "
        "Try: “Weekly users of the partner portal from 0 to 100”.",
        "    partners: One key result: most objectives read best with 2–5, each a different angle on success.",
        "    churn key result 2: “Net revenue retention by March” has a date of its own. "
        "Its cycle (2026-Q4) already sets the deadline. Try: “Net revenue retention”.",
    ]
    with db.session() as session:
        titles = list(session.scalars(select(KeyResult.title).order_by(KeyResult.number)))
    assert titles == ["Launch the partner portal", "Logo churn", "Net revenue retention by March"]
