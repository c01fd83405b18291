"""conversations.info as Slack answers it: the read scope of the conversation's type, and private
channels only to their members (docs.slack.dev/reference/methods/conversations.info)."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.conftest import TEAM, TOKEN


@pytest.fixture
def slack(emulator):
    emulator.add_channel("C0PUBLIC", TEAM, name="growth")
    emulator.add_channel("C0SECRET", TEAM, name="board", is_private=True, is_member=False)
    emulator.add_channel("C0TEAMPR", TEAM, name="leads", is_private=True)
    return emulator, TOKEN, WebClient(token=TOKEN, base_url=emulator.base_url)


def _error(call) -> tuple[str, str | None]:
    with pytest.raises(SlackApiError) as refused:
        call()
    return refused.value.response["error"], refused.value.response.get("needed")


def test_names_the_channels_the_token_may_read(slack):
    _, _, client = slack
    assert client.conversations_info(channel="C0PUBLIC")["channel"]["name"] == "growth"
    assert client.conversations_info(channel="C0TEAMPR")["channel"]["name"] == "leads"
    assert _error(lambda: client.conversations_info(channel="C0SECRET")) == ("channel_not_found", None)


def test_refuses_a_token_without_the_read_scope_of_that_type(slack):
    emulator, token, client = slack
    emulator.limit_scopes(token, {"chat:write", "channels:read"})
    assert client.conversations_info(channel="C0PUBLIC")["channel"]["name"] == "growth"
    assert _error(lambda: client.conversations_info(channel="C0TEAMPR")) == ("missing_scope", "groups:read")
    emulator.limit_scopes(token, {"chat:write"})
    assert _error(lambda: client.conversations_info(channel="C0PUBLIC")) == ("missing_scope", "channels:read")
