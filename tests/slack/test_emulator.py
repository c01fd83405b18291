"""The Slack emulator and the signed client, tested against the real slack_sdk and slack_bolt."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tests.slack import SignedClient, SlackEmulator, message_errors, serve_wsgi, view_errors
from tests.slack.scopes import NEEDED, manifest_options_url

TOKEN = "xoxb-test-token"
SECRET = "test-signing-secret"


def text_section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id:
        block["block_id"] = block_id
    return block


def modal(
    blocks: list[dict[str, Any]], *, title: str = "Check-in", callback_id: str = "checkin"
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"objective": 7}),
        "blocks": blocks,
    }


def option(value: str, text: str | None = None) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text or value.title()}, "value": value}


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        emulator.add_token(TOKEN, "T1", user_id="UBOT", bot_id="B1")
        emulator.add_user("U1", "T1", name="ann", real_name="Ann Example", tz="Europe/London", is_admin=True)
        emulator.add_user(
            "U2", "T1", name="bob", tz="America/New_York", status_text="On leave", status_emoji=":palm_tree:"
        )
        emulator.add_channel("C1", "T1", name="general")
        yield emulator


@pytest.fixture
def client(slack: SlackEmulator) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.base_url)


# =================================================================================================
# The emulator, driven by slack_sdk's WebClient
# =================================================================================================


def test_auth_test_answers_like_slack(client: WebClient) -> None:
    answer = client.auth_test()
    assert answer["ok"] is True
    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == ("T1", "UBOT", "B1")
    assert answer["url"].startswith("https://") and answer["is_enterprise_install"] is False


def test_post_message_returns_channel_and_increasing_ts(slack: SlackEmulator, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="hello", blocks=[text_section("*hello*")])
    second = client.chat_postMessage(channel="C1", text="again")
    assert first["channel"] == "C1"
    assert first["ts"] == first["message"]["ts"]
    assert float(second["ts"]) > float(first["ts"])
    message = first["message"]
    assert message["text"] == "hello" and message["bot_id"] == "B1" and message["user"] == "UBOT"
    assert message["blocks"][0]["block_id"]  # Slack fills in block_ids

    (call,) = slack.calls_to("chat.postMessage", ok=True)[:1]
    assert call.team_id == "T1" and call.token == TOKEN
    assert call.args["blocks"] == [text_section("*hello*")]  # decoded, exactly as sent
    assert [m["text"] for m in slack.channel_messages("C1")] == ["hello", "again"]
    assert slack.violations == []


def test_a_message_whose_blocks_carry_over_12000_characters_is_refused(
    slack: SlackEmulator, client: WebClient
) -> None:
    """msg_blocks_too_long: every section under 3,000 characters, 50 blocks, yet too much text in all
    (slackapi/bolt-js #2509, #2867)."""
    five = [text_section("x" * 2500) for _ in range(5)]  # 12,500 characters
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1", text="long", blocks=five)
    assert refused.value.response["error"] == "msg_blocks_too_long"
    assert client.chat_postMessage(channel="C1", text="fits", blocks=five[:4])["ok"]  # 10,000
    assert any("msg_blocks_too_long" in v for v in slack.violations)


def test_the_blocks_themselves_count_towards_msg_blocks_too_long(
    slack: SlackEmulator, client: WebClient
) -> None:
    """slackapi/bolt-js #2867: 11,341 characters of `text` refused; the model adds 20 a block."""
    text = 11_341 - 40 * 283  # 40 sections of 283 characters and one of 21: 11,341 in all
    sections = [text_section("y" * 283) for _ in range(40)] + [text_section("z" * text)]
    # 11,341 + 41 × 20 = 12,161: refused, although the text alone is under 12,000.
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1", text="long", blocks=sections)
    assert refused.value.response["error"] == "msg_blocks_too_long"
    # 11,000 characters in 40 blocks count 11,800: taken.
    taken = [text_section("w" * 275) for _ in range(40)]
    assert client.chat_postMessage(channel="C1", text="fits", blocks=taken)["ok"]
    # An image's alt_text is read out to people and counts as well.
    image = {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "a" * 2000}
    with pytest.raises(SlackApiError) as too_long:
        client.chat_postMessage(channel="C1", text="img", blocks=[*taken[:36], image])
    assert too_long.value.response["error"] == "msg_blocks_too_long"  # 9,900 + 2,000 + 37 × 20 = 12,640


def test_a_text_of_only_emoji_or_a_progress_bar_is_noted_as_refused(
    slack: SlackEmulator, client: WebClient
) -> None:
    """`text` is the notification and the screen-reader fallback (tests/slack/blockkit.py): words,
    never only emoji, and never a progress bar's cells (read aloud one by one). Slack posts it; the
    suite fails the test that sent it."""
    blocks = [text_section("*Sprint `SPR-3` ends* :tada:")]
    client.chat_postMessage(channel="C1", text=":tada: 🎉", blocks=blocks)
    client.chat_postMessage(channel="C1", text="▓▓▓░░░░░░░ 30%", blocks=blocks)
    client.chat_postMessage(channel="C1", text="Sprint SPR-3 ends Fri 4 Dec 2026 :tada:", blocks=blocks)
    client.chat_postMessage(channel="C1", text="Activation ▓▓▓░░░░░░░ 30%")
    WebhookClient(slack.new_response_url("T1", channel_id="C1")).send(text=":white_check_mark:")
    assert slack.violations == [
        "chat.postMessage: text_without_words: the notification and screen-reader text ':tada: 🎉' is only emoji",
        "chat.postMessage: text_without_words: the notification and screen-reader text "
        "'▓▓▓░░░░░░░ 30%' is only a progress bar",
        "chat.postMessage: text_with_progress_bar: the notification and screen-reader text "
        "'Activation ▓▓▓░░░░░░░ 30%' has a bar",
        "response_url: text_without_words: the notification and screen-reader text ':white_check_mark:' "
        "is only emoji",
    ]
    assert len(slack.calls_to("chat.postMessage", ok=True)) == 4  # as Slack does, all were posted


def test_update_delete_and_permalink(slack: SlackEmulator, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C1", text="v1")
    updated = client.chat_update(channel="C1", ts=posted["ts"], text="v2")
    assert updated["ts"] == posted["ts"] and updated["text"] == "v2"
    assert slack.message("C1", posted["ts"])["text"] == "v2"
    link = client.chat_getPermalink(channel="C1", message_ts=posted["ts"])
    assert link["permalink"].endswith(f"/archives/C1/p{posted['ts'].replace('.', '')}")
    client.chat_delete(channel="C1", ts=posted["ts"])
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C1", ts=posted["ts"], text="v3")
    assert err.value.response["error"] == "message_not_found"
    ephemeral = client.chat_postEphemeral(channel="C1", user="U1", text="psst")
    assert ephemeral["message_ts"]


def test_a_message_in_an_archived_channel_cannot_be_updated(slack: SlackEmulator, client: WebClient) -> None:
    """chat.update's published errors (web_api_openapi_v2.json) name is_inactive for it."""
    posted = client.chat_postMessage(channel="C1", text="v1")
    slack.update_channel("C1", is_archived=True)
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C1", ts=posted["ts"], text="v2")
    assert err.value.response["error"] == "is_inactive"
    assert slack.message("C1", posted["ts"])["text"] == "v1"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_channel_errors_and_direct_messages(slack: SlackEmulator, client: WebClient) -> None:
    slack.add_channel("C2", "T1", name="private-ish", is_member=False)
    slack.add_channel("C3", "T1", name="old", is_archived=True)
    for channel, error in [("C404", "channel_not_found"), ("C2", "not_in_channel"), ("C3", "is_archived")]:
        with pytest.raises(SlackApiError) as err:
            client.chat_postMessage(channel=channel, text="x")
        assert err.value.response["error"] == error
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1")
    assert err.value.response["error"] == "no_text"

    opened = client.conversations_open(users="U1")
    dm = opened["channel"]["id"]
    assert dm.startswith("D")
    assert client.conversations_open(users="U1")["channel"]["id"] == dm  # stable per user
    assert client.chat_postMessage(channel=dm, text="hi")["channel"] == dm
    assert client.chat_postMessage(channel="U1", text="hi")["channel"] == dm  # a user id opens the DM
    info = client.conversations_info(channel="C1")["channel"]
    assert (info["id"], info["name"], info["is_member"], info["is_archived"]) == (
        "C1",
        "general",
        True,
        False,
    )
    with pytest.raises(SlackApiError) as err:  # a DM's info needs im:read, which Northline never asks for
        client.conversations_info(channel=dm)
    assert (err.value.response["needed"], "im:read" in err.value.response["provided"]) == ("im:read", False)
    slack.grant_scopes(TOKEN, "im:read")
    assert client.conversations_info(channel=dm)["channel"]["is_im"] is True


def test_views_open_returns_the_view(slack: SlackEmulator, client: WebClient) -> None:
    sent = modal(
        [
            {
                "type": "input",
                "block_id": "note",
                "label": {"type": "plain_text", "text": "Note"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        ]
    )
    answer = client.views_open(trigger_id="123.456.abc", view=sent)
    view = answer["view"]
    assert view["id"].startswith("V") and view["team_id"] == "T1" and view["type"] == "modal"
    assert view["callback_id"] == "checkin" and view["private_metadata"] == sent["private_metadata"]
    assert view["state"] == {"values": {}} and view["hash"] and view["root_view_id"] == view["id"]
    assert view["title"]["text"] == "Check-in" and view["app_id"] == slack.app_id and view["bot_id"] == "B1"
    assert slack.calls_to("views.open")[0].args["view"] == sent

    updated = client.views_update(view_id=view["id"], hash=view["hash"], view=modal([text_section("done")]))
    assert updated["view"]["id"] == view["id"] and updated["view"]["hash"] != view["hash"]
    with pytest.raises(SlackApiError) as err:  # the old hash is stale now
        client.views_update(view_id=view["id"], hash=view["hash"], view=modal([text_section("again")]))
    assert err.value.response["error"] == "hash_conflict"

    home = client.views_publish(user_id="U1", view={"type": "home", "blocks": [text_section("Home")]})
    assert home["view"]["type"] == "home"
    assert (
        client.views_publish(user_id="U1", view={"type": "home", "blocks": []})["view"]["id"]
        == home["view"]["id"]
    )


def test_trigger_ids_expire_and_are_single_use(slack: SlackEmulator, client: WebClient) -> None:
    fresh = slack.issue_trigger_id("T1", "U1")
    client.views_open(trigger_id=fresh, view=modal([text_section("x")]))
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=fresh, view=modal([text_section("x")]))
    assert err.value.response["error"] == "exchanged_trigger_id"

    slack.trigger_ttl = 0.0
    stale = slack.issue_trigger_id("T1", "U1")
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=stale, view=modal([text_section("x")]))
    assert err.value.response["error"] == "expired_trigger_id"


def test_users_info_fields(slack: SlackEmulator, client: WebClient) -> None:
    ann = client.users_info(user="U1")["user"]
    assert (ann["id"], ann["team_id"], ann["name"], ann["real_name"]) == ("U1", "T1", "ann", "Ann Example")
    assert ann["tz"] == "Europe/London" and ann["tz_offset"] in (0, 3600) and ann["tz_label"]
    assert (
        ann["is_admin"] is True
        and ann["is_owner"] is False
        and ann["is_bot"] is False
        and ann["deleted"] is False
    )
    bob = client.users_info(user="U2")["user"]
    assert bob["tz_offset"] in (-18000, -14400)
    assert (bob["profile"]["status_text"], bob["profile"]["status_emoji"]) == ("On leave", ":palm_tree:")
    assert {"display_name", "real_name"} <= set(bob["profile"])

    slack.add_user("U9", "T1", tz="Asia/Kolkata", tz_offset=19800, deleted=True)
    gone = client.users_info(user="U9")["user"]
    assert gone["deleted"] is True and "tz" not in gone  # Slack leaves tz out for deactivated users
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="U404")
    assert err.value.response["error"] == "user_not_found"
    assert {m["id"] for m in client.users_list()["members"]} == {"UBOT", "U1", "U2", "U9"}


def test_users_list_pages_like_slack(slack: SlackEmulator, client: WebClient) -> None:
    for i in range(7):
        slack.add_user(f"U5{i:02d}", "T1", status_text="Vacationing", status_emoji=":palm_tree:")
    slack.add_user("U9", "T1", deleted=True)
    slack.add_user("UOTHER", "T2")  # another workspace's member is never listed
    everyone = {"UBOT", "U1", "U2", "U9", *(f"U5{i:02d}" for i in range(7))}

    seen, cursor, pages = [], None, 0
    while True:
        page = client.users_list(limit=3, cursor=cursor)
        pages += 1
        assert len(page["members"]) <= 3 and isinstance(page["cache_ts"], int)
        seen += [m["id"] for m in page["members"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
        # As Slack's: the cursor names the next member, so a new member between pages shifts nothing.
        assert base64.b64decode(cursor).decode().startswith("user:")
    assert pages == 4 and sorted(seen) == sorted(everyone) and len(seen) == len(set(seen))

    members = {m["id"]: m for m in client.users_list(limit=200)["members"]}
    assert members["U9"]["deleted"] is True and "tz" not in members["U9"]
    assert (
        members["U500"]["profile"]["status_emoji"] == ":palm_tree:"
        and members["U500"]["tz"] == "Europe/London"
    )
    assert members["U1"]["is_admin"] is True and members["UBOT"]["is_bot"] is True

    with pytest.raises(SlackApiError) as err:
        client.users_list(limit=3, cursor="bm9wZQ==")
    assert err.value.response["error"] == "invalid_cursor"
    with pytest.raises(SlackApiError) as err:
        client.users_list(limit=3, team_id="T2")  # not this token's workspace or org
    assert err.value.response["error"] == "access_denied"


def test_users_list_names_a_workspace_of_the_tokens_grid_org(slack: SlackEmulator) -> None:
    slack.add_token("xoxb-grid", "T0GA", user_id="UBOTG", enterprise_id="E0ORG")
    slack.add_team("T0GB", enterprise_id="E0ORG")
    slack.add_user("U0GA", "T0GA")
    slack.add_user("U0GB", "T0GB")
    grid = WebClient(token="xoxb-grid", base_url=slack.base_url)
    assert [m["id"] for m in grid.users_list(limit=10, team_id="T0GB")["members"]] == ["U0GB"]
    assert [m["id"] for m in grid.users_list(limit=10)["members"]] == ["U0GA", "UBOTG"]


def test_users_list_caps_a_page_and_wants_a_limit_on_a_big_team(
    slack: SlackEmulator, client: WebClient
) -> None:
    for i in range(1001):
        slack.add_user(f"UB{i:04d}", "T1")
    assert len(client.users_list(limit=5000)["members"]) == 1000  # never more than 1,000 a page
    with pytest.raises(SlackApiError) as err:
        client.users_list()
    assert err.value.response["error"] == "limit_required"


def test_rate_limit_by_slacks_tier_per_workspace(slack: SlackEmulator, client: WebClient) -> None:
    slack.add_token("xoxb-other", "T2", user_id="UBOT2")
    other = WebClient(token="xoxb-other", base_url=slack.base_url)

    def answered_before_429(call, most: int) -> tuple[int, str]:
        for n in range(most):
            try:
                call()
            except SlackApiError as err:
                assert err.response.status_code == 429
                return n, err.response.headers["Retry-After"]
        raise AssertionError(f"no 429 in {most} calls")

    slack.rate_limit("users.list", tier=2)  # 20 a minute, a minute's worth at once
    answered, retry_after = answered_before_429(lambda: client.users_list(limit=200), 25)
    assert answered >= 20 and retry_after in ("1", "2", "3")  # one call every 3 s after the burst
    assert other.users_list(limit=200)["ok"]  # the other workspace has its own allowance
    slack.rate_limit("users.info", tier=4)
    answered, _ = answered_before_429(lambda: client.users_info(user="U1"), 110)
    assert answered >= 100


def test_change_user_gives_the_user_change_event(slack: SlackEmulator, client: WebClient) -> None:
    event = slack.change_user("U1", status_text="Vacationing", status_emoji=":palm_tree:", tz="Asia/Tokyo")
    assert event["type"] == "user_change" and isinstance(event["cache_ts"], int) and event["event_ts"]
    assert event["user"]["id"] == "U1" and event["user"]["tz"] == "Asia/Tokyo"
    assert event["user"]["profile"]["status_emoji"] == ":palm_tree:"
    assert event["user"] == client.users_info(user="U1")["user"]  # the full object, as users.info has it


def test_files_upload_v2_goes_through_all_three_steps(slack: SlackEmulator, client: WebClient) -> None:
    answer = client.files_upload_v2(channel="C1", content="a,b\n", filename="x.csv", title="Export")
    assert answer["file"]["title"] == "Export"
    methods = [c.method for c in slack.calls]
    assert methods == ["files.getUploadURLExternal", "upload_url", "files.completeUploadExternal"]
    (upload,) = slack.calls_to("upload_url")
    assert upload.args["content"] == b"a,b\n"
    uploaded = slack.files[answer["file"]["id"]]
    assert (uploaded.content, uploaded.filename, uploaded.channel_id, uploaded.completed) == (
        b"a,b\n",
        "x.csv",
        "C1",
        True,
    )


def test_block_limits_answer_invalid_blocks_and_record_a_violation(
    slack: SlackEmulator, client: WebClient
) -> None:
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="many", blocks=[{"type": "divider"}] * 51)
    assert err.value.response["error"] == "invalid_blocks"
    assert err.value.response["errors"] == ["no more than 50 items allowed [json-pointer:/blocks]"]
    assert slack.violations == ["chat.postMessage: no more than 50 items allowed [json-pointer:/blocks]"]

    with pytest.raises(SlackApiError) as err:  # views answer invalid_arguments, as Slack does
        client.views_open(
            trigger_id="1.2.x", view=modal([text_section("x")], title="A title longer than 24 chars")
        )
    assert err.value.response["error"] == "invalid_arguments"
    assert "must be less than 25 characters [json-pointer:/view/title/text]" in slack.violations[-1]


def test_block_kit_checks_as_functions() -> None:
    long_section = text_section("x" * 3001)
    header = {"type": "header", "text": {"type": "mrkdwn", "text": "h" * 151}}
    dupes = [text_section("a", "same"), text_section("b", "same")]
    many_options = {
        "type": "actions",
        "elements": [
            {"type": "static_select", "action_id": "s", "options": [option(str(i)) for i in range(101)]}
        ],
    }
    assert message_errors({"text": "ok", "blocks": [text_section("fine")]}) == []
    assert message_errors({"text": "x", "blocks": [long_section]}) == [
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    ]
    assert len(message_errors({"text": "x", "blocks": [header]})) == 2  # mrkdwn and too long
    assert message_errors({"text": "x", "blocks": dupes}) == [
        "duplicate block_id: same [json-pointer:/blocks/1/block_id]"
    ]
    assert message_errors({"text": "x", "blocks": [many_options]}) == [
        "no more than 100 items allowed [json-pointer:/blocks/0/elements/0/options]"
    ]
    assert message_errors({"text": "x" * 40_001}) == ["msg_too_long"]
    box = {
        "type": "input",
        "dispatch_action": True,
        "label": {"type": "plain_text", "text": "l"},
        "element": {
            "type": "plain_text_input",
            "action_id": "v",
            "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
        },
    }
    assert message_errors({"text": "x", "blocks": [box]}) == []
    box["dispatch_action"] = "yes"
    box["element"]["dispatch_action_config"] = {"trigger_actions_on": ["on_blur"]}
    assert message_errors({"text": "x", "blocks": [box]}) == [
        "must be a boolean [json-pointer:/blocks/0/dispatch_action]",
        "must be one of: on_enter_pressed, on_character_entered "
        "[json-pointer:/blocks/0/element/dispatch_action_config/trigger_actions_on/0]",
    ]
    needs_submit = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "t"},
        "blocks": [
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "l"},
                "element": {"type": "plain_text_input", "action_id": "a"},
            }
        ],
    }
    assert view_errors(needs_submit) == [
        "must provide a submit property when using input blocks [json-pointer:/view]"
    ]
    assert view_errors({"type": "home", "blocks": [{"type": "divider"}] * 101}) == [
        "no more than 100 items allowed [json-pointer:/view/blocks]"
    ]
    assert view_errors({"type": "modal", "title": {"type": "plain_text", "text": "t"}}) == [
        "missing required field: blocks [json-pointer:/view]"
    ]


