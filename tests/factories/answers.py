"""What the app answered in Slack: a command's answer, the views it opened, the Homes it published."""

from __future__ import annotations

import json

from tests.conftest import ALICE, TEAM


def answer(slack, *args, **kwargs) -> dict:
    """Run a slash command; return the ephemeral answer the app posted to its response_url."""
    kwargs.setdefault("team_id", TEAM)
    kwargs.setdefault("user_id", ALICE)
    response = slack.command(*args, **kwargs)
    assert response.status == 200, response.text
    return slack.wait_for_response_url()


def answer_text(payload: dict) -> str:
    """An answer's text and blocks as one string to search in."""
    parts = [payload.get("text", "")]
    for block in payload.get("blocks", []):
        parts.append(json.dumps(block, ensure_ascii=False))
    return "\n".join(parts)


def opened_view(emulator, callback_id: str, count: int = 1) -> dict:
    """The `count`-th view the app opened, which must be the modal `callback_id`."""
    calls = emulator.wait_for("views.open", count=count)
    view = calls[-1].args["view"]
    assert view["callback_id"] == callback_id
    return view


def by_block(view: dict) -> dict[str, dict]:
    return {b.get("block_id"): b for b in view["blocks"] if b.get("block_id")}


def view_opened(emulator, callback_id: str, count: int = 1) -> dict:
    """The `count`-th view opened with `callback_id`, whatever else was opened in between."""
    calls = emulator.wait_for(
        "views.open", count=count, where=lambda c: c.args["view"]["callback_id"] == callback_id
    )
    return calls[count - 1].args["view"]


def published(slack, emulator, user=ALICE) -> dict:
    """The Home `user` sees on opening it, once the refreshes earlier changes set off are done."""
    before = published_so_far(slack, emulator)
    response = slack.event(
        {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}, team_id=TEAM
    )
    assert response.status == 200, response.text
    [home] = published_since(slack, emulator, before)
    assert home.args["user_id"] == user
    return home.args["view"]


def published_so_far(slack, emulator) -> int:
    """How many Homes the app has published, once what it set off earlier is done."""
    slack.settle()
    return len(emulator.calls_to("views.publish"))


def published_since(slack, emulator, before: int) -> list:
    """The Homes published after the first `before`, once the app is done."""
    slack.settle()
    return emulator.calls_to("views.publish")[before:]


def block_texts(node) -> list[str]:
    """Every text string in blocks, in order."""
    if isinstance(node, list):
        return [text for item in node for text in block_texts(item)]
    if not isinstance(node, dict):
        return []
    found = []
    for key, value in node.items():
        found += [value] if key == "text" and isinstance(value, str) else block_texts(value)
    return found
