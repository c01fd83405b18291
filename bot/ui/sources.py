"""Words about data sources: pure functions, no secrets (bindings name a declared connection)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ids import Block, Callback
from bot.ui.blocks import amount, ephemeral, user_text
from bot.ui.inputs import modal, note, select_input, text_input

USAGE = (
    "`/okr sync KR-7` (or `KPI-3`) reads its bound data source now and records the number. "
    "Bind one with `/okr source KR-7`, or in the OKRs-as-code file (`source:` under a key result)."
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


# Where an automatic number came from, by its check-in's origin (`source:jira`).
PROVIDERS = {
    "jira": "Jira",
    "github": "GitHub",
    "linear": "Linear",
    "prometheus": "Prometheus",
    "spreadsheet": "a spreadsheet",
}
KIND_CHOICE = {
    "sql": "SQL query",
    "http": "HTTP, JSON answer",
    "jira": "Jira, JQL",
    "github": "GitHub, search",
    "linear": "Linear, team and filter",
    "prometheus": "Prometheus, PromQL",
    "spreadsheet": "published CSV, cell",
}


def provider(origin: str | None) -> str | None:
    """ "Jira" for a check-in from a ready connector (`source:jira`); None for anything else."""
    return (
        PROVIDERS.get((origin or "").removeprefix("source:"))
        if (origin or "").startswith("source:")
        else None
    )


def provenance(origin: str | None) -> str:
    """Where an automatic number came from, for a sentence: "Jira", or "its http source"."""
    kind = (origin or "").removeprefix("source:")
    return provider(origin) or f"its {kind or 'data'} source"


def main_field(kind: str) -> str:
    """The field a connector's error belongs under when the provider names none."""
    return "path" if kind in ("spreadsheet", "http") else "query"


def trial_failed(error: str) -> str:
    return f"Tried it once: {user_text(error, ERROR_CHARS)}. Nothing was saved."


NONE = "none"
MAX_CHOICES = 99  # a static select takes 100 options, "No source" is one


def source_modal(
    ref: str,
    binding,
    connections: Sequence[tuple[str, str]],
    private_metadata: str,
    *,
    every_default: int = 60,
) -> dict:
    """The *Data source* form of one key result or KPI, prefilled from its binding (or empty).
    `connections`: (name, kind) of the connections declared for the workspace, to choose from."""

    def now(name: str) -> str | None:
        value = getattr(binding, name, None) if binding is not None else None
        return None if value is None else str(value)

    choices = [(NONE, "No source: people check in")] + [
        (name, f"{name} ({KIND_CHOICE.get(kind, kind)})") for name, kind in connections[:MAX_CHOICES]
    ]
    # A binding whose connection is not offered (made before connections, or no longer declared)
    # preselects nothing: saving the form as it opens must not unbind it by accident.
    initial = NONE if binding is None else now("connection")
    declared = (
        "Choose one of the connections the operator declared for this workspace; its address and "
        "secret stay on the server."
        if connections
        else "No connection is declared for this workspace yet: the operator declares them "
        "(NORTHLINE_SOURCE_<NAME>_URL, see docs/integrations.md)."
    )
    blocks = [
        note(f"Where the number of `{ref}` comes from. {declared}"),
        select_input(Block.SOURCE_CONNECTION, "Connection", choices, initial=initial),
        text_input(
            Block.SOURCE_QUERY,
            "Query (SQL, Jira JQL, GitHub search, Linear filter, PromQL)",
            initial=now("query"),
            max_length=3000,
            multiline=True,
            optional=True,
            placeholder="project = APP AND resolved >= {cycle_start}",
            hint="{cycle_start}, {cycle_end} (the next quarter's first day) and {week_start} are "
            "filled in with dates. SQL: one row, one number, read-only, 10 s. Linear: team:ENG "
            "state:Done cycle:current. A ready connector is tried once when you save.",
        ),
        text_input(
            Block.SOURCE_PATH,
            "Path and query (http, spreadsheet)",
            initial=now("path"),
            max_length=2000,
            optional=True,
            placeholder="/api/funnel?team=7",
            hint="Under the connection's address; it cannot name another host. A spreadsheet: "
            "the published CSV's path.",
        ),
        text_input(
            Block.SOURCE_POINTER,
            "JSON pointer, Jira field, GitHub metric or cell",
            initial=now("pointer"),
            max_length=500,
            optional=True,
            placeholder="/data/total",
            hint="http: a JSON pointer such as /data/total. Jira: a numeric field such as "
            "customfield_10016 (empty: count the issues). GitHub: stars, forks, watchers or "
            "open_issues of the repository (owner/name) in Query. Spreadsheet: a cell such as B7, "
            "or B for the column's last value.",
        ),
        text_input(
            Block.SOURCE_EVERY,
            "Minutes between syncs",
            initial=now("every_minutes") or str(every_default),
            max_length=5,
        ),
    ]
    return modal(Callback.SOURCE, "Data source", blocks, private_metadata=private_metadata)


def bound_message(ref: str, spec, kind: str | None = None, value: float | None = None) -> str:
    if spec is None:
        return f"`{ref}` has no data source now; people check in as before."
    name = PROVIDERS.get(kind or "")
    through = (
        f"{name} (the connection `{spec.connection}`)" if name else f"the connection `{spec.connection}`"
    )
    tried = f" It gives {value:,.10g} now." if value is not None else ""
    return (
        f"`{ref}` now updates itself from {through} every {spec.every} minutes.{tried} "
        f"`/okr sync {ref}` tries it now."
    )