def test_fail_answers_the_error_once(slack: SlackEmulator, client: WebClient) -> None:
    slack.fail("chat.postMessage", "account_inactive")
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response["error"] == "account_inactive"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    assert [c.ok for c in slack.calls_to("chat.postMessage")] == [False, True]

    slack.fail("*", "ratelimited", times=None, where=lambda call: call.args.get("channel") == "C1")
    with pytest.raises(SlackApiError):
        client.conversations_info(channel="C1")
    client.users_info(user="U1")  # where= leaves this one alone


def test_rate_limit_every_second_call_is_retried_and_delivered_once(slack: SlackEmulator) -> None:
    retrying = WebClient(
        token=TOKEN, base_url=slack.base_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)]
    )
    slack.rate_limit("chat.postMessage", every=2, retry_after=0)
    first = retrying.chat_postMessage(channel="C1", text="one")
    second = retrying.chat_postMessage(channel="C1", text="two")  # 429 first, then retried
    assert first["ok"] and second["ok"]
    assert [c.args["text"] for c in slack.calls_to("chat.postMessage")] == ["one", "two"]
    assert [(c.args["text"], c.status) for c in slack.rejected] == [("two", 429)]


def test_rate_limit_per_second_sends_retry_after(slack: SlackEmulator, client: WebClient) -> None:
    slack.rate_limit("chat.postMessage", per_second=1)
    client.chat_postMessage(channel="C1", text="one")
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="two")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "1"
    assert err.value.response["error"] == "ratelimited"


