"""The notification lifecycle against real providers on loopback: a fake aggregator over
HTTP (it accepts, fails, hangs, throttles and sends receipts out of order and twice),
receipts arriving on the real webhook of a live server, and the real task worker."""

import json
import time
from decimal import Decimal

import pytest
import requests
from django.core import mail

from mizan.cases.models import Case
from mizan.notifications.models import DeliveryReceipt, Notification
from mizan.notifications.services import notifications_recover
from mizan.testing.fake_sms_http import FakeSmsServer, receipt_signature

from .factories import file_complaint

SECRET = "receipts-secret"
Status = Notification.Status


def aggregator(name, fake, **extra):
    return {
        "name": name,
        "kind": "http-json",
        "url": fake.json_url,
        "token": fake.token,
        "webhook_secret": SECRET,
        "read_timeout": 1,
        "connect_timeout": 1,
        "cost": "0.20",
        **extra,
    }


@pytest.fixture
def fake(live_server):
    with FakeSmsServer(
        receipt_url=f"{live_server.url}/sms/receipts/agg/", receipt_secret=SECRET
    ) as server:
        yield server


@pytest.fixture
def fast_retries(settings):
    settings.MIZAN_SMS_RETRY_BASE_SECONDS = 0.05
    settings.MIZAN_SMS_RETRY_MAX_SECONDS = 0.1


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def work_until(run_worker, predicate, timeout=10.0):
    """Run the worker until the predicate holds: retries become due while it runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run_worker()
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def sms_of(case):
    return Notification.objects.get(case=case, channel=Notification.Channel.SMS)


def test_filing_queues_the_sms_and_the_email_with_their_size_and_cost(
    reference_data, run_worker, settings
):
    settings.MIZAN_SMS_GATEWAYS = [{"name": "console", "kind": "console", "cost": "0.15"}]
    filing = file_complaint(language="ar", email="amina@example.ma")
    sms = sms_of(filing.case)
    assert sms.status == Status.QUEUED
    assert sms.encoding == "ucs2" and sms.segments >= 2
    assert sms.estimated_cost == sms.segments * Decimal("0.15")
    assert sms.client_reference.startswith("mz") and filing.case.reference in sms.body
    email = Notification.objects.get(case=filing.case, channel=Notification.Channel.EMAIL)
    assert email.recipient == "amina@example.ma" and email.subject

    run_worker()
    sms.refresh_from_db()
    email.refresh_from_db()
    assert sms.status == Status.DELIVERED and sms.attempts == 1
    assert email.status == Status.SENT
    [message] = mail.outbox
    assert message.to == ["amina@example.ma"] and filing.case.reference in message.body
    html = message.alternatives[0].content
    assert 'dir="rtl"' in html and 'lang="ar"' in html


def test_an_aggregator_takes_the_message_and_its_receipts_move_it_forward_once(
    reference_data, run_worker, settings, fake
):
    fake.receipt_twice = True
    fake.receipt_out_of_order = True  # "delivered", then a stale "accepted"
    settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake)]
    filing = file_complaint(phone="+212612340001")
    run_worker()
    [sent] = fake.wait_for_messages(1)
    assert sent["client_reference"] == sms_of(filing.case).client_reference
    assert sent["to"] == "+212612340001"

    sms = wait_until(
        lambda: (n := sms_of(filing.case)).status == Status.DELIVERED and n,
    )
    # Three receipts sent (delivered twice, then a stale "accepted"); an identical signed
    # request replayed is not even
    # recorded a second time.
    wait_until(lambda: len(fake.receipts_sent) >= 3)
    wait_until(lambda: DeliveryReceipt.objects.count() >= 2)
    sms.refresh_from_db()
    assert sms.status == Status.DELIVERED and sms.provider == "agg"
    assert sms.provider_reference == sent["id"]
    outcomes = list(DeliveryReceipt.objects.values_list("status", "outcome"))
    assert outcomes.count(("delivered", "applied")) == 1
    assert all(outcome == "ignored" for status, outcome in outcomes if status == "sent")


def _post_receipt(live_server, body: dict, *, timestamp=None, secret=SECRET, provider="agg"):
    raw = json.dumps(body).encode()
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    return requests.post(
        f"{live_server.url}/sms/receipts/{provider}/",
        data=raw,
        headers={
            "Content-Type": "application/json",
            "X-Signature-Timestamp": timestamp,
            "X-Signature": receipt_signature(secret, timestamp, raw),
        },
        timeout=5,
    )


def test_forged_stale_or_unknown_receipts_change_nothing(
    reference_data, run_worker, settings, fake, live_server
):
    fake.receipt_url = None  # no automatic receipts: this test sends them by hand
    settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake)]
    filing = file_complaint(phone="+212612340002")
    run_worker()
    sms = sms_of(filing.case)
    assert sms.status == Status.SENT
    receipt = {"id": sms.provider_reference, "status": "failed", "error_code": "x"}

    assert _post_receipt(live_server, receipt, secret="not-the-secret").status_code == 403
    old = int(time.time()) - 3600
    assert _post_receipt(live_server, receipt, timestamp=old).status_code == 403
    assert _post_receipt(live_server, receipt, provider="nobody").status_code == 404
    unknown = _post_receipt(live_server, {"id": "never-sent", "status": "delivered"})
    assert unknown.status_code == 200 and unknown.json()["outcome"] == "unmatched"
    sms.refresh_from_db()
    assert sms.status == Status.SENT

    # The genuine receipt applies once; the same signed request replayed is ignored.
    timestamp = int(time.time())
    genuine = _post_receipt(live_server, {**receipt, "status": "delivered"}, timestamp=timestamp)
    assert genuine.json()["outcome"] == "applied"
    replay = _post_receipt(live_server, {**receipt, "status": "delivered"}, timestamp=timestamp)
    assert replay.json()["outcome"] == "ignored"
    late_failure = _post_receipt(live_server, receipt)
    assert late_failure.json()["outcome"] == "ignored"
    sms.refresh_from_db()
    assert sms.status == Status.DELIVERED


def test_a_receipt_faster_than_the_worker_is_applied_when_the_id_is_known(
    reference_data, run_worker, settings, fake, live_server
):
    fake.receipt_url = None
    settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake)]
    filing = file_complaint(phone="+212612340003")
    run_worker()
    sms = sms_of(filing.case)
    # As if the provider's receipt had come in before the worker recorded the id: it is
    # kept unmatched, then applied by the recovery sweep.
    from mizan.notifications.models import ProviderMessage

    ProviderMessage.objects.filter(notification=sms).delete()
    _post_receipt(live_server, {"id": sms.provider_reference, "status": "delivered"})
    assert DeliveryReceipt.objects.get().outcome == "unmatched"
    ProviderMessage.objects.create(
        notification=sms, provider="agg", message_id=sms.provider_reference, status="sent"
    )
    assert notifications_recover()["receipts"] == 1
    sms.refresh_from_db()
    assert sms.status == Status.DELIVERED


def test_the_fallback_takes_over_when_the_primary_is_down(
    reference_data, run_worker, settings, fake, live_server
):
    with FakeSmsServer(receipt_url=f"{live_server.url}/sms/receipts/backup/") as backup:
        backup.receipt_secret = SECRET
        settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake), aggregator("backup", backup)]
        fake.stop()
        filing = file_complaint(phone="+212612340004")
        run_worker()
        backup.wait_for_messages(1)
        sms = wait_until(lambda: (n := sms_of(filing.case)).status == Status.DELIVERED and n)
        assert sms.provider == "backup"


def test_a_provider_down_for_a_while_then_back_gets_the_backlog(
    reference_data, run_worker, settings, fake, fast_retries
):
    settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake)]
    fake.stop()
    filings = [file_complaint(phone=f"+2126123410{i:02d}") for i in range(5)]
    run_worker()
    assert {sms_of(f.case).status for f in filings} == {Status.TEMPORARY_FAILURE}
    time.sleep(0.2)
    run_worker()  # still down: retried, still waiting
    assert {sms_of(f.case).status for f in filings} == {Status.TEMPORARY_FAILURE}
    assert min(sms_of(f.case).attempts for f in filings) >= 2

    fake.start()
    work_until(run_worker, lambda: {sms_of(f.case).status for f in filings} == {Status.DELIVERED})
    assert len(fake.messages) == 5


def test_an_answer_lost_after_acceptance_is_asked_again_with_the_same_reference(
    reference_data, run_worker, settings, fake, fast_retries
):
    fake.mode = "accept_then_hang"
    fake.hang_seconds = 3
    settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake, read_timeout=0.3)]
    filing = file_complaint(phone="+212612340005")
    run_worker()
    sms = sms_of(filing.case)
    assert sms.status == Status.TEMPORARY_FAILURE and sms.uncertain_provider == "agg"

    fake.mode = "accept"
    sms = work_until(
        run_worker, lambda: (n := sms_of(filing.case)).status == Status.DELIVERED and n
    )
    assert len(fake.messages) == 1  # the provider deduplicated on our reference
    assert sms.attempts == 2 and sms.provider == "agg"
    # The second ask was answered "already have it" (200), with the first id.
    assert fake.request_log[-1]["status"] == 200
    assert sms.provider_reference == fake.messages[0]["id"]


def test_a_bad_number_flags_the_case_and_the_email_still_goes(
    reference_data, run_worker, settings, fake, office
):
    from django.test import Client

    fake.invalid_numbers = {"+212612340006"}
    settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake)]
    filing = file_complaint(phone="+212612340006", email="reach@example.ma")
    run_worker()
    sms = sms_of(filing.case)
    assert sms.status == Status.PERMANENT_FAILURE and sms.failure_reason
    case = Case.objects.get(pk=filing.case.pk)
    assert case.citizen_unreached_at is not None
    assert [m.to for m in mail.outbox] == [["reach@example.ma"]]

    client = Client()
    client.force_login(office["clerk"])
    queue = client.get("/fr/backoffice/?unreached=1").content.decode()
    assert case.reference in queue
    page = client.get(f"/fr/backoffice/cases/{case.reference}/").content.decode()
    assert "Citizen not reached" in page or "non joint" in page
    fate = client.get(f"/fr/backoffice/cases/{case.reference}/messages/")
    assert fate.status_code == 200 and "invalid_number" in fate.content.decode()


def test_a_message_never_accepted_gives_up_after_the_window(
    reference_data, run_worker, settings, fake, fast_retries, office
):
    settings.MIZAN_SMS_RETRY_WINDOW_SECONDS = 0.5
    fake.mode = "fail"
    settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake)]
    filing = file_complaint(phone="+212612340007")
    deadline = time.monotonic() + 10
    while sms_of(filing.case).status != Status.TECHNICAL_FAILURE:
        assert time.monotonic() < deadline
        run_worker()
        time.sleep(0.1)
    assert Case.objects.get(pk=filing.case.pk).citizen_unreached_at is not None
    # A later step's message gets through: the flag is lifted.
    from mizan.cases.services import case_transition

    fake.mode = "accept"
    case_transition(
        case_id=filing.case.pk,
        step_name="register",
        actor=office["clerk"],
        inputs={"registry_number": "1"},
    )
    work_until(run_worker, lambda: Case.objects.get(pk=filing.case.pk).citizen_unreached_at is None)


def test_the_citizens_request_never_touches_the_provider(reference_data, settings, fake):
    """Filing writes the message and its task; only the worker talks to the provider, so
    a hanging or failing provider cannot slow or fail the citizen's request."""
    fake.mode = "hang"
    settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake)]
    filing = file_complaint(phone="+212612340008")
    assert sms_of(filing.case).status == Status.QUEUED
    assert fake.request_log == []
