"""The notification lifecycle against real providers on loopback: a fake aggregator over
HTTP (it accepts, fails, hangs, throttles and sends receipts out of order and twice),
receipts arriving on the real webhook of a live server, and the real task worker."""

import json
import time
from decimal import Decimal

import pytest
import requests
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from mizan.cases.models import Case
from mizan.notifications.models import DeliveryReceipt, MessageTemplate, Notification
from mizan.notifications.services import notifications_recover
from mizan.testing.fake_sms_http import FakeSmsServer, receipt_signature

from .factories import file_complaint, verified_login

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


def wait_until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def work_until(run_worker, predicate, timeout=30.0):
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
    # Retries a second away: longer than a run of the worker, even on a loaded machine,
    # so that each run below is one round against the provider.
    settings.MIZAN_SMS_RETRY_BASE_SECONDS = settings.MIZAN_SMS_RETRY_MAX_SECONDS = 2
    fake.stop()
    filings = [file_complaint(phone=f"+2126123410{i:02d}") for i in range(5)]
    run_worker()
    assert {sms_of(f.case).status for f in filings} == {Status.TEMPORARY_FAILURE}
    # One message found the provider down; the rest of the batch was put back untried,
    # not sent to a dead provider one timeout at a time.
    rows = [sms_of(f.case) for f in filings]
    assert sum(row.attempts for row in rows) == 1
    assert all(row.failure_reason.startswith("not tried") for row in rows if not row.attempts)
    time.sleep(2.1)
    run_worker()  # still down: one more round, still waiting
    assert {sms_of(f.case).status for f in filings} == {Status.TEMPORARY_FAILURE}
    assert 2 <= sum(sms_of(f.case).attempts for f in filings) < 5

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
    # The first ask is taken, then its answer never comes. The second may already go
    # within this run (the provider's probe is due 50 ms later): the provider answers a
    # reference it has at once, whatever its mode.
    run_worker()
    fake.mode = "accept"
    sms = work_until(
        run_worker, lambda: (n := sms_of(filing.case)).status == Status.DELIVERED and n
    )
    assert len(fake.messages) == 1  # the provider deduplicated on our reference
    assert sms.attempts == 2 and sms.provider == "agg"  # asked twice, sent once
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
    verified_login(client, office["clerk"])
    queue = client.get("/fr/backoffice/?unreached=1").content.decode()
    assert case.reference in queue
    page = client.get(f"/fr/backoffice/cases/{case.reference}/").content.decode()
    with translation.override("fr"):
        assert gettext("Citizen not reached") in page
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


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_operator_reached_over_smpp_delivers_a_long_arabic_message_part_by_part(
    reference_data, run_worker, settings
):
    from mizan.notifications.models import InboundSms, ProviderMessage
    from mizan.notifications.routing import gateway_close_all
    from mizan.testing.smsc import TestSmsc

    # Receipts a little later: the in-memory test database locks whole tables, unlike the
    # WAL file or PostgreSQL that production runs on.
    with TestSmsc(auto_receipts=True, receipt_copies=2, receipt_delay=0.2) as smsc:
        settings.MIZAN_SMS_GATEWAYS = [
            {
                "name": "operator",
                "kind": "smpp",
                "host": "127.0.0.1",
                "port": smsc.port,
                "system_id": smsc.system_id,
                "password": smsc.password,
                "source_addr": "MIZAN",
            }
        ]
        try:
            filing = file_complaint(phone="+212612340010", language="ar")
            run_worker()
            sms = wait_until(lambda: (n := sms_of(filing.case)).status == Status.DELIVERED and n)
            assert sms.segments >= 2 and sms.provider == "operator"
            parts = ProviderMessage.objects.filter(notification=sms)
            assert parts.count() == sms.segments
            assert {part.status for part in parts} == {Status.DELIVERED}
            [received] = smsc.messages()
            assert received.text == sms.body and received.destination_addr == "212612340010"

            # The citizen texts the reference from the filing phone: the status comes back.
            smsc.send_mo("+212612340010", f"statut {filing.case.reference.lower()}")
            inbound = wait_until(lambda: InboundSms.objects.first())
            assert inbound.outcome == InboundSms.Outcome.ANSWERED
            run_worker()
            wait_until(lambda: len(smsc.messages()) == 2)
            assert filing.case.reference in smsc.messages()[1].text
        finally:
            gateway_close_all()


