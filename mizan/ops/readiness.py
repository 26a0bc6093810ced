"""What `/readyz` checks: can this instance serve, and is the service doing its work.

Each check answers "ok" or a short reason (machine-readable, for the probe and the
person on call); details of a database error are logged, not shown to the caller.
"""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from mizan.notifications.selectors import oldest_in_flight_seconds

from . import selectors

logger = logging.getLogger("mizan.ops")
OK = "ok"

# Once every migration is seen applied, the process does not look again: its code (the
# migration files) does not change while it runs, and migrations are not unapplied
# under a running service. Building the migration graph on every probe is not cheap.
_migrations_applied = False


def readiness_checks() -> dict[str, str]:
    checks = {"database": _database()}
    if checks["database"] != OK:
        return checks | dict.fromkeys(["migrations", "worker", "notification_queue"], "skipped")
    for name, check in (
        ("migrations", _migrations),
        ("worker", _worker),
        ("notification_queue", _notification_queue),
    ):
        try:
            checks[name] = check()
        except DatabaseError:
            logger.exception("readiness check %s failed", name)
            checks[name] = "database error"
    return checks


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("readiness: database unreachable")
        return "unreachable"
    return OK


def _migrations() -> str:
    global _migrations_applied
    if _migrations_applied:
        return OK
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return f"{len(plan)} unapplied"
    _migrations_applied = True
    return OK


def _worker() -> str:
    within = settings.MIZAN_READY_HEARTBEAT_SECONDS
    if selectors.worker_heartbeat_recent(within_seconds=within):
        return OK
    return f"no worker heartbeat within {within} s"


def _notification_queue() -> str:
    age = oldest_in_flight_seconds()
    limit = settings.MIZAN_READY_QUEUE_AGE_SECONDS
    if age <= limit:
        return OK
    return f"oldest message in flight {age:.0f} s old (limit {limit} s)"
