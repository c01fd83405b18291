"""A web worker imports what serving Slack and the API needs, and not what only the clock, the
workers or the CLI use: each such module costs every web worker its memory (bench/REPORT.md,
issue 24 item 9). The app is built in a fresh interpreter, as gunicorn builds it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from storage.db import upgrade

ROOT = Path(__file__).resolve().parents[2]

# Jobs, the clock, the CLI and the importers; the schema's migration tool (a worker only compares
# two revision names); and drivers of data sources that a web worker only loads when one is read.
NOT_IN_A_WEB_WORKER = (
    "alembic",
    "mako",
    "pygments",
    "celery",
    "kombu",
    "apscheduler",
    "openpyxl",
    "yaml",
    "holidays",
    "matplotlib",
    "PIL",
    "pymysql",
    "bot.jobs",
    "bot.scheduler",
    "bot.importers",
    "bot.cli",
    "bot.demo",
)

BUILD = """
import json, sys
from bot.wsgi import create_wsgi
create_wsgi()
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} | set(sys.modules))))
"""


def test_the_web_app_leaves_jobs_cli_and_migration_modules_unimported(tmp_path):
    url = f"sqlite:///{tmp_path}/web.db"
    upgrade(url)  # at head, as `northline db upgrade` leaves it
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
        "SLACK_BOT_TOKEN": "xoxb-1-2-webimports",
        "LOG_LEVEL": "WARNING",
    }
    for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", BUILD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    imported = set(json.loads(done.stdout.splitlines()[-1]))
    assert "bot.web" in imported and "sqlalchemy" in imported  # the app was really built
    assert sorted(imported.intersection(NOT_IN_A_WEB_WORKER)) == []