def test_server_errors_malformed_answers_and_delays(slack: SlackEmulator) -> None:
    plain = WebClient(token=TOKEN, base_url=slack.base_url)
    slack.server_error("chat.postMessage", status=503)
    with pytest.raises(SlackApiError):
        plain.chat_postMessage(channel="C1", text="x")
    assert slack.rejected[-1].status == 503

    retrying = WebClient(
        token=TOKEN, base_url=slack.base_url, retry_handlers=[ServerErrorRetryHandler(max_retry_count=1)]
    )
    slack.server_error("chat.postMessage", status=500)
    assert retrying.chat_postMessage(channel="C1", text="y")["ok"]

    slack.malformed("users.info")
    with pytest.raises(SlackApiError):
        plain.users_info(user="U1")

    impatient = WebClient(token=TOKEN, base_url=slack.base_url, timeout=1)
    slack.delay("chat.postMessage", 1.5, times=1)
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        impatient.chat_postMessage(channel="C1", text="slow")
    assert slack.calls_to("chat.postMessage")[-1].args["text"] == "slow"  # delivered all the same


def test_unknown_or_missing_token(slack: SlackEmulator) -> None:
    with pytest.raises(SlackApiError) as err:
        WebClient(token="xoxb-nope", base_url=slack.base_url).auth_test()
    assert err.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=slack.base_url).chat_postMessage(channel="C1", text="x")
    assert err.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as err:
        WebClient(token=TOKEN, base_url=slack.base_url).api_call("chat.doesNotExist")
    assert err.value.response["error"] == "unknown_method"
    slack.revoke_token(TOKEN)
    with pytest.raises(SlackApiError) as err:
        WebClient(token=TOKEN, base_url=slack.base_url).auth_test()
    assert err.value.response["error"] == "token_revoked"


