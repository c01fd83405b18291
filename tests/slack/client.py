"""Send the app what Slack sends: full payloads, signed, over real HTTP.

``SignedClient`` builds slash commands, block_actions, view_submission, view_closed,
block_suggestion, shortcuts and Events API callbacks with the fields Slack really sends (as in
Slack's docs and bolt-python's scenario tests), signs them with the app's signing secret and POSTs
them with ``urllib``. Trigger ids and response_urls come from the ``SlackEmulator``, so the
emulator can tell a stale trigger_id and record what the app posts to a response_url.

``serve_wsgi`` serves a WSGI app (Bolt's ``SlackRequestHandler``) on 127.0.0.1 port 0.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import http.client
import json
import re
import select
import socketserver
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any, NoReturn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_sdk.signature import SignatureVerifier

from tests.slack.emulator import (
    INTERACTIVE_ELEMENTS,
    FunctionExecution,
    SlackEmulator,
    fallback_text_errors,
    message_errors,
    suggestion_errors,
)
from tests.slack.scopes import manifest_options_url

__all__ = ["Response", "SignedClient", "serve_wsgi"]

ACK_DEADLINE = 3.0
_NOT_STATEFUL = {"button", "overflow", "workflow_button"}
_MULTI_KEYS = {
    "multi_static_select": "selected_options",
    "multi_external_select": "selected_options",
    "checkboxes": "selected_options",
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}
_SINGLE_KEYS = {
    "users_select": ("selected_user", "initial_user"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "channels_select": ("selected_channel", "initial_channel"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
}
_MULTI_INITIAL = {
    "multi_users_select": "initial_users",
    "multi_conversations_select": "initial_conversations",
    "multi_channels_select": "initial_channels",
}
_OPTION_ELEMENTS = {"static_select", "external_select", "radio_buttons", "overflow"}
_VALUE_ELEMENTS = {"plain_text_input", "number_input", "email_text_input", "url_text_input"}


@dataclass
class Response:
    """The app's HTTP answer (``headers`` keys lower-case). ``payload`` is what was sent;
    ``response_url`` / ``trigger_id`` the ones it carried; ``elapsed`` the seconds to the answer."""

    status: int
    body: bytes
    headers: dict[str, str]
    payload: Any = None
    response_url: str | None = None
    elapsed: float = 0.0
    trigger_id: str | None = None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON; ``None`` for an empty body (a bare ``ack()``)."""
        return json.loads(self.body) if self.body.strip() else None


