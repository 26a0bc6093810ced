"""`manage.py worker`: the task worker (`db_worker`) plus the notifications' recovery sweep.

django-tasks-db leaves a task that was running when its worker died marked "running"
forever. The outbox row is the truth instead: every worker sweeps, every
`--sweep-interval` seconds, for messages a dead worker held (lease expired), receipts
that beat their message, and messages whose receipt never came. The sweep is safe to
run in many workers at once.
"""

import logging
import threading

from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from mizan.notifications.services import notifications_recover

logger = logging.getLogger("mizan.worker")


def _sweep_forever(interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        try:
            close_old_connections()
            counts = notifications_recover()
            if any(counts.values()):
                logger.info("notifications recovery: %s", counts)
        except Exception:  # a failed sweep is retried at the next interval
            logger.exception("notifications recovery failed")
        finally:
            close_old_connections()


class Command(DbWorkerCommand):
    help = "Run the task worker (all queues by default) with the notifications' recovery sweep."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*")
        parser.add_argument(
            "--sweep-interval",
            type=float,
            default=30.0,
            help="Seconds between recovery sweeps (0 disables them).",
        )

    def handle(self, *args, sweep_interval: float = 30.0, **options):
        stop = threading.Event()
        if sweep_interval > 0:
            threading.Thread(
                target=_sweep_forever,
                args=(sweep_interval, stop),
                name="notifications-sweep",
                daemon=True,
            ).start()
        try:
            return super().handle(*args, **options)
        finally:
            stop.set()