def test_response_url_records_posts_and_checks_blocks(slack: SlackEmulator) -> None:
    url = slack.new_response_url("T1", channel_id="C1")
    webhook = WebhookClient(url)
    assert webhook.send(text="done", response_type="ephemeral").status_code == 200
    assert webhook.send(text="x", blocks=[{"type": "divider"}] * 51).status_code == 400
    posts = slack.response_url_posts(url)
    assert [p.args.get("text") for p in posts] == ["done", "x"]
    assert posts[0].team_id == "T1" and posts[0].ok and not posts[1].ok
    assert slack.violations == ["response_url: no more than 50 items allowed [json-pointer:/blocks]"]


def test_a_response_url_takes_five_posts_within_thirty_minutes() -> None:
    """docs.slack.dev/interactivity/handling-user-interaction: "up to five times within 30 minutes"."""
    now = [1_800_000_000.0]
    with SlackEmulator(clock=lambda: now[0]) as slack:
        five = WebhookClient(slack.new_response_url("T1", channel_id="C1"))
        assert [five.send(text=f"answer {n}").status_code for n in range(1, 7)] == [200] * 5 + [404]
        assert slack.calls[-1].error == "http_404" and slack.calls[-1].response == {
            "ok": False,
            "error": "used_url",
        }

        late = WebhookClient(slack.new_response_url("T1", channel_id="C1"))
        now[0] += 30 * 60  # exactly 30 minutes on: still taken
        assert late.send(text="just in time").status_code == 200
        now[0] += 1
        assert late.send(text="too late").status_code == 404
        assert slack.calls[-1].response == {"ok": False, "error": "expired_url"}
        assert [v.split(":")[0] for v in slack.violations] == ["response_url", "response_url"]


