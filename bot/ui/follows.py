"""Answers to `/okr follow` and `/okr unfollow`, and the *Follow* button of `/okr show`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain.references import RefKind, format_ref
from bot.ids import Action
from bot.ui.blocks import button, ephemeral, user_text

if TYPE_CHECKING:
    from bot.services.follows import FollowResult


def _named(result: FollowResult) -> str:
    objective = result.objective
    return f"`{format_ref(RefKind.OBJ, objective.number)}` {user_text(objective.title, 150)}"


def followed(result: FollowResult) -> dict:
    named = _named(result)
    if result.channel_id:
        if not result.changed:
            return ephemeral(f"<#{result.channel_id}> already follows {named}.")
        return ephemeral(
            f"<#{result.channel_id}> now follows {named}: it joins the channel's weekly digest "
            "(Northline posts there once invited: `/invite @Northline`). "
            f"`/okr unfollow {format_ref(RefKind.OBJ, result.objective.number)} #channel` takes it out."
        )
    if not result.changed:
        return ephemeral(f"You already follow {named}.")
    return ephemeral(
        f"You now follow {named}: its movement over the week comes with your weekly check-in reminder. "
        f"`/okr unfollow {format_ref(RefKind.OBJ, result.objective.number)}` stops it."
    )


def unfollowed(result: FollowResult) -> dict:
    named = _named(result)
    who = f"<#{result.channel_id}>" if result.channel_id else "You"
    if not result.changed:
        verb = "doesn't" if result.channel_id else "don't"
        return ephemeral(f"{who} {verb} follow {named}; nothing changed.")
    return ephemeral(f"{who} no longer follow{'s' if result.channel_id else ''} {named}.")


def follow_button(reference: str, following: bool) -> dict:
    """*Follow* (or *Unfollow*) for the objective `reference` ("OBJ-3")."""
    if following:
        return button("Unfollow", Action.UNFOLLOW_OBJECTIVE, reference)
    return button("Follow", Action.FOLLOW_OBJECTIVE, reference)