def test_a_status_request_from_another_phone_gets_no_answer(reference_data, settings):
    from mizan.notifications.models import InboundSms
    from mizan.notifications.services import inbound_sms_receive

    filing = file_complaint(phone="+212612340011")
    other = inbound_sms_receive(provider="agg", sender="212699999999", text=filing.case.reference)
    assert other.outcome == InboundSms.Outcome.NOT_FOUND and other.reply is None
    mine = inbound_sms_receive(
        provider="agg", sender="212612340011", text=f"  {filing.case.reference} "
    )
    assert mine.outcome == InboundSms.Outcome.ANSWERED and mine.case_id == filing.case.pk
    assert filing.case.reference in mine.reply.body
    assert inbound_sms_receive(provider="agg", sender="212612340011", text="hello").outcome == (
        InboundSms.Outcome.NO_REFERENCE
    )
    settings.MIZAN_INBOUND_MAX_REPLIES_PER_HOUR = 1
    again = inbound_sms_receive(provider="agg", sender="+212612340011", text=filing.case.reference)
    assert again.outcome == InboundSms.Outcome.RATE_LIMITED and again.reply is None


def test_kannel_receipts_and_texts_need_the_token(
    reference_data, run_worker, settings, live_server
):
    with FakeSmsServer(username="mizan", password="pw") as kannel:
        token = "kannel-shared-token"
        settings.MIZAN_SMS_GATEWAYS = [
            {
                "name": "kannel",
                "kind": "kannel",
                "url": kannel.kannel_url,
                "username": "mizan",
                "password": "pw",
                "webhook_token": token,
                "dlr_url": f"{live_server.url}/sms/kannel/kannel/dlr/?token={token}"
                "&ref={client_reference}&type=%d&answer=%A",
            }
        ]
        filing = file_complaint(phone="+212612340012")
        run_worker()
        wait_until(lambda: sms_of(filing.case).status == Status.DELIVERED)
        forged = requests.get(
            f"{live_server.url}/sms/kannel/kannel/dlr/",
            params={"token": "wrong", "ref": sms_of(filing.case).client_reference, "type": 2},
            timeout=5,
        )
        assert forged.status_code == 403
        assert sms_of(filing.case).status == Status.DELIVERED
        text = requests.get(
            f"{live_server.url}/sms/kannel/kannel/mo/",
            params={"token": token, "from": "+212612340012", "text": filing.case.reference},
            timeout=5,
        )
        assert text.json() == {"outcome": "answered"}


def test_an_administrator_rewords_a_message_within_its_placeholders_and_length(
    reference_data, admin_client, run_worker, settings
):
    settings.MIZAN_SMS_GATEWAYS = [{"name": "console", "kind": "console"}]
    url = "/admin/notifications/messagetemplate/add/"
    missing = admin_client.post(
        url, {"key": "complaint.closed", "language": "fr", "body": "Mizan : dossier clos."}
    )
    assert missing.status_code == 200 and "%(reference)s" in missing.content.decode()
    long = admin_client.post(
        url,
        {"key": "complaint.closed", "language": "fr", "body": "Mizan %(reference)s " + "x" * 600},
    )
    with translation.override(long.context["LANGUAGE_CODE"]):
        too_long = gettext(
            "Too long: %(segments)s SMS segments with typical values, "
            "the limit is %(limit)s. Shorten it."
        ).split("%")[0]
    assert too_long in long.content.decode()
    assert not MessageTemplate.objects.exists()
    saved = admin_client.post(
        url,
        {
            "key": "complaint.closed",
            "language": "fr",
            "body": "Mizan : la plainte %(reference)s est close.",
        },
    )
    assert saved.status_code == 302
    from mizan.notifications.services import message_render

    template = MessageTemplate.objects.get()
    assert template.version == 1 and template.updated_by is not None
    rendered = message_render(
        template_key="complaint.closed", language="fr", context={"reference": "PLT-1"}
    )
    assert rendered == ("Mizan : la plainte PLT-1 est close.", 1) or (
        rendered.body == "Mizan : la plainte PLT-1 est close." and rendered.version == 1
    )
    change = admin_client.get(f"/admin/notifications/messagetemplate/{template.pk}/change/")
    assert change.status_code == 200 and "PLT-2026-000001-N" in change.content.decode()


