"""users.info, users.list, users.lookupByEmail, and the members a test adds."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.slack.records import Call, _invalid_arguments, _SlackError, _Token, _update


@dataclass
class _User:
    id: str
    team_id: str
    name: str
    real_name: str
    display_name: str
    tz: str
    tz_offset: int | None
    is_admin: bool
    is_owner: bool
    is_primary_owner: bool
    is_restricted: bool
    deleted: bool
    is_bot: bool
    status_text: str
    status_emoji: str
    email: str | None
    bot_id: str | None = None


# users.list: a page holds at most 1,000 members (Slack recommends asking for 200 or fewer), and a
# large team asked for everything at once answers limit_required
# (https://docs.slack.dev/reference/methods/users.list, .../apis/web-api/pagination).
USERS_LIST_MAX_LIMIT = 1000

_TZ_NAMES = {
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "UTC": "Coordinated Universal Time",
    "WET": "Western European Time",
    "WEST": "Western European Summer Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EET": "Eastern European Time",
    "EEST": "Eastern European Summer Time",
    "IST": "India Standard Time",
    "JST": "Japan Standard Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "AEST": "Australian Eastern Standard Time",
    "AEDT": "Australian Eastern Daylight Time",
}


class UsersApi:
    """users.info, users.list, users.lookupByEmail, and the members a test adds. Mixed into
    ``SlackEmulator``; ``self`` is the emulator."""

    def add_user(
        self,
        user_id: str,
        team_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
        tz: str = "Europe/London",
        tz_offset: int | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        is_restricted: bool = False,
        deleted: bool = False,
        status_text: str = "",
        status_emoji: str = "",
    ) -> None:
        ZoneInfo(tz)  # fail early on a typo
        with self._lock:
            self._team(team_id)
            name = name or user_id.lower()
            self._users[user_id] = _User(
                id=user_id,
                team_id=team_id,
                name=name,
                real_name=real_name if real_name is not None else name.title(),
                display_name=display_name if display_name is not None else name,
                tz=tz,
                tz_offset=tz_offset,
                is_admin=is_admin or is_owner or is_primary_owner,
                is_owner=is_owner or is_primary_owner,
                is_primary_owner=is_primary_owner,
                is_restricted=is_restricted,
                deleted=deleted,
                is_bot=False,
                status_text=status_text,
                status_emoji=status_emoji,
                email=email if email is not None else f"{name}@example.com",
            )

    def update_user(self, user_id: str, **changes: Any) -> None:
        """Change a user in place, e.g. ``update_user("U1", deleted=True, tz="Asia/Tokyo")``."""
        with self._lock:
            _update(self._users[user_id], changes)

    def user_object(self, user_id: str) -> dict[str, Any]:
        """The user as users.info, users.list and events show them."""
        with self._lock:
            return self._user_object(self._users[user_id])

    def change_user(self, user_id: str, **changes: Any) -> dict[str, Any]:
        """Change a user as :meth:`update_user` does and return the ``user_change`` event Slack
        sends every app installed in their workspace: the full user object after the change
        (https://docs.slack.dev/reference/events/user_change). Send it with the signed client's
        ``user_change``."""
        now = time.time()
        with self._lock:
            _update(self._users[user_id], changes)
            user = self._user_object(self._users[user_id])
        return {"type": "user_change", "user": user, "cache_ts": int(now), "event_ts": f"{now:.6f}"}

    def user_name(self, user_id: str) -> str:
        with self._lock:
            user = self._users.get(user_id)
            return user.name if user else user_id.lower()

    # users

    def _user_object(self, user: _User) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "title": "",
            "phone": "",
            "skype": "",
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.display_name,
            "display_name_normalized": user.display_name,
            "fields": None,
            "status_text": user.status_text,
            "status_emoji": user.status_emoji,
            "status_emoji_display_info": [],
            "status_expiration": 0,
            "avatar_hash": "g0123456789a",
            "first_name": user.real_name.split(" ")[0] if user.real_name else "",
            "last_name": " ".join(user.real_name.split(" ")[1:]),
            "image_24": f"https://avatars.example.com/{user.id}_24.png",
            "image_32": f"https://avatars.example.com/{user.id}_32.png",
            "image_48": f"https://avatars.example.com/{user.id}_48.png",
            "image_72": f"https://avatars.example.com/{user.id}_72.png",
            "image_192": f"https://avatars.example.com/{user.id}_192.png",
            "image_512": f"https://avatars.example.com/{user.id}_512.png",
            "status_text_canonical": "",
            "team": user.team_id,
        }
        if user.is_bot:
            profile["bot_id"] = user.bot_id
            profile["always_active"] = False
        elif user.email:
            profile["email"] = user.email
        obj: dict[str, Any] = {
            "id": user.id,
            "team_id": user.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "color": "9f69e7",
            "profile": profile,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "is_email_confirmed": not user.is_bot,
            "who_can_share_contact_card": "EVERYONE",
        }
        if not user.deleted:  # Slack leaves these out for deactivated accounts
            offset, label = self._tz_now(user)
            obj.update(
                {
                    "real_name": user.real_name,
                    "tz": user.tz,
                    "tz_label": label,
                    "tz_offset": offset,
                    "is_admin": user.is_admin,
                    "is_owner": user.is_owner,
                    "is_primary_owner": user.is_primary_owner,
                    "is_restricted": user.is_restricted,
                    "is_ultra_restricted": False,
                    "has_2fa": False,
                }
            )
        return obj

    @staticmethod
    def _tz_now(user: _User) -> tuple[int, str]:
        now = datetime.now(UTC).astimezone(ZoneInfo(user.tz))
        offset = user.tz_offset if user.tz_offset is not None else int(now.utcoffset().total_seconds())  # type: ignore[union-attr]
        abbr = now.tzname() or ""
        return offset, _TZ_NAMES.get(abbr, abbr)

    def _visible_user(self, tok: _Token, user_id: Any) -> _User:
        user = self._users.get(user_id) if isinstance(user_id, str) else None
        if user is None or not self._same_org(user.team_id, tok.team_id):
            raise _SlackError("user_not_found")
        return user

    def _users_info(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        user = self._visible_user(tok, call.args.get("user"))
        obj = self._user_object(user)
        if str(call.args.get("include_locale", "")).lower() in ("1", "true"):
            obj["locale"] = "en-GB"
        return {"ok": True, "user": obj}

    def _users_lookup_by_email(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        email_arg = call.args.get("email")
        for user in self._users.values():
            if user.email == email_arg and self._same_org(user.team_id, tok.team_id) and not user.is_bot:
                return {"ok": True, "user": self._user_object(user)}
        raise _SlackError("users_not_found")

    def _users_list(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        """Every member of the token's workspace, bots and deactivated people (``deleted: true``)
        included, in pages. As Slack's, the cursor names the next member (``user:U…``, base64), so
        people who join or leave between two pages neither repeat nor shift the rest. ``team_id``
        (which an org-wide Grid token must give) picks a workspace of the token's org; one outside
        it answers ``access_denied``."""
        assert tok is not None
        team_id = call.args.get("team_id") or tok.team_id
        if not isinstance(team_id, str) or not self._same_org(team_id, tok.team_id):
            raise _SlackError("access_denied")
        members = sorted((u for u in self._users.values() if u.team_id == team_id), key=lambda u: u.id)
        raw_limit = call.args.get("limit")
        try:
            limit = int(raw_limit) if raw_limit not in (None, "") else 0
        except (TypeError, ValueError):
            raise _invalid_arguments(f"invalid `limit`: {raw_limit!r}") from None
        if limit <= 0:
            if len(members) > USERS_LIST_MAX_LIMIT:
                raise _SlackError("limit_required")
            limit = len(members) or 1
        limit = min(limit, USERS_LIST_MAX_LIMIT)  # "fewer than the requested number may be returned"
        start = 0
        cursor = call.args.get("cursor")
        if cursor:
            try:
                kind, _, after = base64.b64decode(cursor, validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise _SlackError("invalid_cursor") from None
            if kind != "user" or not after:
                raise _SlackError("invalid_cursor")
            start = next((i for i, u in enumerate(members) if u.id >= after), len(members))
        page = members[start : start + limit]
        rest = members[start + limit :]
        next_cursor = base64.b64encode(f"user:{rest[0].id}".encode()).decode() if rest else ""
        return {
            "ok": True,
            "members": [self._user_object(u) for u in page],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": next_cursor},
        }