def test_wait_for_explains_what_was_called(slack: SlackEmulator, client: WebClient) -> None:
    threading.Timer(0.1, lambda: client.chat_postMessage(channel="C1", text="late")).start()
    assert slack.wait_for("chat.postMessage", timeout=2)[0].args["text"] == "late"
    with pytest.raises(AssertionError, match="chat.postMessage"):
        slack.wait_for("views.open", timeout=0.2)


def test_raw_http_forms_and_get(slack: SlackEmulator) -> None:
    request = urllib.request.Request(
        slack.base_url + "chat.postMessage",
        data=f"token={TOKEN}&channel=C1&text=form&blocks=%5B%7B%22type%22%3A%22divider%22%7D%5D".encode(),
        method="POST",
    )
    with urllib.request.urlopen(request) as answer:
        assert json.loads(answer.read())["ok"] is True
    assert slack.calls[-1].args["blocks"] == [{"type": "divider"}]
    with urllib.request.urlopen(f"{slack.base_url}users.info?token={TOKEN}&user=U1") as answer:
        assert json.loads(answer.read())["user"]["id"] == "U1"
    assert slack.calls[-1].http_method == "GET"


# =================================================================================================
# The signed client, against a real Bolt app served over WSGI
# =================================================================================================


class BoltHarness:
    """A tiny Bolt app that records what its listeners receive."""

    def __init__(self, slack: SlackEmulator) -> None:
        self.seen: dict[str, Any] = {}
        self.done = threading.Event()
        app = App(
            signing_secret=SECRET,
            client=WebClient(base_url=slack.base_url, token=TOKEN),
            token_verification_enabled=False,
        )

        @app.command("/northline")
        def command(ack, command, client, respond):
            ack(text=f"Working on {command['text']}")
            self.seen["command"] = command
            respond(text="Here you go", blocks=[text_section("Here you go")])
            client.views_open(trigger_id=command["trigger_id"], view=checkin_modal())

        @app.view("checkin")
        def submission(ack, view, body):
            self.seen["view"] = view
            self.seen["view_body"] = body
            note = view["state"]["values"]["note"]["value"]["value"]
            if note == "bad":
                ack(response_action="errors", errors={"note": "Say more"})
            else:
                ack()

        @app.action("done")
        def done(ack, body, action):
            ack()
            self.seen["action"] = action
            self.seen["action_body"] = body

        @app.action("pick")
        def pick(ack, body, action):
            ack()
            self.seen["pick"] = action
            self.seen["pick_body"] = body

        @app.event("app_mention")
        def mention(event, say):
            self.seen["event"] = event
            say("hi")

        self.app = app
        self.handler = SlackRequestHandler(app)


