"""api.test, auth.test, team.info, and OAuth: install codes, oauth.v2.access, token rotation
(https://docs.slack.dev/authentication/using-token-rotation)."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from tests.slack.records import Call, _SlackError, _Token


@dataclass
class _InstallCode:
    """A code Slack hands the installer's browser on its way to the app's redirect URL."""

    team_id: str  # for an org-wide install, a workspace of the org (its token's home)
    enterprise_id: str | None
    enterprise_install: bool
    installer: str
    bot_user_id: str
    bot_id: str
    used: bool = False


@dataclass
class _RefreshToken:
    """A single-use refresh token and the bot it refreshes."""

    token: str
    team_id: str
    user_id: str
    bot_id: str
    enterprise_id: str | None
    access_token: str  # the access token issued with it (revoking that one revokes this too)
    used: bool = False


class AuthApi:
    """api.test, auth.test, team.info, and OAuth: install codes, oauth.v2.access, token rotation
    (https://docs.slack.dev/authentication/using-token-rotation). Mixed into ``SlackEmulator``; ``self``
    is the emulator."""

    # With rotation on, an access token (xoxe.xoxb-…) lives 12 hours and comes with a single-use refresh
    # token (xoxe-1-…); oauth.v2.access with grant_type=refresh_token trades the refresh token for a new
    # pair. The old access token keeps working until it expires; the spent refresh token never again.

    ROTATING_TOKEN_SECONDS = 43_200

    def oauth_app(self, client_id: str, client_secret: str) -> None:
        """The app's credentials, which oauth.v2.access checks (as Basic auth or form fields)."""
        with self._lock:
            self._oauth_apps[client_id] = client_secret

    def add_rotating_token(
        self,
        team_id: str,
        *,
        user_id: str = "UBOT",
        bot_id: str = "B1",
        enterprise_id: str | None = None,
        expires_in: float | None = None,
    ) -> tuple[str, str]:
        """A bot token from an install with token rotation on: ``(access_token, refresh_token)``.
        ``expires_in`` (default 12 hours) may be negative: a token that has already expired."""
        with self._lock:
            access = self.add_token(self._secret("xoxe.xoxb-1-"), team_id, user_id, bot_id, enterprise_id)
            self._tokens[access].expires_at = self.now() + (
                self.ROTATING_TOKEN_SECONDS if expires_in is None else expires_in
            )
            refresh = self._secret("xoxe-1-")
            team = self._team(team_id)
            self._refresh_tokens[refresh] = _RefreshToken(
                refresh, team_id, user_id, bot_id, team.enterprise_id, access
            )
        return access, refresh

    def expire_token(self, token: str) -> None:
        """This access token's 12 hours are over: later calls answer ``token_expired``."""
        with self._lock:
            self._tokens[token].expires_at = self.now() - 1

    def token_expires_at(self, token: str) -> float | None:
        with self._lock:
            return self._tokens[token].expires_at

    def _secret(self, prefix: str) -> str:
        return prefix + "".join(self._rng.choice(string.ascii_lowercase + string.digits) for _ in range(24))

    def _oauth_v2_access(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        client_id, secret = call.args.get("client_id"), call.args.get("client_secret")
        if client_id not in self._oauth_apps:
            raise _SlackError("invalid_client_id")
        if secret != self._oauth_apps[client_id]:
            raise _SlackError("bad_client_secret")
        if call.args.get("grant_type") != "refresh_token":
            return self._install_by_code(call)
        refresh = self._refresh_tokens.get(str(call.args.get("refresh_token") or ""))
        if refresh is None or refresh.used:
            raise _SlackError("invalid_refresh_token")
        refresh.used = True
        call.team_id = refresh.team_id
        access = self.add_token(
            self._secret("xoxe.xoxb-1-"),
            refresh.team_id,
            refresh.user_id,
            refresh.bot_id,
            refresh.enterprise_id,
        )
        self._tokens[access].expires_at = self.now() + self.ROTATING_TOKEN_SECONDS
        previous = self._tokens.get(refresh.access_token)
        if previous is not None:  # a refreshed token holds what the install granted
            self._tokens[access].scopes = previous.scopes
        new_refresh = self._secret("xoxe-1-")
        self._refresh_tokens[new_refresh] = _RefreshToken(
            new_refresh, refresh.team_id, refresh.user_id, refresh.bot_id, refresh.enterprise_id, access
        )
        team = self._team(refresh.team_id)
        enterprise = {"id": team.enterprise_id, "name": team.enterprise_id} if team.enterprise_id else None
        return {
            "ok": True,
            "app_id": self.app_id,
            "access_token": access,
            "expires_in": self.ROTATING_TOKEN_SECONDS,
            "refresh_token": new_refresh,
            "token_type": "bot",
            "scope": ",".join(sorted(self._tokens[access].scopes)),
            "bot_user_id": refresh.user_id,
            "team": {"id": team.id, "name": team.name},
            "enterprise": enterprise,
            "is_enterprise_install": False,
        }

    def begin_install(
        self,
        team_id: str,
        *,
        installer: str,
        enterprise_id: str | None = None,
        org_wide: bool = False,
        bot_user_id: str = "U0BOTINST",
        bot_id: str = "B0INST",
    ) -> str:
        """The code Slack puts on the app's redirect URL once someone approved the install; the app
        trades it with oauth.v2.access. `org_wide`: an Enterprise Grid org admin installed it for
        the whole org (api.slack.com/enterprise/apps/reference: `team` is null, `enterprise` is
        set, `is_enterprise_install` is true)."""
        code = self._secret("code-")
        with self._lock:
            self._team(team_id)
            self._install_codes[code] = _InstallCode(
                team_id, enterprise_id, org_wide, installer, bot_user_id, bot_id
            )
        return code

    def _install_by_code(self, call: Call) -> dict[str, Any]:
        pending = self._install_codes.get(str(call.args.get("code") or ""))
        if pending is None or pending.used:
            raise _SlackError("invalid_code" if call.args.get("code") else "invalid_arguments")
        pending.used = True
        token = self.add_token(
            self._secret("xoxb-"), pending.team_id, pending.bot_user_id, pending.bot_id, pending.enterprise_id
        )
        self._tokens[token].enterprise_install = pending.enterprise_install
        call.team_id = pending.team_id
        team = self._team(pending.team_id)
        enterprise = (
            {"id": pending.enterprise_id, "name": f"Org {pending.enterprise_id}"}
            if pending.enterprise_id
            else None
        )
        return {
            "ok": True,
            "app_id": self.app_id,
            "access_token": token,
            "token_type": "bot",
            "scope": ",".join(sorted(self._tokens[token].scopes)),
            "bot_user_id": pending.bot_user_id,
            "team": None if pending.enterprise_install else {"id": team.id, "name": team.name},
            "enterprise": enterprise,
            "is_enterprise_install": pending.enterprise_install,
            "authed_user": {"id": pending.installer},
        }

    def _api_test(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        return {"ok": True, "args": call.args}

    def _auth_test(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        team = self._team(tok.team_id)
        bot = self._users.get(tok.user_id)
        response = {
            "ok": True,
            "url": f"https://{team.domain}.slack.com/",
            "team": team.name,
            "user": bot.name if bot else "northline",
            "team_id": team.id,
            "user_id": tok.user_id,
            "bot_id": tok.bot_id,
            "is_enterprise_install": tok.enterprise_install,
        }
        if tok.enterprise_id:
            response["enterprise_id"] = tok.enterprise_id
        return response

    def _team_info(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        team_id = call.args.get("team") or tok.team_id
        if team_id not in self._teams or not self._same_org(team_id, tok.team_id):
            raise _SlackError("team_not_found")
        team = self._teams[team_id]
        info: dict[str, Any] = {
            "id": team.id,
            "name": team.name,
            "domain": team.domain,
            "email_domain": "example.com",
            "icon": {"image_default": True},
        }
        if team.enterprise_id:
            info["enterprise_id"] = team.enterprise_id
            info["enterprise_name"] = f"Org {team.enterprise_id}"
        return {"ok": True, "team": info}
