"""Delivery metrics for Prometheus, served at /metrics by the one web app (bot/web.py).

Posts are counted where their outcome is written (bot/jobs/delivery.py: `mark` and `Marks.flush`),
so one home counts each post once. Labels carry the outcome only, never a workspace: a team id per
series would multiply the series by the number of workspaces (1,000 and more), and names are what
people typed. Under gunicorn or Celery workers, set PROMETHEUS_MULTIPROC_DIR to an empty directory
shared by the processes (docs/operations.md); prometheus_client then writes each process's values
there and `render` sums them.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from bot.settings import load_metrics_settings

# Where every process writes its values under multiprocess mode, or None. prometheus_client chose
# how to keep this process's values at its own import, from the same variable in the environment.
MULTIPROCESS_DIR = load_metrics_settings().prometheus_multiproc_dir

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

LATE = Counter(
    "northline_posts_late",
    "Posts found past their slot's grace when their run came, recorded as skipped.",
)

IN_DOUBT = Counter(
    "northline_posts_in_doubt",
    "Claims left unmarked whose settlement could not read Slack's history this run.",
)

SETTLED = Counter(
    "northline_posts_settled",
    "Claims left in doubt, settled from Slack's history, by outcome (found, resent, held_back).",
    ["outcome"],
)

LAG = Histogram(
    "northline_post_lag_seconds",
    "Seconds between a post's slot and Slack's answer to it.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 900, 3600, 21600),
)

# livesum: under multiprocess mode, the live processes' values summed (a dead process's are dropped).
UNITS_QUEUED = Gauge(
    "northline_units_queued",
    "Delivery units (a job kind for one workspace) handed to the engine and not yet started.",
    multiprocess_mode="livesum",
)

UNITS_RUNNING = Gauge(
    "northline_units_running",
    "Delivery units being planned or sent now.",
    multiprocess_mode="livesum",
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def count_late() -> None:
    LATE.inc()


def count_in_doubt() -> None:
    IN_DOUBT.inc()


def count_settled(outcome: str) -> None:
    """`outcome`: found (Slack had it), resent (it did not: sent now) or held_back (not sent now)."""
    SETTLED.labels(outcome=outcome).inc()


def observe_lag(seconds: float) -> None:
    LAG.observe(max(seconds, 0.0))


def count_rate_limited(method: str) -> None:
    """Count one 429 from Slack for `method` (such as chat.postMessage)."""
    RATE_LIMITED.labels(method=method).inc()


def count_outcomes(states: Iterable[str]) -> None:
    """Count the outcomes just written for a batch of posts."""
    for state in states:
        POSTS.labels(state=str(state)).inc()


def render() -> bytes:
    """The exposition text: this process's registry, or every process's under multiprocess mode."""
    if MULTIPROCESS_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=MULTIPROCESS_DIR)
        return generate_latest(registry)
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY)
