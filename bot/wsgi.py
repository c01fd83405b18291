"""What gunicorn serves: `gunicorn -c gunicorn.conf.py 'bot.wsgi:create_wsgi()'`."""

from __future__ import annotations

import falcon

from bot.bootstrap import _settings, open_database, web_app


def create_wsgi() -> falcon.App:
    settings = _settings()
    return web_app(settings, open_database(settings.database_url))
