"""`manage.py worker`: the task worker (`db_worker`) plus the notifications' recovery sweep.

django-tasks-db leaves a task that was running when its worker died marked "running"
forever. The outbox row is the truth instead: every worker sweeps, every
`--sweep-interval` seconds, for messages a dead worker held (lease expired), receipts
that beat their message, and messages whose receipt never came. The sweep is safe to
run in many workers at once.

The sweep also sends appointment reminders whose deferred task was lost.

The same thread records the worker's heartbeat (`WorkerHeartbeat`), which `/readyz` and
the metrics read: no recent heartbeat, no worker sending the citizens' messages.
"""

import functools
import logging
import os
import socket
import threading
from collections.abc import Callable

from django.db import close_old_connections, connections
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from mizan.appointments.services import reminders_send_due
from mizan.notifications.services import notifications_recover
from mizan.ops.services import worker_heartbeat_record

logger = logging.getLogger("mizan.worker")

# With the sweep disabled (--sweep-interval 0) the heartbeat still beats this often.
HEARTBEAT_SECONDS = 30.0
IDLE_POLL_SECONDS = 0.2


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
            return super().handle(*args, **options)
        finally:
            stop.set()
            # A sweep under way finishes (bounded: it is one batch) before the process ends.
            sweeper.join(timeout=10)