def checkin_modal() -> dict[str, Any]:
    def input_block(block_id: str, element: dict[str, Any], *, optional: bool = False) -> dict[str, Any]:
        return {
            "type": "input",
            "block_id": block_id,
            "optional": optional,
            "label": {"type": "plain_text", "text": block_id},
            "element": element,
        }

    sizes = [option("s"), option("m"), option("l")]
    return modal(
        [
            input_block("note", {"type": "plain_text_input", "action_id": "value", "multiline": True}),
            input_block(
                "progress", {"type": "number_input", "action_id": "value", "is_decimal_allowed": False}
            ),
            input_block(
                "size",
                {"type": "static_select", "action_id": "value", "options": sizes, "initial_option": sizes[1]},
                optional=True,
            ),
            input_block(
                "tags", {"type": "multi_static_select", "action_id": "value", "options": sizes}, optional=True
            ),
            input_block("owner", {"type": "users_select", "action_id": "value"}, optional=True),
            input_block("team", {"type": "multi_users_select", "action_id": "value"}, optional=True),
            input_block("where", {"type": "conversations_select", "action_id": "value"}, optional=True),
            input_block(
                "due",
                {"type": "datepicker", "action_id": "value", "initial_date": "2025-03-31"},
                optional=True,
            ),
            input_block("at", {"type": "timepicker", "action_id": "value"}, optional=True),
            input_block(
                "mood", {"type": "radio_buttons", "action_id": "value", "options": sizes}, optional=True
            ),
            input_block(
                "checks", {"type": "checkboxes", "action_id": "value", "options": sizes}, optional=True
            ),
            input_block("chan", {"type": "channels_select", "action_id": "value"}, optional=True),
        ]
    )


@pytest.fixture
def bolt(slack: SlackEmulator) -> Iterator[tuple[BoltHarness, SignedClient]]:
    harness = BoltHarness(slack)
    with serve_wsgi(harness.handler) as url:
        yield harness, SignedClient(url, SECRET, slack)


def test_signed_command_reaches_bolt_and_its_listener_calls_slack(slack: SlackEmulator, bolt) -> None:
    harness, signed = bolt
    answer = signed.command("/northline", "Q3 goals", user_id="U1", channel_id="C1")
    assert answer.status == 200
    assert answer.text == "Working on Q3 goals"  # Bolt answers a text-only ack as plain text
    assert signed.wait_for_response_url()["text"] == "Here you go"
    (opened,) = slack.wait_for("views.open")
    assert opened.ok, opened.response
    command = harness.seen["command"]
    assert (command["team_id"], command["user_id"], command["user_name"], command["channel_name"]) == (
        "T1",
        "U1",
        "ann",
        "general",
    )
    assert command["response_url"] == answer.response_url and command["api_app_id"] == slack.app_id
    assert slack.violations == []


def test_bad_or_stale_signatures_get_401(bolt) -> None:
    _, signed = bolt
    body = "token=x&team_id=T1&command=%2Fnorthline&text="
    forged = {"Content-Type": "application/x-www-form-urlencoded", **signed.sign(body)}
    forged["X-Slack-Signature"] = "v0=" + "0" * 64
    assert signed.raw(body, forged).status == 401
    stale = {"Content-Type": "application/x-www-form-urlencoded", **signed.sign(body, int(time.time()) - 600)}
    assert signed.raw(body, stale).status == 401
    assert signed.raw(body, {"Content-Type": "application/x-www-form-urlencoded"}).status == 401


