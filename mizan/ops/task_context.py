"""The request id follows a request into the tasks it enqueues, and into their logs.

Django's Tasks API passes no metadata with a task, so the id is recorded against the
task's id when it is enqueued (`task_enqueued`, in the enqueuing transaction) and set
again around its run in the worker (`task_started` / `task_finished`). Tasks enqueued by
a task (retries) inherit it in turn. Infrastructure only: no domain logic here.
"""

import contextlib
from contextvars import ContextVar, Token

from django.tasks.signals import log_task_started, task_enqueued, task_finished, task_started
from django_tasks_db.backend import TaskResult as DatabaseTaskResult

from . import selectors, services
from .request_id import current_request_id, reset_request_id, set_request_id

_before_task: ContextVar[Token | None] = ContextVar("mizan_before_task", default=None)


def record_request_id(sender, task_result, **kwargs) -> None:
    request_id = current_request_id()
    # Only the database backend has a task row to attach the id to.
    if request_id is not None and isinstance(task_result, DatabaseTaskResult):
        services.task_request_id_record(task_id=task_result.id, request_id=request_id)


def restore_request_id(sender, task_result, **kwargs) -> None:
    request_id = None
    if isinstance(task_result, DatabaseTaskResult):
        request_id = selectors.task_request_id(task_id=task_result.id)
    # Set even when None, so that a task never inherits the previous task's id.
    _before_task.set(set_request_id(request_id))


def forget_request_id(sender, task_result, **kwargs) -> None:
    token = _before_task.get()
    if token is not None:
        _before_task.set(None)
        # ValueError: set in another context (an async backend); leave it.
        with contextlib.suppress(ValueError):
            reset_request_id(token)


def connect() -> None:
    task_enqueued.connect(record_request_id, dispatch_uid="mizan.ops.record_request_id")
    # Django logs "Task ... state=RUNNING" from its own receiver, connected first: ours
    # goes before it, so that this line carries the request id too. (On task_finished
    # Django's receiver runs before ours, while the id is still set.)
    task_started.disconnect(log_task_started)
    task_started.connect(restore_request_id, dispatch_uid="mizan.ops.restore_request_id")
    task_started.connect(log_task_started)
    task_finished.connect(forget_request_id, dispatch_uid="mizan.ops.forget_request_id")
