"""Ready connectors: Jira, GitHub, Linear, Prometheus and published spreadsheets, each read over
a connection the operator declared with its KIND, through the one safe fetcher (bot/sources/
fetch.py). No provider's client library: each needs one or two documented endpoints, and the
fetcher's checks (checked addresses, one deadline, no redirects, a size cap) would be lost in a
client's own HTTP stack. docs/integrations.md documents each one."""

from __future__ import annotations

from bot.sources.connections import Connection
from bot.sources.connectors import github, jira, linear, prometheus, spreadsheet
from bot.sources.connectors.common import Reach, Reading

READERS = {
    "jira": jira.read,
    "github": github.read,
    "linear": linear.read,
    "prometheus": prometheus.read,
    "spreadsheet": spreadsheet.read,
}


def read_connector(connection: Connection, reading: Reading, reach: Reach) -> float:
    """The number `reading` asks of `connection`'s provider; SourceError otherwise."""
    return READERS[connection.kind](connection, reading, reach)


__all__ = ["READERS", "Reach", "Reading", "read_connector"]
