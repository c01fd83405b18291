"""Words about data sources: pure functions, no secrets (bindings hold variable names only)."""

from __future__ import annotations

from bot.domain.numbers import format_number
from bot.ui.blocks import ephemeral

USAGE = (
    "`/okr sync KR-7` (or `KPI-3`) reads its bound data source now and records the number. "
    "Bind a source in the OKRs-as-code file (`source:` under a key result; see examples/okrs.yaml)."
)


def synced_message(ref: str, value: float, unit: str, recorded: bool, previous: float | None) -> dict:
    shown = format_number(value, unit)
    if not recorded:
        return ephemeral(f"Synced `{ref}`: still {shown}, so nothing new was recorded.")
    was = f" (was {format_number(previous, unit)})" if previous is not None else ""
    return ephemeral(f"Synced `{ref}`: {shown}{was}, recorded as an automatic check-in.")


def failed_message(ref: str, error: str) -> dict:
    return ephemeral(f"Could not sync `{ref}`: {error}. Nothing was recorded.")


def not_bound_message(ref: str) -> dict:
    return ephemeral(f"`{ref}` has no data source bound to it. {USAGE}")


def failure_dm(ref: str, title: str, error: str) -> str:
    return (
        f":warning: The data source of `{ref}` {title} failed: {error}. Its number is not updating; "
        "Northline keeps trying every hour and tells you again only after it has worked once more. "
        f"`/okr sync {ref}` tries now."
    )


def automatic_note() -> str:
    return "automatic"
