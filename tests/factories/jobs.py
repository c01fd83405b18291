"""Scheduled posts: schedules, the clock's Slack clients, and what the jobs sent."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import select

from bot.jobs.pacing import Pacer
from bot.jobs.posting import build_clock_client
from storage.models import Delivery, Schedule
from tests.conftest import ALICE, OTHER_TEAM, OTHER_TOKEN, TEAM, TOKEN
from tests.factories.rows import added


def clients(emulator, stop: threading.Event | None = None):
    """client_for(workspace): the clock's client (20 rate-limit retries) with that team's token."""
    built = {
        TEAM: build_clock_client(TOKEN, emulator.base_url, stop=stop),
        OTHER_TEAM: build_clock_client(OTHER_TOKEN, emulator.base_url, stop=stop),
    }
    return lambda workspace: built[workspace.team_id]


def make_schedule(
    db, workspace_id: int, kind, *, weekday: int, time_of_day: str, set_by=ALICE, **fields
) -> int:
    """A schedule row of `kind` (check-in, digest, sprint), as `/okr schedule` would store it."""
    with db.session() as session:
        schedule = Schedule(
            workspace_id=workspace_id,
            kind=kind,
            weekday=weekday,
            time_of_day=time_of_day,
            set_by=set_by,
            **fields,
        )
        return added(session, schedule).id


def dms(emulator, ok: bool = True) -> Counter:
    """Successful chat.postMessage calls per target (a user id for DMs)."""
    return Counter(c.args.get("channel") for c in emulator.calls_to("chat.postMessage", ok=ok))


def deliveries(db, kind: str | None = None) -> list[Delivery]:
    with db.session() as session:
        query = select(Delivery).order_by(Delivery.id)
        if kind:
            query = query.where(Delivery.kind == kind)
        return list(session.scalars(query))


def channel_posts(emulator, channel):
    return [c for c in emulator.calls_to("chat.postMessage", ok=True) if c.args.get("channel") == channel]


def team_clients(emulator, pacer: Pacer | None = None, stop=None):
    """client_for(workspace), as the clock builds it: each workspace its own token and client."""
    built: dict[str, object] = {}
    lock = threading.Lock()

    def client_for(workspace):
        token = TOKEN if workspace.team_id == TEAM else f"xoxb-{workspace.team_id.lower()}"
        with lock:
            if workspace.team_id not in built:
                built[workspace.team_id] = build_clock_client(
                    token, emulator.base_url, stop=stop, pacer=pacer, pace_key=workspace.team_id
                )
            return built[workspace.team_id]

    return client_for


def hooked_clients(client_for, *, before=None, after=None):
    """`client_for` whose clients call `before(n)` ahead of, and `after(n)` behind, the n-th
    chat.postMessage (counted across every client it makes): to stop, crash or cut a run at an
    exact post. Set NORTHLINE_POSTS_IN_FLIGHT=1 for "the n-th" to be exact."""
    count = {"posts": 0}
    lock = threading.Lock()

    class Hooked:
        def __init__(self, client):
            self.client = client

        def __getattr__(self, name):
            return getattr(self.client, name)

        def chat_postMessage(self, **kwargs):
            with lock:
                count["posts"] += 1
                n = count["posts"]
            if before is not None:
                before(n)
            answer = self.client.chat_postMessage(**kwargs)
            if after is not None:
                after(n)
            return answer

    return lambda workspace: Hooked(client_for(workspace))
