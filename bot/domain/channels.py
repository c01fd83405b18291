"""What a team channel is: the one rule forms, the importer, /sprint and /okr schedule apply.

A team channel is a conversation several people share on purpose: a public channel (C…) or a
private one (C… since 2021, G… before). DMs (D…) are not, and neither are group DMs: Slack gives
those G… ids too, so they are told apart by name (`mpdm-…`, or "directmessage" in a slash
command's channel_name).
"""

import re

# Slack ids are upper-case letters and digits; 32 characters is far beyond any real one.
TEAM_CHANNEL_PATTERN = r"^[CG][A-Z0-9]{2,31}$"
_TEAM_CHANNEL_ID = re.compile(TEAM_CHANNEL_PATTERN, re.ASCII)


def is_team_channel_id(channel_id: str | None) -> bool:
    """Whether `channel_id` names a public or private channel (not a DM)."""
    return bool(channel_id) and _TEAM_CHANNEL_ID.fullmatch(channel_id) is not None


def is_team_channel(channel_id: str | None, channel_name: str | None = None) -> bool:
    """A channel id, and (when Slack says) not a group DM: False for DMs, group DMs and no channel."""
    if not is_team_channel_id(channel_id):
        return False
    name = channel_name or ""
    return name != "directmessage" and not name.startswith("mpdm-")
