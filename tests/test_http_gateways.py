"""The HTTP SMS gateways against a real (fake) provider over real sockets.

No database: the gateways are plain classes. Every wait polls with a deadline, so a slow
machine makes a test slower, never wrong.
"""

import hashlib
import hmac
import json
import logging
import socket
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from mizan.notifications.gateways import (
    Accepted,
    OutboundSms,
    PermanentGatewayError,
    TemporaryGatewayError,
    UncertainGatewayError,
)
from mizan.notifications.http_gateways import JsonHttpGateway, KannelGateway, kannel_dlr_status
from mizan.testing.fake_sms_http import FakeSmsServer

SECRET = "receipt-secret"
NUMBER = "+212612345678"
ARABIC = "تم تسجيل شكايتكم تحت المرجع MZ-2024-000123"
FRENCH_GSM = "Votre plainte MZ-2024-000123 est enregistree."


def sms(body: str = FRENCH_GSM, to: str = NUMBER, reference: str | None = None) -> OutboundSms:
    return OutboundSms(
        client_reference=reference or uuid.uuid4().hex,
        recipient=to,
        body=body,
        sender="MIZAN",
    )


class Receiver:
    """A tiny HTTP server that records what it receives (the provider's receipts)."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        lock = threading.Lock()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                split = urlsplit(self.path)
                with lock:
                    received.append(
                        {
                            "method": self.command,
                            "path": split.path,
                            "query": {k: v[-1] for k, v in parse_qs(split.query).items()},
                            "headers": dict(self.headers),
                            "body": self.rfile.read(length) if length else b"",
                        }
                    )
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_POST = _record

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.received) >= count, f"expected {count} requests, got {self.received}"
        return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class RawServer:
    """Reads one request per connection, then writes `answer` verbatim (None: hangs up)."""

    def __init__(self, answer: bytes | None) -> None:
        self.answer = answer
        self.requests = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1/messages"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                # Read the whole request, so the hang-up is a clean close, not a reset.
                while len(body) < length:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                self.requests += 1
                if self.answer is not None:
                    connection.sendall(self.answer)

    def close(self) -> None:
        self._stop.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def fake():
    server = FakeSmsServer(receipt_secret=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def gateways():
    """Builds gateways and closes their sessions afterwards."""
    built = []

    def build(cls, **options):
        gateway = cls("aggregator" if cls is JsonHttpGateway else "kannel", options)
        built.append(gateway)
        return gateway

    yield build
    for gateway in built:
        gateway.close()


@pytest.fixture
def json_gateway(fake, gateways):
    return gateways(
        JsonHttpGateway, url=fake.json_url, token=fake.token, connect_timeout=1, read_timeout=2
    )


def kannel_options(fake: FakeSmsServer, **extra) -> dict:
    return {
        "url": fake.kannel_url,
        "username": fake.username,
        "password": fake.password,
        "connect_timeout": 1,
        "read_timeout": 2,
        **extra,
    }


# JSON API: sending ------------------------------------------------------------------


def test_json_accepts_and_returns_the_provider_id(fake, json_gateway):
    message = sms()
    accepted = json_gateway.send_sms(message)

    [recorded] = fake.messages
    assert accepted == Accepted("aggregator", (recorded["id"],))
    assert not accepted.delivered
    assert (recorded["to"], recorded["from"], recorded["text"]) == (NUMBER, "MIZAN", FRENCH_GSM)
    assert recorded["client_reference"] == message.client_reference
    assert json_gateway.deduplicates


def test_json_sends_the_callback_url(fake, gateways):
    gateway = gateways(
        JsonHttpGateway,
        url=fake.json_url,
        token=fake.token,
        callback_url="https://mizan.example/sms/receipts/aggregator",
    )
    gateway.send_sms(sms())
    assert fake.messages[0]["callback_url"] == "https://mizan.example/sms/receipts/aggregator"


def test_json_same_client_reference_twice_is_one_message(fake, json_gateway):
    message = sms()
    first = json_gateway.send_sms(message)
    second = json_gateway.send_sms(message)
    assert first.message_ids == second.message_ids
    assert len(fake.messages) == 1


def test_json_threads_share_one_gateway(fake, json_gateway):
    results: list = []

    def send():
        try:
            results.append(json_gateway.send_sms(sms()))
        except Exception as exc:  # reported by the assertion below, not lost in a thread
            results.append(exc)

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert all(isinstance(result, Accepted) for result in results), results
    assert len({accepted.message_ids for accepted in results}) == 20
    assert len(fake.messages) == 20


def test_json_throttled_is_temporary_with_retry_after(fake, json_gateway):
    fake.mode = "throttle"
    with pytest.raises(TemporaryGatewayError) as caught:
        json_gateway.send_sms(sms())
    assert caught.value.retry_after == 1.0
    assert caught.value.provider_status == "429"
    assert caught.value.provider == "aggregator"
    assert fake.messages == []


def test_json_throttle_rate_refuses_above_the_rate(fake, json_gateway):
    fake.throttle_rate = 2
    json_gateway.send_sms(sms())
    json_gateway.send_sms(sms())
    with pytest.raises(TemporaryGatewayError) as caught:
        json_gateway.send_sms(sms())
    assert caught.value.retry_after == 1.0
    assert len(fake.messages) == 2


@pytest.mark.parametrize(
    ("answer", "retry_after"),
    [(b"Retry-After: 7\r\n", 7.0), (b"Retry-After: soon\r\n", 1.0), (b"", 1.0)],
)
def test_json_retry_after_header(gateways, answer, retry_after):
    server = RawServer(
        b"HTTP/1.1 429 Too Many Requests\r\n" + answer + b"Content-Length: 0\r\n\r\n"
    )
    try:
        gateway = gateways(JsonHttpGateway, url=server.url, token="t", read_timeout=2)
        with pytest.raises(TemporaryGatewayError) as caught:
            gateway.send_sms(sms())
        assert caught.value.retry_after == retry_after
    finally:
        server.close()


def test_json_unavailable_is_temporary(fake, json_gateway):
    fake.mode = "fail"
    with pytest.raises(TemporaryGatewayError) as caught:
        json_gateway.send_sms(sms())
    assert caught.value.provider_status == "503"


def test_json_gateway_timeout_from_a_proxy_is_uncertain(fake, json_gateway):
    fake.mode, fake.fail_status = "fail", 504
    with pytest.raises(UncertainGatewayError):
        json_gateway.send_sms(sms())


def test_json_provider_down_is_temporary_and_fast_then_back(fake, json_gateway):
    json_gateway.send_sms(sms())  # leaves a pooled keep-alive connection behind
    url = fake.url
    fake.stop()

    started = time.monotonic()
    with pytest.raises(TemporaryGatewayError) as caught:
        json_gateway.send_sms(sms())
    # Refused at once, not a connect timeout (1 s here): nothing listens on the port.
    assert caught.value.provider_status == "connect-failed"
    assert time.monotonic() - started < 2

    fake.start()
    assert fake.url == url
    json_gateway.send_sms(sms())
    assert len(fake.messages) == 2


def test_json_unreachable_host_is_temporary(gateways):
    # TEST-NET-1 is never routed: either no route at once, or the connect timeout.
    gateway = gateways(
        JsonHttpGateway, url="http://192.0.2.1:9/v1/messages", token="t", connect_timeout=0.3
    )
    with pytest.raises(TemporaryGatewayError) as caught:
        gateway.send_sms(sms())
    assert caught.value.provider_status in ("connect-timeout", "connect-failed")


def test_json_unknown_host_is_temporary(gateways, monkeypatch):
    # Faked resolver: a real lookup of an unknown name can take seconds offline.
    def no_such_host(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    gateway = gateways(JsonHttpGateway, url="http://sms.example.invalid/v1/messages", token="t")
    with pytest.raises(TemporaryGatewayError) as caught:
        gateway.send_sms(sms())
    assert caught.value.provider_status == "connect-failed"


def test_json_hang_before_acceptance_is_uncertain(fake, gateways):
    # The provider did not take it, but the client cannot know that: hence uncertain.
    fake.mode, fake.hang_seconds = "hang", 5
    gateway = gateways(JsonHttpGateway, url=fake.json_url, token=fake.token, read_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(UncertainGatewayError) as caught:
        gateway.send_sms(sms())
    assert time.monotonic() - started < 3
    assert caught.value.provider_status == "read-timeout"
    assert fake.messages == []


def test_json_accepted_then_timeout_is_uncertain_and_the_retry_is_deduplicated(fake, gateways):
    fake.mode, fake.hang_seconds = "accept_then_hang", 5
    gateway = gateways(JsonHttpGateway, url=fake.json_url, token=fake.token, read_timeout=0.5)
    message = sms()
    with pytest.raises(UncertainGatewayError):
        gateway.send_sms(message)
    [recorded] = fake.messages  # the provider did take it

    fake.mode = "accept"
    accepted = gateway.send_sms(message)
    assert accepted.message_ids == (recorded["id"],)
    assert len(fake.messages) == 1


def test_json_connection_lost_after_sending_is_uncertain(gateways):
    server = RawServer(None)
    try:
        gateway = gateways(JsonHttpGateway, url=server.url, token="t", read_timeout=2)
        with pytest.raises(UncertainGatewayError) as caught:
            gateway.send_sms(sms())
        assert caught.value.provider_status == "connection-lost"
        assert server.requests == 1
    finally:
        server.close()


def test_json_success_without_an_id_is_uncertain(gateways):
    server = RawServer(
        b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
    )
    try:
        gateway = gateways(JsonHttpGateway, url=server.url, token="t", read_timeout=2)
        with pytest.raises(UncertainGatewayError):
            gateway.send_sms(sms())
    finally:
        server.close()


@pytest.mark.parametrize("error", ["invalid_number", "blocked_number"])
def test_json_refused_number_is_permanent(fake, json_gateway, error):
    refused = "+212600000000"
    (fake.invalid_numbers if error == "invalid_number" else fake.blocked_numbers).add(refused)
    with pytest.raises(PermanentGatewayError) as caught:
        json_gateway.send_sms(sms(to=refused))
    assert caught.value.provider_status == error
    assert fake.messages == []


def test_json_bad_token_is_temporary_and_logged_as_an_error(fake, gateways, caplog):
    gateway = gateways(JsonHttpGateway, url=fake.json_url, token="wrong-token")
    with (
        caplog.at_level(logging.ERROR, logger="mizan.sms"),
        pytest.raises(TemporaryGatewayError) as caught,
    ):
        gateway.send_sms(sms())
    assert caught.value.provider_status == "401"
    assert any(
        record.levelno == logging.ERROR and "aggregator" in record.getMessage()
        for record in caplog.records
    )
    assert fake.messages == []


def test_json_options_are_checked():
    with pytest.raises(ValueError, match="token"):
        JsonHttpGateway("aggregator", {"url": "http://127.0.0.1:9/v1/messages"})


# JSON API: receipts -----------------------------------------------------------------


def test_receipt_is_signed_with_the_timestamp(fake, json_gateway, receiver):
    fake.receipt_url = receiver.url + "/receipts"
    message = sms()
    accepted = json_gateway.send_sms(message)

    [request] = receiver.wait_for(1)
    body = request["body"]
    timestamp = request["headers"]["X-Signature-Timestamp"]
    signature = request["headers"]["X-Signature"]
    # The scheme, spelled out: hex HMAC-SHA256(secret, b"<timestamp>." + raw body).
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert signature == expected.hexdigest() == fake.sign(body, timestamp)
    assert fake.sign(body + b" ", timestamp) != signature
    assert fake.sign(body, int(timestamp) + 1) != signature
    assert abs(time.time() - int(timestamp)) < 60

    assert request["method"] == "POST" and request["path"] == "/receipts"
    assert request["headers"]["Content-Type"] == "application/json"
    receipt = json.loads(body)
    assert set(receipt) == {"id", "client_reference", "status", "error_code", "at"}
    assert receipt["id"] == accepted.message_ids[0]
    assert receipt["client_reference"] == message.client_reference
    assert (receipt["status"], receipt["error_code"]) == ("delivered", None)
    at = datetime.fromisoformat(receipt["at"])
    assert at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - at) < timedelta(minutes=1)


def test_receipt_goes_to_the_message_callback_url(fake, gateways, receiver):
    fake.receipt_url = receiver.url + "/account-default"
    gateway = gateways(
        JsonHttpGateway,
        url=fake.json_url,
        token=fake.token,
        callback_url=receiver.url + "/per-message",
    )
    gateway.send_sms(sms())
    assert [request["path"] for request in receiver.wait_for(1)] == ["/per-message"]


def test_receipt_status_per_number(fake, json_gateway, receiver):
    fake.receipt_url = receiver.url + "/receipts"
    fake.receipt_status = {NUMBER: "failed"}
    json_gateway.send_sms(sms())
    receipt = json.loads(receiver.wait_for(1)[0]["body"])
    assert (receipt["status"], receipt["error_code"]) == ("failed", "absent_subscriber")


def test_receipt_twice(fake, json_gateway, receiver):
    fake.receipt_url = receiver.url + "/receipts"
    fake.receipt_twice = True
    json_gateway.send_sms(sms())
    first, second = receiver.wait_for(2)
    assert first["body"] == second["body"]
    for request in (first, second):
        headers = request["headers"]
        assert headers["X-Signature"] == fake.sign(
            request["body"], headers["X-Signature-Timestamp"]
        )


def test_receipt_out_of_order(fake, json_gateway, receiver):
    fake.receipt_url = receiver.url + "/receipts"
    fake.receipt_out_of_order = True
    json_gateway.send_sms(sms())
    first, second = (json.loads(request["body"]) for request in receiver.wait_for(2))
    assert (first["status"], second["status"]) == ("delivered", "accepted")
    # The late one is stale: a receiver can tell by its `at`.
    assert datetime.fromisoformat(second["at"]) < datetime.fromisoformat(first["at"])


def test_send_receipt_by_hand(fake, json_gateway, receiver):
    fake.receipt_url = receiver.url + "/receipts"
    fake.receipt_default_status = "accepted"
    message = sms()
    accepted = json_gateway.send_sms(message)
    receiver.wait_for(1)

    response = fake.send_receipt(accepted.message_ids[0], "expired")
    assert response.status_code == 200
    receipt = json.loads(receiver.wait_for(2)[1]["body"])
    assert receipt["status"] == "expired"
    assert receipt["error_code"] == "validity_expired"
    assert receipt["client_reference"] == message.client_reference


def test_no_receipt_without_a_url(fake, json_gateway):
    json_gateway.send_sms(sms())
    time.sleep(0.1)
    assert fake.receipts_sent == []


# Kannel ------------------------------------------------------------------------------


def test_kannel_arabic_is_sent_as_ucs2(fake, gateways):
    gateway = gateways(KannelGateway, **kannel_options(fake))
    message = sms(body=ARABIC)
    accepted = gateway.send_sms(message)

    assert accepted == Accepted("kannel", (message.client_reference,))
    assert not gateway.deduplicates
    [recorded] = fake.messages
    assert (recorded["coding"], recorded["charset"]) == ("2", "UTF-8")
    assert recorded["text"] == ARABIC
    assert (recorded["to"], recorded["from"]) == (NUMBER, "MIZAN")


def test_kannel_gsm_text_has_no_coding(fake, gateways):
    gateway = gateways(KannelGateway, **kannel_options(fake))
    gateway.send_sms(sms(body=FRENCH_GSM))
    [recorded] = fake.messages
    assert recorded["coding"] is None
    assert recorded["text"] == FRENCH_GSM
    assert recorded["dlr_url"] is None  # no dlr_url option: no receipts asked for


def test_kannel_dlr_url_brings_the_reference_back(fake, gateways, receiver):
    template = receiver.url + "/sms/kannel/{client_reference}?type=%d&answer=%A"
    gateway = gateways(KannelGateway, **kannel_options(fake, dlr_url=template))
    message = sms()
    gateway.send_sms(message)

    assert fake.messages[0]["dlr_mask"] == "31"
    [request] = receiver.wait_for(1)
    assert request["method"] == "GET"
    assert request["path"] == f"/sms/kannel/{message.client_reference}"
    assert request["query"] == {"type": "1", "answer": "ACK"}
    assert kannel_dlr_status(int(request["query"]["type"])) == "delivered"


def test_kannel_rejected_receipt(fake, gateways, receiver):
    template = receiver.url + "/dlr?ref={client_reference}&type=%d"
    gateway = gateways(KannelGateway, **kannel_options(fake, dlr_url=template))
    fake.receipt_status = {NUMBER: "rejected"}
    message = sms()
    gateway.send_sms(message)
    [request] = receiver.wait_for(1)
    assert request["query"] == {"ref": message.client_reference, "type": "16"}
    assert kannel_dlr_status(16) == "permanent-failure"


def test_kannel_reference_that_would_break_the_dlr_url_is_refused(fake, gateways):
    gateway = gateways(
        KannelGateway, **kannel_options(fake, dlr_url="http://x/?ref={client_reference}")
    )
    with pytest.raises(PermanentGatewayError):
        gateway.send_sms(sms(reference="a b%C"))
    assert fake.request_log == []


def test_kannel_queued_answer_is_accepted(fake, gateways):
    fake.kannel_answer = "3: Queued for later delivery"
    gateway = gateways(KannelGateway, **kannel_options(fake))
    message = sms()
    assert gateway.send_sms(message).message_ids == (message.client_reference,)


def test_kannel_not_routable_and_blacklisted_are_permanent(fake, gateways):
    gateway = gateways(KannelGateway, **kannel_options(fake))
    fake.invalid_numbers.add("+212600000001")
    fake.blocked_numbers.add("+212600000002")
    for number in ("+212600000001", "+212600000002"):
        with pytest.raises(PermanentGatewayError):
            gateway.send_sms(sms(to=number))
    assert fake.messages == []


def test_kannel_bad_credentials_are_temporary_and_logged(fake, gateways, caplog):
    gateway = gateways(KannelGateway, **kannel_options(fake, password="wrong"))
    with (
        caplog.at_level(logging.ERROR, logger="mizan.sms"),
        pytest.raises(TemporaryGatewayError) as caught,
    ):
        gateway.send_sms(sms())
    assert caught.value.provider_status.startswith("403 Authorization failed")
    assert any(record.levelno == logging.ERROR for record in caplog.records)


def test_kannel_unavailable_is_temporary(fake, gateways):
    fake.mode = "fail"
    gateway = gateways(KannelGateway, **kannel_options(fake))
    with pytest.raises(TemporaryGatewayError) as caught:
        gateway.send_sms(sms())
    assert caught.value.provider_status.startswith("503")


def test_kannel_down_is_temporary_and_the_password_stays_out_of_the_error(fake, gateways):
    gateway = gateways(KannelGateway, **kannel_options(fake))
    fake.stop()
    with pytest.raises(TemporaryGatewayError) as caught:
        gateway.send_sms(sms())
    error = caught.value
    assert fake.password not in f"{error} {error.reason} {error.provider_status}"


def test_kannel_timeout_is_uncertain(fake, gateways):
    fake.mode, fake.hang_seconds = "accept_then_hang", 5
    gateway = gateways(KannelGateway, **kannel_options(fake, read_timeout=0.5))
    with pytest.raises(UncertainGatewayError):
        gateway.send_sms(sms())
    assert len(fake.messages) == 1


@pytest.mark.parametrize(
    ("dlr_type", "status"),
    [
        (1, "delivered"),
        (2, "permanent-failure"),
        (4, None),
        (8, None),
        (16, "permanent-failure"),
        (3, None),
    ],
)
def test_kannel_dlr_status(dlr_type, status):
    assert kannel_dlr_status(dlr_type) == status