def test_view_submission_built_from_views_open_parses_in_bolt(slack: SlackEmulator, bolt) -> None:
    harness, signed = bolt
    signed.command("/northline", "")
    sent = slack.wait_for("views.open")[0].args["view"]
    answer = signed.submit_view(
        sent,
        {
            "note": "Shipped the API",
            "progress": 40,
            "tags": ["s", "l"],
            "owner": "U2",
            "team": ["U1", "U2"],
            "where": "C1",
            "at": "09:30",
            "mood": "l",
        },
        user_id="U1",
    )
    assert answer.status == 200 and answer.json() is None
    view, body = harness.seen["view"], harness.seen["view_body"]
    values = view["state"]["values"]
    sizes = {o["value"]: o for o in view["blocks"][2]["element"]["options"]}
    assert values["note"] == {"value": {"type": "plain_text_input", "value": "Shipped the API"}}
    assert values["progress"] == {"value": {"type": "number_input", "value": "40"}}
    assert values["size"]["value"] == {
        "type": "static_select",
        "selected_option": sizes["m"],
    }  # initial_option
    assert values["tags"]["value"]["selected_options"] == [sizes["s"], sizes["l"]]
    assert values["owner"]["value"] == {"type": "users_select", "selected_user": "U2"}
    assert values["team"]["value"]["selected_users"] == ["U1", "U2"]
    assert values["where"]["value"] == {"type": "conversations_select", "selected_conversation": "C1"}
    assert values["due"]["value"] == {"type": "datepicker", "selected_date": "2025-03-31"}  # initial_date
    assert values["at"]["value"] == {"type": "timepicker", "selected_time": "09:30"}
    assert values["mood"]["value"] == {"type": "radio_buttons", "selected_option": sizes["l"]}
    assert values["checks"]["value"] == {"type": "checkboxes", "selected_options": []}
    assert values["chan"]["value"] == {"type": "channels_select", "selected_channel": None}
    assert (
        view["id"].startswith("V") and view["hash"] and view["private_metadata"] == sent["private_metadata"]
    )
    assert body["type"] == "view_submission" and body["response_urls"] == [] and body["user"]["id"] == "U1"

    rejected = signed.submit_view(sent, {"note": "bad", "progress": 1})
    assert rejected.json() == {"response_action": "errors", "errors": {"note": "Say more"}}
    with pytest.raises(ValueError, match="required"):
        signed.submit_view(sent, {"note": "no progress given"})
    with pytest.raises(ValueError, match="no option"):
        signed.submit_view(sent, {"note": "x", "progress": 1, "size": "xl"})
    assert slack.violations == []


def test_actions_from_a_message_and_events(slack: SlackEmulator, client: WebClient, bolt) -> None:
    harness, signed = bolt
    posted = client.chat_postMessage(
        channel="C1",
        text="Check in?",
        blocks=[
            text_section("Check in?", "ask"),
            {
                "type": "actions",
                "block_id": "buttons",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "done",
                        "value": "42",
                        "text": {"type": "plain_text", "text": "Done"},
                    },
                    {
                        "type": "static_select",
                        "action_id": "pick",
                        "options": [option("a"), option("b")],
                        "placeholder": {"type": "plain_text", "text": "Pick"},
                    },
                ],
            },
        ],
    )
    assert signed.action("done", message=posted["message"], user_id="U2").status == 200
    action, body = harness.seen["action"], harness.seen["action_body"]
    assert (action["type"], action["value"], action["block_id"]) == ("button", "42", "buttons")
    assert body["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": "C1",
        "is_ephemeral": False,
    }
    assert body["channel"]["id"] == "C1" and body["message"]["ts"] == posted["ts"] and body["response_url"]

    assert signed.action("pick", "b", message=posted["message"]).status == 200
    assert harness.seen["pick"]["selected_option"]["value"] == "b"
    assert harness.seen["pick_body"]["state"]["values"]["buttons"]["pick"]["selected_option"]["value"] == "b"

    assert (
        signed.event({"type": "app_mention", "user": "U1", "text": "<@UBOT> hi", "channel": "C1"}).status
        == 200
    )
    said = slack.wait_for("chat.postMessage", 2)[-1]
    assert said.args["text"] == "hi" and harness.seen["event"]["user"] == "U1"
    assert slack.violations == []


