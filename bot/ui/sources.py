"""Words about data sources: pure functions, no secrets (bindings hold variable names only)."""

from __future__ import annotations

from bot.ids import Block, Callback
from bot.ui.blocks import amount, ephemeral, user_text
from bot.ui.inputs import modal, note, select_input, text_input

USAGE = (
    "`/okr sync KR-7` (or `KPI-3`) reads its bound data source now and records the number. "
    "Bind a source in the OKRs-as-code file (`source:` under a key result; see examples/okrs.yaml)."
)


# A source's failure message quotes what it read (an address, a pointer, an answer): shown as text.
ERROR_CHARS = 500


def synced_message(ref: str, value: float, unit: str, recorded: bool, previous: float | None) -> dict:
    shown = amount(value, unit)
    if not recorded:
        return ephemeral(f"Synced `{ref}`: still {shown}, so nothing new was recorded.")
    was = f" (was {amount(previous, unit)})" if previous is not None else ""
    return ephemeral(f"Synced `{ref}`: {shown}{was}, recorded as an automatic check-in.")


def failed_message(ref: str, error: str) -> dict:
    return ephemeral(f"Could not sync `{ref}`: {user_text(error, ERROR_CHARS)}. Nothing was recorded.")


def not_bound_message(ref: str) -> dict:
    return ephemeral(f"`{ref}` has no data source bound to it. {USAGE}")


def failure_dm(ref: str, title: str, error: str) -> str:
    return (
        f":warning: The data source of `{ref}` {user_text(title, 150)} failed: {user_text(error, ERROR_CHARS)}. "
        "Its number is not updating; "
        "Northline keeps trying every hour and tells you again only after it has worked once more. "
        f"`/okr sync {ref}` tries now."
    )


NONE = "none"
KIND_CHOICES = [(NONE, "No source: people check in"), ("sql", "SQL query"), ("http", "HTTP, JSON answer")]


def source_modal(ref: str, binding, private_metadata: str) -> dict:
    """The *Data source* form of one key result or KPI, prefilled from its binding (or empty)."""

    def now(name: str) -> str | None:
        value = getattr(binding, name, None) if binding is not None else None
        return None if value is None else str(value)

    blocks = [
        note(
            f"Where the number of `{ref}` comes from. Secrets stay in the server's environment: name the "
            "variable that holds them (it must start with `NORTHLINE_SOURCE_`), never the secret itself."
        ),
        select_input(Block.SOURCE_KIND, "Source", KIND_CHOICES, initial=now("kind") or NONE),
        text_input(
            Block.SOURCE_ENV,
            "Environment variable",
            initial=now("env"),
            max_length=100,
            optional=True,
            placeholder="NORTHLINE_SOURCE_SALES_URL",
            hint="sql: the variable holding the database URL. http: the one holding the header's value.",
        ),
        text_input(
            Block.SOURCE_QUERY,
            "SQL query (sql)",
            initial=now("query"),
            max_length=3000,
            multiline=True,
            optional=True,
            placeholder="SELECT SUM(amount) FROM orders WHERE paid",
            hint="One statement, one row, one number; run read-only with a 10-second timeout.",
        ),
        text_input(
            Block.SOURCE_URL,
            "URL (http)",
            initial=now("url"),
            max_length=2000,
            optional=True,
            placeholder="https://metrics.example.com/api/funnel",
        ),
        text_input(
            Block.SOURCE_POINTER,
            "JSON pointer to the number (http)",
            initial=now("pointer"),
            max_length=500,
            optional=True,
            placeholder="/data/total",
        ),
        text_input(
            Block.SOURCE_HEADER,
            "Header (http, optional)",
            initial=now("header"),
            max_length=100,
            optional=True,
            placeholder="Authorization",
            hint="Sent with the value of the variable above.",
        ),
        text_input(
            Block.SOURCE_EVERY, "Minutes between syncs", initial=now("every_minutes") or "60", max_length=5
        ),
    ]
    return modal(Callback.SOURCE, "Data source", blocks, private_metadata=private_metadata)


def bound_message(ref: str, spec) -> str:
    if spec is None:
        return f"`{ref}` has no data source now; people check in as before."
    return (
        f"`{ref}` now updates itself from its {spec.kind.value} source every {spec.every} minutes. "
        f"`/okr sync {ref}` tries it now."
    )
