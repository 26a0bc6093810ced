"""The coalesced dispatcher: one task hands over many messages, in batches.

The common path of every SMS: `notification_queue` writes the row and makes sure one
dispatch task is waiting; a worker claims due messages by batches (`SKIP LOCKED` on
PostgreSQL) and records what the provider took in one write per batch.
"""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from mizan.notifications.models import Notification
from mizan.notifications.services import (
    DISPATCH_TASK_PATH,
    dispatch_ensure,
    notification_queue,
    notifications_dispatch,
    notifications_recover,
)
from mizan.testing.fake_sms_http import FakeSmsServer

from .test_concurrency import run_together
from .test_notifications import aggregator

Status = Notification.Status


def queue(count: int, *, start: int = 0) -> list[Notification]:
    return [
        notification_queue(
            template_key="complaint.closed",
            recipient=f"+2126124{i:05d}",
            language="fr",
            context={"reference": f"PLT-2026-{i:06d}-N"},
            idempotency_key=f"dispatch-test-{i}",
        )
        for i in range(start, start + count)
    ]


def waiting_dispatches() -> int:
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=DISPATCH_TASK_PATH
    ).count()


@pytest.mark.django_db(transaction=True)
def test_one_waiting_dispatch_serves_every_message_queued_before_a_worker_takes_it(
    reference_data, run_worker, settings
):
    settings.MIZAN_SMS_GATEWAYS = [{"name": "console", "kind": "console", "cost": "0.15"}]
    queue(30)
    assert waiting_dispatches() == 1
    assert not DBTaskResult.objects.filter(task_path__endswith="deliver_notification").exists()

    run_worker()
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.DELIVERED}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
    assert waiting_dispatches() == 0
    # A message queued after the dispatch ran gets a dispatch of its own.
    queue(1, start=30)
    assert waiting_dispatches() == 1


@pytest.mark.django_db(transaction=True)
def test_a_batch_is_recorded_with_each_message_its_provider_id(reference_data, settings):
    with FakeSmsServer() as fake:
        settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake)]
        queue(7)
        assert notifications_dispatch(batch=3) == 7
        assert len(fake.messages) == 7
    rows = list(Notification.objects.order_by("id"))
    assert {row.status for row in rows} == {Status.SENT}
    ids = [row.provider_reference for row in rows]
    assert all(ids) and len(set(ids)) == 7
    for row in rows:
        [part] = row.provider_messages.all()
        assert part.message_id == row.provider_reference and row.provider == "agg"
        assert row.lease_expires_at is None and row.sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_dispatch_that_runs_out_of_time_leaves_a_task_for_the_rest(reference_data, settings):
    settings.MIZAN_SMS_GATEWAYS = [{"name": "console", "kind": "console", "cost": "0.15"}]
    queue(5)
    DBTaskResult.objects.all().delete()
    assert notifications_dispatch(max_seconds=0) == 0
    assert waiting_dispatches() == 1


@pytest.mark.django_db(transaction=True)
def test_messages_whose_dispatch_died_with_its_worker_are_taken_again(
    reference_data, run_worker, settings
):
    settings.MIZAN_SMS_GATEWAYS = [{"name": "console", "kind": "console", "cost": "0.15"}]
    queue(4)
    # The worker that claimed the dispatch died: django-tasks-db leaves it "running".
    DBTaskResult.objects.filter(task_path=DISPATCH_TASK_PATH).update(
        status=TaskResultStatus.RUNNING
    )
    run_worker()
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.QUEUED}
    assert notifications_recover()["dispatched"] == 0  # just queued: not overdue yet

    Notification.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=1))
    assert notifications_recover()["dispatched"] == 1
    run_worker()
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.DELIVERED}


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (set DATABASE_URL)"
)
@pytest.mark.django_db(transaction=True)
def test_a_waiting_dispatch_is_locked_until_the_queueing_transaction_commits(reference_data):
    """A worker cannot claim the dispatch a producer relies on before the producer's
    message is visible; a second producer meanwhile writes a dispatch of its own."""
    queue(1)
    assert waiting_dispatches() == 1
    with transaction.atomic():
        dispatch_ensure()  # locks the waiting dispatch until this block ends

        def claim_as_a_worker():
            with transaction.atomic():
                return list(
                    DBTaskResult.objects.ready()
                    .filter(task_path=DISPATCH_TASK_PATH)
                    .select_for_update(skip_locked=True)
                    .values_list("id", flat=True)
                )

        [claimable] = run_together([claim_as_a_worker])
        assert claimable == []
        [_result] = run_together([lambda: transaction.atomic()(dispatch_ensure)()])
    assert waiting_dispatches() == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (set DATABASE_URL)"
)
@pytest.mark.django_db(transaction=True)
def test_workers_dispatching_at_once_share_the_backlog_and_send_each_message_once(
    reference_data, settings
):
    with FakeSmsServer() as fake:
        settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake)]
        queue(200)
        handled = run_together([lambda: notifications_dispatch(batch=10)] * 4)
        assert sum(handled) == 200, handled
        assert sum(1 for count in handled if count) >= 2, handled  # the work was shared
        references = [message["client_reference"] for message in fake.messages]
        posts = [r for r in fake.request_log if r["path"].startswith("/v1/messages")]
    assert len(references) == len(set(references)) == 200
    assert len(posts) == 200
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
