"""gunicorn settings, from the environment (Procfile: web), checked by bot/settings.py: a
malformed value stops gunicorn with one line naming the variable."""

from bot.settings import load_web_server_settings

_web = load_web_server_settings()

bind = f"0.0.0.0:{_web.port}"
workers = _web.web_concurrency
threads = _web.gunicorn_threads
worker_class = "gthread"
timeout = _web.gunicorn_timeout
graceful_timeout = _web.gunicorn_graceful_timeout
keepalive = 5
accesslog = None  # the app logs one line per event itself
errorlog = "-"
# The app is built once in the master and the workers fork from it, sharing its pages
# copy-on-write: about 38 MB less unique memory a worker (bench/REPORT.md, issue 24 item 9).
# GUNICORN_PRELOAD=0 builds it in each worker instead.
preload_app = _web.gunicorn_preload
loglevel = _web.log_level.lower()


def pre_fork(server, worker):
    """Move what the master built out of the collector's reach: a collection in a worker would
    otherwise write to every object's header and copy the pages it shares with the master."""
    import gc

    gc.freeze()


def post_fork(server, worker):
    if preload_app:
        from bot.wsgi import forked

        forked()
