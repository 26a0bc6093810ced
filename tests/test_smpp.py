"""The SMPP gateway against a test SMSC speaking real SMPP 3.4 over TCP (no database)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from mizan.notifications.gateways import (
    OutboundSms,
    PermanentGatewayError,
    TemporaryGatewayError,
    UncertainGatewayError,
)
from mizan.notifications.smpp import SmppGateway
from mizan.testing.smsc import ReceivedSms, TestSmsc, wait_until

RECIPIENT = "+212612345678"
# 150 Arabic letters: UCS-2, more than 2 x 67 code units, so three parts.
LONG_ARABIC = ("تم تسجيل شكايتكم لدى النيابة العامة " * 5)[:150]


def sms(body: str = "Votre plainte est enregistrée", recipient: str = RECIPIENT) -> OutboundSms:
    return OutboundSms(client_reference="ref-1", recipient=recipient, body=body, sender="MIZAN")


def our_threads() -> list[str]:
    return [
        thread.name
        for thread in threading.enumerate()
        if thread.name.startswith(("smpp-", "test-smsc"))
    ]


@pytest.fixture(autouse=True)
def no_leaked_threads():
    yield
    # Torn down after the gateways and the SMSC: none of their threads may outlive them.
    wait_until(lambda: not our_threads(), timeout=5)


@pytest.fixture
def smsc():
    with TestSmsc() as server:
        yield server


@pytest.fixture
def gateway_factory(smsc):
    gateways: list[SmppGateway] = []

    def make(**options) -> SmppGateway:
        receipts: list[dict] = []
        inbound: list[dict] = []
        gateway = SmppGateway(
            "smpp-test",
            {
                "host": "127.0.0.1",
                "port": smsc.port,
                "system_id": "mizan",
                "password": "secret",
                "response_timeout": 2,
                "connect_timeout": 1,
                "reconnect_backoff": 0.05,
                **options,
            },
            on_receipt=lambda **kwargs: receipts.append(kwargs),
            on_inbound=lambda **kwargs: inbound.append(kwargs),
        )
        gateway.receipts = receipts
        gateway.inbound = inbound
        gateways.append(gateway)
        return gateway

    yield make
    for gateway in gateways:
        gateway.close()


@pytest.fixture
def gateway(gateway_factory):
    return gateway_factory()


def test_short_gsm_message_is_submitted_once(smsc, gateway):
    assert gateway.deduplicates is False

    accepted = gateway.send_sms(sms())

    assert accepted.provider == "smpp-test"
    assert len(accepted.message_ids) == 1
    assert smsc.messages() == [
        ReceivedSms(
            destination_addr="212612345678",
            source_addr="MIZAN",
            text="Votre plainte est enregistrée",
            message_ids=accepted.message_ids,
        )
    ]
    (submit,) = smsc.submits()
    assert (submit.esm_class, submit.data_coding, submit.registered_delivery) == (0, 0, 1)
    assert smsc.binds == 1


def test_long_arabic_message_goes_as_three_concatenated_parts(smsc, gateway):
    accepted = gateway.send_sms(sms(LONG_ARABIC))

    parts = smsc.submits()
    assert len(parts) == 3
    assert len(accepted.message_ids) == 3
    assert [part.message_id for part in parts] == list(accepted.message_ids)
    references = set()
    for sequence, part in enumerate(parts, start=1):
        assert part.data_coding == 0x08
        assert part.esm_class == 0x40
        udh = part.short_message[:6]
        assert udh[:3] == b"\x05\x00\x03"
        assert (udh[4], udh[5]) == (3, sequence)
        references.add(udh[3])
    assert len(references) == 1
    (message,) = smsc.messages()
    assert message.text == LONG_ARABIC
    assert message.message_ids == accepted.message_ids


def test_each_message_gets_its_own_concatenation_reference(smsc, gateway):
    gateway.send_sms(sms(LONG_ARABIC))
    gateway.send_sms(sms(LONG_ARABIC))

    references = {part.short_message[3] for part in smsc.submits()}
    assert len(references) == 2
    assert [message.text for message in smsc.messages()] == [LONG_ARABIC, LONG_ARABIC]


def test_throttled_submit_is_temporary_and_the_next_one_goes_through(smsc, gateway):
    smsc.throttle_next(1)

    with pytest.raises(TemporaryGatewayError) as caught:
        gateway.send_sms(sms())

    assert caught.value.retry_after == 1.0
    assert caught.value.provider_status == "0x00000058"
    assert caught.value.provider == "smpp-test"
    assert gateway.send_sms(sms()).message_ids
    assert len(smsc.messages()) == 1


def test_invalid_number_is_permanent(smsc, gateway):
    smsc.invalid_numbers.add("212600000000")

    with pytest.raises(PermanentGatewayError) as caught:
        gateway.send_sms(sms(recipient="+212600000000"))

    assert caught.value.provider_status == "0x0000000B"
    assert smsc.messages() == []


def test_answer_later_than_the_response_timeout_is_uncertain(smsc, gateway_factory):
    gateway = gateway_factory(response_timeout=0.3)
    gateway.send_sms(sms())  # bound before the SMSC slows down
    smsc.response_delay = 1.0

    started = time.monotonic()
    with pytest.raises(UncertainGatewayError):
        gateway.send_sms(sms())
    assert time.monotonic() - started < 0.9

    # The late answer, when it comes, is dropped without harming the session.
    smsc.response_delay = 0.0
    assert gateway.send_sms(sms()).message_ids
    assert gateway.connected


def test_connection_lost_while_waiting_for_the_answer_is_uncertain(smsc, gateway):
    gateway.send_sms(sms())
    smsc.response_delay = 5.0
    outcome: list[BaseException] = []

    def send():
        try:
            gateway.send_sms(sms())
        except Exception as error:
            outcome.append(error)

    sender = threading.Thread(target=send)
    sender.start()
    wait_until(lambda: len(smsc.submits()) == 2)
    started = time.monotonic()
    smsc.drop_connections()
    sender.join(timeout=5)

    (error,) = outcome
    assert isinstance(error, UncertainGatewayError)
    # Released by the lost connection, not by the response time-out.
    assert time.monotonic() - started < 1


def test_receipts_reach_the_callback_each_time_they_are_sent(smsc, gateway):
    smsc.auto_receipts = True
    smsc.receipt_copies = 2

    accepted = gateway.send_sms(sms())

    receipts = wait_until(lambda: len(gateway.receipts) >= 2 and gateway.receipts)
    # Deduplicating is the caller's job: the gateway passes on what the SMSC sends.
    for receipt in receipts:
        assert receipt["provider"] == "smpp-test"
        assert receipt["message_id"] == accepted.message_ids[0]
        assert receipt["status"] == "delivered"
        assert receipt["provider_status"] == "DELIVRD"
        assert receipt["at"].tzinfo is not None
    wait_until(lambda: smsc.deliver_sm_resps == [0, 0])


@pytest.mark.parametrize(
    ("stat", "status"),
    [
        ("DELIVRD", "delivered"),
        ("EXPIRED", "temporary-failure"),
        ("UNKNOWN", "temporary-failure"),
        ("UNDELIV", "permanent-failure"),
        ("REJECTD", "permanent-failure"),
        ("DELETED", "permanent-failure"),
    ],
)
@pytest.mark.parametrize("with_tlv", [True, False], ids=["tlv", "text-only"])
def test_receipt_status_mapping(smsc, gateway, stat, status, with_tlv):
    (message_id,) = gateway.send_sms(sms()).message_ids
    done = datetime(2025, 3, 4, 5, 6, tzinfo=UTC)

    smsc.send_receipt(message_id, stat, with_tlv=with_tlv, done=done)

    (receipt,) = wait_until(lambda: gateway.receipts)
    assert receipt == {
        "provider": "smpp-test",
        "message_id": message_id,
        "status": status,
        "provider_status": stat,
        "at": done,
    }


def test_intermediate_receipts_are_answered_but_not_reported(smsc, gateway):
    (message_id,) = gateway.send_sms(sms()).message_ids

    smsc.send_receipt(message_id, "ACCEPTD")
    smsc.send_receipt(message_id, "ENROUTE")
    smsc.send_receipt(message_id, "DELIVRD")

    # Handled in order: once the final receipt is in, the two before it were seen.
    wait_until(lambda: gateway.receipts)
    assert [receipt["status"] for receipt in gateway.receipts] == ["delivered"]
    wait_until(lambda: smsc.deliver_sm_resps == [0, 0, 0])


def test_failing_callback_still_answers_and_keeps_the_session(smsc, gateway_factory):
    def broken(**kwargs):
        raise RuntimeError("database down")

    gateway = gateway_factory()
    gateway._on_receipt = broken
    (message_id,) = gateway.send_sms(sms()).message_ids

    smsc.send_receipt(message_id)

    # ESME_RX_T_APPN: the SMSC is asked to deliver the receipt again later.
    wait_until(lambda: smsc.deliver_sm_resps == [0x64])
    assert gateway.connected
    assert gateway.send_sms(sms()).message_ids


def test_inbound_sms_reaches_the_callback_with_an_e164_sender(smsc, gateway):
    gateway.send_sms(sms())  # binds

    smsc.send_mo("+212612345678", "PLT 2025 000123 K")
    smsc.send_mo("0661234567", "Bonjour")

    wait_until(lambda: len(gateway.inbound) == 2)
    assert gateway.inbound == [
        {"provider": "smpp-test", "sender": "+212612345678", "text": "PLT 2025 000123 K"},
        {"provider": "smpp-test", "sender": "+212661234567", "text": "Bonjour"},
    ]


def test_long_inbound_sms_is_put_back_together(smsc, gateway):
    gateway.send_sms(sms())

    assert smsc.send_mo("+212612345678", LONG_ARABIC) == 3

    (inbound,) = wait_until(lambda: gateway.inbound)
    assert inbound["text"] == LONG_ARABIC
    wait_until(lambda: smsc.deliver_sm_resps == [0, 0, 0])


def test_keep_alive_sends_enquire_link(smsc, gateway_factory):
    gateway = gateway_factory(enquire_link_interval=0.2)
    gateway.send_sms(sms())

    wait_until(lambda: smsc.enquire_links >= 2, timeout=3)
    assert gateway.connected


def test_smsc_that_stops_answering_is_detected_by_the_keep_alive(smsc, gateway_factory):
    gateway = gateway_factory(enquire_link_interval=0.1, response_timeout=0.3)
    gateway.send_sms(sms())

    smsc.answer_enquire_link = False

    wait_until(lambda: not gateway.connected, timeout=3)
    smsc.answer_enquire_link = True
    assert gateway.send_sms(sms()).message_ids
    assert smsc.binds == 2


def test_lost_connection_is_bound_again_on_the_next_send(smsc, gateway):
    gateway.send_sms(sms())

    smsc.drop_connections()
    wait_until(lambda: not gateway.connected)

    assert gateway.send_sms(sms()).message_ids
    assert smsc.binds == 2
    assert len(smsc.messages()) == 2


def test_smsc_down_is_temporary_and_quick_then_it_comes_back(smsc, gateway):
    gateway.send_sms(sms())
    smsc.stop()
    wait_until(lambda: not gateway.connected)

    started = time.monotonic()
    with pytest.raises(TemporaryGatewayError) as caught:
        gateway.send_sms(sms())
    assert time.monotonic() - started < gateway.connect_timeout + 1
    assert caught.value.retry_after

    smsc.start()

    def send_once():
        try:
            return gateway.send_sms(sms())
        except TemporaryGatewayError as error:
            time.sleep(min(error.retry_after or 0.05, 0.2))
            return None

    assert wait_until(send_once, timeout=5).message_ids
    assert smsc.binds == 2


def test_refused_bind_is_temporary(smsc, gateway_factory):
    gateway = gateway_factory(password="wrong")

    with pytest.raises(TemporaryGatewayError) as caught:
        gateway.send_sms(sms())

    assert caught.value.provider_status == "0x0000000E"
    assert smsc.refused_binds == 1
    assert smsc.submits() == []


def test_concurrent_sends_share_one_bind(smsc, gateway_factory):
    gateway = gateway_factory(window=5)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda n: gateway.send_sms(sms(f"Message {n}")), range(20)))

    ids = [message_id for accepted in results for message_id in accepted.message_ids]
    assert len(set(ids)) == 20
    assert smsc.binds == 1
    assert sorted(message.text for message in smsc.messages()) == sorted(
        f"Message {n}" for n in range(20)
    )


def test_window_bounds_the_submits_awaiting_an_answer(smsc, gateway_factory):
    gateway = gateway_factory(window=2)
    gateway.send_sms(sms())
    smsc.response_delay = 0.05

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda n: gateway.send_sms(sms()), range(12)))

    assert len(results) == 12
    assert smsc.max_outstanding == 2


def test_close_unbinds(smsc, gateway):
    gateway.send_sms(sms())
    assert smsc.bound_sessions == 1

    gateway.close()

    assert not gateway.connected
    wait_until(lambda: smsc.bound_sessions == 0)
    # A closed gateway binds again when asked to send.
    assert gateway.send_sms(sms()).message_ids


def test_without_callbacks_the_notification_services_are_called(smsc, monkeypatch):
    from mizan.notifications import services

    receipts: list[dict] = []
    inbound: list[dict] = []
    monkeypatch.setattr(services, "notification_receipt", lambda **kw: receipts.append(kw))
    monkeypatch.setattr(services, "inbound_sms_receive", lambda **kw: inbound.append(kw))
    gateway = SmppGateway(
        "smpp-default",
        {"host": "127.0.0.1", "port": smsc.port, "system_id": "mizan", "password": "secret"},
    )
    try:
        (message_id,) = gateway.send_sms(sms()).message_ids
        smsc.send_receipt(message_id)
        smsc.send_mo("212612345678", "Merci")

        wait_until(lambda: receipts and inbound)
        assert receipts[0]["message_id"] == message_id
        assert inbound == [{"provider": "smpp-default", "sender": "+212612345678", "text": "Merci"}]
    finally:
        gateway.close()
