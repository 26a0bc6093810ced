"""Reads for the readiness probe and the metrics, one query each."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Count, F, Min, When
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from mizan.cases.models import Case
from mizan.notifications.models import Notification

from .models import TaskRequestId, WorkerHeartbeat


@dataclass(frozen=True)
class QueueDepth:
    queue: str
    ready: int
    oldest_seconds: float


def cases_by_procedure_and_status() -> list[tuple[str, str, int]]:
    rows = Case.objects.order_by().values("procedure", "status").annotate(count=Count("id"))
    return [(row["procedure"], row["status"], row["count"]) for row in rows]


def cases_by_procedure_and_channel() -> list[tuple[str, str, int]]:
    """How requests reached us (web, app, counter, stand, phone...): assisted filing is
    counted so that the desks' work shows."""
    rows = Case.objects.order_by().values("procedure", "channel").annotate(count=Count("id"))
    return [(row["procedure"], row["channel"], row["count"]) for row in rows]


def notifications_by_channel_and_status() -> list[tuple[str, str, int]]:
    rows = Notification.objects.order_by().values("channel", "status").annotate(count=Count("id"))
    return [(row["channel"], row["status"], row["count"]) for row in rows]


def task_queue_depths(now: datetime | None = None) -> list[QueueDepth]:
    """Tasks a worker could run now, per queue, and how long the oldest has waited.

    A deferred task (a retry) waits from its run_after, not from when it was enqueued;
    django-tasks-db stores "no run_after" as a far-future sentinel.
    """
    now = now or timezone.now()
    waiting_since = models.Case(
        When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after")
    )
    rows = (
        DBTaskResult.objects.ready()
        .order_by()
        .values("queue_name")
        .annotate(ready=Count("id"), since=Min(waiting_since))
    )
    return [
        QueueDepth(
            queue=row["queue_name"],
            ready=row["ready"],
            oldest_seconds=max((now - row["since"]).total_seconds(), 0.0),
        )
        for row in rows
    ]


def worker_heartbeats() -> list[WorkerHeartbeat]:
    return list(WorkerHeartbeat.objects.order_by("worker_id"))


def worker_heartbeat_recent(*, within_seconds: float) -> bool:
    since = timezone.now() - timedelta(seconds=within_seconds)
    return WorkerHeartbeat.objects.filter(last_seen__gte=since).exists()


def task_request_id(*, task_id: str) -> str | None:
    rows = TaskRequestId.objects.filter(task_id=task_id)
    return rows.values_list("request_id", flat=True).first()
