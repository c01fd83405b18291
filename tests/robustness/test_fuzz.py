"""Hostile input through the full HTTP path: never a 5xx, every answer inside Slack's limits, the
database unchanged by every rejected input, and no broadcast mention we did not mean to send."""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.ids import Block, Callback
from storage.models import Base
from tests.conftest import ALICE
from tests.factories import BROADCASTS, free_text

hostile_words = st.sampled_from(
    [
        "1e309",
        "NaN",
        "-0",
        "inf",
        "9" * 40,
        "1,5",
        "50%",
        "$1,200",
        "<@U0ALICE|alice>",
        "<@U0NOBODY>",
        "<#C0GROWTH|growth>",
        "<!here>",
        "<!channel>",
        "@everyone",
        "KRA-1",
        "kra-99999999999",
        "KPI-1",
        "OBJ-1",
        "KR-1",
        "\u0000",
        "\u202e",
        "💥",
        "日本語",
        "مرحبا",
        "' OR 1=1 --",
        "<script>",
        "&amp;",
        "x" * 3000,
    ]
)
subcommands = st.sampled_from(
    ["", "add", "list", "show", "edit", "archive", "kpi", "review", "help", "LIST", "zap"]
)
command_text = st.builds(
    lambda sub, words: " ".join([sub, *words]).strip(),
    subcommands,
    st.lists(st.one_of(hostile_words, free_text), max_size=4),
)

FUZZ = settings(
    # NORTHLINE_FUZZ_EXAMPLES=500 for a longer hunt; CI runs a quick pass.
    max_examples=int(os.environ.get("NORTHLINE_FUZZ_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def snapshot(db) -> dict[str, int]:
    """Row counts of every table but `member`, which caches what Slack says about people."""
    with db.session() as session:
        return {
            t.name: session.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
            if t.name != "member"
        }


def warm_up(slack) -> None:
    """The first request of a workspace creates its row; do that, and let the last example's work
    finish, before taking snapshots."""
    slack.command("/kra", "list", user_id=ALICE)
    slack.wait_for_response_url(timeout=10)
    slack.settle()


def no_broadcasts(emulator, typed: str) -> None:
    for call in emulator.calls:
        # Messages notify people; a modal's prefilled field does not.
        if call.method not in ("response_url", "chat.postMessage", "chat.postEphemeral", "chat.update"):
            continue
        sent = json.dumps(call.args, ensure_ascii=False)
        for mention in BROADCASTS:
            if mention in sent and mention not in typed:
                raise AssertionError(f"{call.method} carried {mention!r}: {sent[:500]}")


@FUZZ
@given(text=command_text)
def test_kra_command_text(slack, emulator, db, text):
    warm_up(slack)
    before = snapshot(db)
    emulator.clear()
    response = slack.command("/kra", text, user_id=ALICE)
    assert response.status < 500
    if not text.split() or text.split()[0].lower() not in ("add", "edit", "review"):
        answer = slack.wait_for_response_url(timeout=10)
        assert answer.get("text")
    slack.settle()
    # Only `kpi` may write (a valid measurement); nothing of the input may reach the DB otherwise.
    if not text.lower().startswith("kpi"):
        assert snapshot(db) == before
    assert not emulator.violations
    no_broadcasts(emulator, typed="")


modal_value = st.one_of(hostile_words, free_text, st.just(""), st.just(None))


@FUZZ
@given(
    title=modal_value,
    target=modal_value,
    unit=modal_value,
    name=modal_value,
)
def test_new_kra_modal_values(slack, emulator, db, title, target, unit, name):
    slack.settle()  # the last example's DM and Home belong to it
    emulator.clear()
    slack.command("/kra", "add", user_id=ALICE)
    view = emulator.wait_for("views.open")[-1].args["view"]
    assert view["callback_id"] == Callback.KRA_NEW
    slack.settle()  # what the command does after opening the form (a first request makes the workspace)
    before = snapshot(db)
    values = {
        Block.KRA_TITLE: title,
        Block.KRA_OWNER: ALICE,
        Block.KPI_NAME.of(n=1): name,
        Block.KPI_TARGET.of(n=1): target,
        Block.KPI_UNIT.of(n=1): unit,
    }
    response = slack.submit_view(view, values, user_id=ALICE, validate=False)
    assert response.status < 500
    slack.settle()
    body = response.json() if response.body.strip() else {}
    if body.get("response_action") == "errors":
        assert set(body["errors"]) <= {b.get("block_id") for b in view["blocks"]}
        assert snapshot(db) == before, "a rejected form changed the database"
    assert not emulator.violations
    no_broadcasts(emulator, typed=" ".join(str(v) for v in (title, name, unit)))
