"""What gunicorn serves: `gunicorn -c gunicorn.conf.py 'bot.wsgi:create_wsgi()'`."""

from __future__ import annotations

import falcon

from bot.api.app import limits_from
from bot.app import create_app
from bot.logs import configure
from bot.settings import load_settings
from bot.web import create_web
from storage.db import Database, ensure_schema


def create_wsgi() -> falcon.App:
    settings = load_settings()
    configure(
        settings.log_level,
        settings.log_format == "json",
        (settings.slack_signing_secret, settings.slack_client_secret),
    )
    db = Database.from_url(settings.database_url)
    ensure_schema(db)
    return create_web(create_app(settings, db=db), db, limits=limits_from(settings))
