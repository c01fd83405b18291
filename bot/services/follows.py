"""Following an objective one does not own: `/okr follow OBJ-3` (its weekly movement in the
person's check-in reminder), `/okr follow OBJ-3 #channel` (it joins that channel's digest), and
`/okr unfollow`.

What following may show: every member of the workspace can already read any of its objectives
(`/okr show`, `/okr list all`), so following shows a person nothing new. A channel follow puts the
objective in front of the channel: only someone who may post there decides that, which Northline
checks as "ran the command in that channel" (Slack runs a slash command only where the person
can post) or "is a workspace admin" (the member cache's flag, refreshed before the command runs).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.domain.references import RefKind, format_ref
from bot.errors import Forbidden, Invalid
from bot.services import okrs
from bot.services.members import stored_member
from storage.models import FollowerKind, Objective, Status, Workspace
from storage.repositories import follows as repo

CHANNEL_RIGHT = (
    "Only someone who can post in <#{channel}> decides what its digest shows: run "
    "`/okr follow {ref} #channel` in that channel itself, or ask a workspace admin."
)


@dataclass(frozen=True)
class FollowResult:
    objective: Objective
    channel_id: str | None  # None: the person follows it
    changed: bool  # False: it already followed (follow) or did not (unfollow); nothing was written


def follow(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    reference: str,
    *,
    channel_id: str | None = None,
    invoked_in: str | None = None,
) -> FollowResult:
    """The person (or, with `channel_id`, that channel) follows the objective."""
    objective = okrs.find_objective(session, workspace, reference)
    ref = format_ref(RefKind.OBJ, objective.number)
    if objective.status != Status.ACTIVE:
        raise Invalid(f"{ref} is {objective.status.value}: only an active objective can be followed.")
    if channel_id is None:
        changed = repo.add(session, workspace.id, objective.id, FollowerKind.PERSON, actor_id, actor_id)
        return FollowResult(objective, None, changed)
    _require_channel_right(session, workspace, actor_id, channel_id, invoked_in, ref)
    if objective.channel_id == channel_id:
        raise Invalid(f"{ref} belongs to <#{channel_id}>: it is in that channel's digest already.")
    changed = repo.add(session, workspace.id, objective.id, FollowerKind.CHANNEL, channel_id, actor_id)
    return FollowResult(objective, channel_id, changed)


def unfollow(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    reference: str,
    *,
    channel_id: str | None = None,
    invoked_in: str | None = None,
) -> FollowResult:
    """The person (or that channel) stops following the objective, whatever its state now."""
    objective = okrs.find_objective(session, workspace, reference)
    if channel_id is not None:
        ref = format_ref(RefKind.OBJ, objective.number)
        _require_channel_right(session, workspace, actor_id, channel_id, invoked_in, ref)
    changed = repo.remove(session, workspace.id, objective.id, channel_id or actor_id)
    return FollowResult(objective, channel_id, changed)


def is_following(session: Session, workspace: Workspace, user_id: str, objective: Objective) -> bool:
    return repo.is_following(session, workspace.id, objective.id, user_id)


def _require_channel_right(
    session: Session, workspace: Workspace, actor_id: str, channel_id: str, invoked_in: str | None, ref: str
) -> None:
    if invoked_in == channel_id:
        return
    row = stored_member(session, workspace, actor_id)
    if row is None or not row.is_admin:
        raise Forbidden(CHANNEL_RIGHT.format(channel=channel_id, ref=ref))
