"""A test SMSC that really speaks SMPP 3.4 over TCP, for the SMPP gateway's tests and benchmarks.

It listens on 127.0.0.1 (port 0 picks a free port, kept across `stop()`/`start()`), takes
transceiver binds, answers every submit_sm, records what it was sent, and can misbehave
on demand: throttle, refuse numbers, answer late, drop its sessions, go down and come
back. It pushes delivery receipts and inbound SMS (MO) the way an operator does.

Why not `smpp34.Server`: its Python server accepts any password (no bind can be
refused), does not tell which port it got for port 0, keeps enquire_link to itself (no
count) and cannot cut a session the way a network failure does. So this is written on
plain sockets, with smpplib's PDU classes for the encoding.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import smpplib.client
import smpplib.smpp

from mizan.notifications.encoding import smpp_parts, smpp_reassemble

logger = logging.getLogger("mizan.testing.smsc")

BIND_TRANSMITTER = 0x00000002
BIND_RECEIVER = 0x00000001
BIND_TRANSCEIVER = 0x00000009
SUBMIT_SM = 0x00000004
DELIVER_SM_RESP = 0x80000005
UNBIND = 0x00000006
ENQUIRE_LINK = 0x00000015
RESPONSE_BIT = 0x80000000
BIND_COMMANDS = {
    BIND_TRANSMITTER: "bind_transmitter_resp",
    BIND_RECEIVER: "bind_receiver_resp",
    BIND_TRANSCEIVER: "bind_transceiver_resp",
}

ESME_ROK = 0x00
ESME_RINVCMDID = 0x03
ESME_RINVBNDSTS = 0x04
ESME_RINVDSTADR = 0x0B
ESME_RINVPASWD = 0x0E
ESME_RTHROTTLED = 0x58

MESSAGE_STATES = {
    "ENROUTE": 1,
    "DELIVRD": 2,
    "EXPIRED": 3,
    "DELETED": 4,
    "UNDELIV": 5,
    "ACCEPTD": 6,
    "UNKNOWN": 7,
    "REJECTD": 8,
}


@dataclass(frozen=True)
class Submit:
    """One submit_sm as the SMSC received it, and what it answered."""

    session: int
    source_addr: str
    destination_addr: str
    short_message: bytes
    esm_class: int
    data_coding: int
    registered_delivery: int
    status: int
    message_id: str | None  # None when refused


@dataclass(frozen=True)
class ReceivedSms:
    """A whole message, its parts put back together."""

    destination_addr: str
    source_addr: str
    text: str
    message_ids: tuple[str, ...]


def wait_until(predicate: Callable[[], object], timeout: float = 5.0, interval: float = 0.005):
    """Poll until `predicate()` is truthy and return it; AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