@dataclass
class _Target:
    blocks: list[Any]
    view: dict[str, Any] | None = None
    message: dict[str, Any] | None = None
    channel_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class SignedClient:
    """Posts signed Slack requests to the app at ``app_url`` (e.g. ``http://127.0.0.1:P/slack/events``)."""

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        emulator: SlackEmulator,
        *,
        verification_token: str = "verification-token",
        timeout: float = 10.0,
    ) -> None:
        self.app_url = app_url
        self.emulator = emulator
        self.verifier = SignatureVerifier(signing_secret)
        self.verification_token = verification_token
        self.timeout = timeout
        self.response_url: str | None = None

    # -- signing and raw HTTP -------------------------------------------------------------------------

    def sign(self, body: bytes | str, timestamp: int | None = None) -> dict[str, str]:
        """The two signature headers for ``body`` (``timestamp`` defaults to now)."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = self.verifier.generate_signature(timestamp=ts, body=body)
        assert signature is not None
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}

    def raw(self, body: bytes | str, headers: dict[str, str]) -> Response:
        """POST exactly this body with exactly these headers (for forged/stale signatures).

        Never raises for an HTTP status. A server that answers a large body from its headers
        alone (413 before reading) is waited for, so its answer is read, not a broken pipe.
        """
        data = body.encode("utf-8") if isinstance(body, str) else body
        parts = urllib.parse.urlsplit(self.app_url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=self.timeout)
        started = time.monotonic()
        try:
            conn.putrequest("POST", path, skip_accept_encoding=True)
            for key, value in headers.items():
                conn.putheader(key, value)
            if not any(key.lower() == "content-length" for key in headers):
                conn.putheader("Content-Length", str(len(data)))
            conn.putheader("Connection", "close")
            conn.endheaders()
            answered_early = False
            if len(data) > 64 * 1024 and conn.sock is not None:
                answered_early = bool(select.select([conn.sock], [], [], 0.25)[0])
            if not answered_early:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    conn.send(data)
            answer = conn.getresponse()
            status, content, answer_headers = answer.status, answer.read(), answer.getheaders()
        finally:
            conn.close()
        lowered = {key.lower(): value for key, value in answer_headers}
        return Response(status, content, lowered, elapsed=time.monotonic() - started)

    def _send(
        self, body: str, content_type: str, payload: Any, *, extra_headers: dict[str, str] | None = None
    ) -> Response:
        headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **self.sign(body),
            **(extra_headers or {}),
        }
        response = self.raw(body, headers)
        response.payload = payload
        if response.elapsed > ACK_DEADLINE:
            with self.emulator._lock:
                self.emulator.warnings.append(
                    f"app took {response.elapsed:.1f}s to answer a {_kind(payload)} request; "
                    f"Slack gives up after {ACK_DEADLINE:.0f}s"
                )
        return response

    def _send_interactive(self, payload: dict[str, Any]) -> Response:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        response = self._send(body, "application/x-www-form-urlencoded", payload)
        response.response_url = payload.get("response_url")
        response.trigger_id = payload.get("trigger_id")
        return response

    # -- who and where ----------------------------------------------------------------------------------

    def _team(self, team_id: str) -> dict[str, Any]:
        team: dict[str, Any] = {"id": team_id, "domain": self.emulator.team_domain(team_id)}
        enterprise_id = self.emulator.team_enterprise_id(team_id)
        if enterprise_id:
            team.update({"enterprise_id": enterprise_id, "enterprise_name": f"Org {enterprise_id}"})
        return team

    def _enterprise(self, team_id: str) -> dict[str, Any] | None:
        enterprise_id = self.emulator.team_enterprise_id(team_id)
        return {"id": enterprise_id, "name": f"Org {enterprise_id}"} if enterprise_id else None

    def _user(self, team_id: str, user_id: str) -> dict[str, Any]:
        name = self.emulator.user_name(user_id)
        return {"id": user_id, "username": name, "name": name, "team_id": team_id}

    def _channel(self, channel_id: str) -> dict[str, Any]:
        return {"id": channel_id, "name": self.emulator.channel_name(channel_id) or channel_id.lower()}

    def _common(self, kind: str, team_id: str, user_id: str) -> dict[str, Any]:
        return {
            "type": kind,
            "user": self._user(team_id, user_id),
            "api_app_id": self.emulator.app_id,
            "token": self.verification_token,
            "team": self._team(team_id),
            "enterprise": self._enterprise(team_id),
            "is_enterprise_install": False,
        }

    # -- slash commands ---------------------------------------------------------------------------------

    def command(
        self,
        command: str,
        text: str = "",
        *,
        team_id: str = "T1",
        user_id: str = "U1",
        channel_id: str = "C1",
        channel_name: str | None = None,
        enterprise_id: str | None = None,
    ) -> Response:
        """A slash command, form-encoded as Slack sends it. Its ack is checked like a message."""
        response_url = self.emulator.new_response_url(team_id, channel_id=channel_id, user_id=user_id)
        self.response_url = response_url
        trigger_id = self.emulator.issue_trigger_id(team_id, user_id)
        enterprise_id = enterprise_id or self.emulator.team_enterprise_id(team_id)
        fields: dict[str, str] = {
            "token": self.verification_token,
            "team_id": team_id,
            "team_domain": self.emulator.team_domain(team_id),
        }
        if enterprise_id:
            fields.update({"enterprise_id": enterprise_id, "enterprise_name": f"Org {enterprise_id}"})
        fields.update(
            {
                "channel_id": channel_id,
                "channel_name": channel_name or self.emulator.channel_name(channel_id) or "general",
                "user_id": user_id,
                "user_name": self.emulator.user_name(user_id),
                "command": command,
                "text": escaped_command_text(text),
                "api_app_id": self.emulator.app_id,
                "is_enterprise_install": "false",
                "response_url": response_url,
                "trigger_id": trigger_id,
            }
        )
        body = urllib.parse.urlencode(fields)
        response = self._send(body, "application/x-www-form-urlencoded", fields)
        response.response_url, response.trigger_id = response_url, trigger_id
        self._check_message_ack(response, f"{command} ack")
        return response

    def _check_message_ack(self, response: Response, source: str) -> None:
        if response.status != 200 or not response.body.lstrip().startswith(b"{"):
            return
        with contextlib.suppress(ValueError):
            answer = response.json()
            if isinstance(answer, dict):
                self.emulator._note(source, message_errors(answer, require_text=False))
                self.emulator._note(source, fallback_text_errors(answer))

    def wait_for_response_url(
        self, timeout: float = 5.0, *, response_url: str | None = None, count: int = 1
    ) -> dict[str, Any]:
        """The JSON the app POSTed (the ``count``-th time) to the last command's response_url."""
        url = response_url or self.response_url
        if url is None:
            raise AssertionError("no response_url issued yet")
        calls = self.emulator.wait_for("response_url", count, timeout, where=lambda c: c.url == url)
        return calls[count - 1].args

    # -- interactivity ----------------------------------------------------------------------------------

    def _full_view(self, view: dict[str, Any], team_id: str, user_id: str) -> dict[str, Any]:
        try:
            return self.emulator.resolve_view(view, user_id=user_id)
        except AssertionError:
            return self.emulator.forge_view(view, team_id)

    def _target(
        self,
        view: dict[str, Any] | None,
        message: dict[str, Any] | None,
        channel_id: str | None,
        team_id: str,
        user_id: str,
    ) -> _Target:
        if view is not None:
            full = self._full_view(view, team_id, user_id)
            return _Target(full.get("blocks") or [], view=full)
        if message is not None:
            found = self.emulator.find_message(message["ts"], channel_id) if message.get("ts") else None
            if found is not None:
                # A message given with its blocks is as the person's Slack still showed it: a
                # second click that left before the first one's chat.update arrived.
                shown = message.get("blocks")
                channel_id, message = found[0], found[1]
                if shown is not None:
                    message = {**message, "blocks": copy.deepcopy(shown)}
            return _Target(message.get("blocks") or [], message=message, channel_id=channel_id)
        return _Target([], channel_id=channel_id)

    def action(
        self,
        action_id: str,
        value: Any = None,
        *,
        block_id: str | None = None,
        team_id: str = "T1",
        user_id: str = "U1",
        view: dict[str, Any] | None = None,
        channel_id: str | None = None,
        message: dict[str, Any] | None = None,
        ephemeral: bool = False,
        state_values: dict[str, Any] | None = None,
    ) -> Response:
        """A block_actions payload: the user clicked/selected element ``action_id``.

        Give the ``view`` (a view the app opened/published: as sent, or as Slack returned it) or the
        ``message`` (as returned by chat.postMessage; found again by ts) holding the element; the
        element's type decides the action's shape, and ``value`` is what the user picked (an
        option value, a user id, a date, ...). With neither, a button with ``value`` is sent.
        ``state_values`` (block_id -> value) fills the other inputs of the view's state.
        """
        target = self._target(view, message, channel_id, team_id, user_id)
        element, block_id = _find_element(target.blocks, action_id, block_id)
        if element is None and (target.view is not None or target.blocks):
            raise ValueError(f"no element with action_id {action_id!r} in that view/message")
        now = f"{time.time():.6f}"
        if element is None:
            act: dict[str, Any] = {
                "action_id": action_id,
                "block_id": block_id or "b",
                "text": {"type": "plain_text", "text": "Button", "emoji": True},
                "type": "button",
                "action_ts": now,
            }
            if value is not None:
                act["value"] = value
        else:
            act = _action_for(element, block_id or "", value, now)

        payload = self._common("block_actions", team_id, user_id)
        state = _state(target.blocks, {**(state_values or {}), **_state_override(element, block_id, value)})
        trigger_view_id = None
        if target.view is not None:
            full = target.view
            full["state"] = {"values": state}
            payload["container"] = {"type": "view", "view_id": full["id"]}
            payload["view"] = full
            trigger_view_id = full["id"]
        else:
            channel = target.channel_id or channel_id
            msg = target.message or {}
            ts = msg.get("ts") or self.emulator._new_ts()
            payload["container"] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            }
            if channel:
                payload["channel"] = self._channel(channel)
            if target.message is not None and not ephemeral:
                payload["message"] = msg
            payload["state"] = {"values": state}
            payload["response_url"] = self.emulator.new_response_url(
                team_id, channel_id=channel, user_id=user_id
            )
            self.response_url = payload["response_url"]
        payload["trigger_id"] = self.emulator.issue_trigger_id(team_id, user_id, view_id=trigger_view_id)
        payload["actions"] = [act]
        return self._send_interactive(payload)

    def submit_view(
        self,
        view: dict[str, Any],
        values: dict[str, Any] | None = None,
        *,
        team_id: str = "T1",
        user_id: str = "U1",
        validate: bool = True,
    ) -> Response:
        """A view_submission of ``view`` with ``values`` (block_id -> what the user entered).

        ``view`` is the view the app sent to views.open/push/update (e.g. ``call.args["view"]``) or
        the one Slack returned; the emulator supplies its id, hash and block_ids (a view the app
        never opened, e.g. one a test altered, goes out as given: a forged request, noted in
        ``emulator.warnings``). Inputs not in
        ``values`` keep their ``initial_*`` value, else are empty. With ``validate``, raises
        ``ValueError`` where Slack's own client would refuse to submit (an empty required input,
        text shorter/longer than min/max_length, a number out of range or not a number).
        The app's answer (errors / update / push / clear) is checked and applied in the emulator.
        """
        full = self._full_view(view, team_id, user_id)
        values = dict(values or {})
        state = _state(full.get("blocks") or [], values)
        if validate:
            _check_submittable(full.get("blocks") or [], state)
        full["state"] = {"values": state}
        payload = self._common("view_submission", team_id, user_id)
        payload["trigger_id"] = self.emulator.issue_trigger_id(team_id, user_id, view_id=full["id"])
        payload["view"] = full
        payload["response_urls"] = self._response_urls(full, state, team_id, user_id)
        response = self._send_interactive(payload)
        if response.status == 200:
            ack: Any = None
            with contextlib.suppress(ValueError):
                ack = response.json()
            self.emulator.apply_view_ack(team_id, full["id"], ack)
        return response

    def _response_urls(
        self, view: dict[str, Any], state: dict[str, Any], team_id: str, user_id: str
    ) -> list[dict[str, Any]]:
        urls = []
        for block in view.get("blocks") or []:
            element = (
                block.get("element") if isinstance(block, dict) and block.get("type") == "input" else None
            )
            if not isinstance(element, dict) or not element.get("response_url_enabled"):
                continue
            entry = state.get(block.get("block_id"), {}).get(element.get("action_id"), {})
            channel = entry.get("selected_conversation") or entry.get("selected_channel")
            if channel:
                urls.append(
                    {
                        "block_id": block["block_id"],
                        "action_id": element["action_id"],
                        "channel_id": channel,
                        "response_url": self.emulator.new_response_url(
                            team_id, channel_id=channel, user_id=user_id
                        ),
                    }
                )
        return urls

    def close_view(
        self, view: dict[str, Any], *, team_id: str = "T1", user_id: str = "U1", is_cleared: bool = False
    ) -> Response:
        """view_closed: Slack sends it only for views opened with ``notify_on_close``."""
        full = self._full_view(view, team_id, user_id)
        if not full.get("notify_on_close"):
            raise ValueError("Slack sends view_closed only when the view has notify_on_close: true")
        payload = self._common("view_closed", team_id, user_id)
        payload["view"] = full
        payload["is_cleared"] = is_cleared
        return self._send_interactive(payload)

    def block_suggestion(
        self,
        action_id: str,
        value: str = "",
        *,
        block_id: str | None = None,
        team_id: str = "T1",
        user_id: str = "U1",
        view: dict[str, Any] | None = None,
        channel_id: str | None = None,
        message: dict[str, Any] | None = None,
    ) -> Response:
        """The options request of an external_select as the user types ``value``."""
        if manifest_options_url() is None:
            self.emulator._note(
                "block_suggestion",
                ["manifest.yml declares no settings.interactivity.message_menu_options_url"],
            )
        target = self._target(view, message, channel_id, team_id, user_id)
        element, block_id = _find_element(target.blocks, action_id, block_id)
        if element is None and target.blocks:
            raise ValueError(f"no element with action_id {action_id!r} in that view/message")
        payload = self._common("block_suggestion", team_id, user_id)
        if target.view is not None:
            payload["container"] = {"type": "view", "view_id": target.view["id"]}
            payload["view"] = target.view
        else:
            msg = target.message or {}
            payload["container"] = {
                "type": "message",
                "message_ts": msg.get("ts"),
                "channel_id": target.channel_id,
                "is_ephemeral": False,
            }
            if target.channel_id:
                payload["channel"] = self._channel(target.channel_id)
            if target.message is not None:
                payload["message"] = msg
        payload.update({"action_id": action_id, "block_id": block_id or "", "value": value})
        response = self._send_interactive(payload)
        if response.status == 200:
            with contextlib.suppress(ValueError):
                self.emulator._note("block_suggestion answer", suggestion_errors(response.json()))
        return response

    def shortcut(
        self,
        callback_id: str,
        *,
        team_id: str = "T1",
        user_id: str = "U1",
        message: dict[str, Any] | None = None,
        channel_id: str | None = None,
    ) -> Response:
        """A global shortcut, or with ``message`` a message shortcut (type ``message_action``)."""
        trigger_id = self.emulator.issue_trigger_id(team_id, user_id)
        team, enterprise = self._team(team_id), self._enterprise(team_id)
        if message is None:
            payload: dict[str, Any] = {
                "type": "shortcut",
                "token": self.verification_token,
                "action_ts": f"{time.time():.6f}",
                "team": team,
                "user": {"id": user_id, "username": self.emulator.user_name(user_id), "team_id": team_id},
                "is_enterprise_install": False,
                "enterprise": enterprise,
                "callback_id": callback_id,
                "trigger_id": trigger_id,
            }
        else:
            found = self.emulator.find_message(message["ts"], channel_id) if message.get("ts") else None
            if found is not None:
                channel_id, message = found
            if channel_id is None:
                raise ValueError("a message shortcut needs the message's channel_id")
            response_url = self.emulator.new_response_url(team_id, channel_id=channel_id, user_id=user_id)
            self.response_url = response_url
            payload = {
                "type": "message_action",
                "token": self.verification_token,
                "action_ts": f"{time.time():.6f}",
                "team": team,
                "user": {"id": user_id, "name": self.emulator.user_name(user_id), "team_id": team_id},
                "channel": self._channel(channel_id),
                "is_enterprise_install": False,
                "enterprise": enterprise,
                "callback_id": callback_id,
                "trigger_id": trigger_id,
                "response_url": response_url,
                "message_ts": message.get("ts"),
                "message": message,
            }
        return self._send_interactive(payload)

    # -- Events API ---------------------------------------------------------------------------------------

    def event(
        self,
        event: dict[str, Any],
        *,
        team_id: str = "T1",
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> Response:
        """An event_callback wrapping ``event`` (JSON), as the Events API delivers it."""
        event = copy.deepcopy(event)
        now = time.time()
        event.setdefault("event_ts", f"{now:.6f}")
        enterprise_id = self.emulator.team_enterprise_id(team_id)
        wrapper: dict[str, Any] = {
            "token": self.verification_token,
            "team_id": team_id,
            "enterprise_id": enterprise_id,
            "context_team_id": team_id,
            "context_enterprise_id": enterprise_id,
            "api_app_id": self.emulator.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": self.emulator._new_id("Ev"),
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": enterprise_id,
                    "team_id": team_id,
                    "user_id": self.emulator.bot_user_id(team_id),
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + self.emulator._new_id("eyJldCI6"),
        }
        if enterprise_id is None:
            del wrapper["enterprise_id"], wrapper["context_enterprise_id"]
        headers = {}
        if retry_num is not None:
            headers = {
                "X-Slack-Retry-Num": str(retry_num),
                "X-Slack-Retry-Reason": retry_reason or "http_timeout",
            }
        return self._send(json.dumps(wrapper), "application/json", wrapper, extra_headers=headers)

    def open_assistant(
        self, user_id: str, *, team_id: str = "T1", context_channel_id: str | None = None
    ) -> tuple[Response, Any]:
        """The person opens Ask Northline in the assistant panel (from a channel, or not): the
        emulator starts the thread and Slack delivers ``assistant_thread_started``."""
        thread, event = self.emulator.open_assistant_thread(team_id, user_id, context_channel_id)
        return self.event(event, team_id=team_id), thread

    def move_assistant(self, thread: Any, context_channel_id: str | None) -> Response:
        """With the panel open, the person goes to another channel: ``assistant_thread_context_changed``."""
        return self.event(
            self.emulator.move_assistant_context(thread, context_channel_id), team_id=thread.team_id
        )

    def ask_assistant(self, thread: Any, text: str) -> Response:
        """The person types ``text`` in the assistant thread: the ``message`` event (message.im)."""
        return self.event(self.emulator.type_in_assistant_thread(thread, text), team_id=thread.team_id)

    def app_home_opened(self, user_id: str = "U1", *, team_id: str = "T1", tab: str = "home") -> Response:
        """The app_home_opened event, with the user's current Home view if one was published."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.emulator.dm_channel_id(team_id, user_id),
            "tab": tab,
        }
        with contextlib.suppress(AssertionError, KeyError):
            home_id = self.emulator._home_views[(team_id, user_id)]
            event["view"] = self.emulator.view(home_id)
        return self.event(event, team_id=team_id)

    def function_executed(
        self, callback_id: str, inputs: dict[str, Any], *, team_id: str = "T1", interactor: str | None = None
    ) -> tuple[Response, FunctionExecution]:
        """A workflow reaches one of the app's custom steps: the emulator starts the run (its own
        token, its inputs) and Slack delivers ``function_executed`` to the app, signed."""
        run, event = self.emulator.start_function(callback_id, team_id, inputs, interactor=interactor)
        return self.event(event, team_id=team_id), run

    def user_change(self, user_id: str, *, team_id: str = "T1", **changes: Any) -> Response:
        """Change a user in the emulator (``status_emoji=":palm_tree:"``, ``tz=…``, ``deleted=True``)
        and deliver the ``user_change`` event Slack sends for it to the app, for ``team_id``."""
        return self.event(self.emulator.change_user(user_id, **changes), team_id=team_id)

    def url_verification(
        self, challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    ) -> Response:
        payload = {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        return self._send(json.dumps(payload), "application/json", payload)


# =================================================================================================
# view state and actions in Slack's shapes
# =================================================================================================


# Slack's own markup in a command's text: mentions, channels, broadcasts, user groups, links.
_SLACK_MARKUP = re.compile(r"<(?:[@#][A-Z0-9]+|![a-z^A-Z0-9]+|(?:https?|mailto):[^<>]*)(?:\|[^<>]*)?>")


def escaped_command_text(text: str) -> str:
    """A slash command's `text` as Slack sends it: &, < and > that a person typed arrive as
    &amp;, &lt; and &gt;; Slack's own markup (<@U1|jane>, <#C1|growth>, <https://x|label>) stays.
    (api.slack.com/interactivity/slash-commands#creating_commands "Escape channels, users, and
    links sent to your app"; api.slack.com/reference/surfaces/formatting#escaping.) Tests write
    what the person typed, with mentions in Slack's markup as the client would have made them.
    """
    out: list[str] = []
    position = 0
    for match in _SLACK_MARKUP.finditer(text):
        out.append(_escape(text[position : match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(_escape(text[position:]))
    return "".join(out)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _kind(payload: Any) -> str:
    if isinstance(payload, dict):
        return str(payload.get("type") or payload.get("command") or "request")
    return "request"


def _stateful_elements(block: Any) -> list[dict[str, Any]]:
    if not isinstance(block, dict):
        return []
    candidates: list[Any] = []
    if block.get("type") == "input":
        candidates = [block.get("element")]
    elif block.get("type") == "actions":
        candidates = list(block.get("elements") or [])
    elif block.get("type") == "section":
        candidates = [block.get("accessory")]
    return [
        e
        for e in candidates
        if isinstance(e, dict)
        and e.get("type") in INTERACTIVE_ELEMENTS
        and e.get("type") not in _NOT_STATEFUL
    ]


def _find_element(
    blocks: list[Any], action_id: str, block_id: str | None
) -> tuple[dict[str, Any] | None, str | None]:
    for block in blocks:
        if not isinstance(block, dict) or (block_id is not None and block.get("block_id") != block_id):
            continue
        elements: list[Any] = []
        if block.get("type") == "input":
            elements = [block.get("element")]
        elif block.get("type") == "actions":
            elements = list(block.get("elements") or [])
        elif block.get("type") == "section":
            elements = [block.get("accessory")]
        for element in elements:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element, block.get("block_id")
    return None, block_id


def _all_options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return [o for o in options if isinstance(o, dict)]


def _option(element: dict[str, Any], value: Any) -> dict[str, Any]:
    wanted = value.get("value") if isinstance(value, dict) else str(value)
    for option in _all_options(element):
        if option.get("value") == wanted:
            return copy.deepcopy(option)
    if element.get("type") in ("external_select", "multi_external_select"):
        if isinstance(value, dict):
            return copy.deepcopy(value)
        return {"text": {"type": "plain_text", "text": str(value), "emoji": True}, "value": str(value)}
    known = [o.get("value") for o in _all_options(element)]
    raise ValueError(f"{element.get('action_id')!r} has no option with value {wanted!r} (has {known})")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return value


def _entry(element: dict[str, Any], value: Any, given: bool) -> dict[str, Any]:
    """``view.state.values[block_id][action_id]`` for one element, as Slack builds it: the value
    given, or else the element's initial value."""
    kind = element["type"]
    entry: dict[str, Any] = {"type": kind}
    fields = _ENTRY_FIELDS.get(kind)
    if fields is not None:
        entry.update(fields(element, value, given))
    return entry


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [] if value is None else [value]


def _typed_value(element: dict[str, Any], value: Any, given: bool) -> dict[str, Any]:
    raw = value if given else element.get("initial_value")
    return {"value": None if raw is None or raw == "" else str(_plain(raw))}


def _selected_option(element: dict[str, Any], value: Any, given: bool) -> dict[str, Any]:
    if given:
        return {"selected_option": None if value is None else _option(element, value)}
    return {"selected_option": copy.deepcopy(element.get("initial_option"))}


def _selected_options(element: dict[str, Any], value: Any, given: bool) -> dict[str, Any]:
    if given:
        return {"selected_options": [_option(element, v) for v in _as_list(value)]}
    return {"selected_options": copy.deepcopy(element.get("initial_options") or [])}


def _selected_ids(element: dict[str, Any], value: Any, given: bool) -> dict[str, Any]:
    """Multi-selects of users, conversations or channels: a list of ids."""
    kind = element["type"]
    if given:
        return {_MULTI_KEYS[kind]: _as_list(value)}
    return {_MULTI_KEYS[kind]: list(element.get(_MULTI_INITIAL[kind]) or [])}


def _picked(element: dict[str, Any], value: Any, given: bool) -> dict[str, Any]:
    """Single user/conversation/channel selects and the date and time pickers."""
    kind = element["type"]
    key, initial = _SINGLE_KEYS[kind]
    fields = {key: _plain(value) if given else element.get(initial)}
    if kind == "timepicker" and element.get("timezone"):
        fields["timezone"] = element["timezone"]
    return fields


def _rich_text_value(element: dict[str, Any], value: Any, given: bool) -> dict[str, Any]:
    raw = value if given else element.get("initial_value")
    if isinstance(raw, str):
        raw = {
            "type": "rich_text",
            "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": raw}]}],
        }
    return {"rich_text_value": raw}


