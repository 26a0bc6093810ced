from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per `manage.py worker` process, refreshed by its sweep thread.

    The readiness probe and the metrics read it: no recent row means no worker is
    sending the citizens' messages.
    """

    # db_worker's --worker-id, the id it records on the tasks it runs.
    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)


class TaskRequestId(models.Model):
    """The request id of the request (or task) that enqueued a task.

    Neither Django's Tasks API nor django-tasks-db keeps metadata with a task (the
    `metadata` column that django-tasks-db added in its migration 0017 was removed in
    0019), so it lives here, keyed by the task's id, and goes when the task row is
    pruned.
    """

    task = models.OneToOneField(
        "django_tasks_database.DBTaskResult",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    request_id = models.CharField(max_length=64)