class _Sequence(smpplib.client.SimpleSequenceGenerator):
    """Numbers for the PDUs the SMSC starts; smpplib's generator has no lock."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def next_sequence(self):
        with self._lock:
            return super().next_sequence()


class _Scheduler:
    """One thread for everything due later (late answers, delayed receipts)."""

    def __init__(self) -> None:
        self._jobs: list[tuple[float, int, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._condition = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="test-smsc-scheduler", daemon=True)
        self._thread.start()

    def call_later(self, delay: float, job: Callable[[], None]) -> None:
        with self._condition:
            heapq.heappush(self._jobs, (time.monotonic() + delay, next(self._counter), job))
            self._condition.notify()

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._jobs.clear()
            self._condition.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._stopped:
                    now = time.monotonic()
                    if self._jobs and self._jobs[0][0] <= now:
                        _, _, job = heapq.heappop(self._jobs)
                        break
                    self._condition.wait(self._jobs[0][0] - now if self._jobs else None)
                else:
                    return
            try:
                job()
            except Exception:
                logger.exception("test SMSC: scheduled job failed")


class _Session:
    def __init__(self, smsc: TestSmsc, sock: socket.socket, number: int) -> None:
        self.smsc = smsc
        self.sock = sock
        self.number = number
        self.sequence = _Sequence()
        self.bound = False
        self.can_receive = False
        self.closed = False
        self._write_lock = threading.Lock()
        self.thread = threading.Thread(
            target=self._run, name=f"test-smsc-session-{number}", daemon=True
        )

    def send(self, pdu) -> bool:
        data = pdu.generate()
        with self._write_lock:
            if self.closed:
                return False
            try:
                self.sock.sendall(data)
            except OSError:
                return False
        return True

    def answer(self, command: str, sequence: int, status: int = ESME_ROK, **fields) -> bool:
        pdu = smpplib.smpp.make_pdu(command, client=self.sequence, status=status, **fields)
        pdu.sequence = sequence  # smpplib ignores a `sequence` argument on answers
        return self.send(pdu)

    def close(self) -> None:
        with self._write_lock:
            self.closed = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()

    def _read_exact(self, size: int) -> bytes:
        chunks = []
        while size:
            chunk = self.sock.recv(size)
            if not chunk:
                raise ConnectionError("closed")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _run(self) -> None:
        try:
            while True:
                head = self._read_exact(4)
                (length,) = struct.unpack(">L", head)
                if length < 16:
                    raise ConnectionError(f"bad PDU length {length}")
                raw = head + self._read_exact(length - 4)
                command_id, status, sequence = struct.unpack(">LLL", raw[4:16])
                if not self._handle(raw, command_id, status, sequence):
                    break
        except (OSError, ConnectionError):
            pass  # the client went away, or the session was dropped on purpose
        except Exception:
            logger.exception("test SMSC: session %d failed", self.number)
        finally:
            self.close()
            self.smsc._session_ended(self)

    def _handle(self, raw: bytes, command_id: int, status: int, sequence: int) -> bool:
        smsc = self.smsc
        if command_id == ENQUIRE_LINK:
            with smsc._lock:
                smsc._enquire_links += 1
            if smsc.answer_enquire_link:
                self.answer("enquire_link_resp", sequence)
        elif command_id in BIND_COMMANDS:
            pdu = smpplib.smpp.parse_pdu(raw, client=self.sequence, allow_unknown_opt_params=True)
            accepted = (
                _text(pdu.system_id) == smsc.system_id and _text(pdu.password) == smsc.password
            )
            with smsc._lock:
                smsc._binds += 1 if accepted else 0
                smsc._refused_binds += 0 if accepted else 1
            self.answer(
                BIND_COMMANDS[command_id],
                sequence,
                ESME_ROK if accepted else ESME_RINVPASWD,
                system_id="TESTSMSC",
            )
            if not accepted:
                return False
            self.bound = True
            self.can_receive = command_id != BIND_TRANSMITTER
        elif command_id == SUBMIT_SM:
            self._submit(raw, sequence)
        elif command_id == UNBIND:
            self.answer("unbind_resp", sequence)
            return False
        elif command_id == DELIVER_SM_RESP:
            with smsc._lock:
                smsc._deliver_sm_resps.append(status)
        elif not command_id & RESPONSE_BIT:
            self.answer("generic_nack", sequence, ESME_RINVCMDID)
        return True

    def _submit(self, raw: bytes, sequence: int) -> None:
        smsc = self.smsc
        if not self.bound:
            self.answer("submit_sm_resp", sequence, ESME_RINVBNDSTS)
            return
        pdu = smpplib.smpp.parse_pdu(raw, client=self.sequence, allow_unknown_opt_params=True)
        destination = _text(pdu.destination_addr)
        with smsc._lock:
            smsc._outstanding += 1
            smsc._max_outstanding = max(smsc._max_outstanding, smsc._outstanding)
            if smsc._throttle > 0:
                smsc._throttle -= 1
                status, message_id = ESME_RTHROTTLED, None
            elif destination in smsc.invalid_numbers:
                status, message_id = ESME_RINVDSTADR, None
            else:
                status, message_id = ESME_ROK, f"{next(smsc._ids):08X}"
            submit = Submit(
                session=self.number,
                source_addr=_text(pdu.source_addr),
                destination_addr=destination,
                short_message=pdu.short_message or b"",
                esm_class=pdu.esm_class or 0,
                data_coding=pdu.data_coding or 0,
                registered_delivery=pdu.registered_delivery or 0,
                status=status,
                message_id=message_id,
            )
            smsc._submits.append(submit)
            if message_id is not None:
                smsc._by_id[message_id] = submit
            delay = smsc.response_delay
            receipts = smsc.receipt_copies if smsc.auto_receipts and message_id else 0
            receipt_delay = smsc.receipt_delay

        def answer() -> None:
            fields = {"message_id": message_id} if message_id else {}
            with smsc._lock:
                smsc._outstanding -= 1
            self.answer("submit_sm_resp", sequence, status, **fields)
            # Receipts only after the answer, as an SMSC cannot report on an id not given.
            for _ in range(receipts):
                if receipt_delay > 0:
                    smsc._scheduler.call_later(
                        receipt_delay, lambda: smsc.send_receipt(message_id, smsc.receipt_stat)
                    )
                else:
                    smsc.send_receipt(message_id, smsc.receipt_stat)

        if delay > 0:
            smsc._scheduler.call_later(delay, answer)
        else:
            answer()


class TestSmsc:
    """An SMSC on 127.0.0.1 for tests; a context manager that starts and stops it.

    Behaviours, settable at any time: `throttle_next(n)`, `invalid_numbers` (destination
    addresses without '+', refused with ESME_RINVDSTADR), `response_delay` (seconds before
    each submit_sm_resp), `answer_enquire_link`, and `auto_receipts` with
    `receipt_copies`, `receipt_delay` and `receipt_stat`.
    """

    __test__ = False  # not a pytest test class, despite its name

    def __init__(
        self,
        *,
        system_id: str = "mizan",
        password: str = "secret",
        host: str = "127.0.0.1",
        port: int = 0,
        auto_receipts: bool = False,
        receipt_copies: int = 1,
        receipt_delay: float = 0.0,
        receipt_stat: str = "DELIVRD",
    ) -> None:
        self.system_id = system_id
        self.password = password
        self.host = host
        self.port = port
        self.auto_receipts = auto_receipts
        self.receipt_copies = receipt_copies
        self.receipt_delay = receipt_delay
        self.receipt_stat = receipt_stat
        self.invalid_numbers: set[str] = set()
        self.response_delay = 0.0
        # False plays a hung SMSC: the TCP session stays up, nothing answers.
        self.answer_enquire_link = True
        self._lock = threading.Lock()
        self._throttle = 0
        self._ids = itertools.count(0x1000)
        self._session_numbers = itertools.count(1)
        self._submits: list[Submit] = []
        self._by_id: dict[str, Submit] = {}
        self._sessions: list[_Session] = []
        self._enquire_links = 0
        self._binds = 0
        self._refused_binds = 0
        self._deliver_sm_resps: list[int] = []
        self._outstanding = 0
        self._max_outstanding = 0
        self._references = itertools.count(1)
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._scheduler: _Scheduler | None = None

    def __enter__(self) -> TestSmsc:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- life cycle --------------------------------------------------------------------

    def start(self) -> None:
        """Listen (again, on the same port after a stop)."""
        if self._listener is not None:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        # A bound on accept(), in case closing the socket does not wake it.
        listener.settimeout(0.5)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._scheduler = _Scheduler()
        self._acceptor = threading.Thread(
            target=self._accept_loop, args=(listener,), name="test-smsc-accept", daemon=True
        )
        self._acceptor.start()

    def stop(self) -> None:
        """Stop listening and close every session: to clients, the SMSC is down."""
        listener, self._listener = self._listener, None
        if listener is None:
            return
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        if self._acceptor is not None:
            self._acceptor.join(timeout=5)
        self.drop_connections()
        if self._scheduler is not None:
            self._scheduler.stop()
            self._scheduler = None

    def drop_connections(self) -> None:
        """Cut every session without an unbind, as a network failure would."""
        with self._lock:
            sessions = list(self._sessions)
        for session in sessions:
            session.close()
        for session in sessions:
            session.thread.join(timeout=5)

    def _accept_loop(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            session = _Session(self, sock, next(self._session_numbers))
            with self._lock:
                self._sessions.append(session)
            session.thread.start()

    def _session_ended(self, session: _Session) -> None:
        with self._lock:
            if session in self._sessions:
                self._sessions.remove(session)

    # --- behaviours --------------------------------------------------------------------

    def throttle_next(self, count: int = 1) -> None:
        """Answer the next `count` submits with ESME_RTHROTTLED."""
        with self._lock:
            self._throttle = count

    # --- what was received -------------------------------------------------------------

    def submits(self) -> list[Submit]:
        """Every submit_sm, refused ones included, in the order received."""
        with self._lock:
            return list(self._submits)

    def messages(self) -> list[ReceivedSms]:
        """Accepted messages, concatenated parts put back together (complete ones only)."""
        messages: list[ReceivedSms] = []
        open_groups: dict[tuple[str, int, int], list[Submit]] = {}
        for submit in self.submits():
            if submit.message_id is None:
                continue
            concatenation = _concatenation(submit)
            if concatenation is None:
                messages.append(_message([submit]))
                continue
            reference, total, _ = concatenation
            key = (submit.destination_addr, reference, total)
            group = open_groups.setdefault(key, [])
            group.append(submit)
            if len(group) == total:
                messages.append(_message(open_groups.pop(key)))
        return messages

    @property
    def enquire_links(self) -> int:
        with self._lock:
            return self._enquire_links

    @property
    def binds(self) -> int:
        """Successful binds so far (a reconnecting client binds again)."""
        with self._lock:
            return self._binds

    @property
    def refused_binds(self) -> int:
        with self._lock:
            return self._refused_binds

    @property
    def bound_sessions(self) -> int:
        with self._lock:
            return sum(1 for session in self._sessions if session.bound and not session.closed)

    @property
    def max_outstanding(self) -> int:
        """Most submits ever waiting for their answer at once, all sessions together.

        A session reads its PDUs one after the other, so this only exceeds 1 when
        `response_delay` keeps answers waiting.
        """
        with self._lock:
            return self._max_outstanding

    @property
    def deliver_sm_resps(self) -> list[int]:
        """command_status of every deliver_sm_resp received, in order."""
        with self._lock:
            return list(self._deliver_sm_resps)

    # --- pushing to the client ---------------------------------------------------------

    def _receiver(self, preferred: int | None = None) -> _Session:
        with self._lock:
            sessions = [s for s in self._sessions if s.can_receive and not s.closed]
        for session in sessions:
            if session.number == preferred:
                return session
        if not sessions:
            raise RuntimeError("no bound receiver session")
        return sessions[0]

    def send_receipt(
        self,
        message_id: str,
        stat: str = "DELIVRD",
        *,
        err: str = "000",
        with_tlv: bool = True,
        done: datetime | None = None,
    ) -> bool:
        """Push a delivery receipt (esm_class 0x04) for `message_id`; False if not sent.

        `with_tlv=False` leaves out receipted_message_id and message_state, so that the
        client has to read the id from the text, as with some operators.
        """
        with self._lock:
            submit = self._by_id.get(message_id)
        try:
            session = self._receiver(submit.session if submit else None)
        except RuntimeError:
            return False
        done = done or datetime.now(UTC)
        stamp = done.strftime("%y%m%d%H%M")
        delivered = "001" if stat == "DELIVRD" else "000"
        text = (
            f"id:{message_id} sub:001 dlvrd:{delivered} submit date:{stamp} "
            f"done date:{stamp} stat:{stat} err:{err} text:"
        ).encode("ascii")
        fields = {}
        if with_tlv:
            fields = {
                "receipted_message_id": message_id,
                "message_state": MESSAGE_STATES.get(stat, 7),
            }
        pdu = smpplib.smpp.make_pdu(
            "deliver_sm",
            client=session.sequence,
            service_type="",
            source_addr_ton=1,
            source_addr_npi=1,
            source_addr=submit.destination_addr if submit else "",
            dest_addr_ton=0,
            dest_addr_npi=0,
            destination_addr=submit.source_addr if submit else "",
            esm_class=0x04,
            data_coding=0,
            short_message=text,
            **fields,
        )
        return session.send(pdu)

    def send_mo(self, sender: str, text: str, *, to: str = "2525") -> int:
        """Push an SMS from a handset (concatenated if long); the number of parts sent."""
        session = self._receiver()
        international = sender.startswith("+")
        parts = smpp_parts(text, reference=next(self._references) & 0xFF)
        for part in parts:
            pdu = smpplib.smpp.make_pdu(
                "deliver_sm",
                client=session.sequence,
                service_type="",
                source_addr_ton=1 if international else 0,
                source_addr_npi=1,
                source_addr=sender.removeprefix("+"),
                dest_addr_ton=0,
                dest_addr_npi=0,
                destination_addr=to,
                esm_class=part.esm_class,
                data_coding=part.data_coding,
                short_message=part.short_message,
            )
            if not session.send(pdu):
                raise RuntimeError("session closed while sending an MO")
        return len(parts)


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.rstrip(b"\0").decode("latin-1")
    return value or ""


def _concatenation(submit: Submit) -> tuple[int, int, int] | None:
    """(reference, total, sequence) from an 8- or 16-bit concatenation header, if any."""
    data = submit.short_message
    if not submit.esm_class & 0x40 or not data:
        return None
    header = data[1 : 1 + data[0]]
    index = 0
    while index + 2 <= len(header):
        iei, length = header[index], header[index + 1]
        element = header[index + 2 : index + 2 + length]
        if iei == 0x00 and length == 3:
            return element[0], element[1], element[2]
        if iei == 0x08 and length == 4:
            return (element[0] << 8) | element[1], element[2], element[3]
        index += 2 + length
    return None


def _message(parts: list[Submit]) -> ReceivedSms:
    text = smpp_reassemble([(p.short_message, p.esm_class, p.data_coding) for p in parts])
    ordered = sorted(parts, key=lambda p: (_concatenation(p) or (0, 0, 0))[2])
    return ReceivedSms(
        destination_addr=parts[0].destination_addr,
        source_addr=parts[0].source_addr,
        text=text,
        message_ids=tuple(p.message_id or "" for p in ordered),
    )
