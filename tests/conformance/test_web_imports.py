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


def _build(tmp_path, script: str) -> str:
    """Run `script` in a fresh interpreter with the web app's environment; its last line."""
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
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]


def test_the_web_app_leaves_jobs_cli_and_migration_modules_unimported(tmp_path):
    imported = set(json.loads(_build(tmp_path, BUILD)))
    assert "bot.web" in imported and "sqlalchemy" in imported  # the app was really built
    assert sorted(imported.intersection(NOT_IN_A_WEB_WORKER)) == []


FORK = """
from bot import wsgi
wsgi.create_wsgi()
engine = wsgi._databases[0].engine
with engine.connect():
    pass
before = engine.pool.checkedin()
wsgi.forked()  # what gunicorn.conf.py's post_fork runs in each worker
after = engine.pool.checkedin()
with engine.connect():
    pass
print(before, after)
"""


def test_a_forked_worker_leaves_the_masters_connections_to_the_master(tmp_path):
    assert _build(tmp_path, FORK) == "1 0"
