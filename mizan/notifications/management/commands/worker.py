"""`manage.py worker`: the task worker (`db_worker`) plus the notifications' recovery sweep.

django-tasks-db leaves a task that was running when its worker died marked "running"
forever. The outbox row is the truth instead: every worker sweeps, every
`--sweep-interval` seconds, for messages a dead worker held (lease expired), receipts
that beat their message, and messages whose receipt never came. The sweep is safe to
run in many workers at once.

The sweep also sends appointment reminders whose deferred task was lost.

The same thread records the worker's heartbeat (`WorkerHeartbeat`), which `/readyz` and
the metrics read: no recent heartbeat, no worker sending the citizens' messages.

The task loop outlives the database going away (a PostgreSQL restart, a fail-over):
db_worker's own loop ends the process on any database error but a locked SQLite file,
and `scripts/serve-prod` then stops the whole machine's set, web included. Here the
worker waits and tries again, as the web processes do at their next request.
"""

import functools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from django.core.management.base import CommandError
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.utils import timezone
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from mizan.appointments.services import reminders_send_due
from mizan.notifications.services import notifications_recover
from mizan.ops.services import worker_heartbeat_record

logger = logging.getLogger("mizan.worker")

# With the sweep disabled (--sweep-interval 0) the heartbeat still beats this often.
HEARTBEAT_SECONDS = 30.0
IDLE_POLL_SECONDS = 0.2
# Waits between tries while the database is unreachable: short at first (a restart takes
# a few seconds), then every few seconds, without end (the outage is the database's).
OUTAGE_FIRST_PAUSE = 0.5
OUTAGE_MAX_PAUSE = 5.0


class OutageTolerantWorker(Worker):
    """db_worker's loop, taken up again after a database error instead of ending.

    A task interrupted by the outage is left as db_worker leaves a dead worker's: its
    notifications are taken over by the recovery sweep once their lease expires.
    """

    def run(self) -> None:
        pause, failed_at = OUTAGE_FIRST_PAUSE, 0.0
        while True:
            try:
                return super().run()
            except (OperationalError, InterfaceError) as error:
                if not self.running:  # asked to stop: nothing to wait for
                    raise
                now = time.monotonic()
                if now - failed_at > 60:  # a new outage, not the same one going on
                    pause = OUTAGE_FIRST_PAUSE
                failed_at = now
                logger.warning(
                    "database unavailable, the worker tries again in %.1f s: %s",
                    pause,
                    str(error).strip()[:300],
                )
                # The broken connection goes; the loop opens a new one.
                connections.close_all()
                self.startup_delay = False
                time.sleep(pause)
                pause = min(pause * 2, OUTAGE_MAX_PAUSE)


def _beat(heartbeat: Callable[[], object]) -> None:
    try:
        heartbeat()
    except Exception:  # a missed beat is retried at the next interval
        logger.exception("worker heartbeat failed")


def _sweep_forever(
    interval: float,
    stop: threading.Event,
    *,
    recover: bool = True,
    heartbeat: Callable[[], object] | None = None,
) -> None:
    try:
        while not stop.wait(interval):
            try:
                close_old_connections()
                if heartbeat is not None:
                    _beat(heartbeat)
                if recover:
                    counts = notifications_recover()
                    if any(counts.values()):
                        logger.info("notifications recovery: %s", counts)
                    # Appointment reminders whose deferred task was lost (a worker down
                    # at the time, a restore): sent once, under the reminder's lock.
                    reminders = reminders_send_due()
                    if reminders:
                        logger.info("appointment reminders recovered: %s", reminders)
            except Exception:  # a failed sweep is retried at the next interval
                logger.exception("notifications recovery failed")
            finally:
                close_old_connections()
    finally:
        # This thread's own connection: not left open when the worker stops.
        connections.close_all()


class Command(DbWorkerCommand):
    help = "Run the task worker (all queues by default) with the notifications' recovery sweep."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # An idle worker looks for work five times a second: a citizen's SMS leaves
        # within ~0.2 s of the step, for about 1 % of a core per idle worker.
        parser.set_defaults(queue_name="*", interval=IDLE_POLL_SECONDS)
        parser.add_argument(
            "--sweep-interval",
            type=float,
            default=30.0,
            help="Seconds between recovery sweeps and heartbeats (0 disables the sweep; "
            f"the heartbeat then beats every {HEARTBEAT_SECONDS:.0f} s).",
        )

    def handle(self, *args, sweep_interval: float = 30.0, **options):
        heartbeat = functools.partial(
            worker_heartbeat_record,
            worker_id=options["worker_id"],
            hostname=socket.gethostname(),
            pid=os.getpid(),
            started_at=timezone.now(),
        )
        # At once, so that a fresh worker counts for readiness before its first interval.
        _beat(heartbeat)
        stop = threading.Event()
        sweeper = threading.Thread(
            target=_sweep_forever,
            args=(sweep_interval if sweep_interval > 0 else HEARTBEAT_SECONDS, stop),
            kwargs={"recover": sweep_interval > 0, "heartbeat": heartbeat},
            name="notifications-sweep",
            daemon=True,
        )
        sweeper.start()
        try:
            return self._work(**options)
        finally:
            stop.set()
            # A sweep under way finishes (bounded: it is one batch) before the process ends.
            sweeper.join(timeout=10)

    def _work(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options,
    ) -> None:
        """db_worker's `handle` (django-tasks-db 0.13), with the worker that outlives a
        database outage."""
        self.configure_logging(verbosity)
        if reload and batch:
            logger.warning("--reload and --batch cannot be specified together: no reload.")
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = OutageTolerantWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        if reload:  # development (DEBUG): restarted on code changes
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