def test_modal_actions_push_and_acks_are_checked(slack: SlackEmulator) -> None:
    app = App(
        signing_secret=SECRET,
        client=WebClient(base_url=slack.base_url, token=TOKEN),
        token_verification_enabled=False,
    )
    seen: dict[str, Any] = {}

    @app.shortcut("new_goal")
    def open_modal(ack, shortcut, client):
        ack()
        owner = {
            "type": "actions",
            "block_id": "more",
            "elements": [
                {"type": "button", "action_id": "details", "text": {"type": "plain_text", "text": "Details"}},
                {
                    "type": "external_select",
                    "action_id": "search",
                    "placeholder": {"type": "plain_text", "text": "Find"},
                },
            ],
        }
        client.views_open(
            trigger_id=shortcut["trigger_id"],
            view={**modal([owner], callback_id="goal"), "notify_on_close": True},
        )

    @app.action("details")
    def push(ack, body, client):
        ack()
        client.views_push(
            trigger_id=body["trigger_id"], view=modal([text_section("details")], callback_id="details")
        )

    @app.options("search")
    def options(ack, payload):
        seen["query"] = payload["value"]
        ack(options=[option(f"goal-{i}") for i in range(101)])  # one too many

    @app.view("goal")
    def too_big(ack):
        ack(response_action="update", view=modal([{"type": "divider"}] * 101))

    @app.view_closed("goal")
    def closed(ack, body):
        ack()
        seen["closed"] = body["is_cleared"]

    with serve_wsgi(SlackRequestHandler(app)) as url:
        signed = SignedClient(url, SECRET, slack)
        assert signed.shortcut("new_goal").status == 200
        goal = slack.wait_for("views.open")[0].response["view"]
        assert signed.action("details", view=goal).status == 200
        (pushed,) = slack.wait_for("views.push")
        assert pushed.response["view"]["previous_view_id"] == goal["id"]
        assert pushed.response["view"]["root_view_id"] == goal["id"]

        assert signed.block_suggestion("search", "go", view=goal).status == 200
        assert seen["query"] == "go"
        assert slack.violations == [
            "block_suggestion answer: no more than 100 items allowed [json-pointer:/options]"
        ]

        assert signed.submit_view(goal, {}).status == 200
        assert (
            slack.violations[-1]
            == "view_submission ack: no more than 100 items allowed [json-pointer:/view/blocks]"
        )

        assert signed.close_view(goal, is_cleared=True).status == 200
        assert seen["closed"] is True


def test_a_token_holds_the_manifests_bot_scopes_and_every_method_checks_its_own(
    slack: SlackEmulator, client: WebClient
) -> None:
    # manifest.yml's oauth_config.scopes.bot, written out: a scope added there shows up here.
    manifest = {
        "commands",
        "chat:write",
        "im:write",
        "users:read",
        "files:write",
        "channels:read",
        "groups:read",
        "assistant:write",
        "im:history",
    }
    assert slack.scopes_of(TOKEN) == manifest
    # Every method the emulator answers says which scope it needs (None: none).
    assert set(slack._methods) == set(NEEDED)

    def refused(call) -> tuple[str, str]:
        with pytest.raises(SlackApiError) as err:
            call()
        answer = err.value.response
        assert answer["error"] == "missing_scope"
        return answer["needed"], answer["provided"]

    assert refused(lambda: client.api_call("team.info")) == ("team:read", ",".join(sorted(manifest)))
    assert refused(lambda: client.conversations_join(channel="C1"))[0] == "channels:join"
    assert refused(lambda: client.users_lookupByEmail(email="a@example.com"))[0] == "users:read.email"
    assert refused(lambda: client.conversations_open(users="U1,U2"))[0] == "mpim:write"
    assert refused(lambda: client.conversations_list(types="im"))[0] == "im:read"

    slack.limit_scopes(TOKEN, set())
    assert refused(lambda: client.chat_postMessage(channel="C1", text="x")) == ("chat:write", "")
    assert refused(lambda: client.chat_update(channel="C1", ts="1.2", text="x"))[0] == "chat:write"
    assert refused(lambda: client.users_info(user="U1"))[0] == "users:read"
    assert refused(lambda: client.conversations_open(users="U1"))[0] == "im:write"
    assert refused(lambda: client.files_getUploadURLExternal(filename="a.csv", length=1))[0] == "files:write"
    assert client.auth_test()["ok"]  # needs no scope
    assert slack.calls_to("chat.postMessage", ok=True) == []


def test_slacks_published_rate_limits_hold_by_default(slack: SlackEmulator, client: WebClient) -> None:
    # chat.postMessage: one a second per channel, after a burst of 10.
    assert [client.chat_postMessage(channel="C1", text=f"{n}")["ok"] for n in range(10)] == [True] * 10
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="eleventh")
    assert err.value.response.status_code == 429 and err.value.response.headers["Retry-After"] == "1"
    slack.add_channel("C2", "T1", name="random")
    assert client.chat_postMessage(channel="C2", text="another channel")["ok"]
    with slack.unlimited():
        assert client.chat_postMessage(channel="C1", text="unlimited")["ok"]
    # users.list is Tier 2: 20 a minute per workspace, a minute's worth at once.
    for _ in range(20):
        client.users_list()
    with pytest.raises(SlackApiError) as err:
        client.users_list()
    assert err.value.response.status_code == 429 and int(err.value.response.headers["Retry-After"]) == 3
    assert [c.method for c in slack.rejected] == ["chat.postMessage", "users.list"]


def test_without_rate_limits_when_asked() -> None:
    with SlackEmulator(rate_limits=False) as slack:
        slack.add_token(TOKEN, "T1")
        slack.add_channel("C1", "T1", name="general")
        client = WebClient(token=TOKEN, base_url=slack.base_url)
        assert all(client.chat_postMessage(channel="C1", text=f"{n}")["ok"] for n in range(30))


def test_the_options_url_is_read_from_the_manifest(tmp_path):
    bare = tmp_path / "bare.yml"
    bare.write_text("settings:\n  interactivity:\n    is_enabled: true\n", encoding="utf-8")
    assert manifest_options_url(bare) is None
    assert manifest_options_url() == "https://northline.example.com/slack/events"
