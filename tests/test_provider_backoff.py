"""The back-off per SMS provider: a provider down is asked by one message at a time, at
most once per probe interval, its waiting messages spend no attempts, and its whole
backlog is due as soon as it answers (docs/decisions/0005-provider-back-off.md).

The provider is a fake aggregator over real HTTP; the dispatcher is driven directly.
Bounds are counts against the time that really passed, never wall-clock thresholds.
"""

import json
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from mizan.notifications.gateways import TemporaryGatewayError
from mizan.notifications.models import Notification, ProviderHealth
from mizan.notifications.routing import PROBE_WAIT, PROBE_WON
from mizan.notifications.services import (
    notifications_dispatch,
    provider_mark_down,
    provider_probe_claim,
    provider_probe_delay,
)
from mizan.testing.fake_sms_http import FakeSmsServer

from .test_concurrency import run_together
from .test_notification_dispatch import queue
from .test_notifications import aggregator

Status = Notification.Status
# Probes at 0.2 s, then 0.4 s apart: short for the test, long against one dispatch.
PROBE_BASE = 0.2
PROBE_MAX = 0.4


@pytest.fixture
def probe_settings(settings):
    settings.MIZAN_SMS_RETRY_BASE_SECONDS = PROBE_BASE
    settings.MIZAN_SMS_PROVIDER_PROBE_MAX_SECONDS = PROBE_MAX
    # A message's own back-off would be long: nothing below may wait for it.
    settings.MIZAN_SMS_RETRY_MAX_SECONDS = 3600
    return settings


def posts(fake) -> list[dict]:
    return [r for r in fake.request_log if r["path"].startswith("/v1/messages")]