def _files(element: dict[str, Any], value: Any, given: bool) -> dict[str, Any]:
    return {"files": list(value or []) if given else []}


# How each stateful element type fills its state entry beyond ``type``.
_ENTRY_FIELDS: dict[str, Callable[[dict[str, Any], Any, bool], dict[str, Any]]] = {
    **dict.fromkeys(_VALUE_ELEMENTS, _typed_value),
    **dict.fromkeys(_OPTION_ELEMENTS, _selected_option),
    **dict.fromkeys(("multi_static_select", "multi_external_select", "checkboxes"), _selected_options),
    **dict.fromkeys(_MULTI_INITIAL, _selected_ids),
    **dict.fromkeys(_SINGLE_KEYS, _picked),
    "rich_text_input": _rich_text_value,
    "file_input": _files,
}


def _state(blocks: list[Any], values: dict[str, Any]) -> dict[str, Any]:
    """Build ``view.state.values`` from block_id -> value (for a block with several stateful
    elements, the value is a dict action_id -> value)."""
    known: set[str] = set()
    state: dict[str, Any] = {}
    for block in blocks:
        elements = _stateful_elements(block)
        if not elements:
            continue
        block_id = block.get("block_id")
        known.add(block_id)
        given = block_id in values
        per_action: dict[str, Any] = {}
        if given and len(elements) > 1:
            if not isinstance(values[block_id], dict):
                raise ValueError(f"block {block_id!r} has several elements: give a dict action_id -> value")
            per_action = values[block_id]
        block_state = {}
        for element in elements:
            action_id = element.get("action_id")
            if len(elements) == 1:
                block_state[action_id] = _entry(element, values.get(block_id), given)
            else:
                block_state[action_id] = _entry(element, per_action.get(action_id), action_id in per_action)
        state[block_id] = block_state
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"no input/stateful element in block(s) {sorted(unknown)}; blocks: {sorted(known)}")
    return state


