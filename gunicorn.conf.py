"""gunicorn settings, from the environment (Procfile: web)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '3000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
worker_class = "gthread"
# Slack wants an answer in 3 seconds; a request still running after 30 is stuck.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
accesslog = None  # the app logs one line per event itself
errorlog = "-"
# The app is built once in the master and the workers fork from it, sharing its pages
# copy-on-write: about 38 MB less unique memory a worker (bench/REPORT.md, issue 24 item 9).
# GUNICORN_PRELOAD=0 builds it in each worker instead.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


def pre_fork(server, worker):
    """Move what the master built out of the collector's reach: a collection in a worker would
    otherwise write to every object's header and copy the pages it shares with the master."""
    import gc

    gc.freeze()


def post_fork(server, worker):
    if preload_app:
        from bot.wsgi import forked

        forked()
