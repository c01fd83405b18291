"""Only bot/outbound.py calls Slack's views.* and chat.* methods.

An import-linter contract cannot see a method call on a client it was handed, so this reads bot/
with ast and fails on any attribute call named views_* or chat_* elsewhere. The delivery engine's
classified send (bot/jobs/posting.py) is the scheduled posts' own outbound: it needs Slack's
answer (channel, ts) and its error classes to claim, mark and settle each post.
"""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
ALLOWED = {"outbound.py", "slack_client.py", "bolt_fence.py", "jobs/posting.py"}
FORBIDDEN_PREFIXES = ("views_", "chat_")


def slack_calls(tree: ast.AST) -> list[tuple[int, str]]:
    return [
        (node.lineno, node.func.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr.startswith(FORBIDDEN_PREFIXES)
    ]


def test_the_check_sees_a_direct_call():
    tree = ast.parse(
        "def f(client):\n    client.views_open(trigger_id='t', view={})\n    call.client.chat_update()\n"
    )
    assert slack_calls(tree) == [(2, "views_open"), (3, "chat_update")]


def test_nothing_outside_outbound_calls_views_or_chat():
    offenders = []
    for path in sorted(BOT.rglob("*.py")):
        relative = path.relative_to(BOT).as_posix()
        if relative in ALLOWED:
            continue
        for line, name in slack_calls(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"bot/{relative}:{line} {name}")
    assert offenders == []
