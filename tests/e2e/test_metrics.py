"""GET /metrics shows the outcomes the delivery marks wrote, counted once per post."""

from __future__ import annotations

import re

from falcon import testing

from bot.jobs import delivery
from bot.jobs.delivery import Key
from bot.web import create_web
from storage.models import DeliveryState


def _posts(client: testing.TestClient, state: str) -> float:
    answer = client.simulate_get("/metrics")
    assert answer.status_code == 200
    found = re.search(rf'^northline_posts_total\{{state="{state}"\}} (\S+)$', answer.text, re.M)
    return float(found.group(1)) if found else 0.0


def test_metrics_count_each_marked_post_once(db):
    client = testing.TestClient(create_web(None, db))
    sent, failed = _posts(client, "sent"), _posts(client, "failed")

    marks = delivery.Marks(db)
    marks.mark(Key("reminder", 1, "U1", "2026-W49"), DeliveryState.SENT)
    marks.mark(Key("reminder", 1, "U2", "2026-W49"), DeliveryState.SENT)
    marks.mark(Key("reminder", 1, "U3", "2026-W49"), DeliveryState.FAILED)
    assert _posts(client, "sent") == sent  # nothing counted before the batch is written
    marks.flush()
    marks.flush()  # an empty flush counts nothing

    assert _posts(client, "sent") == sent + 2
    assert _posts(client, "failed") == failed + 1


def test_metrics_sum_the_processes_under_multiprocess_mode(tmp_path):
    """Two worker processes count; a third (the web process) shows their sum."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = "from bot import metrics; metrics.count_outcomes(['sent'] * {n})"
    for n in (2, 3):
        subprocess.run([sys.executable, "-c", count.format(n=n)], env=env, check=True)
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from bot import metrics; sys.stdout.buffer.write(metrics.render())",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    assert re.search(r'^northline_posts_total\{state="sent"\} 5\.0$', shown, re.M)


def test_metrics_count_slack_429s_per_method(db):
    from slack_sdk.http_retry.request import HttpRequest
    from slack_sdk.http_retry.response import HttpResponse
    from slack_sdk.http_retry.state import RetryState

    from bot.slack_client import StoppableRateLimitHandler

    client = testing.TestClient(create_web(None, db))

    def limited(method: str) -> float:
        text = client.simulate_get("/metrics").text
        found = re.search(rf'^northline_slack_ratelimited_total\{{method="{method}"\}} (\S+)$', text, re.M)
        return float(found.group(1)) if found else 0.0

    before = limited("chat.postMessage")
    handler = StoppableRateLimitHandler(max_retry_count=1)
    request = HttpRequest(method="POST", url="https://slack.com/api/chat.postMessage", headers={})
    refused = HttpResponse(status_code=429, headers={"Retry-After": ["0"]})
    assert handler.can_retry(state=RetryState(), request=request, response=refused)
    # The 429 given up on (retries spent) counts too.
    assert not handler.can_retry(state=RetryState(current_attempt=1), request=request, response=refused)
    handler.can_retry(state=RetryState(), request=request, response=HttpResponse(status_code=500, headers={}))

    assert limited("chat.postMessage") == before + 2


def _sample(client: testing.TestClient, line: str) -> float:
    """The value of the sample `line` (name and labels, exactly as exposed), 0 when absent."""
    text = client.simulate_get("/metrics").text
    found = re.search(rf"^{re.escape(line)} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_a_real_run_shows_sent_failed_lag_and_units_on_metrics(db, emulator):
    from bot.jobs.engine import Engine, units_for
    from bot.jobs.pacing import Pacer
    from bot.settings import DeliverySettings
    from tests.factories import MONDAY_LONDON, make_owners_with_key_results, team_clients

    web = testing.TestClient(create_web(None, db))
    lines = [
        'northline_posts_total{state="sent"}',
        'northline_posts_total{state="failed"}',
        "northline_post_lag_seconds_count",
        "northline_units_queued",
        "northline_units_running",
    ]
    before = {line: _sample(web, line) for line in lines}

    people = ["U0M1", "U0M2", "U0M3", "U0M4"]
    make_owners_with_key_results(db, emulator, people)
    emulator.fail("chat.postMessage", "msg_blocks_too_long", where=lambda c: c.args.get("channel") == "U0M4")
    settings = DeliverySettings(posts_per_second=50)
    pacer = Pacer(settings.posts_per_second)
    with Engine(db, team_clients(emulator, pacer), settings, pacer=pacer) as engine:
        [report] = engine.run(units_for(db, ["checkin-reminders"], MONDAY_LONDON))
    assert (report.sent, report.failed) == (3, 1)

    after = {line: _sample(web, line) - before[line] for line in lines}
    assert after == {
        'northline_posts_total{state="sent"}': 3.0,
        'northline_posts_total{state="failed"}': 1.0,
        "northline_post_lag_seconds_count": 3.0,  # one lag per post Slack took
        "northline_units_queued": 0.0,  # the unit was queued, started and done
        "northline_units_running": 0.0,
    }
