"""Hostile input for `/okr`, `/sprint` and every modal they open, through the full HTTP path.

Properties, for every generated input:
- never a 5xx;
- every answer inside Slack's limits (the emulator's ``violations`` stay empty);
- a rejected form (``response_action: errors``) leaves the database exactly as it was: every row
  of every table (but the ``member`` cache of users.info), not just the counts;
- no message carries @here / @channel / @everyone unless the person typed it themselves.

Modal values are valid *shapes* (what Slack's client can send: a string in a text input, an
option the view offered, a user id, a date) with hostile *contents*. NORTHLINE_FUZZ_EXAMPLES sets
the number of examples per test (default 25).
"""

from __future__ import annotations

import os
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from bot.ids import Callback
from storage.models import Base, Objective, Sprint, Status
from tests.conftest import ALICE, BOB, CHANNEL, MALLORY, OTHER_TEAM
from tests.factories import BROADCASTS, free_text, make_objective_via_slack, objective_values, start_sprint

# Every example of a test shares one emulator, so the DMs and channel posts of 25 examples arrive
# in a second or two: Slack's one post a second per channel would make each test wait ~20 s for
# Retry-After, to test nothing the fuzzing is about (tests/e2e/test_engine.py tests pacing).
pytestmark = pytest.mark.slack_rate_limits(off=True)

