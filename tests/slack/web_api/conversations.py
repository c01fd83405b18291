"""conversations.open/info/list/join, and the channels a test adds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.slack.records import Call, _SlackError, _Token, _update


@dataclass
class _Channel:
    id: str
    team_id: str
    name: str
    is_archived: bool = False
    is_member: bool = True
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    user: str | None = None
    created: int = 1_700_000_000


def _read_scope(channel: _Channel) -> str:
    if channel.is_im:
        return "im:read"
    if channel.is_mpim:
        return "mpim:read"
    return "groups:read" if channel.is_private else "channels:read"


class ConversationsApi:
    """conversations.open/info/list/join, and the channels a test adds. Mixed into ``SlackEmulator``;
    ``self`` is the emulator."""

    def add_channel(
        self,
        channel_id: str,
        team_id: str,
        name: str | None = None,
        is_archived: bool = False,
        is_member: bool = True,
        is_private: bool = False,
    ) -> None:
        with self._lock:
            self._team(team_id)
            self._channels[channel_id] = _Channel(
                id=channel_id,
                team_id=team_id,
                name=name or channel_id.lower(),
                is_archived=is_archived,
                is_member=is_member,
                is_private=is_private,
            )

    def update_channel(self, channel_id: str, **changes: Any) -> None:
        """E.g. ``update_channel("C1", is_archived=True)`` or ``is_member=False`` (bot kicked)."""
        with self._lock:
            _update(self._channels[channel_id], changes)

    def dm_channel_id(self, team_id: str, user_id: str) -> str:
        """The DM channel (``D...``) conversations.open gives for this user; stable."""
        with self._lock:
            return self._dm_for(team_id, (user_id,))

    def channel_name(self, channel_id: str) -> str | None:
        with self._lock:
            channel = self._channels.get(channel_id)
            if channel is None:
                return None
            return "directmessage" if channel.is_im else channel.name

    def _dm_for(self, team_id: str, users: tuple[str, ...]) -> str:
        key = (team_id, tuple(sorted(users)))
        if key not in self._dms:
            is_im = len(users) == 1
            channel_id = self._new_id("D" if is_im else "G")
            self._dms[key] = channel_id
            self._channels[channel_id] = _Channel(
                id=channel_id,
                team_id=team_id,
                name=users[0] if is_im else "mpdm-" + "--".join(users) + "-1",
                is_im=is_im,
                is_mpim=not is_im,
                is_private=True,
                user=users[0] if is_im else None,
            )
        return self._dms[key]

    def _channel(self, team_id: str, channel: Any, *, posting: bool) -> str:
        """Resolve a channel argument as Slack does; raise its error."""
        if not isinstance(channel, str) or not channel:
            raise _SlackError("channel_not_found")
        if channel[0] in "UW" and channel[1:].isalnum() and channel.upper() == channel:
            user = self._users.get(channel)
            if user is not None and not self._same_org(user.team_id, team_id):
                raise _SlackError("channel_not_found")
            return self._dm_for(team_id, (channel,))
        found = self._channels.get(channel)
        if found is None or not self._same_org(found.team_id, team_id):
            name = channel.lstrip("#")
            named = [
                c
                for c in self._channels.values()
                if c.name == name and not c.is_im and self._same_org(c.team_id, team_id)
            ]
            if not named:
                raise _SlackError("channel_not_found")
            found = named[0]
        if posting:
            if found.is_archived:
                raise _SlackError("is_archived")
            if not found.is_member and not found.is_im and not found.is_mpim:
                raise _SlackError("not_in_channel")
        return found.id

    # conversations

    def _channel_object(self, channel: _Channel) -> dict[str, Any]:
        if channel.is_im:
            user = self._users.get(channel.user or "")
            return {
                "id": channel.id,
                "created": channel.created,
                "is_archived": False,
                "is_im": True,
                "is_org_shared": False,
                "context_team_id": channel.team_id,
                "updated": channel.created * 1000,
                "user": channel.user,
                "is_user_deleted": bool(user and user.deleted),
                "priority": 0,
            }
        return {
            "id": channel.id,
            "name": channel.name,
            "is_channel": not channel.is_private and not channel.is_mpim,
            "is_group": channel.is_private and not channel.is_mpim,
            "is_im": False,
            "is_mpim": channel.is_mpim,
            "is_private": channel.is_private,
            "created": channel.created,
            "is_archived": channel.is_archived,
            "is_general": channel.name == "general",
            "unlinked": 0,
            "name_normalized": channel.name,
            "is_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": channel.team_id,
            "updated": channel.created * 1000,
            "parent_conversation": None,
            "creator": "U0CREATOR",
            "is_ext_shared": False,
            "shared_team_ids": [channel.team_id],
            "pending_connected_team_ids": [],
            "is_member": channel.is_member,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
        }

    def _conversations_open(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        channel_arg, users_arg = call.args.get("channel"), call.args.get("users")
        if channel_arg:
            channel_id = self._channel(tok.team_id, channel_arg, posting=False)
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel_id}}
        if not users_arg:
            raise _SlackError("users_list_not_supplied")
        users = tuple(
            u.strip() for u in (users_arg if isinstance(users_arg, list) else str(users_arg).split(","))
        )
        if len(users) > 8:
            raise _SlackError("too_many_users")
        for user_id in users:
            user = self._users.get(user_id)
            if user is not None:
                if not self._same_org(user.team_id, tok.team_id):
                    raise _SlackError("user_not_found")
                if user.deleted:
                    raise _SlackError("user_disabled")
        existed = (tok.team_id, tuple(sorted(users))) in self._dms
        channel_id = self._dm_for(tok.team_id, users)
        response: dict[str, Any] = {"ok": True}
        if existed:
            response.update({"no_op": True, "already_open": True})
        if str(call.args.get("return_im", "")).lower() in ("1", "true"):
            response["channel"] = self._channel_object(self._channels[channel_id])
        else:
            response["channel"] = {"id": channel_id}
        return response

    def _conversations_info(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        channel_id = call.args.get("channel")
        channel = self._channels.get(channel_id) if isinstance(channel_id, str) else None
        if channel is None or not self._same_org(channel.team_id, tok.team_id):
            raise _SlackError("channel_not_found")
        # docs.slack.dev/reference/methods/conversations.info: "Required scopes: channels:read,
        # groups:read, im:read, mpim:read", the one for the conversation's type; a token without it
        # is refused. A private channel the bot is not in does not exist for it.
        needed = _read_scope(channel)
        if needed not in tok.scopes:
            raise _SlackError("missing_scope", needed=needed, provided=",".join(sorted(tok.scopes)))
        if channel.is_private and not (channel.is_member or channel.is_im or channel.is_mpim):
            raise _SlackError("channel_not_found")
        return {"ok": True, "channel": self._channel_object(channel)}

    def _conversations_list(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        types = str(call.args.get("types") or "public_channel").split(",")
        exclude_archived = str(call.args.get("exclude_archived", "")).lower() in ("1", "true")
        found = []
        for c in self._channels.values():
            if c.team_id != tok.team_id or (exclude_archived and c.is_archived):
                continue
            kind = (
                "im"
                if c.is_im
                else "mpim"
                if c.is_mpim
                else "private_channel"
                if c.is_private
                else "public_channel"
            )
            if kind in types and (kind == "public_channel" or c.is_member or c.is_im):
                found.append(self._channel_object(c))
        return {"ok": True, "channels": found, "response_metadata": {"next_cursor": ""}}

    def _conversations_join(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        channel_id = call.args.get("channel")
        channel = self._channels.get(channel_id) if isinstance(channel_id, str) else None
        if channel is None or channel.team_id != tok.team_id or channel.is_im:
            raise _SlackError("channel_not_found")
        if channel.is_archived:
            raise _SlackError("is_archived")
        if channel.is_private and not channel.is_member:
            raise _SlackError("method_not_supported_for_channel_type")
        already = channel.is_member
        channel.is_member = True
        response: dict[str, Any] = {"ok": True, "channel": self._channel_object(channel)}
        if already:
            response["warning"] = "already_in_channel"
            response["response_metadata"] = {"warnings": ["already_in_channel"]}
        return response
