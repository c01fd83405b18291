"""gunicorn settings for bench/bare_app.py: gunicorn.conf.py's defaults, without reading them
through bot/settings.py, so that bare Bolt's workers carry none of Northline's imports."""

workers = 2
threads = 8
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = None
errorlog = "-"
preload_app = True
loglevel = "warning"


def pre_fork(server, worker):
    import gc

    gc.freeze()