def dispatch_for(seconds: float) -> float:
    """Run the dispatcher over and over, as busy workers would; returns the time spent."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        notifications_dispatch()
        time.sleep(0.02)
    return time.monotonic() - started


def wait_for_the_probe(name: str) -> None:
    health = ProviderHealth.objects.get(provider=name)
    wait = (health.next_probe_at - timezone.now()).total_seconds()
    time.sleep(max(wait, 0) + 0.05)


@pytest.mark.django_db(transaction=True)
def test_a_provider_down_is_probed_once_per_interval_and_gets_its_backlog_at_once(
    reference_data, probe_settings
):
    with FakeSmsServer() as fake:
        probe_settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake)]
        fake.mode = "fail"  # 503: every request is logged
        queue(30)
        elapsed = dispatch_for(2.0)

        asked = len(posts(fake))
        # Without the back-off per provider, every dispatch run asked it once (about
        # 50 times here); now once per probe interval at most.
        assert 1 <= asked <= elapsed / PROBE_BASE + 2, asked
        rows = list(Notification.objects.all())
        assert {row.status for row in rows} <= {Status.QUEUED, Status.TEMPORARY_FAILURE}
        # Only the probes were attempts; the others waited without spending any.
        assert sum(row.attempts for row in rows) == asked
        assert sum(1 for row in rows if row.attempts == 0) >= len(rows) - asked
        health = ProviderHealth.objects.get(provider="agg")
        assert health.down_since is not None and health.failures == asked
        assert "503" in health.last_error or "unavailable" in health.last_error.lower()
        # Nobody waits beyond the provider's next probe for a back-off of its own.
        assert all(
            row.next_attempt_at <= health.next_probe_at for row in rows if row.next_attempt_at
        )
        assert all(row.waiting_for_provider for row in rows if row.attempts)

        fake.mode = "accept"
        wait_for_the_probe("agg")
        # One dispatch: the probe answers, and the whole backlog follows it at once.
        assert notifications_dispatch() == 30
        references = [message["client_reference"] for message in fake.messages]
    assert len(references) == len(set(references)) == 30
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
    health = ProviderHealth.objects.get(provider="agg")
    assert health.down_since is None and health.next_probe_at is None and health.failures == 0


@pytest.mark.django_db(transaction=True)
def test_messages_go_to_the_healthy_provider_while_the_primary_is_down(
    reference_data, probe_settings
):
    probe_settings.MIZAN_SMS_RETRY_BASE_SECONDS = 2.0
    probe_settings.MIZAN_SMS_PROVIDER_PROBE_MAX_SECONDS = 2.0
    with FakeSmsServer() as primary, FakeSmsServer() as backup:
        probe_settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", primary), aggregator("bak", backup)]
        primary.mode = "fail"
        started = time.monotonic()
        queue(10)
        notifications_dispatch()
        queue(10, start=10)
        notifications_dispatch()
        elapsed = time.monotonic() - started

        # The first message found the primary down and went to the backup; the others
        # went straight to the backup, the primary asked once per probe interval.
        assert 1 <= len(posts(primary)) <= 1 + elapsed / 2.0
        assert len(backup.messages) == 20
        assert set(Notification.objects.values_list("provider", flat=True)) == {"bak"}
        assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
        assert ProviderHealth.objects.get(provider="agg").down_since is not None
        assert not ProviderHealth.objects.filter(provider="bak").exists()

        # Back: the probe that finds it answering is the message it takes, and the
        # traffic returns to the primary.
        primary.mode = "accept"
        wait_for_the_probe("agg")
        queue(5, start=20)
        notifications_dispatch()
        assert len(primary.messages) == 5 and len(backup.messages) == 20
    assert ProviderHealth.objects.get(provider="agg").down_since is None
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}


@pytest.mark.django_db(transaction=True)
def test_messages_waiting_for_a_provider_down_still_give_up_after_the_window(
    reference_data, probe_settings
):
    probe_settings.MIZAN_SMS_RETRY_WINDOW_SECONDS = 1.0
    with FakeSmsServer() as fake:
        probe_settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake)]
        fake.mode = "fail"
        queue(5)
        started = time.monotonic()
        deadline = started + 30  # generous: it takes about a second
        while set(Notification.objects.values_list("status", flat=True)) != {
            Status.TECHNICAL_FAILURE
        }:
            assert time.monotonic() < deadline, list(
                Notification.objects.values_list("status", "next_attempt_at")
            )
            notifications_dispatch()
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        assert len(posts(fake)) <= elapsed / PROBE_BASE + 2
    reasons = list(Notification.objects.values_list("failure_reason", flat=True))
    assert all(reason.startswith("gave up") for reason in reasons), reasons


@pytest.mark.django_db(transaction=True)
def test_a_permanent_refusal_is_an_answer_the_provider_is_up(reference_data, probe_settings):
    with FakeSmsServer() as fake:
        probe_settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake)]
        fake.mode = "fail"
        [bad] = queue(1)
        notifications_dispatch()
        assert ProviderHealth.objects.get(provider="agg").down_since is not None
        fake.mode = "accept"
        fake.invalid_numbers = {bad.recipient}
        wait_for_the_probe("agg")
        notifications_dispatch()
    bad.refresh_from_db()
    assert bad.status == Status.PERMANENT_FAILURE
    assert ProviderHealth.objects.get(provider="agg").down_since is None


def test_the_probe_interval_doubles_from_the_retry_base_up_to_a_minute(settings):
    settings.MIZAN_SMS_RETRY_BASE_SECONDS = 30
    settings.MIZAN_SMS_RETRY_MAX_SECONDS = 3600
    settings.MIZAN_SMS_PROVIDER_PROBE_MAX_SECONDS = 60
    assert [provider_probe_delay(n) for n in (1, 2, 3, 1000)] == [30, 60, 60, 60]
    settings.MIZAN_SMS_RETRY_MAX_SECONDS = 45  # never longer than a message's own
    assert provider_probe_delay(5) == 45


@pytest.mark.django_db(transaction=True)
def test_only_one_message_takes_a_due_probe(reference_data, settings):
    settings.MIZAN_SMS_RETRY_BASE_SECONDS = 0.05
    settings.MIZAN_SMS_GATEWAYS = [{"name": "agg", "kind": "console"}]
    provider_mark_down(name="agg", error=TemporaryGatewayError("connection refused"))
    time.sleep(0.1)
    assert provider_probe_claim(name="agg")[0] == PROBE_WON
    outcome, next_probe_at = provider_probe_claim(name="agg")
    assert outcome == PROBE_WAIT and next_probe_at > timezone.now()


@pytest.mark.django_db(transaction=True)
def test_the_status_command_and_the_metrics_show_a_provider_down(
    reference_data, settings, live_server
):
    import requests

    settings.MIZAN_METRICS_TOKEN = "metrics-token"
    settings.MIZAN_SMS_GATEWAYS = [
        {"name": "agg", "kind": "console"},
        {"name": "bak", "kind": "console"},
    ]
    provider_mark_down(name="agg", error=TemporaryGatewayError("connection refused"))
    out = StringIO()
    call_command("notifications_status", "--json", stdout=out)
    providers = {p["provider"]: p for p in json.loads(out.getvalue())["providers"]}
    assert providers["agg"]["up"] is False and providers["agg"]["failures"] == 1
    assert providers["agg"]["last_error"] == "connection refused"
    assert providers["bak"]["up"] is True

    text = requests.get(
        f"{live_server.url}/metrics",
        headers={"Authorization": "Bearer metrics-token"},
        timeout=10,
    ).text
    assert 'mizan_sms_provider_up{provider="agg"} 0.0' in text
    assert 'mizan_sms_provider_up{provider="bak"} 1.0' in text
    assert 'mizan_sms_provider_down_seconds{provider="bak"} 0.0' in text


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (set DATABASE_URL)"
)
@pytest.mark.django_db(transaction=True)
def test_workers_dispatching_at_once_probe_a_provider_down_once(reference_data, probe_settings):
    # Probes far apart: only the race for one due probe is under test.
    probe_settings.MIZAN_SMS_RETRY_BASE_SECONDS = 60
    probe_settings.MIZAN_SMS_PROVIDER_PROBE_MAX_SECONDS = 60
    with FakeSmsServer() as fake:
        probe_settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake)]
        fake.mode = "fail"
        queue(40)
        provider_mark_down(name="agg", error=TemporaryGatewayError("connection refused"))
        # Its probe is due (rather than wait out a real interval).
        ProviderHealth.objects.update(next_probe_at=timezone.now())
        handled = run_together([lambda: notifications_dispatch(batch=10)] * 4)
        assert not [h for h in handled if isinstance(h, Exception)], handled
        assert len(posts(fake)) == 1
        rows = list(Notification.objects.all())
        assert sum(row.attempts for row in rows) == 1
        assert {row.status for row in rows} <= {Status.QUEUED, Status.TEMPORARY_FAILURE}

        # Back, and several workers at once: a new message probes, the backlog follows,
        # each message taken once.
        fake.mode = "accept"
        ProviderHealth.objects.update(next_probe_at=timezone.now())
        queue(10, start=40)
        run_together([lambda: notifications_dispatch(batch=10)] * 4)
        # What the others had put back was made due when the probe answered, with a
        # dispatch to take it: that dispatch.
        notifications_dispatch()
        references = [message["client_reference"] for message in fake.messages]
    assert len(references) == len(set(references)) == 50
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
