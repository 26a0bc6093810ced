"""Faults survived by real processes: a worker killed (SIGKILL) in the middle of a batch
and started again; every message ends delivered, and the provider takes none twice. And
a worker that meets the database away (a PostgreSQL restart) waits for it, instead of
ending (`make chaos` restarts a real PostgreSQL under load: docs/operations.md).

Everything runs as in production, in separate processes on a database file of its own:
`manage.py worker`, a web server receiving the provider's signed receipts, and the fake
aggregator on loopback.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import InterfaceError, OperationalError

from mizan.notifications.models import Notification
from mizan.notifications.services import DISPATCH_BATCH, notification_queue
from mizan.testing.fake_sms_http import FakeSmsServer

from .test_notifications import free_port

SECRET = "fault-receipts-secret"
MESSAGES = 120


def _env(work: Path, extra: dict) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MIZAN_")}
    clean.pop("DATABASE_URL", None)
    return {
        **clean,
        "DATABASE_URL": f"sqlite:///{work / 'faults.sqlite3'}",
        "MIZAN_SECRET_KEY": "faults-test-secret-key-" + "x" * 40,
        "MIZAN_ALLOWED_HOSTS": "127.0.0.1",
        "MIZAN_COLLECTED_STATIC": "false",
        "MIZAN_SMS_LEASE_SECONDS": "2",
        "MIZAN_SMS_RETRY_BASE_SECONDS": "0.2",
        "MIZAN_SMS_RETRY_MAX_SECONDS": "1",
        **extra,
    }


def _manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )


def _start(env: dict, *args: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _statuses(database: Path) -> dict[str, int]:
    with sqlite3.connect(database, timeout=20) as connection:
        rows = connection.execute(
            "SELECT status, COUNT(*) FROM notifications_notification GROUP BY status"
        ).fetchall()
    return dict(rows)


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@pytest.mark.skipif(sys.platform != "linux", reason="process signals")
def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(tmp_path):
    web_port = free_port()
    with FakeSmsServer(
        receipt_url=f"http://127.0.0.1:{web_port}/sms/receipts/agg/", receipt_secret=SECRET
    ) as fake:
        # Each message holds its worker 20 ms after the provider took it: a kill lands
        # in the middle of a call now and then, which is the case to survive.
        fake.mode = "accept_then_hang"
        fake.hang_seconds = 0.02
        gateways = [
            {
                "name": "agg",
                "kind": "http-json",
                "url": fake.json_url,
                "token": fake.token,
                "webhook_secret": SECRET,
                "read_timeout": 2,
            }
        ]
        env = _env(tmp_path, {"MIZAN_SMS_GATEWAYS": json.dumps(gateways)})
        _manage(env, "migrate", "--no-input", "-v0")
        _manage(
            env,
            "shell",
            "-c",
            "from mizan.notifications.services import notification_queue\n"
            f"for i in range({MESSAGES}):\n"
            "    notification_queue(template_key='complaint.closed',"
            " recipient=f'+2126123{i:05d}', language='fr',"
            " context={'reference': f'PLT-2026-{i:06d}-N'}, idempotency_key=f'fault-{i}')\n",
        )
        database = tmp_path / "faults.sqlite3"
        log = tmp_path / "processes.log"
        web = _start(env, "runserver", "--noreload", f"127.0.0.1:{web_port}", log=log)
        worker = _start(env, "worker", "--interval", "0.05", "--sweep-interval", "0.5", log=log)
        try:
            _wait(lambda: len(fake.messages) >= MESSAGES // 3, 60, "the first messages")
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
            taken_at_kill = len(fake.messages)
            assert taken_at_kill < MESSAGES, "the kill came too late to test anything"

            worker = _start(env, "worker", "--interval", "0.05", "--sweep-interval", "0.5", log=log)
            try:
                _wait(
                    lambda: _statuses(database) == {"delivered": MESSAGES},
                    90,
                    "every message delivered",
                )
            except AssertionError as timed_out:
                # What the processes saw, for a failure on a loaded CI machine.
                failed_receipts = [r for r in fake.receipts_sent if r["status"] != 200]
                raise AssertionError(
                    f"{timed_out}: statuses {_statuses(database)}, {len(fake.messages)} taken,"
                    f" receipts not taken {failed_receipts[-5:]},"
                    f" processes said:\n{log.read_text(errors='replace')[-4000:]}"
                ) from None
        finally:
            _stop(worker)
            _stop(web)
        references = [message["client_reference"] for message in fake.messages]
        assert len(references) == MESSAGES == len(set(references))
        posts = [r for r in fake.request_log if r["path"].startswith("/v1/messages")]
        # Only messages the killed worker had not recorded yet (at most its batch) were
        # asked again, with the same reference, which the provider deduplicates.
        assert len(posts) <= MESSAGES + DISPATCH_BATCH


def test_the_worker_waits_for_the_database_instead_of_ending(transactional_db, monkeypatch, caplog):
    """A PostgreSQL restart refuses connections for a few seconds ("the database system is
    shutting down"), then the pooled ones are dead ("connection already closed"). db_worker
    ended the process on either, and `scripts/serve-prod` then stopped the machine's web
    server with it (found by `make chaos`)."""
    from django_tasks_db.models import DBTaskResultQuerySet

    from mizan.notifications.management.commands import worker as worker_command

    claim = DBTaskResultQuerySet.get_locked
    outage = [
        OperationalError("connection failed: FATAL: the database system is shutting down"),
        InterfaceError("connection already closed"),
    ]

    def claim_while_the_database_restarts(queryset):
        if outage:
            raise outage.pop(0)
        return claim(queryset)

    monkeypatch.setattr(DBTaskResultQuerySet, "get_locked", claim_while_the_database_restarts)
    monkeypatch.setattr(worker_command, "OUTAGE_FIRST_PAUSE", 0.01)
    notification_queue(
        template_key="phone.code",
        recipient="+212612345678",
        language="fr",
        context={"code": "123456", "minutes": 10},
        idempotency_key="outage-test:1",
    )
    caplog.set_level("WARNING", logger="mizan.worker")

    call_command("worker", "--batch", "--no-startup-delay", "--sweep-interval", "0", verbosity=0)

    assert not outage
    assert Notification.objects.get().status == Notification.Status.DELIVERED
    waits = [r.getMessage() for r in caplog.records if r.name == "mizan.worker"]
    assert len(waits) == 2 and all("database unavailable" in w for w in waits), waits