def _state_override(element: dict[str, Any] | None, block_id: str | None, value: Any) -> dict[str, Any]:
    if element is None or element.get("type") in _NOT_STATEFUL or block_id is None:
        return {}
    return {block_id: value}


def _action_for(element: dict[str, Any], block_id: str, value: Any, action_ts: str) -> dict[str, Any]:
    kind = element["type"]
    act: dict[str, Any] = {"type": kind, "action_id": element.get("action_id"), "block_id": block_id}
    if kind == "button":
        if value is not None and "value" in element and value != element["value"]:
            raise ValueError(
                f"button {element.get('action_id')!r} carries value {element['value']!r}, not {value!r}"
            )
        act["text"] = copy.deepcopy(element.get("text"))
        if "value" in element or value is not None:
            act["value"] = element.get("value", value)
        if element.get("style"):
            act["style"] = element["style"]
        if element.get("url"):
            act["url"] = element["url"]
    elif kind == "overflow":
        act["selected_option"] = _option(element, value)
    elif kind == "workflow_button":
        act["text"] = copy.deepcopy(element.get("text"))
    else:
        entry = _entry(element, value, True)
        entry.pop("type")
        act.update(entry)
        for key in ("placeholder", "initial_option", "initial_date", "initial_time", "initial_user"):
            if key in element:
                act[key] = copy.deepcopy(element[key])
    act["action_ts"] = action_ts
    return act


