"""gunicorn's settings: `gunicorn -c config/gunicorn_conf.py config.wsgi` (scripts/serve-prod).

Read from the environment: BIND (127.0.0.1:8000), WEB_CONCURRENCY (2 x cores + 1, at
most 12), GUNICORN_TIMEOUT (30 s), MIZAN_LOG_FORMAT (plain or json), and
PROMETHEUS_MULTIPROC_DIR (set: the processes' metrics are added up at each scrape).
docs/operations.md explains the sizing.
"""

import os

# Each gunicorn process holds one PostgreSQL connection (CONN_MAX_AGE): past a dozen per
# machine, more processes mostly add connections, not throughput.
MAX_DEFAULT_WORKERS = 12


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use (containers)
    except AttributeError:
        return os.cpu_count() or 1


bind = os.environ.get("BIND") or "127.0.0.1:8000"
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * _cores() + 1, MAX_DEFAULT_WORKERS))
# A request still running after this is killed (and logged): nothing in Mizan should take
# that long; a slow client is the proxy's to buffer.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 30
keepalive = 5  # behind a proxy that reuses its connections
accesslog = "-"
errorlog = "-"
# Path without the query string: Kannel's receipt URLs carry their token in it.
access_log_format = (
    '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms '
    'request_id=%({x-request-id}o)s forwarded_for="%({x-forwarded-for}i)s"'
)

if os.environ.get("MIZAN_LOG_FORMAT") == "json":
    _handler = {"class": "logging.StreamHandler", "filters": ["request_id"]}
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "mizan.ops.request_id.RequestIdFilter"}},
        "formatters": {
            "json": {"()": "mizan.ops.log_format.JsonFormatter"},
            "access": {"()": "mizan.ops.log_format.AccessJsonFormatter"},
        },
        "handlers": {
            "error": {**_handler, "formatter": "json", "stream": "ext://sys.stderr"},
            "access": {**_handler, "formatter": "access", "stream": "ext://sys.stdout"},
        },
        "root": {"level": "INFO", "handlers": ["error"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
    }
    access_log_format = "%(m)s %(U)s %(s)s"


def child_exit(server, worker):
    # The multiprocess files of a dead process: its counters are kept (they must not go
    # back), its live gauges dropped.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
