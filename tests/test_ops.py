"""Operations: health and readiness probes, Prometheus metrics, request ids in the logs
(and in the worker's logs of the tasks a request enqueued), the worker's heartbeat."""

import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from functools import partial

import pytest
import requests
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client
from django.urls import path
from django.utils import timezone

from mizan.notifications.services import notification_queue
from mizan.ops.log_format import JsonFormatter
from mizan.ops.models import TaskRequestId, WorkerHeartbeat
from mizan.ops.request_id import RequestIdFilter, current_request_id, request_id_scope
from mizan.ops.services import worker_heartbeat_record

TOKEN = "metrics-token-for-tests"


def queue_sms(number: str = "+212612345678", key: str = "ops-test:1"):
    return notification_queue(
        template_key="phone.code",
        recipient=number,
        language="fr",
        context={"code": "123456", "minutes": 10},
        idempotency_key=key,
    )


def beat(worker_id: str = "worker-a"):
    return worker_heartbeat_record(
        worker_id=worker_id, hostname="app-1", pid=4242, started_at=timezone.now()
    )


def get(live_server, path: str, **kwargs) -> requests.Response:
    return requests.get(live_server.url + path, timeout=30, **kwargs)


@pytest.fixture
def json_log():
    """A JSON handler, as MIZAN_LOG_FORMAT=json configures, on the root logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


# --- health and readiness -------------------------------------------------------------


def test_healthz_answers_without_the_database(client):
    """No `db` fixture: any query would fail the test."""
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
    assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    assert not response.cookies


def test_probes_are_not_redirected_to_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # its middleware reads the setting now
    assert client.get("/fr/").status_code == 301
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 404  # not configured; not redirected


def test_readyz_needs_a_recent_worker_heartbeat(live_server):
    response = get(live_server, "/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok" and body["checks"]["migrations"] == "ok"
    assert body["checks"]["worker"].startswith("no worker heartbeat")
    assert "no-cache" in response.headers["Cache-Control"]

    beat()
    response = get(live_server, "/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {
            "database": "ok",
            "migrations": "ok",
            "worker": "ok",
            "notification_queue": "ok",
        },
    }
    # Probes neither create nor write sessions.
    assert "Set-Cookie" not in response.headers and not Session.objects.exists()


def test_readyz_fails_when_a_message_waits_too_long(live_server, settings):
    beat()
    queue_sms()
    settings.MIZAN_READY_QUEUE_AGE_SECONDS = 0
    response = get(live_server, "/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["notification_queue"].startswith("oldest message in flight")
    assert checks["worker"] == "ok"

    settings.MIZAN_READY_QUEUE_AGE_SECONDS = 900
    assert get(live_server, "/readyz").status_code == 200


def test_readyz_ignores_old_heartbeats(live_server, settings):
    beat()
    time.sleep(0.05)
    settings.MIZAN_READY_HEARTBEAT_SECONDS = 0
    assert get(live_server, "/readyz").json()["checks"]["worker"] != "ok"


# --- metrics --------------------------------------------------------------------------


def test_metrics_needs_its_token(live_server, settings):
    settings.MIZAN_METRICS_TOKEN = ""
    assert get(live_server, "/metrics").status_code == 404
    assert get(live_server, "/metrics", headers={"Authorization": "Bearer x"}).status_code == 404

    settings.MIZAN_METRICS_TOKEN = TOKEN
    missing = get(live_server, "/metrics")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = get(live_server, "/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    basic = get(live_server, "/metrics", headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401


def test_metrics_show_the_service_and_its_traffic(live_server, settings, reference_data):
    from .factories import file_complaint

    settings.MIZAN_METRICS_TOKEN = TOKEN
    case = file_complaint().case
    queue_sms()
    beat()
    assert get(live_server, "/healthz").status_code == 200
    assert get(live_server, "/fr/no-such-page/").status_code == 404

    response = get(live_server, "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = response.text
    assert re.search(
        rf'^mizan_cases\{{procedure="complaint",status="{case.status}"\}} 1\.0$', text, re.M
    )
    assert re.search(
        r'^mizan_cases_by_channel\{channel="web",procedure="complaint"\} 1\.0$', text, re.M
    )
    # The complaint's acknowledgement and the test's own SMS.
    assert re.search(r'^mizan_notifications\{channel="sms",status="queued"\} [1-9]', text, re.M)
    assert re.search(r'^mizan_task_queue_ready\{queue="notifications"\} [1-9]', text, re.M)
    assert re.search(r'^mizan_task_queue_oldest_ready_seconds\{queue="default"\} 0\.0$', text, re.M)
    assert re.search(r"^mizan_notifications_oldest_in_flight_seconds [0-9.e+-]+$", text, re.M)
    assert re.search(
        r'^mizan_worker_heartbeat_age_seconds\{hostname="app-1",worker_id="worker-a"\} ', text, re.M
    )
    assert re.search(r"^mizan_workers_alive 1\.0$", text, re.M)
    assert re.search(r"^mizan_database_up 1\.0$", text, re.M)
    # Traffic by view name (never the raw path), method and status class.
    assert re.search(
        r'^mizan_http_requests_total\{method="GET",status="2xx",view="ops:healthz"\} [1-9]',
        text,
        re.M,
    )
    assert re.search(
        r'^mizan_http_requests_total\{method="GET",status="4xx",view="unmatched"\} [1-9]',
        text,
        re.M,
    )
    assert 'mizan_http_request_duration_seconds_bucket{le="0.005",view="ops:healthz"}' in text
    assert "no-such-page" not in text


# --- request ids ----------------------------------------------------------------------


def test_a_sane_request_id_is_echoed_and_an_unsafe_one_replaced(live_server):
    given = get(live_server, "/healthz", headers={"X-Request-ID": "lb-1234.abc_DEF-9"})
    assert given.headers["X-Request-ID"] == "lb-1234.abc_DEF-9"
    made = get(live_server, "/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    for unsafe in ("<script>alert(1)</script>", "a" * 65, "two words", "x;rm -rf"):
        replaced = get(live_server, "/healthz", headers={"X-Request-ID": unsafe})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"]), unsafe


def test_the_request_id_is_in_the_json_log_record(live_server, json_log):
    # /metrics without a token configured is a 404, which django.request logs.
    response = get(live_server, "/metrics", headers={"X-Request-ID": "trace-me-42"})
    assert response.status_code == 404
    records = [record for record in json_log() if record["request_id"] == "trace-me-42"]
    assert records, json_log()
    record = records[0]
    assert record["logger"] == "django.request" and record["level"] == "WARNING"
    assert "/metrics" in record["message"] and record["status_code"] == 404
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", record["time"])
    assert current_request_id() is None  # nothing leaks out of the request


def test_json_log_format_is_selected_by_the_setting():
    code = "import logging; logging.getLogger('mizan.probe').warning('hello %s', 'there')"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        env={**os.environ, "MIZAN_LOG_FORMAT": "json"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert {"logger": "mizan.probe", "message": "hello there", "request_id": "-"}.items() <= (
        lines[-1].items()
    )


def run_worker_logged() -> None:
    """`manage.py worker` until the queue is empty, its task lines logged (verbosity 1)."""
    loggers = [logging.getLogger(name) for name in ("django.tasks", "django_tasks_db")]
    levels = [logger.level for logger in loggers]
    try:
        call_command("worker", "--batch", "--no-startup-delay", "--sweep-interval", "0")
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def enqueue_a_message(request):
    queue_sms(key="ops-test:request")
    return HttpResponse("queued")


urlpatterns = [path("enqueue/", enqueue_a_message)]


@pytest.mark.urls("tests.test_ops")
def test_the_request_id_follows_the_request_into_its_task(transactional_db, json_log):
    response = Client().get("/enqueue/", headers={"X-Request-ID": "case-step-7"})
    assert response["X-Request-ID"] == "case-step-7"
    assert list(TaskRequestId.objects.values_list("request_id", flat=True)) == ["case-step-7"]

    run_worker_logged()
    task_lines = [record for record in json_log() if record["logger"] == "django.tasks"]
    assert any("state=RUNNING" in record["message"] for record in task_lines), task_lines
    assert any("state=SUCCESSFUL" in record["message"] for record in task_lines), task_lines
    assert {record["request_id"] for record in task_lines} == {"case-step-7"}
    assert current_request_id() is None


def test_the_request_id_goes_with_its_task_row(db):
    from django_tasks_db.models import DBTaskResult

    with request_id_scope("case-step-8"):
        queue_sms()
    assert TaskRequestId.objects.get().request_id == "case-step-8"
    DBTaskResult.objects.all().delete()  # as prune_db_task_results does
    assert not TaskRequestId.objects.exists()


def test_a_task_without_a_request_has_no_request_id(transactional_db, json_log):
    queue_sms()
    assert not TaskRequestId.objects.exists()
    run_worker_logged()
    task_lines = [record for record in json_log() if record["logger"] == "django.tasks"]
    assert task_lines and all(record["request_id"] == "-" for record in task_lines)


# --- the worker's heartbeat -----------------------------------------------------------


def test_the_worker_records_its_heartbeat(transactional_db):
    call_command(
        "worker",
        "--batch",
        "--no-startup-delay",
        "--sweep-interval",
        "0.1",
        "--worker-id",
        "worker-under-test",
        verbosity=0,
    )
    heartbeat = WorkerHeartbeat.objects.get(worker_id="worker-under-test")
    assert heartbeat.pid == os.getpid() and heartbeat.hostname == socket.gethostname()
    assert (timezone.now() - heartbeat.last_seen).total_seconds() < 30


def test_the_sweep_thread_keeps_beating(transactional_db):
    from mizan.notifications.management.commands.worker import _sweep_forever

    first = beat("worker-b").last_seen
    stop = threading.Event()
    sweeper = threading.Thread(
        target=_sweep_forever,
        args=(0.05, stop),
        kwargs={"recover": False, "heartbeat": partial(beat, "worker-b")},
    )
    sweeper.start()
    try:
        deadline = time.monotonic() + 10
        while WorkerHeartbeat.objects.get(worker_id="worker-b").last_seen == first:
            assert time.monotonic() < deadline, "no heartbeat from the sweep thread"
            time.sleep(0.05)
    finally:
        stop.set()
        sweeper.join(timeout=10)
    assert WorkerHeartbeat.objects.count() == 1
