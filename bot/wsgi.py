"""What gunicorn serves: `gunicorn -c gunicorn.conf.py 'bot.wsgi:create_wsgi()'`.

gunicorn.conf.py builds it once in gunicorn's master (`preload_app`) and forks the workers from
it, so they share its pages copy-on-write; `forked()` then gives each worker its own database
connections."""

from __future__ import annotations

import falcon

from bot.bootstrap import _settings, open_database, web_app

_databases: list = []  # what create_wsgi() opened in this process


def create_wsgi() -> falcon.App:
    settings = _settings()
    db = open_database(settings.database_url)
    _databases.append(db)
    return web_app(settings, db)


def forked() -> None:
    """In a new worker: drop the pooled connections inherited from the master without closing
    them (they are the master's sockets); the worker opens its own on first use."""
    for db in _databases:
        db.engine.dispose(close=False)
