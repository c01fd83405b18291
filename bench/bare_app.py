"""The baseline for bench/load.py: a Bolt app that only acks, served by gunicorn the same way."""

from __future__ import annotations

import os

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient


def create():
    # The same emulator and one of its tokens, so authorisation costs what it costs Northline.
    client = WebClient(token=os.environ["NORTHLINE_BENCH_BARE_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(
        signing_secret=os.environ["NORTHLINE_BENCH_SECRET"], client=client, token_verification_enabled=False
    )

    @app.command("/kra")
    def ack_only(ack):
        ack()

    return SlackRequestHandler(app)
