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


_LABEL = re.compile(r"<[@#][A-Z0-9]+\|@?#?([^<>|]*)>", re.ASCII)


def mention_label(token: str) -> str:
    """The name Slack put in a mention it sent: "<@U123|jane>" -> "jane", "<#C1|growth>" -> "growth";
    "" when it sent none."""
    match = _LABEL.fullmatch((token or "").strip())
    return match.group(1).strip() if match else ""


def mention(sigil: str, ident: str, label: str = "") -> str:
    """ "<#C1|growth>" (or "<#C1>"): Slack renders it in mrkdwn, plain_user_text() reads it as "#growth"."""
    label = re.sub(r"[<>|&]", "", label or "").strip()
    return f"<{sigil}{ident}|{label}>" if label else f"<{sigil}{ident}>"


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
    if not text or ("<" not in text and "@" not in text):
        return text or ""  # nothing to defuse: every pattern needs one of the two
    text = _ESCAPED_BROADCAST.sub(lambda m: f"@{ZWSP}{m.group(1).lower()}", text)
    text = _ESCAPED_SUBTEAM.sub(lambda m: f"@{ZWSP}{m.group(1) or 'group'}", text)
    return _BARE_BROADCAST.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)


# Slack's markup as it arrives in a slash command's text: <@U1|jane>, <#C1|growth>, <https://x|label>.
_MARKUP = re.compile(
    r"<([@#])([A-Z0-9]+)(?:\|([^>]*))?>|<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>", re.ASCII
)


def readable(text: str) -> str:
    """Slack's markup in `text` as a person reads it: "@jane", "#growth", "label (https://x)".

    Stored text keeps what Slack sent; shown back to people it must never become a live mention
    or a link whose label hides where it goes.
    """

    def one(match: re.Match) -> str:
        sigil, ident, label, url, link_label = match.groups()
        if sigil:
            return sigil + (label.lstrip("@#") if label else ident)
        return f"{link_label} ({url})" if link_label and link_label != url else url

    return _MARKUP.sub(one, text or "")


def unescape(text: str) -> str:
    """Slack's escaping of a slash command's text undone, once: "R&amp;D &lt;q&gt;" -> "R&D <q>".

    Slack escapes &, < and > in what a person typed and keeps its own markup (<@U1|jane>).
    """
    return (text or "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape(text: str) -> str:
    """Escape &, < and > as Slack requires for text we post (so user text can't inject links)."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# What readable(), neutralize_broadcasts() and escape() act on; text without them passes unchanged.
_MARKUP_CHARS = re.compile(r"[<>&@]")


def user_text(text: str | None, limit: int = 300) -> str:
    """What a person typed, shown inside mrkdwn on any surface: as text, never as markup.

    Slack's own markup that came in with it (a mention picked in a slash command) reads as
    "@jane" / "#growth"; &, < and > are escaped (api.slack.com/reference/surfaces/formatting#escaping),
    so a typed "<https://evil|Reset>" shows as typed and "<@U1>" pings nobody; @here is defused.
    Cut to `limit` characters before escaping, so an escape is never cut in half.
    """
    if text and len(text) <= limit and not _MARKUP_CHARS.search(text):
        return text  # most text: no markup, nothing to defuse, escape or cut
    return escape(truncate(neutralize_broadcasts(readable(text or "")), limit))


def plain_user_text(text: str | None, limit: int) -> str:
    """What a person typed, inside a plain_text object (a header, an option): readable, not escaped.
    Broadcasts are defused as well: the same text may reach a notification's fallback."""
    return truncate(neutralize_broadcasts(readable(text or "")), limit)


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
