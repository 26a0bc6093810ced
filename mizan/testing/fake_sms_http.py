"""A fake SMS provider over real HTTP, for tests and benchmarks.

It is a real server on 127.0.0.1 (real sockets, keep-alive, timeouts), because what the
HTTP gateways must get right is exactly what a mocked `requests` cannot show: a refused
connection, a read timeout after the provider took the message, a connection pooled
before the provider restarted.

It speaks two dialects:

- the generic aggregator JSON API the `JsonHttpGateway` talks to: `POST /v1/messages`
  with a bearer token, deduplicating on `client_reference`, receipts posted back as
  signed JSON;
- Kannel's `GET /cgi-bin/sendsms` (username/password in the query), receipts as a GET
  of the message's dlr-url with %d (DLR type) and %A (SMSC answer) filled in.

Everything is stdlib but the receipt posts (requests), so benchmarks can run it too.

    with FakeSmsServer(receipt_url=..., receipt_secret="s") as fake:
        fake.mode = "accept_then_hang"
        ...
        fake.stop()   # provider down: connections refused, open ones cut
        fake.start()  # back, on the same port
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import queue
import socket
import sys
import threading
import time
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

import requests

JSON_PATH = "/v1/messages"
KANNEL_PATH = "/cgi-bin/sendsms"

MODES = ("accept", "fail", "hang", "accept_then_hang", "throttle")
RECEIPT_STATUSES = ("delivered", "failed", "expired", "rejected", "accepted")
DEFAULT_ERROR_CODES = {
    "failed": "absent_subscriber",
    "expired": "validity_expired",
    "rejected": "blocked_by_operator",
}
# Receipt status -> Kannel DLR type (1 delivered, 2 undelivered, 8 SMSC ack, 16 rejected).
KANNEL_DLR_TYPES = {"delivered": 1, "failed": 2, "expired": 2, "rejected": 16, "accepted": 8}

KANNEL_TEMPORARY_FAILURE = "Temporal failure, try again later."

Outcome = tuple[int, dict[str, str], bytes] | None


def receipt_signature(secret: str | bytes, timestamp: int | str, body: bytes) -> str:
    """Hex HMAC-SHA256 over b"<timestamp>." + raw body, keyed with the shared secret.

    The timestamp is signed with the body so a captured receipt cannot be replayed later
    under a fresh timestamp; the receiver also rejects timestamps too far from now.
    """
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json(status: int, data: dict, headers: dict[str, str] | None = None) -> Outcome:
    body = json.dumps(data).encode()
    return status, {"Content-Type": "application/json", **(headers or {})}, body


def _text(status: int, text: str, headers: dict[str, str] | None = None) -> Outcome:
    return status, {"Content-Type": "text/plain; charset=utf-8", **(headers or {})}, text.encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog (5) drops the SYNs of a burst of clients, which then
    # wait a whole SYN retransmission (1 s): a benchmark would measure the fake.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], fake: FakeSmsServer) -> None:
        self.fake = fake
        # Open connections, so that stop() can cut keep-alive ones: otherwise a pooled
        # client connection would still be served by a "stopped" provider.
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._active = 0
        super().__init__(address, _Handler)

    def process_request(self, request, client_address):
        with self._lock:
            self._connections.add(request)
            self._active += 1
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._connections.discard(request)
                self._active -= 1
                self._idle.notify_all()

    def handle_error(self, request, client_address):
        # Clients that time out and hang up are the point of several modes: not an error.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def drop_connections(self, timeout: float) -> None:
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self._idle.wait_for(lambda: self._active == 0, timeout)


class _Handler(BaseHTTPRequestHandler):
    # Headers and body go out in two writes: without this, the body waits for the
    # client's delayed ACK (~40 ms a request), which no real provider adds.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args):
        pass

    def do_POST(self):
        body = self._body()
        path = urlsplit(self.path).path
        if path == JSON_PATH:
            self._send(self.server.fake._handle_json(self.headers, body), path)
        else:
            self._send(_json(404, {"error": "not_found"}), path)

    def do_GET(self):
        self._body()
        split = urlsplit(self.path)
        if split.path == KANNEL_PATH:
            self._send(self.server.fake._handle_kannel(split.query), split.path)
        else:
            self._send(_text(404, "Not found"), split.path)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, outcome: Outcome, path: str) -> None:
        self.server.fake._log_request(self.command, path, outcome[0] if outcome else None)
        if outcome is None:
            # Stopped while hanging: the provider went away without answering.
            self.close_connection = True
            return
        status, headers, body = outcome
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FakeSmsServer:
    """A fake SMS provider on 127.0.0.1; all knobs are plain attributes, settable any time.

    mode: "accept" | "fail" (`fail_status`, 503) | "hang" (wait `hang_seconds` before
    taking the message, then answer 503: nothing recorded) | "accept_then_hang" (record
    the message, then wait before answering) | "throttle" (429, Retry-After: 1).
    invalid_numbers / blocked_numbers: refused numbers (JSON 400 invalid_number /
    blocked_number; Kannel 403 "Not routable..." / 400 "...denied by white- and/or
    black-lists."). throttle_rate: most messages accepted per rolling second (429 above).
    kannel_answer: the 202 body of an accepted Kannel request.

    Receipts (after each accepted message, in one background thread, in order):
    receipt_status {number: status, or a list used up one message at a time (None: no
    receipt for that message)} else receipt_default_status ("delivered"),
    receipt_delay (seconds), receipt_twice, receipt_out_of_order (the final status, then a
    stale "accepted" dated when the message arrived). JSON receipts go to the message's
    callback_url, else receipt_url, signed with receipt_secret when it is set. Kannel
    receipts GET the message's dlr-url, for the DLR types its dlr-mask asks for. As
    aggregators do, a receipt the receiver did not take (no connection, a time-out, 429
    or 5xx) is posted again with back-off for up to receipt_retry_seconds (30; 0 posts
    once); a 4xx answer is final.
    """

    def __init__(
        self,
        *,
        token: str = "test-token",
        username: str = "mizan",
        password: str = "kannel-password",
        receipt_url: str | None = None,
        receipt_secret: str | None = None,
    ) -> None:
        self.token = token
        self.username = username
        self.password = password
        self.mode = "accept"
        self.hang_seconds = 5.0
        self.fail_status = 503
        self.invalid_numbers: set[str] = set()
        self.blocked_numbers: set[str] = set()
        self.throttle_rate: float | None = None
        self.kannel_answer = "0: Accepted for delivery"
        self.receipt_url = receipt_url
        self.receipt_secret = receipt_secret
        self.receipt_status: dict[str, str | list[str | None]] = {}
        self.receipt_default_status = "delivered"
        self.receipt_delay = 0.0
        self.receipt_twice = False
        self.receipt_out_of_order = False
        self.receipt_retry_seconds = 30.0

        self._lock = threading.Lock()
        self._messages: list[dict] = []
        self._by_reference: dict[str, dict] = {}
        self._by_id: dict[str, dict] = {}
        self._accepted_at: deque[float] = deque()
        self._request_log: list[dict] = []
        self._receipts_sent: list[dict] = []

        self._port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._receipts: queue.Queue | None = None
        self._receipt_thread: threading.Thread | None = None
        # Set while stopped: wakes hanging handlers and the receipt thread at once.
        self._stopping = threading.Event()

    # Lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeSmsServer:
        """Listen (on a free port the first time, on the same port after a stop)."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self._port), self)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-sms-{self._port}",
            daemon=True,
        )
        self._thread.start()
        self._receipts = queue.Queue()
        self._receipt_thread = threading.Thread(
            target=self._deliver_receipts,
            args=(self._receipts,),
            name=f"fake-sms-receipts-{self._port}",
            daemon=True,
        )
        self._receipt_thread.start()
        return self

    def stop(self) -> None:
        """Go down like a crashed provider: refuse connections, cut open ones, wake hanging
        handlers without an answer, and drop receipts not sent yet."""
        server = self._server
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        server.drop_connections(timeout=5)
        self._thread.join(5)
        self._receipts.put(None)
        self._receipt_thread.join(10)
        self._server = self._thread = self._receipts = self._receipt_thread = None

    def __enter__(self) -> FakeSmsServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:41234 (valid across stop/start)."""
        return f"http://127.0.0.1:{self._port}"

    @property
    def json_url(self) -> str:
        return self.url + JSON_PATH

    @property
    def kannel_url(self) -> str:
        return self.url + KANNEL_PATH

    # What happened -------------------------------------------------------------------

    @property
    def messages(self) -> list[dict]:
        """Accepted messages (copies): id, to, from, text, client_reference, received_at,
        plus dialect, callback_url, and for Kannel coding, charset, dlr_mask, dlr_url."""
        with self._lock:
            return [dict(message) for message in self._messages]

    @property
    def request_log(self) -> list[dict]:
        """Every request answered: method, path (no query) and status (None: no answer)."""
        with self._lock:
            return [dict(entry) for entry in self._request_log]

    @property
    def receipts_sent(self) -> list[dict]:
        """Receipts sent: url, body (JSON bytes or None), status (HTTP status or error)."""
        with self._lock:
            return [dict(entry) for entry in self._receipts_sent]

    def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            messages = self.messages
            if len(messages) >= count or time.monotonic() >= deadline:
                return messages
            time.sleep(0.01)

    def clear(self) -> None:
        """Forget messages, deduplication, logs and the throttle window (knobs stay)."""
        with self._lock:
            self._messages.clear()
            self._by_reference.clear()
            self._by_id.clear()
            self._accepted_at.clear()
            self._request_log.clear()
            self._receipts_sent.clear()

    # Receipts ------------------------------------------------------------------------

    def sign(self, body: bytes, timestamp: int | str) -> str:
        """The X-Signature this server puts on `body` sent at `timestamp`."""
        if not self.receipt_secret:
            raise ValueError("receipt_secret is not set")
        return receipt_signature(self.receipt_secret, timestamp, body)

    def send_receipt(
        self,
        message_id: str,
        status: str,
        *,
        error_code: str | None = None,
        at: datetime | None = None,
        url: str | None = None,
        client_reference: str | None = None,
    ) -> requests.Response:
        """Send one receipt now, synchronously, and return the receiver's response.

        For a message this server accepted, it goes where that message's receipts go (a
        Kannel message gets its dlr-url); an unknown id is sent in the JSON dialect to
        `url` or receipt_url, which lets a test probe a receipt for a message never sent.
        """
        with self._lock:
            message = self._by_id.get(message_id)
        if message is None:
            message = {
                "id": message_id,
                "client_reference": client_reference,
                "dialect": "json",
                "callback_url": None,
                "to": "",
                "received_at": datetime.now(UTC),
            }
        receipt = self._receipt(message, status, at or datetime.now(UTC), error_code)
        if receipt is None:
            raise ValueError(f"no receipt URL for message {message_id}")
        if url is not None:
            receipt["url"] = url
        with requests.Session() as session:
            session.trust_env = False
            return self._post_receipt(session, receipt, raise_errors=True)

    def _receipt(
        self, message: dict, status: str, at: datetime, error_code: str | None = None
    ) -> dict | None:
        if status not in RECEIPT_STATUSES:
            raise ValueError(f"unknown receipt status {status!r}")
        if message["dialect"] == "kannel":
            dlr_url = message.get("dlr_url")
            dlr_type = KANNEL_DLR_TYPES[status]
            if not dlr_url or not int(message.get("dlr_mask") or 0) & dlr_type:
                return None
            url = dlr_url.replace("%d", str(dlr_type)).replace("%A", quote("ACK", safe=""))
            return {"url": url, "body": None}
        url = message.get("callback_url") or self.receipt_url
        if not url:
            return None
        if error_code is None:
            error_code = DEFAULT_ERROR_CODES.get(status)
        payload = {
            "id": message["id"],
            "client_reference": message["client_reference"],
            "status": status,
            "error_code": error_code,
            "at": _iso(at),
        }
        return {"url": url, "body": json.dumps(payload, separators=(",", ":")).encode()}

    def _schedule_receipts(self, message: dict) -> None:
        status = self.receipt_status.get(message["to"], self.receipt_default_status)
        if isinstance(status, list):
            # One per message to that number, in order; then the default.
            with self._lock:
                status = status.pop(0) if status else self.receipt_default_status
            if status is None:
                return
        # Never the same millisecond as the acceptance, so a receiver can order by `at`.
        at = max(datetime.now(UTC), message["received_at"] + timedelta(milliseconds=1))
        final = self._receipt(message, status, at)
        plan = [final]
        if self.receipt_twice:
            plan.append(final)
        if self.receipt_out_of_order:
            plan.append(self._receipt(message, "accepted", message["received_at"]))
        plan = [receipt for receipt in plan if receipt is not None]
        inbox = self._receipts
        if plan and inbox is not None:
            inbox.put((time.monotonic() + self.receipt_delay, plan))

    def _deliver_receipts(self, inbox: queue.Queue) -> None:
        with requests.Session() as session:
            session.trust_env = False
            while True:
                item = inbox.get()
                if item is None or self._stopping.is_set():
                    return
                not_before, plan = item
                delay = not_before - time.monotonic()
                if delay > 0 and self._stopping.wait(delay):
                    return
                for receipt in plan:
                    self._post_receipt_until_taken(session, receipt)

    def _post_receipt_until_taken(self, session: requests.Session, receipt: dict) -> None:
        # A receiver starting, restarting or briefly overloaded must not lose a receipt:
        # the message would stay "sent" until the receipt window ends.
        give_up_at = time.monotonic() + self.receipt_retry_seconds
        pause = 0.25
        while True:
            response = self._post_receipt(session, receipt)
            if response is not None and response.status_code < 500 and response.status_code != 429:
                return
            if time.monotonic() + pause > give_up_at or self._stopping.wait(pause):
                return
            pause = min(pause * 2, 4.0)

    def _post_receipt(
        self, session: requests.Session, receipt: dict, raise_errors: bool = False
    ) -> requests.Response | None:
        url, body = receipt["url"], receipt["body"]
        try:
            if body is None:
                response = session.get(url, timeout=(1, 5))
            else:
                headers = {"Content-Type": "application/json"}
                if self.receipt_secret:
                    timestamp = str(int(time.time()))
                    headers["X-Signature-Timestamp"] = timestamp
                    headers["X-Signature"] = self.sign(body, timestamp)
                response = session.post(url, data=body, headers=headers, timeout=(1, 5))
        except requests.RequestException as exc:
            with self._lock:
                self._receipts_sent.append({"url": url, "body": body, "status": repr(exc)})
            if raise_errors:
                raise
            return None
        with self._lock:
            self._receipts_sent.append({"url": url, "body": body, "status": response.status_code})
        return response

    # Request handling (called from the handler threads) ------------------------------

    def _log_request(self, method: str, path: str, status: int | None) -> None:
        with self._lock:
            self._request_log.append({"method": method, "path": path, "status": status})

    def _hang(self) -> bool:
        """Wait hang_seconds; False when the server was stopped meanwhile."""
        return not self._stopping.wait(self.hang_seconds)

    def _take_rate_slot(self) -> bool:
        """Count one acceptance against throttle_rate (caller holds the lock)."""
        now = time.monotonic()
        while self._accepted_at and now - self._accepted_at[0] >= 1.0:
            self._accepted_at.popleft()
        if self.throttle_rate and len(self._accepted_at) >= self.throttle_rate:
            return False
        self._accepted_at.append(now)
        return True

    def _record(self, message: dict) -> dict:
        """Store an accepted message (caller holds the lock)."""
        message["received_at"] = datetime.now(UTC)
        self._messages.append(message)
        self._by_id[message["id"]] = message
        if message.get("client_reference"):
            self._by_reference[message["client_reference"]] = message
        return message

    def _handle_json(self, headers, body: bytes) -> Outcome:
        mode = self.mode
        if mode == "fail":
            return _json(self.fail_status, {"error": "unavailable"})
        if mode == "throttle":
            return _json(429, {"error": "throttled"}, {"Retry-After": "1"})
        if mode == "hang":
            return _json(503, {"error": "unavailable"}) if self._hang() else None
        if headers.get("Authorization") != f"Bearer {self.token}":
            return _json(401, {"error": "unauthorized"})
        try:
            data = json.loads(body)
        except ValueError:
            return _json(400, {"error": "bad_request"})
        fields = ("to", "from", "text", "client_reference")
        if not isinstance(data, dict) or not all(
            isinstance(data.get(field), str) and data[field] for field in fields
        ):
            return _json(400, {"error": "bad_request"})
        if data["to"] in self.invalid_numbers:
            return _json(400, {"error": "invalid_number"})
        if data["to"] in self.blocked_numbers:
            return _json(400, {"error": "blocked_number"})
        with self._lock:
            existing = self._by_reference.get(data["client_reference"])
            if existing is not None:
                return _json(200, {"id": existing["id"], "status": "duplicate"})
            if not self._take_rate_slot():
                return _json(429, {"error": "throttled"}, {"Retry-After": "1"})
            message = self._record(
                {
                    "id": uuid.uuid4().hex,
                    "to": data["to"],
                    "from": data["from"],
                    "text": data["text"],
                    "client_reference": data["client_reference"],
                    "dialect": "json",
                    "callback_url": data.get("callback_url"),
                }
            )
        self._schedule_receipts(message)
        if mode == "accept_then_hang" and not self._hang():
            return None
        return _json(202, {"id": message["id"], "status": "accepted"})

    def _handle_kannel(self, query: str) -> Outcome:
        mode = self.mode
        if mode == "fail":
            return _text(self.fail_status, KANNEL_TEMPORARY_FAILURE)
        if mode == "throttle":
            return _text(429, "Throttled", {"Retry-After": "1"})
        if mode == "hang":
            return _text(503, KANNEL_TEMPORARY_FAILURE) if self._hang() else None
        params = {
            key: values[-1]
            for key, values in parse_qs(query, keep_blank_values=True, errors="replace").items()
        }
        if params.get("username") != self.username or params.get("password") != self.password:
            return _text(403, "Authorization failed for sendsms")
        to = params.get("to", "")
        if not to:
            return _text(400, "Missing receiver number, rejected")
        if not params.get("text"):
            return _text(400, "Empty text not allowed, rejected.")
        if to in self.invalid_numbers:
            return _text(403, "Not routable. Do not try again.")
        if to in self.blocked_numbers:
            return _text(400, "Number(s) has/have been denied by white- and/or black-lists.")
        with self._lock:
            if not self._take_rate_slot():
                return _text(429, "Throttled", {"Retry-After": "1"})
            message = self._record(
                {
                    "id": uuid.uuid4().hex,
                    "to": to,
                    "from": params.get("from", ""),
                    "text": params["text"],
                    # Kannel has no client reference; ours travels inside the dlr-url.
                    "client_reference": None,
                    "dialect": "kannel",
                    "callback_url": None,
                    "coding": params.get("coding"),
                    "charset": params.get("charset"),
                    "dlr_mask": params.get("dlr-mask"),
                    "dlr_url": params.get("dlr-url"),
                }
            )
        self._schedule_receipts(message)
        if mode == "accept_then_hang" and not self._hang():
            return None
        return _text(202, self.kannel_answer)


# Command line: the fake as its own process (benchmarks) ---------------------------------


def main(argv: list[str] | None = None) -> None:
    """Serve the fake on 127.0.0.1 until SIGTERM/SIGINT (or --max-seconds), in its own process.

        python -m mizan.testing.fake_sms_http --port 0 --token T --control-port 0

    Prints one JSON line with the ports once it listens. The control port answers
    `GET /stats` (counts) and `GET /messages?since=I` (accepted messages from index I on,
    as [client_reference, received_at epoch seconds]); on exit the final stats go to
    stdout (and to --out, with every message).
    """
    import argparse
    import signal
    from http.server import HTTPServer

    parser = argparse.ArgumentParser(prog="python -m mizan.testing.fake_sms_http")
    parser.add_argument("--port", type=int, default=0, help="aggregator port (0: any free)")
    parser.add_argument("--token", default="test-token", help="bearer token expected")
    parser.add_argument("--control-port", type=int, default=0, help="stats port (0: any free)")
    parser.add_argument("--receipt-url", help="where receipts go (none: no receipts)")
    parser.add_argument("--receipt-secret", help="signs the receipts")
    parser.add_argument("--max-seconds", type=float, default=3600, help="stop after this long")
    parser.add_argument("--out", help="write the final stats and messages here (JSON)")
    args = parser.parse_args(argv)

    # The handler writes the headers and the body in two send() calls: with Nagle's
    # algorithm on, the body waits for the client's delayed ACK (~40 ms on Linux), so
    # every request took ~44 ms and a benchmark measured the fake. This process sends
    # at once (the in-process FakeSmsServer of the tests keeps the class default).
    _Handler.disable_nagle_algorithm = True
    fake = FakeSmsServer(
        token=args.token, receipt_url=args.receipt_url, receipt_secret=args.receipt_secret
    )
    fake._port = args.port
    fake.start()

    def stats() -> dict:
        log = fake.request_log
        statuses: dict[str, int] = {}
        for entry in log:
            statuses[str(entry["status"])] = statuses.get(str(entry["status"]), 0) + 1
        with fake._lock:
            accepted = len(fake._messages)
        return {"accepted": accepted, "requests": len(log), "statuses": statuses}

    def messages(since: int = 0) -> list:
        with fake._lock:
            chosen = fake._messages[since:]
        return [[m["client_reference"], m["received_at"].timestamp()] for m in chosen]

    class Control(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

        def do_GET(self):
            split = urlsplit(self.path)
            if split.path == "/stats":
                data = stats()
            elif split.path == "/messages":
                since = int(parse_qs(split.query).get("since", ["0"])[0])
                data = {"since": since, "messages": messages(since)}
            else:
                self.send_error(404)
                return
            body = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    control = HTTPServer(("127.0.0.1", args.control_port), Control)
    threading.Thread(
        target=control.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    ).start()
    print(json.dumps({"port": fake.port, "control_port": control.server_address[1]}), flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait(args.max_seconds)
    control.shutdown()
    final = stats()
    fake.stop()
    print(json.dumps(final), flush=True)
    if args.out:
        with open(args.out, "w") as out:
            json.dump({**final, "messages": messages()}, out)


if __name__ == "__main__":
    main()
