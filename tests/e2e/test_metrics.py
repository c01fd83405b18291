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
