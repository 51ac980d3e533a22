"""gunicorn settings for Aftercare: `gunicorn -c python:aftercare.gunicorn_conf aftercare.wsgi:app`.

Anything here can be overridden on the command line or in GUNICORN_CMD_ARGS; WEB_CONCURRENCY
sets the number of workers, as gunicorn documents.
"""

import multiprocessing
import os

bind = os.environ.get("AFTERCARE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# Sync workers: each request is short and the database is the only thing waited on.
worker_class = "sync"
timeout = 30
graceful_timeout = 20
# Each worker builds its own app, so no database connection is ever shared across a fork.
preload_app = False
# Access log to standard output, with tokens masked and no query strings or headers.
accesslog = "-"
errorlog = "-"
logger_class = "aftercare.logs.GunicornLogger"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
# Behind one reverse proxy (HTTPS in front): trust its X-Forwarded-* headers only when
# AFTERCARE_PROXY_COUNT says so; the app applies them (werkzeug's ProxyFix).
forwarded_allow_ips = "127.0.0.1"


def when_ready(server) -> None:  # noqa: ANN001
    """Say, once, what production still needs (gunicorn calls this when it listens)."""
    if not os.environ.get("AFTERCARE_BASE_URL"):
        server.log.warning(
            "AFTERCARE_BASE_URL is not set: only this machine and the local network are"
            " answered, and links use the address each request came to. Set"
            " AFTERCARE_BASE_URL=https://<public name> (see README, Configuration)."
        )
