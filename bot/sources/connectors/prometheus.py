"""Prometheus: one number from a PromQL instant query.

  GET /api/v1/query?query=…  → {"status": "success", "data": {"resultType": …, "result": …}}
A scalar's result is [time, "value"]; a vector's a list of {"metric": {…}, "value": [time, "value"]}
and must hold exactly one series. An error is {"status": "error", "errorType": "bad_data", "error":
"…"} with 400 (the query does not parse), 422 (it cannot be run) or 503 (timeout, overload). The
token, when the connection has one, goes as a bearer (Prometheus behind an authenticating proxy,
Grafana Cloud, Thanos, Mimir).
"""

from __future__ import annotations

from urllib.parse import quote

from bot.sources.connections import Connection
from bot.sources.connectors.common import Reach, Reading, call, document, lenient, quoted, status_error
from bot.sources.read import SourceError, as_number

PROVIDER = "Prometheus"


def read(connection: Connection, reading: Reading, reach: Reach) -> float:
    answer = call(connection, f"/api/v1/query?query={quote(reading.query or '', safe='')}", reach)
    if not answer.ok:
        body = lenient(answer)
        said = body.get("error") if isinstance(body, dict) else None
        if answer.status in (400, 422) and said:
            raise SourceError(f"Prometheus says the query cannot run: “{quoted(said)}”", field="query")
        raise status_error(PROVIDER, answer, said=said, field="query")
    body = document(answer, PROVIDER)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or body.get("status") != "success":
        raise SourceError("Prometheus's answer holds no data")
    return _one_value(data.get("resultType"), data.get("result"))


def _one_value(kind: object, result: object) -> float:
    if kind == "scalar" and isinstance(result, list) and len(result) == 2:
        return as_number(result[1], "the query's value")
    if kind != "vector":
        raise SourceError(
            f"the query gives a {kind}, not one number: write an instant query such as "
            "sum(rate(http_requests_total[5m]))",
            field="query",
        )
    if not isinstance(result, list) or len(result) != 1:
        count = len(result) if isinstance(result, list) else 0
        raise SourceError(
            f"the query gives {count} series; it must give exactly one (wrap it in sum(…) or max(…))",
            field="query",
        )
    sample = result[0].get("value") if isinstance(result[0], dict) else None
    if not isinstance(sample, list) or len(sample) != 2:
        raise SourceError("Prometheus's answer holds a series without a value")
    return as_number(sample[1], "the query's value")
