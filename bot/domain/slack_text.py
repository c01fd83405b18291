"""Slack's escaped text: what slash commands send us, and what we must not send back.

With `should_escape` on, Slack sends users as `<@U123|jane>` (or `<@U123>`), channels as
`<#C123|growth>` (or `<#C123>`), broadcasts as `<!here>` and links as `<https://x|label>`.
"""

import re

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>", re.ASCII)
# C public, G private (older workspaces); both are what a person can pick after '#'.
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|[^>]*)?>", re.ASCII)

ZWSP = "\u200b"
_BROADCASTS = ("here", "channel", "everyone")
# <!here>, <!here|here>, <!here|@here>, <!channel>, <!everyone>
_ESCAPED_BROADCAST = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>", re.IGNORECASE)
# <!subteam^S123|@designers> pings a whole user group just the same.
_ESCAPED_SUBTEAM = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|@?([^>]*))?>", re.IGNORECASE)
# A bare "@here" (with link_names, Slack would ping); not an e-mail like "ops@here.com".
_BARE_BROADCAST = re.compile(r"(?<![\w@.])@(here|channel|everyone)\b", re.IGNORECASE)


def parse_user_mention(token: str) -> str | None:
    """The user id in "<@U123|jane>" or "<@U123>" ("U123"); None for anything else."""
    match = _USER.fullmatch((token or "").strip())
    return match.group(1) if match else None


def parse_channel_mention(token: str) -> str | None:
    """The channel id in "<#C123|growth>" or "<#C123>" ("C123"); None for anything else."""
    match = _CHANNEL.fullmatch((token or "").strip())
    return match.group(1) if match else None


def split_command(text: str) -> tuple[str, str]:
    """First word lower-cased, and the rest: "Checkin KR-3 42" -> ("checkin", "KR-3 42")."""
    parts = (text or "").strip().split(maxsplit=1)
    if not parts:
        return "", ""
    head = parts[0].lower()
    rest = parts[1].strip() if len(parts) > 1 else ""
    return head, rest


def neutralize_broadcasts(text: str) -> str:
    """Make @here/@channel/@everyone (escaped or bare) and user-group pings harmless.

    A zero-width space after the "@" keeps the text readable but stops Slack from notifying.
    """
    if not text:
        return text or ""
    text = _ESCAPED_BROADCAST.sub(lambda m: f"@{ZWSP}{m.group(1).lower()}", text)
    text = _ESCAPED_SUBTEAM.sub(lambda m: f"@{ZWSP}{m.group(1) or 'group'}", text)
    return _BARE_BROADCAST.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)


def escape(text: str) -> str:
    """Escape &, < and > as Slack requires for text we post (so user text can't inject links)."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, ending in "…" when anything was cut.

    Never cuts inside an escape such as <@U123|jane>: a half escape would show as garbage.
    """
    text = text or ""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    opening = cut.rfind("<")
    if opening != -1 and ">" not in cut[opening:]:
        cut = cut[:opening]
    return cut.rstrip() + "…"