def test_notifications_status_counts_per_status_and_provider(reference_data, run_worker, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.MIZAN_SMS_GATEWAYS = [{"name": "console", "kind": "console"}]
    file_complaint(phone="+212612340013")
    file_complaint(phone="+212612340014")
    out = StringIO()
    call_command("notifications_status", "--json", stdout=out)
    before = json.loads(out.getvalue())
    assert before["by_status"] == {"queued": 2} and before["oldest_in_flight_seconds"] >= 0
    run_worker()
    out = StringIO()
    call_command("notifications_status", "--json", stdout=out)
    after = json.loads(out.getvalue())
    assert after["by_status"] == {"delivered": 2}
    assert after["by_provider"] == {"console": {"delivered": 2}}
    assert after["oldest_in_flight_seconds"] == 0


def test_a_message_the_provider_gave_up_on_is_sent_again_as_a_new_message(
    reference_data, run_worker, settings, fake, fast_retries
):
    from mizan.notifications.models import ProviderMessage

    # The phone is off for days, then back: the retry may go out as soon as the first
    # receipt is in, so the second message's receipt is set from the start.
    fake.receipt_status = {"+212612340020": ["expired"]}
    settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake)]
    filing = file_complaint(phone="+212612340020")
    run_worker()
    sms = work_until(
        run_worker, lambda: (n := sms_of(filing.case)).status == Status.DELIVERED and n
    )
    first, second = fake.messages
    # A new client reference, or the provider would take it for the same message.
    assert first["client_reference"] != second["client_reference"] == sms.client_reference
    parts = dict(
        ProviderMessage.objects.filter(notification=sms).values_list("message_id", "status")
    )
    assert parts == {first["id"]: "retried", second["id"]: "delivered"}


def test_a_receipt_applied_by_two_hands_at_once_keeps_its_outcome(
    reference_data, run_worker, settings, fake
):
    """A receipt that came before its id was recorded is applied by whichever comes
    first, the request that brought it or the worker recording the id; the second
    must not overwrite "applied" with "ignored" (seen as a CI failure)."""
    from mizan.notifications.models import ProviderMessage
    from mizan.notifications.services import _receipt_apply, notification_receipt

    fake.receipt_url = None
    settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake)]
    filing = file_complaint(phone="+212612340031")
    run_worker()
    sms = sms_of(filing.case)
    # The receipt comes before the worker recorded the id: kept unmatched.
    ProviderMessage.objects.filter(notification=sms).delete()
    outcome = notification_receipt(
        provider="agg", message_id=sms.provider_reference, status="delivered"
    )
    assert outcome == "unmatched"
    receipt = DeliveryReceipt.objects.get()
    ProviderMessage.objects.create(
        notification=sms, provider="agg", message_id=sms.provider_reference, status="sent"
    )
    # Both hands read the receipt while it was unmatched.
    assert _receipt_apply(receipt) == "applied"
    assert _receipt_apply(receipt) == "applied"
    receipt.refresh_from_db()
    sms.refresh_from_db()
    assert receipt.outcome == "applied" and sms.status == Status.DELIVERED


def test_a_repeated_receipt_of_a_part_given_up_on_does_not_send_it_a_third_time(
    reference_data, run_worker, settings, fake, fast_retries
):
    """Aggregators post a receipt again when our answer was slow: the old part's
    "expired", arriving while the new message waits for its own receipt, is ignored."""
    # The first message expires; the new message's receipt is not back yet.
    fake.receipt_status = {"+212612340021": ["expired", None]}
    settings.MIZAN_SMS_GATEWAYS = [aggregator("agg", fake)]
    filing = file_complaint(phone="+212612340021")
    run_worker()
    work_until(
        run_worker,
        lambda: len(fake.messages) == 2 and sms_of(filing.case).status == Status.SENT,
    )
    first, second = fake.messages

    answer = fake.send_receipt(first["id"], "expired")
    assert answer.status_code == 200
    run_worker()
    assert len(fake.messages) == 2
    sms = sms_of(filing.case)
    assert sms.status == Status.SENT and sms.client_reference == second["client_reference"]
    assert DeliveryReceipt.objects.filter(message_id=first["id"]).latest("id").outcome == (
        "ignored"
    )
