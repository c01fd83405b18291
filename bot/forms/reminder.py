"""A click in the weekly reminder DM (block_actions on a message): which key result, what the
message lists, the confidence picked in its row, and where the message is."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bot.domain.progress import Confidence
from bot.errors import Invalid
from bot.ids import Action, Block

_ROW = re.compile("^" + Block.REMINDER_ROW.value.replace("{id}", r"(\d{1,18})") + "$")
_ANY = re.compile(r"^reminder_(\d{1,18})_(?:row|value|buttons)$")
MESSAGE_BLOCKS = 50  # a message holds no more; what a payload says beyond that is not ours
STALE = "This reminder is out of date; check in with `/okr checkin`."


@dataclass(frozen=True)
class ReminderClick:
    key_result_id: int
    listed: list[int]  # the key results the message lists, in its order
    confidence: Confidence | None  # picked in the key result's row; None: not given
    channel_id: str
    message_ts: str
    value_text: str | None  # typed in the message (dispatch_action); None for a button

    @property
    def message_key(self) -> str:
        return f"{self.channel_id}:{self.message_ts}"


def parse_click(body: dict) -> ReminderClick:
    """Raise Invalid when the payload does not come from a reminder Northline sent."""
    action = (body.get("actions") or [{}])[0]
    matched = _ANY.match(str(action.get("block_id") or ""))
    container = body.get("container") or {}
    channel_id = container.get("channel_id") or (body.get("channel") or {}).get("id")
    message_ts = container.get("message_ts")
    if matched is None or not channel_id or not message_ts:
        raise Invalid(STALE)
    key_result_id = int(matched.group(1))
    blocks = (body.get("message") or {}).get("blocks") or []
    listed = [
        int(m.group(1)) for b in blocks[:MESSAGE_BLOCKS] if (m := _ROW.match(str(b.get("block_id") or "")))
    ]
    if key_result_id not in listed:
        listed.append(key_result_id)
    typed = action.get("action_id") == Action.REMINDER_VALUE
    value_text = str(action.get("value") or "") if typed else None
    return ReminderClick(
        key_result_id=key_result_id,
        listed=listed,
        confidence=_confidence(body, key_result_id),
        channel_id=str(channel_id),
        message_ts=str(message_ts),
        value_text=value_text,
    )


def _confidence(body: dict, key_result_id: int) -> Confidence | None:
    values = ((body.get("state") or {}).get("values") or {}).get(
        Block.REMINDER_ROW.of(id=key_result_id)
    ) or {}
    picked = (values.get(Action.REMINDER_CONFIDENCE) or {}).get("selected_option") or {}
    try:
        return Confidence(picked.get("value")) if picked.get("value") else None
    except ValueError:
        return None


_WEEK = re.compile(r"^\d{4}-W\d{2}$", re.ASCII)


@dataclass(frozen=True)
class SnoozeClick:
    """*Remind me later today*, *Tomorrow* or *Skip this week*: which, for which week, where."""

    action: str
    period: str  # "2026-W49"
    channel_id: str
    message_ts: str


def parse_snooze(body: dict) -> SnoozeClick:
    """Raise Invalid when the payload does not come from a reminder Northline sent."""
    action = (body.get("actions") or [{}])[0]
    container = body.get("container") or {}
    channel_id = container.get("channel_id") or (body.get("channel") or {}).get("id")
    message_ts = container.get("message_ts")
    period = str(action.get("value") or "")
    if not _WEEK.match(period) or not channel_id or not message_ts:
        raise Invalid(STALE)
    return SnoozeClick(str(action.get("action_id")), period, str(channel_id), str(message_ts))


@dataclass(frozen=True)
class ReminderOrigin:
    """The reminder DM a check-in form was opened from (*Add a note*), kept in its metadata."""

    channel_id: str
    message_ts: str
    listed: list[int]

    def metadata(self) -> str:
        return json.dumps(
            {
                "reminder": {
                    "channel": self.channel_id,
                    "ts": self.message_ts,
                    "listed": self.listed[:MESSAGE_BLOCKS],
                }
            }
        )


def origin_of_click(click: ReminderClick) -> ReminderOrigin:
    return ReminderOrigin(click.channel_id, click.message_ts, click.listed)


def parse_origin(view: dict) -> ReminderOrigin | None:
    """The reminder a submitted form came from; None for a form opened anywhere else."""
    try:
        found = json.loads(view.get("private_metadata") or "{}").get("reminder")
        channel, ts, listed = found["channel"], found["ts"], found["listed"]
    except (ValueError, AttributeError, KeyError, TypeError):
        return None
    if not (isinstance(channel, str) and isinstance(ts, str) and isinstance(listed, list)):
        return None
    ids = [i for i in listed[:MESSAGE_BLOCKS] if isinstance(i, int) and not isinstance(i, bool)]
    return ReminderOrigin(channel, ts, ids)
