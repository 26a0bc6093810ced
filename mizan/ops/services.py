from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .models import TaskRequestId, WorkerHeartbeat

# Rows of workers gone this long are dropped: each start makes a new worker id, and the
# metrics show one series per row.
HEARTBEAT_RETENTION = timedelta(days=1)


def worker_heartbeat_record(
    *, worker_id: str, hostname: str, pid: int, started_at: datetime
) -> WorkerHeartbeat:
    """Record that this worker process is alive now (called every sweep interval)."""
    now = timezone.now()
    with transaction.atomic():
        heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={"hostname": hostname, "pid": pid, "started_at": started_at, "last_seen": now},
        )
        WorkerHeartbeat.objects.filter(last_seen__lt=now - HEARTBEAT_RETENTION).delete()
    return heartbeat


def task_request_id_record(*, task_id: str, request_id: str) -> None:
    """Keep the id of the request that enqueued a task, in the enqueuing transaction."""
    TaskRequestId.objects.create(task_id=task_id, request_id=request_id)
