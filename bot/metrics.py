"""Delivery metrics for Prometheus, served at /metrics by the one web app (bot/web.py).

Posts are counted where their outcome is written (bot/jobs/delivery.py: `mark` and `Marks.flush`),
so one home counts each post once. Labels carry the outcome only, never a workspace: a team id per
series would multiply the series by the number of workspaces (1,000 and more), and names are what
people typed. Under gunicorn or Celery workers, set PROMETHEUS_MULTIPROC_DIR to an empty directory
shared by the processes (docs/operations.md); prometheus_client then writes each process's values
there and `render` sums them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest, multiprocess

POSTS = Counter(
    "northline_posts",
    "Scheduled posts by the outcome written for them (sent, skipped, failed).",
    ["state"],
)

RATE_LIMITED = Counter(
    "northline_slack_ratelimited",
    "Slack's 429 answers by Web API method (a bounded set of names, never user text).",
    ["method"],
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def count_rate_limited(method: str) -> None:
    """Count one 429 from Slack for `method` (such as chat.postMessage)."""
    RATE_LIMITED.labels(method=method).inc()


def count_outcomes(states: Iterable[str]) -> None:
    """Count the outcomes just written for a batch of posts."""
    for state in states:
        POSTS.labels(state=str(state)).inc()


def render() -> bytes:
    """The exposition text: this process's registry, or every process's under multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY)