def _check_submittable(blocks: list[Any], state: dict[str, Any]) -> None:
    """Refuse what Slack's client refuses to submit."""
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") != "input":
            continue
        element = block.get("element") or {}
        entry = state.get(block.get("block_id"), {}).get(element.get("action_id"), {})
        filled = {k: v for k, v in entry.items() if k not in ("type", "timezone")}
        empty = all(v in (None, "", [], {}) for v in filled.values())
        label = f"input {block.get('block_id')!r}"
        if empty:
            if not block.get("optional"):
                _refuse(label, "is required and empty")
            continue
        check = _SUBMIT_CHECKS.get(element.get("type"))
        if check is not None:
            check(element, entry["value"], label)
        _check_max_selected(element, entry, label)


def _refuse(label: str, why: str) -> NoReturn:
    raise ValueError(f"Slack would not submit: {label} {why}")


def _check_text_length(element: dict[str, Any], text: str, label: str) -> None:
    if len(text) < int(element.get("min_length", 0)):
        _refuse(label, "is shorter than min_length")
    if len(text) > int(element.get("max_length", 3000)):
        _refuse(label, "is longer than max_length")


def _check_number(element: dict[str, Any], text: str, label: str) -> None:
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is None:
        _refuse(label, "is not a number")
    if not element.get("is_decimal_allowed") and not number.is_integer():
        _refuse(label, "must be a whole number")
    if "min_value" in element and number < float(element["min_value"]):
        _refuse(label, "is below min_value")
    if "max_value" in element and number > float(element["max_value"]):
        _refuse(label, "is above max_value")