FUZZ = settings(
    max_examples=int(os.environ.get("NORTHLINE_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

HOSTILE = [
    "1e309",
    "-1e309",
    "NaN",
    "nan",
    "-0",
    "inf",
    "-inf",
    "9" * 40,
    "-" + "9" * 40,
    "1,5",
    "1.000,5",
    "50%",
    "$1,200",
    "0x10",
    "1_000",
    "½",
    "١٢٣",
    "0",
    "",
    " ",
    "<@U0ALICE|alice>",
    "<@U0MALLORY>",
    "<#C0GROWTH|growth>",
    "<!here>",
    "<!channel>",
    "<!everyone>",
    "@here",
    "@channel",
    "<!subteam^S123|@team>",
    "KR-1",
    "kr-99999999999",
    "OBJ-1",
    "SPR-1",
    "\u0000",
    "\u0007",
    "\r\n",
    "\t",
    "\u202e",
    "\ufeff",
    "💥",
    "👩‍👩‍👧‍👦",
    "日本語",
    "مرحبا",
    "Ελληνικά",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "&amp;&lt;&gt;",
    "*bold* _it_ ~s~ `c`",
    "```",
    "x" * 3000,
    "界" * 3000,
    "x" * 3001,
]
hostile_words = st.sampled_from(HOSTILE)
hostile_numbers = st.one_of(
    st.sampled_from(
        ["1e309", "NaN", "inf", "-0", "9" * 40, "1,5", "$1,200", "50%", "0", "1", "100", "0.5", "1.0"]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
hostile_text = st.one_of(hostile_words, free_text, hostile_numbers)
mixed = st.lists(hostile_text, min_size=1, max_size=3).map(" ".join)
texts = st.one_of(hostile_text, mixed, st.none())

USERS = [ALICE, BOB, MALLORY, "U0NOBODY"]
CONVERSATIONS = [CHANNEL, "C0NOPE", "D0ALICEDM", "G0PRIVATE"]
DATES = st.one_of(
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    st.sampled_from([date.today()]),
)


# --- state -----------------------------------------------------------------------------------------


def snapshot(db) -> dict[str, list[tuple]]:
    """Every row of every table but `member` (the cache of what Slack says about people)."""
    with db.session() as session:
        return {
            t.name: sorted(tuple(map(repr, row)) for row in session.execute(select(t)))
            for t in Base.metadata.sorted_tables
            if t.name != "member"
        }


def open_view(slack, emulator, command: str, text: str, callback_id: str, *, user=ALICE) -> dict:
    before = len(emulator.calls_to("views.open"))
    response = slack.command(command, text, user_id=user, channel_id=CHANNEL)
    assert response.status == 200, response.text
    calls = emulator.wait_for("views.open", count=before + 1, timeout=10)
    view = calls[-1].args["view"]
    assert view["callback_id"] == callback_id, view["callback_id"]
    slack.settle()  # what the command does after opening the form belongs to it, not to the submission
    return view


# --- a value for every input of a view, in the shape its element takes -------------------------------


def _options(element: dict) -> list[str]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return [o["value"] for o in options]


NUMERIC_FIELDS = ("_start", "_target", "_weight", "_value", "_score")
plausible_text = st.sampled_from(["Ship it", "Grow revenue", "Sprint 9", "Docs", "a note", "%", "$", "pages"])
plausible_number = st.sampled_from(["0", "1", "0.5", "1.0", "12", "45", "60", "99.5", "$1,200", "50%"])


def value_for(draw, element: dict, block_id: str):
    kind = element["type"]
    if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        # Half the time something a person would type, so that whole forms get accepted too.
        numeric = block_id.endswith(NUMERIC_FIELDS)
        plausible = plausible_number if numeric else plausible_text
        return draw(st.one_of(plausible, texts, hostile_numbers if numeric else hostile_text))
    if kind in ("static_select", "radio_buttons"):
        return draw(st.one_of(st.none(), st.sampled_from(_options(element)))) if _options(element) else None
    if kind in ("multi_static_select", "checkboxes"):
        options = _options(element)
        return (
            draw(st.lists(st.sampled_from(options), unique=True, max_size=min(12, len(options))))
            if options
            else []
        )
    if kind == "users_select":
        return draw(st.one_of(st.none(), st.sampled_from(USERS)))
    if kind == "multi_users_select":
        return draw(st.lists(st.sampled_from(USERS), unique=True))
    if kind in ("conversations_select", "channels_select"):
        return draw(st.one_of(st.none(), st.sampled_from(CONVERSATIONS)))
    if kind == "datepicker":
        return draw(st.one_of(st.none(), DATES))
    return None


def fill(draw, view: dict, base: dict | None = None) -> tuple[dict, str]:
    """block_id -> a value for inputs of `view`, and the notes typed, joined. Either one field
    hostile on top of a valid `base` form (so the hostile value has to survive being accepted), or
    hostile values all over."""
    inputs = [b for b in view["blocks"] if b.get("type") == "input"]
    if draw(st.booleans()):
        values = dict(base or {})
        block = draw(st.sampled_from(inputs))
        values[block["block_id"]] = value_for(draw, block["element"], block["block_id"])
    else:
        values = {}
        for block in inputs:
            if draw(st.integers(0, 2)) == 0:
                continue  # left as Slack prefilled it
            values[block["block_id"]] = value_for(draw, block["element"], block["block_id"])
    # Only a person's own note may carry a broadcast they typed; a title, a goal or a unit never.
    typed = " ".join(v for k, v in values.items() if isinstance(v, str) and k.endswith("_note"))
    return values, typed


def _notifying_strings(node, out: list[str]) -> list[str]:
    """Strings Slack may turn into a mention: mrkdwn and top-level text. A plain_text object
    (headers, labels, button texts) is shown literally, so `<!here>` there notifies nobody."""
    if isinstance(node, dict):
        if node.get("type") == "plain_text":
            return out
        if node.get("type") == "broadcast":  # a rich_text broadcast element
            out.append(f"<!{node.get('range', 'here')}>")
        for value in node.values():
            _notifying_strings(value, out)
    elif isinstance(node, list):
        for value in node:
            _notifying_strings(value, out)
    elif isinstance(node, str):
        out.append(node)
    return out


def no_broadcasts(emulator, typed: str) -> None:
    """No message notifies a whole channel unless the person typed that into their own note."""
    for call in emulator.calls:
        if call.method not in ("response_url", "chat.postMessage", "chat.postEphemeral", "chat.update"):
            continue
        for text in _notifying_strings(call.args, []):
            for mention in BROADCASTS:
                if mention in text and mention not in typed:
                    raise AssertionError(f"{call.method} carried {mention!r} in {text[:300]!r}")


def check_submission(slack, emulator, db, view: dict, values: dict, typed: str, *, user=ALICE) -> dict:
    before = snapshot(db)
    emulator.clear()
    response = slack.submit_view(view, values, user_id=user, validate=False)
    assert response.status < 500, response.text
    body = response.json() if response.body.strip() else None
    assert body is None or isinstance(body, dict), response.text
    if body and body.get("response_action") == "errors":
        assert body["errors"], body
        assert set(body["errors"]) <= {b.get("block_id") for b in view["blocks"] if b.get("type") == "input"}
        assert all(isinstance(m, str) and 0 < len(m) <= 2000 for m in body["errors"].values()), body
        slack.settle()
        assert snapshot(db) == before, "a rejected form changed the database"
    else:
        slack.settle()
    assert not emulator.violations, emulator.violations
    no_broadcasts(emulator, typed=typed)
    return body or {}


# --- slash commands ----------------------------------------------------------------------------------

OKR_SUBCOMMANDS = [
    "",
    "help",
    "new",
    "add",
    "list",
    "ls",
    "show",
    "checkin",
    "check-in",
    "edit",
    "close",
    "archive",
    "digest",
    "schedule",
    "pause",
    "resume",
    "export",
    "LIST",
    "Show",
    "zap",
]
# Subcommands that may legitimately write when their arguments are valid (`digest` logs the
# digest it posted, so the next `/okr digest` can say when it went).
OKR_WRITERS = {"checkin", "check-in", "archive", "schedule", "pause", "resume", "digest"}
OKR_MODALS = {"new", "add", "edit", "close"}
okr_words = st.one_of(
    hostile_words,
    free_text,
    hostile_numbers,
    st.sampled_from(
        [
            "OBJ-1",
            "OBJ-2",
            "KR-1",
            "KR-2",
            "KR-4",
            "obj-3",
            "KR-99",
            "mine",
            "all",
            "#growth",
            "2026-Q4",
            "2026-Q9",
            "on-track",
            "at-risk",
            "off-track",
            "done",
            "until",
            "2099-01-01",
            "digest",
            "checkin",
            "MON",
            "10:00",
            "25:61",
            "off",
        ]
    ),
)


def _command_text(sub: str, words: list[str]) -> str:
    return " ".join([sub, *words]).strip()


@FUZZ
@given(text=st.builds(_command_text, st.sampled_from(OKR_SUBCOMMANDS), st.lists(okr_words, max_size=4)))
def test_okr_command_text(slack, emulator, db, okr_world, text):
    before = snapshot(db)
    emulator.clear()
    response = slack.command("/okr", text, user_id=ALICE, channel_id=CHANNEL)
    assert response.status < 500, response.text
    words = text.split()
    sub = words[0].lower() if words else ""
    if sub not in OKR_MODALS and not (sub in ("checkin", "check-in") and len(words) == 1):
        answer = slack.wait_for_response_url(timeout=10)
        assert answer.get("text")
    slack.settle()
    if sub not in OKR_WRITERS:
        assert snapshot(db) == before, f"/okr {text[:80]!r} changed the database"
    assert not emulator.violations, emulator.violations
    # A check-in note is the person's own words, shown back to them.
    no_broadcasts(emulator, typed=text if sub in ("checkin", "check-in") else "")


SPRINT_SUBCOMMANDS = [
    "",
    "help",
    "start",
    "new",
    "plan",
    "goal",
    "link",
    "unlink",
    "show",
    "end",
    "close",
    "review",
    "schedule",
    "zap",
    "GOAL",
]
SPRINT_WRITERS = {"goal", "link", "unlink", "schedule"}
SPRINT_MODALS = {"start", "new", "plan", "end", "close", "review"}
sprint_words = st.one_of(
    hostile_words,
    free_text,
    hostile_numbers,
    st.sampled_from(
        ["KR-1", "KR-2", "KR-99", "kr-4", "2", "4", "5", "0", "MON", "FRI", "10:00", "24:00", "off"]
    ),
)


@FUZZ
@given(
    text=st.builds(_command_text, st.sampled_from(SPRINT_SUBCOMMANDS), st.lists(sprint_words, max_size=4)),
    with_sprint=st.booleans(),
)
def test_sprint_command_text(slack, emulator, db, okr_world, text, with_sprint):
    close_active_sprints(db)
    if with_sprint:
        start_sprint(slack, emulator)
    slack.settle()
    before = snapshot(db)
    emulator.clear()
    response = slack.command("/sprint", text, user_id=ALICE, channel_id=CHANNEL)
    assert response.status < 500, response.text
    words = text.split()
    sub = words[0].lower() if words else ""
    if sub not in SPRINT_MODALS:
        answer = slack.wait_for_response_url(timeout=10)
        assert answer.get("text")
    slack.settle()
    if sub not in SPRINT_WRITERS:
        assert snapshot(db) == before, f"/sprint {text[:80]!r} changed the database"
    assert not emulator.violations, emulator.violations
    # A sprint goal is announced to the channel: it must never notify the channel.
    no_broadcasts(emulator, typed="")


# --- modals ----------------------------------------------------------------------------------------


def close_active_sprints(db) -> None:
    with db.session() as session:
        session.execute(update(Sprint).where(Sprint.status == Status.ACTIVE).values(status=Status.CLOSED))


@pytest.fixture
def okr_world(slack, emulator, db):
    """Alice's objective with three key results, Bob's, and Mallory's in the other workspace."""
    make_objective_via_slack(
        slack,
        emulator,
        krs=(("Activation", "40", "60", "%"), ("Revenue", "0", "$10,000", "$"), ("Docs", "0", "20", "pages")),
    )
    make_objective_via_slack(
        slack, emulator, user=BOB, owner=BOB, title="Bob's", krs=(("Bob's KR", "0", "1", ""),)
    )
    make_objective_via_slack(
        slack,
        emulator,
        user=MALLORY,
        team=OTHER_TEAM,
        owner=MALLORY,
        title="Mallory's",
        channel_id="C0THEIRS",
    )
    slack.settle()
    emulator.clear()


@FUZZ
@given(data=st.data())
def test_new_objective_modal_values(slack, emulator, db, okr_world, data):
    view = open_view(slack, emulator, "/okr", "new", Callback.OBJECTIVE_NEW)
    values, typed = fill(data.draw, view, base=objective_values())
    check_submission(slack, emulator, db, view, values, typed)


@FUZZ
@given(data=st.data())
def test_edit_objective_modal_values(slack, emulator, db, okr_world, data):
    view = open_view(slack, emulator, "/okr", "edit OBJ-1", Callback.OBJECTIVE_EDIT)
    values, typed = fill(data.draw, view)
    check_submission(slack, emulator, db, view, values, typed)


@FUZZ
@given(data=st.data())
def test_checkin_modal_values(slack, emulator, db, okr_world, data):
    view = open_view(slack, emulator, "/okr", "checkin", Callback.CHECKIN)
    values, typed = fill(data.draw, view)
    check_submission(slack, emulator, db, view, values, typed)


@FUZZ
@given(data=st.data())
def test_close_modal_values(slack, emulator, db, okr_world, data):
    # A fresh objective each time: an accepted close closes it for good.
    make_objective_via_slack(
        slack, emulator, title="To close", krs=(("A", "0", "10", ""), ("B", "5", "1", ""))
    )
    slack.settle()
    with db.session() as session:
        number = session.scalar(
            select(Objective.number).where(Objective.title == "To close", Objective.status == Status.ACTIVE)
        )
    view = open_view(slack, emulator, "/okr", f"close OBJ-{number}", Callback.OBJECTIVE_CLOSE)
    values, typed = fill(data.draw, view)
    check_submission(slack, emulator, db, view, values, typed)


@FUZZ
@given(data=st.data())
def test_sprint_start_modal_values(slack, emulator, db, okr_world, data):
    close_active_sprints(db)
    view = open_view(slack, emulator, "/sprint", "start", Callback.SPRINT_START)
    values, typed = fill(data.draw, view)
    check_submission(slack, emulator, db, view, values, typed)


@FUZZ
@given(data=st.data())
def test_sprint_end_modal_values(slack, emulator, db, okr_world, data):
    close_active_sprints(db)
    start_sprint(slack, emulator)
    slack.settle()
    view = open_view(slack, emulator, "/sprint", "end", Callback.SPRINT_END)
    values, typed = fill(data.draw, view)
    check_submission(slack, emulator, db, view, values, typed)
