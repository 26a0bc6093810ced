"""Prometheus metrics: HTTP traffic counted in each process, the state of the service
read from the database at scrape time.

gunicorn runs several processes and a scrape reaches one of them: with
PROMETHEUS_MULTIPROC_DIR set (before this module is imported; `make serve-prod` does
it), every process writes its counters to files there and a scrape adds them all up.
Without it (runserver, tests) the counters live in this process's default registry.
"""

import os
import time
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from mizan.notifications.selectors import oldest_in_flight_seconds, sms_providers_health

from . import selectors

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

HTTP_REQUESTS = Counter(
    "mizan_http_requests",
    "HTTP requests answered, by method, view and status class.",
    ["method", "view", "status"],
)
HTTP_LATENCY = Histogram(
    "mizan_http_request_duration_seconds",
    "Time to answer a request, by view.",
    ["view"],
)
# Label values come from these sets or from the URL configuration, never from the
# request itself: a client must not be able to create series at will.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"


class MetricsMiddleware:
    """Second in the stack (after the request id): it times and counts every response,
    redirects and refusals of the outer middleware included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        # view_name is the namespaced url name ("portal:track_detail"): one series per
        # page, whatever the reference or the language in the path.
        view = match.view_name if match is not None else UNMATCHED
        method = request.method if request.method in METHODS else "other"
        HTTP_REQUESTS.labels(
            method=method, view=view, status=f"{response.status_code // 100}xx"
        ).inc()
        HTTP_LATENCY.labels(view=view).observe(time.perf_counter() - started)
        return response


class DatabaseCollector:
    """The service's state, read when Prometheus scrapes (every app server answers the
    same values: aggregate them with max(), not sum())."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "mizan_database_up", "1 if the database answered the metrics' queries."
        )
        try:
            families = list(self._families())
        except DatabaseError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterator[Metric]:
        now = timezone.now()
        cases = GaugeMetricFamily(
            "mizan_cases", "Cases by procedure and status.", labels=["procedure", "status"]
        )
        for procedure, status, count in selectors.cases_by_procedure_and_status():
            cases.add_metric([procedure, status], count)
        yield cases

        channels = GaugeMetricFamily(
            "mizan_cases_by_channel",
            "Cases by procedure and the channel they were filed through.",
            labels=["procedure", "channel"],
        )
        for procedure, channel, count in selectors.cases_by_procedure_and_channel():
            channels.add_metric([procedure, channel], count)
        yield channels

        notifications = GaugeMetricFamily(
            "mizan_notifications",
            "Notifications by channel and status.",
            labels=["channel", "status"],
        )
        for channel, status, count in selectors.notifications_by_channel_and_status():
            notifications.add_metric([channel, status], count)
        yield notifications

        yield GaugeMetricFamily(
            "mizan_notifications_oldest_in_flight_seconds",
            "Age of the oldest queued, sending or temporarily failed notification (0: none).",
            value=oldest_in_flight_seconds(now),
        )

        provider_up = GaugeMetricFamily(
            "mizan_sms_provider_up",
            "1 if the SMS provider answers, 0 while it is recorded down (probed, at most "
            "MIZAN_SMS_PROVIDER_PROBE_MAX_SECONDS apart).",
            labels=["provider"],
        )
        provider_down_for = GaugeMetricFamily(
            "mizan_sms_provider_down_seconds",
            "How long the SMS provider has been recorded down (0: up).",
            labels=["provider"],
        )
        for provider in sms_providers_health():
            provider_up.add_metric([provider["provider"]], 1 if provider["up"] else 0)
            down_since = provider["down_since"]
            seconds = max((now - down_since).total_seconds(), 0.0) if down_since else 0.0
            provider_down_for.add_metric([provider["provider"]], seconds)
        yield provider_up
        yield provider_down_for

        depth = GaugeMetricFamily(
            "mizan_task_queue_ready",
            "Tasks ready to run now, by queue.",
            labels=["queue"],
        )
        age = GaugeMetricFamily(
            "mizan_task_queue_oldest_ready_seconds",
            "How long the oldest task ready to run has waited, by queue.",
            labels=["queue"],
        )
        queues = {queue: (0, 0.0) for queue in _configured_queues()}
        for row in selectors.task_queue_depths(now):
            queues[row.queue] = (row.ready, row.oldest_seconds)
        for queue, (ready, oldest) in sorted(queues.items()):
            depth.add_metric([queue], ready)
            age.add_metric([queue], oldest)
        yield depth
        yield age

        heartbeat_age = GaugeMetricFamily(
            "mizan_worker_heartbeat_age_seconds",
            "Seconds since each task worker's last heartbeat (rows kept a day).",
            labels=["worker_id", "hostname"],
        )
        alive = 0
        for heartbeat in selectors.worker_heartbeats():
            seconds = max((now - heartbeat.last_seen).total_seconds(), 0.0)
            heartbeat_age.add_metric([heartbeat.worker_id, heartbeat.hostname], seconds)
            alive += seconds <= settings.MIZAN_READY_HEARTBEAT_SECONDS
        yield heartbeat_age
        yield GaugeMetricFamily(
            "mizan_workers_alive",
            "Task workers whose heartbeat is within MIZAN_READY_HEARTBEAT_SECONDS.",
            value=alive,
        )


def _configured_queues() -> list[str]:
    # An empty queue has no row to count: list the configured ones so that each
    # series exists (at 0) from the first scrape.
    return [queue for backend in settings.TASKS.values() for queue in backend.get("QUEUES", [])]


def scrape_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if MULTIPROCESS:
        MultiProcessCollector(registry)
    else:
        # This process's counters, and the process/platform collectors of the default
        # registry (memory, CPU, open files).
        registry.register(REGISTRY)
    registry.register(DatabaseCollector())
    return registry