def _check_email(element: dict[str, Any], text: str, label: str) -> None:
    if "@" not in text:
        _refuse(label, "is not an email address")


def _check_url(element: dict[str, Any], text: str, label: str) -> None:
    if not text.startswith(("http://", "https://")):
        _refuse(label, "is not a URL")


# What Slack's client checks in a filled text input of each type before it submits.
_SUBMIT_CHECKS: dict[str, Callable[[dict[str, Any], str, str], None]] = {
    "plain_text_input": _check_text_length,
    "number_input": _check_number,
    "email_text_input": _check_email,
    "url_text_input": _check_url,
}


def _check_max_selected(element: dict[str, Any], entry: dict[str, Any], label: str) -> None:
    max_items = element.get("max_selected_items")
    if max_items is None:
        return
    for key in ("selected_options", "selected_users", "selected_conversations", "selected_channels"):
        if key in entry and len(entry[key]) > max_items:
            _refuse(label, "has more than max_selected_items")


# =================================================================================================
# serving a WSGI app
# =================================================================================================


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True

    def server_bind(self) -> None:  # no reverse DNS lookup
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)
        self.setup_environ()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve_wsgi(app: Callable[..., Any], path: str = "/slack/events") -> Iterator[str]:
    """Serve a WSGI app on 127.0.0.1 (port 0) in a thread; yields ``http://127.0.0.1:P{path}``."""
    server = make_server("127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="wsgi-app", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{path}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
