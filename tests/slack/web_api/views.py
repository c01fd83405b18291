"""views.open/push/update/publish, trigger ids, and the view stack a submission's ack changes."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.slack.records import Call, _invalid_arguments, _SlackError, _Token


@dataclass
class _View:
    id: str
    team_id: str
    user_id: str | None
    sent: dict[str, Any]
    view: dict[str, Any]
    closed: bool = False


@dataclass
class _Trigger:
    issued: float
    team_id: str | None
    user_id: str | None
    view_id: str | None
    used: bool = False


def _public_view(view: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in view.items() if not k.startswith("_")}


@dataclass
class _Ack:
    """A view_submission's ack, with the view it answers (None if Slack holds no such view)."""

    team_id: str
    view_id: str
    stored: _View | None
    body: dict[str, Any]
    source: str


def _input_errors_violations(errors: Any, input_ids: set[Any]) -> list[str]:
    """What is wrong with a response_action=errors ack's ``errors``, given the view's input
    block_ids."""
    if not isinstance(errors, dict) or not errors:
        return ["response_action=errors needs a non-empty errors object"]
    found = []
    for key, message in errors.items():
        if key not in input_ids:
            found.append(f"errors key {key!r} is not the block_id of an input block")
        if not isinstance(message, str) or not message:
            found.append(f"errors[{key!r}] must be a non-empty string")
    return found


