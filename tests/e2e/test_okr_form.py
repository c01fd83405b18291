"""`/okr new`'s form: each key result's fields say which key result they belong to."""

from __future__ import annotations

from bot.ids import Block, Callback
from tests.conftest import ALICE, CHANNEL, TEAM
from tests.factories import by_block, opened_view


def test_key_result_labels_are_numbered(slack, emulator):
    slack.command("/okr", "new", user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
    blocks = by_block(opened_view(emulator, Callback.OBJECTIVE_NEW))
    assert blocks[Block.KR_TARGET.of(n=2)]["label"]["text"] == "Key result 2: target"
    assert blocks[Block.KR_START.of(n=1)]["label"]["text"] == "Key result 1: start"
    assert blocks[Block.KR_OWNER.of(n=5)]["label"]["text"] == "Key result 5: owner"