class ViewsApi:
    """views.open/push/update/publish, trigger ids, and the view stack a submission's ack changes. Mixed
    into ``SlackEmulator``; ``self`` is the emulator."""

    def apply_view_ack(
        self, team_id: str, view_id: str, ack: Any, *, source: str = "view_submission ack"
    ) -> list[str]:
        """What Slack does with the app's answer to a view_submission: check it, then update /
        push / clear / close. Called by SignedClient; returns the violations found."""
        with self._lock:
            stored = self._views.get(view_id)
            if not isinstance(ack, dict) or not ack.get("response_action"):
                if stored is not None:
                    stored.closed = True
                return []
            action = ack["response_action"]
            apply = _ACK_ACTIONS.get(action)
            if apply is None:
                found = [f"unknown response_action {action!r}"]
                self._note(source, found)
                return found
            return apply(self, _Ack(team_id, view_id, stored, ack, source))

    def _ack_errors(self, ack: _Ack) -> list[str]:
        """response_action=errors: an error message per input block of the view."""
        stored = ack.stored
        input_ids = {
            b.get("block_id")
            for b in (stored.view.get("blocks") or [] if stored else [])
            if isinstance(b, dict) and b.get("type") == "input"
        }
        found = _input_errors_violations(ack.body.get("errors"), input_ids)
        self._note(ack.source, found)
        return found

    def _ack_modal_errors(self, ack: _Ack) -> list[str]:
        """What is wrong with the modal an update or push ack carries, noted."""
        view = ack.body.get("view")
        found = self.check_view(ack.source, view)
        if not found and isinstance(view, dict) and view.get("type") != "modal":
            found = ["must be one of: modal [json-pointer:/view/type]"]
            self._note(ack.source, found)
        return found

    def _ack_token(self, team_id: str) -> _Token:
        tok = next((t for t in self._tokens.values() if t.team_id == team_id), None)
        return tok or _Token("", team_id, "UBOT", "B1", None)

    def _ack_update(self, ack: _Ack) -> list[str]:
        """response_action=update: the ack's modal replaces the submitted one, in place."""
        found = self._ack_modal_errors(ack)
        if found or ack.stored is None:
            return found
        self._store_view(
            self._ack_token(ack.team_id),
            ack.body["view"],
            view_id=ack.view_id,
            root_view_id=ack.stored.view["root_view_id"],
            previous_view_id=ack.stored.view["previous_view_id"],
            user_id=ack.stored.user_id,
        )
        return []

    def _ack_push(self, ack: _Ack) -> list[str]:
        """response_action=push: the ack's modal goes on top of the submitted one, at most 3 deep."""
        found = self._ack_modal_errors(ack)
        if found or ack.stored is None:
            return found
        if self._stack_depth(ack.view_id) >= 3:
            found = ["push_limit_reached: a modal stack holds at most 3 views"]
            self._note(ack.source, found)
            return found
        self._store_view(
            self._ack_token(ack.team_id),
            ack.body["view"],
            root_view_id=ack.stored.view["root_view_id"],
            previous_view_id=ack.view_id,
            user_id=ack.stored.user_id,
        )
        return []

    def _ack_clear(self, ack: _Ack) -> list[str]:
        """response_action=clear: every view of the submitted one's stack closes."""
        if ack.stored is not None:
            root = ack.stored.view["root_view_id"]
            for v in self._views.values():
                if v.view.get("root_view_id") == root:
                    v.closed = True
        return []

    def last_view(
        self, callback_id: str | None = None, *, team_id: str | None = None, type: str | None = None
    ) -> dict[str, Any]:
        """The latest view opened/pushed/updated/published, as Slack holds it (id, hash, block_ids)."""
        with self._lock:
            for stored in sorted(self._views.values(), key=lambda v: v.view["_seq"], reverse=True):
                v = stored.view
                if callback_id is not None and v.get("callback_id") != callback_id:
                    continue
                if team_id is not None and v.get("team_id") != team_id:
                    continue
                if type is not None and v.get("type") != type:
                    continue
                return _public_view(v)
        raise AssertionError(f"no view with callback_id={callback_id!r} team_id={team_id!r} type={type!r}")

    def view(self, view_id: str) -> dict[str, Any]:
        with self._lock:
            return _public_view(self._views[view_id].view)

    def resolve_view(self, view: dict[str, Any], *, user_id: str | None = None) -> dict[str, Any]:
        """The full view Slack holds for a view dict: by ``id``, else the latest one the app sent
        exactly like this (preferring one opened for ``user_id``)."""
        with self._lock:
            if view.get("id") in self._views:
                return _public_view(self._views[view["id"]].view)
            matches = sorted(
                (v for v in self._views.values() if v.sent == view),
                key=lambda v: (user_id is not None and v.user_id == user_id, v.view["_seq"]),
                reverse=True,
            )
            if matches:
                return _public_view(matches[0].view)
        raise AssertionError(
            "this view is not open in the emulator: never sent to views.open/push/update/publish, "
            "or since replaced by views.update / a response_action (use emulator.last_view())"
        )

    def forge_view(self, view: dict[str, Any], team_id: str) -> dict[str, Any]:
        """A full view (id, hash, block_ids...) for a view dict the app never opened, as a forged
        request would carry it. Not stored; the emulator warns."""
        with self._lock:
            tok = next((t for t in self._tokens.values() if t.team_id == team_id), None)
            bot_id = tok.bot_id if tok else "B1"
            v = self._normalize_view(copy.deepcopy(view))
            view_id = v.get("id") or self._new_id("V")
            full = {
                "id": view_id,
                "team_id": team_id,
                "type": v.get("type", "modal"),
                "blocks": v.get("blocks", []),
                "private_metadata": v.get("private_metadata", ""),
                "callback_id": v.get("callback_id", ""),
                "state": {"values": {}},
                "hash": v.get("hash") or self._new_hash(),
                "title": v.get("title"),
                "clear_on_close": bool(v.get("clear_on_close", False)),
                "notify_on_close": bool(v.get("notify_on_close", False)),
                "close": v.get("close"),
                "submit": v.get("submit"),
                "previous_view_id": v.get("previous_view_id"),
                "root_view_id": v.get("root_view_id") or view_id,
                "app_id": self.app_id,
                "external_id": v.get("external_id", ""),
                "app_installed_team_id": team_id,
                "bot_id": bot_id,
            }
            self.warnings.append(f"view {view_id} was never opened by the app: sent as a forged request")
            return full

    def issue_trigger_id(
        self, team_id: str | None = None, user_id: str | None = None, *, view_id: str | None = None
    ) -> str:
        """A trigger_id as Slack puts in interactive payloads; views.open/push with it later than
        ``trigger_ttl`` seconds answers ``expired_trigger_id``, a second use ``exchanged_trigger_id``."""
        with self._lock:
            trigger_id = f"{1_700_000_000 + next(self._seq)}.{self._rng.randrange(10**9, 10**10)}."
            trigger_id += "".join(self._rng.choices("0123456789abcdef", k=32))
            self._triggers[trigger_id] = _Trigger(time.perf_counter(), team_id, user_id, view_id)
            return trigger_id

    # views

    def _view_arg(self, call: Call, *, home: bool) -> dict[str, Any]:
        view = call.args.get("view")
        if view is None:
            raise _invalid_arguments("missing required field: view")
        if not isinstance(view, dict):
            self._note(call.method, ["view is not a JSON object"])
            raise _invalid_arguments("failed to match all allowed schemas [json-pointer:/view]")
        errors = self.check_view(call.method, view)
        if not errors and home and view.get("type") != "home":
            errors = ["must be one of: home [json-pointer:/view/type]"]
            self._note(call.method, errors)
        if not errors and not home and view.get("type") != "modal":
            errors = ["must be one of: modal [json-pointer:/view/type]"]
            self._note(call.method, errors)
        if errors:
            raise _invalid_arguments(*errors)
        return view

    def _use_trigger(self, call: Call) -> _Trigger | None:
        trigger_id = call.args.get("trigger_id") or call.args.get("interactivity_pointer")
        if not trigger_id:
            raise _invalid_arguments("missing required field: trigger_id")
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            return None
        if trigger.used:
            raise _SlackError("exchanged_trigger_id")
        if self.trigger_ttl is not None and time.perf_counter() - trigger.issued > self.trigger_ttl:
            self._note(call.method, [f"trigger_id used after {self.trigger_ttl}s (expired_trigger_id)"])
            raise _SlackError("expired_trigger_id")
        trigger.used = True
        return trigger

    def _store_view(
        self,
        tok: _Token,
        sent: dict[str, Any],
        *,
        view_id: str | None = None,
        root_view_id: str | None = None,
        previous_view_id: str | None = None,
        user_id: str | None = None,
    ) -> dict[str, Any]:
        view_id = view_id or self._new_id("V")
        v = self._normalize_view(copy.deepcopy(sent))
        full: dict[str, Any] = {
            "id": view_id,
            "team_id": tok.team_id,
            "type": v.get("type"),
            "blocks": v.get("blocks", []),
            "private_metadata": v.get("private_metadata", ""),
            "callback_id": v.get("callback_id", ""),
            "state": {"values": {}},
            "hash": self._new_hash(),
            "title": v.get("title"),
            "clear_on_close": bool(v.get("clear_on_close", False)),
            "notify_on_close": bool(v.get("notify_on_close", False)),
            "close": v.get("close"),
            "submit": v.get("submit"),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id or view_id,
            "app_id": self.app_id,
            "external_id": v.get("external_id", ""),
            "app_installed_team_id": tok.team_id,
            "bot_id": tok.bot_id,
        }
        if full["type"] == "home" and full["title"] is None:
            full["title"] = {"type": "plain_text", "text": "View Title", "emoji": True}
        if v.get("submit_disabled") is not None:
            full["submit_disabled"] = v["submit_disabled"]
        full["_seq"] = next(self._seq)
        self._views[view_id] = _View(view_id, tok.team_id, user_id, copy.deepcopy(sent), full)
        return _public_view(full)

    def _normalize_view(self, view: dict[str, Any]) -> dict[str, Any]:
        self._normalize_blocks(view.get("blocks"))
        for key in ("title", "submit", "close"):
            self._normalize_node(view.get(key))
        return view

    def _stack_depth(self, view_id: str | None) -> int:
        depth = 0
        while view_id is not None and view_id in self._views:
            depth += 1
            view_id = self._views[view_id].view.get("previous_view_id")
        return depth

    def _views_open(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        view = self._view_arg(call, home=False)
        trigger = self._use_trigger(call)
        return {"ok": True, "view": self._store_view(tok, view, user_id=trigger.user_id if trigger else None)}

    def _views_push(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        view = self._view_arg(call, home=False)
        trigger = self._use_trigger(call)
        previous = trigger.view_id if trigger else None
        if previous is not None and self._views[previous].view.get("type") == "home":
            previous = None
        if previous is not None and self._stack_depth(previous) >= 3:
            raise _SlackError("push_limit_reached")
        root = self._views[previous].view["root_view_id"] if previous else None
        stored = self._store_view(
            tok,
            view,
            root_view_id=root,
            previous_view_id=previous,
            user_id=trigger.user_id if trigger else None,
        )
        return {"ok": True, "view": stored}

    def _find_view(self, call: Call, tok: _Token) -> _View:
        view_id, external_id = call.args.get("view_id"), call.args.get("external_id")
        if not view_id and not external_id:
            raise _invalid_arguments("must provide view_id or external_id")
        for stored in self._views.values():
            if stored.team_id != tok.team_id:
                continue
            if (view_id and stored.id == view_id) or (
                external_id and stored.view.get("external_id") == external_id
            ):
                return stored
        raise _SlackError("not_found")

    def _views_update(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        stored = self._find_view(call, tok)
        home = stored.view.get("type") == "home"
        view = self._view_arg(call, home=home)
        if call.args.get("hash") and call.args["hash"] != stored.view["hash"]:
            raise _SlackError("hash_conflict")
        new = self._store_view(
            tok,
            view,
            view_id=stored.id,
            root_view_id=stored.view["root_view_id"],
            previous_view_id=stored.view["previous_view_id"],
            user_id=stored.user_id,
        )
        return {"ok": True, "view": new}

    def _views_publish(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        user_id = call.args.get("user_id")
        if not user_id:
            raise _invalid_arguments("missing required field: user_id")
        user = self._users.get(user_id)
        if user is not None and not self._same_org(user.team_id, tok.team_id):
            raise _SlackError("user_not_found")
        view = self._view_arg(call, home=True)
        key = (tok.team_id, user_id)
        existing = self._home_views.get(key)
        if existing and call.args.get("hash") and call.args["hash"] != self._views[existing].view["hash"]:
            raise _SlackError("hash_conflict")
        stored = self._store_view(tok, view, view_id=existing, user_id=user_id)
        self._home_views[key] = stored["id"]
        return {"ok": True, "view": stored}


# What Slack does for each response_action of a view_submission ack.
_ACK_ACTIONS: dict[str, Callable[[ViewsApi, _Ack], list[str]]] = {
    "errors": ViewsApi._ack_errors,
    "update": ViewsApi._ack_update,
    "push": ViewsApi._ack_push,
    "clear": ViewsApi._ack_clear,
}
