"""SMPP 3.4 gateway: how Moroccan operators are reached directly, without an aggregator.

One transceiver bind per process, opened on the first send and shared by every thread.
Submits are written by the sending threads; everything read from the SMSC is read by one
reader thread, which hands each `submit_sm_resp` to the thread waiting for it (by
sequence number), answers `enquire_link` and sends its own as a keep-alive. Delivery
receipts and inbound SMS are handed to a second thread, so that a slow callback (a
database write, or a reply SMS sent through this very gateway) never stops the reader
from taking the answers that other threads are waiting for.

smpplib brings the PDU codec and the socket; its `listen()` loop is not used, because it
raises out of the loop on the first error answer (a throttled submit kills the listener),
never answers an `unbind`, and its own keep-alive fires on a socket time-out, which can
cut a PDU in half. The loop below waits with a selector and reads whole frames instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import random
import re
import selectors
import socket
import struct
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.smpp

from .encoding import gsm7_decode, smpp_parts
from .gateways import (
    Accepted,
    OutboundSms,
    PermanentGatewayError,
    TemporaryGatewayError,
    UncertainGatewayError,
)
from .phones import e164

logger = logging.getLogger("mizan.sms")

SUBMIT_SM_RESP = 0x80000004
DELIVER_SM = 0x00000005
UNBIND = 0x00000006
ENQUIRE_LINK = 0x00000015
ENQUIRE_LINK_RESP = 0x80000015
ALERT_NOTIFICATION = 0x00000102
RESPONSE_BIT = 0x80000000

ESME_ROK = 0x00
ESME_RINVCMDID = 0x03
ESME_RINVDSTADR = 0x0B
ESME_RMSGQFUL = 0x14
ESME_RINVDSTTON = 0x50
ESME_RINVDSTNPI = 0x51
ESME_RTHROTTLED = 0x58
ESME_RX_T_APPN = 0x64
ESME_RX_P_APPN = 0x65

# The SMSC will take these again after a pause; retry_after is what we ask callers to wait.
THROTTLING_STATUSES = {ESME_RTHROTTLED, ESME_RMSGQFUL}
THROTTLE_RETRY_AFTER = 1.0
# The number itself is refused: no provider and no retry will deliver to it.
PERMANENT_STATUSES = {ESME_RINVDSTADR, ESME_RINVDSTTON, ESME_RINVDSTNPI}

# esm_class message-type bits: 0x04 SMSC delivery receipt, 0x08/0x10 SME acknowledgements,
# 0x20 intermediate notification. None of them is a message from a citizen.
ESM_CLASS_NOT_A_MESSAGE = 0x3C
UDHI = 0x40

# Final states from the receipt's `stat:` field. ACCEPTD and ENROUTE are not final: the
# message is still on its way, and the final receipt will follow.
RECEIPT_STATUSES = {
    "DELIVRD": "delivered",
    "EXPIRED": "temporary-failure",
    "UNKNOWN": "temporary-failure",
    "UNDELIV": "permanent-failure",
    "REJECTD": "permanent-failure",
    "DELETED": "permanent-failure",
    "ACCEPTD": None,
    "ENROUTE": None,
}
# The message_state TLV (SMPP 3.4 section 5.2.28), for receipts whose text has no stat.
MESSAGE_STATES = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}

RECEIPT_ID = re.compile(rb"\bid:(\S+)", re.IGNORECASE)
RECEIPT_STAT = re.compile(rb"\bstat:(\w+)", re.IGNORECASE)
RECEIPT_DONE = re.compile(rb"\bdone date:(\d{10})(\d{2})?", re.IGNORECASE)

# A concatenated inbound SMS whose last part never comes is dropped after this long.
MO_PARTS_MAX_AGE = 3600.0
MAX_PDU_LENGTH = 64 * 1024


class _ConnectionLost(Exception):
    pass


class _Client(smpplib.client.Client):
    """smpplib's client, made safe to write from several threads.

    smpplib numbers a PDU when it is built and writes it with `sendall`; neither is
    locked, so two threads could take the same sequence number or interleave their bytes.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sequence_lock = threading.Lock()
        self._write_lock = threading.Lock()

    def next_sequence(self):
        with self._sequence_lock:
            return super().next_sequence()

    def send_pdu(self, p):
        with self._write_lock:
            return super().send_pdu(p)

    def read_frame(self):
        """(command_id, command_status, sequence, parsed PDU or None) of the next PDU.

        A PDU smpplib cannot parse (an unknown command, a TLV it misplaces) still has a
        readable header, which is enough to answer it, so parsing errors are not fatal.
        """
        head = self._recv_exact(4)
        (length,) = struct.unpack(">L", head)
        if not 16 <= length <= MAX_PDU_LENGTH:
            raise _ConnectionLost(f"PDU length {length} out of bounds")
        raw = head + self._recv_exact(length - 4)
        command_id, status, sequence = struct.unpack(">LLL", raw[4:16])
        try:
            pdu = smpplib.smpp.parse_pdu(raw, client=self, allow_unknown_opt_params=True)
        except Exception:
            logger.warning("SMPP PDU 0x%08X (sequence %d) not understood", command_id, sequence)
            pdu = None
        return command_id, status, sequence, pdu

    def shutdown(self) -> None:
        """Wake the reader's selector and make every later write fail at once."""
        sock = self._socket
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close_socket(self) -> None:
        sock, self._socket = self._socket, None
        self.state = smpplib.consts.SMPP_CLIENT_STATE_CLOSED
        if sock is not None:
            sock.close()


class _Pending:
    __slots__ = ("event", "message_id", "status")

    def __init__(self) -> None:
        self.event = threading.Event()
        # None until answered; stays None when the connection is lost first.
        self.status: int | None = None
        self.message_id = ""


class _Connection:
    """One bound session: its socket, the answers awaited on it, and its two threads."""

    def __init__(self, gateway: SmppGateway, client: _Client) -> None:
        self.gateway = gateway
        self.client = client
        self.window = threading.BoundedSemaphore(gateway.window)
        self._lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self.alive = True
        self.closing = False
        self._deliveries: queue.SimpleQueue = queue.SimpleQueue()
        self.reader = threading.Thread(
            target=self._read_loop, name=f"smpp-{gateway.name}-reader", daemon=True
        )
        self.dispatcher = threading.Thread(
            target=self._dispatch_loop, name=f"smpp-{gateway.name}-callbacks", daemon=True
        )
        self.reader.start()
        self.dispatcher.start()

    # --- requests and their answers ----------------------------------------------------

    def expect(self, sequence: int) -> _Pending | None:
        """Register the wait before writing, so that a fast answer cannot be missed."""
        with self._lock:
            if not self.alive:
                return None
            pending = self._pending[sequence] = _Pending()
            return pending

    def forget(self, sequence: int) -> None:
        with self._lock:
            self._pending.pop(sequence, None)

    def _answer(self, sequence: int, status: int, message_id: str = "") -> bool:
        with self._lock:
            pending = self._pending.pop(sequence, None)
        if pending is None:
            return False
        pending.status = status
        pending.message_id = message_id
        pending.event.set()
        return True

    def request(self, command: str, timeout: float, **fields) -> _Pending | None:
        """Write a request and wait for its answer; None if none came in time."""
        pdu = smpplib.smpp.make_pdu(command, client=self.client, **fields)
        pending = self.expect(pdu.sequence)
        if pending is None:
            return None
        try:
            self.client.send_pdu(pdu)
        except Exception:
            self.forget(pdu.sequence)
            return None
        pending.event.wait(timeout)
        self.forget(pdu.sequence)
        return pending if pending.status is not None else None

    def respond(self, command: str, sequence: int, status: int = ESME_ROK) -> None:
        pdu = smpplib.smpp.make_pdu(command, client=self.client, status=status)
        # smpplib ignores a `sequence` argument on answers; it has to be set afterwards.
        pdu.sequence = sequence
        try:
            self.client.send_pdu(pdu)
        except Exception as error:
            self.fail(f"could not answer {command}: {error!r}")

    def fail(self, reason: str) -> None:
        """Mark the session dead and release every thread still waiting for an answer."""
        with self._lock:
            was_alive, self.alive = self.alive, False
            pending, self._pending = self._pending, {}
        for waiting in pending.values():
            waiting.event.set()
        if was_alive:
            if not self.closing:
                logger.warning("SMPP %s: connection lost (%s)", self.gateway.name, reason)
            self.client.shutdown()

    def close(self) -> None:
        self.closing = True
        if self.alive:
            self.request("unbind", timeout=min(1.0, self.gateway.response_timeout))
        self.fail("closed")
        for thread in (self.reader, self.dispatcher):
            if thread is not threading.current_thread():
                thread.join(timeout=5)

    # --- reader thread -----------------------------------------------------------------

    def _read_loop(self) -> None:
        gateway = self.gateway
        interval = gateway.enquire_link_interval
        # selectors, not select.select(): a busy worker may hold file descriptors past 1024.
        selector = selectors.DefaultSelector()
        selector.register(self.client._socket, selectors.EVENT_READ)
        next_probe = time.monotonic() + interval if interval > 0 else None
        probe: tuple[int, float] | None = None  # (sequence, sent at) of the unanswered one
        reason = "closed by the SMSC"
        try:
            while self.alive:
                now = time.monotonic()
                if probe is not None and now - probe[1] > gateway.response_timeout:
                    raise _ConnectionLost("no answer to enquire_link")
                if next_probe is not None and now >= next_probe:
                    if probe is None:
                        pdu = smpplib.smpp.make_pdu("enquire_link", client=self.client)
                        self.client.send_pdu(pdu)
                        probe = (pdu.sequence, now)
                    next_probe = now + interval
                deadlines = [next_probe] if next_probe is not None else []
                if probe is not None:
                    deadlines.append(probe[1] + gateway.response_timeout)
                wait = max(0.0, min(deadlines) - now) if deadlines else None
                if not selector.select(wait):
                    continue
                command_id, status, sequence, pdu = self.client.read_frame()
                if command_id == ENQUIRE_LINK_RESP:
                    if probe is not None and probe[0] == sequence:
                        probe = None
                elif not self._handle(command_id, status, sequence, pdu):
                    reason = "unbound by the SMSC"
                    break
        except Exception as error:
            reason = repr(error)
        finally:
            self.fail(reason)
            self._deliveries.put(None)
            selector.close()
            self.client.close_socket()

    def _handle(self, command_id: int, status: int, sequence: int, pdu) -> bool:
        """Act on one PDU; False when the SMSC ends the session."""
        if command_id == SUBMIT_SM_RESP:
            message_id = getattr(pdu, "message_id", None) or b""
            if isinstance(message_id, bytes):
                message_id = message_id.decode("latin-1")
            if not self._answer(sequence, status, message_id):
                logger.warning(
                    "SMPP %s: late or unknown submit_sm_resp (sequence %d, status 0x%08X)",
                    self.gateway.name,
                    sequence,
                    status,
                )
        elif command_id & RESPONSE_BIT:  # generic_nack, unbind_resp
            self._answer(sequence, status)
        elif command_id == DELIVER_SM:
            if pdu is None:
                # It would not parse any better if the SMSC sent it again.
                self.respond("deliver_sm_resp", sequence, ESME_RX_P_APPN)
            else:
                self._deliveries.put(pdu)
        elif command_id == ENQUIRE_LINK:
            self.respond("enquire_link_resp", sequence)
        elif command_id == UNBIND:
            self.respond("unbind_resp", sequence)
            return False
        elif command_id == ALERT_NOTIFICATION:
            pass  # it has no answer, and nothing here waits for a handset to come back
        else:
            self.respond("generic_nack", sequence, ESME_RINVCMDID)
        return True

    # --- callback thread ---------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        while True:
            pdu = self._deliveries.get()
            if pdu is None:
                return
            try:
                status = self.gateway._deliver(pdu)
            except Exception:
                logger.exception("SMPP %s: inbound PDU could not be handled", self.gateway.name)
                # A temporary application error: the SMSC delivers it again later, and
                # receipts and inbound SMS are both deduplicated downstream.
                status = ESME_RX_T_APPN
            if self.alive:
                self.respond("deliver_sm_resp", pdu.sequence, status)


@dataclass
class _PartialMessage:
    first_seen: float
    parts: dict[int, bytes]


class SmppGateway:
    """An SMPP 3.4 client (ESME) bound as a transceiver.

    Options: host, port, system_id, password, system_type, source_addr (sender id;
    OutboundSms.sender when absent), source_addr_ton/npi (guessed from the sender id
    when absent), dest_addr_ton/npi (1/1), window (outstanding submits, 10),
    response_timeout (10 s), enquire_link_interval (30 s), connect_timeout (5 s),
    reconnect_backoff (first pause after a failed connection, 0.5 s, doubling up to
    reconnect_backoff_max, 30 s) and default_region (to read national numbers, "MA").
    """

    # SMPP has no client reference for the SMSC to deduplicate a repeated submit on.
    deduplicates = False

    def __init__(self, name: str, options: dict, on_receipt=None, on_inbound=None) -> None:
        self.name = name
        self.options = dict(options)
        self.host = options["host"]
        self.port = int(options["port"])
        self.system_id = options["system_id"]
        self.password = options["password"]
        self.system_type = options.get("system_type", "")
        self.source_addr = options.get("source_addr") or ""
        self.source_addr_ton = _optional_int(options.get("source_addr_ton"))
        self.source_addr_npi = _optional_int(options.get("source_addr_npi"))
        self.dest_addr_ton = int(options.get("dest_addr_ton", 1))
        self.dest_addr_npi = int(options.get("dest_addr_npi", 1))
        self.window = int(options.get("window", 10))
        self.response_timeout = float(options.get("response_timeout", 10))
        self.enquire_link_interval = float(options.get("enquire_link_interval", 30))
        self.connect_timeout = float(options.get("connect_timeout", 5))
        self.reconnect_backoff = float(options.get("reconnect_backoff", 0.5))
        self.reconnect_backoff_max = float(options.get("reconnect_backoff_max", 30))
        self.default_region = options.get("default_region", "MA")
        self._on_receipt = on_receipt
        self._on_inbound = on_inbound
        self._lock = threading.Lock()
        self._connection: _Connection | None = None
        self._pid = os.getpid()
        self._failures = 0
        self._retry_at = 0.0
        self._reference = random.randrange(256)
        self._reference_lock = threading.Lock()
        self._mo_parts: dict[tuple[str, int, int], _PartialMessage] = {}
        self._mo_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<SmppGateway {self.name} {self.host}:{self.port}>"

    @property
    def connected(self) -> bool:
        connection = self._connection
        return connection is not None and connection.alive

    # --- sending -----------------------------------------------------------------------

    def send_sms(self, sms: OutboundSms) -> Accepted:
        try:
            parts = smpp_parts(sms.body, reference=self._next_reference())
        except ValueError as error:
            raise PermanentGatewayError(str(error), provider=self.name) from error
        source_addr, source_ton, source_npi = self._source(sms.sender)
        destination = sms.recipient.removeprefix("+")
        connection = self._connect()
        message_ids: list[str] = []
        # Once one part may have reached the SMSC, a part without a clear answer makes
        # the whole message uncertain: part of it may already be on the handset.
        written = False
        for index, part in enumerate(parts, start=1):
            where = f"part {index}/{len(parts)}"
            if not connection.window.acquire(timeout=self.response_timeout):
                raise self._unanswered(f"{where}: window of submits still full", written)
            try:
                pdu = smpplib.smpp.make_pdu(
                    "submit_sm",
                    client=connection.client,
                    service_type="",
                    source_addr_ton=source_ton,
                    source_addr_npi=source_npi,
                    source_addr=source_addr,
                    dest_addr_ton=self.dest_addr_ton,
                    dest_addr_npi=self.dest_addr_npi,
                    destination_addr=destination,
                    esm_class=part.esm_class,
                    registered_delivery=1,
                    data_coding=part.data_coding,
                    short_message=part.short_message,
                )
                pending = connection.expect(pdu.sequence)
                if pending is None:
                    raise self._unanswered(f"{where}: connection lost", written)
                try:
                    connection.client.send_pdu(pdu)
                except Exception as error:
                    # sendall() failed part-way at worst: the SMSC cannot take half a PDU.
                    connection.forget(pdu.sequence)
                    connection.fail(f"write failed: {error!r}")
                    raise self._unanswered(f"{where}: could not write", written) from error
                written = True
                if not pending.event.wait(self.response_timeout):
                    connection.forget(pdu.sequence)
                    raise UncertainGatewayError(
                        f"{where}: no submit_sm_resp within {self.response_timeout:g}s",
                        provider=self.name,
                    )
            finally:
                connection.window.release()
            if pending.status is None:
                raise UncertainGatewayError(
                    f"{where}: connection lost before the answer", provider=self.name
                )
            if pending.status != ESME_ROK:
                raise self._refused(pending.status, where)
            message_ids.append(pending.message_id)
        return Accepted(provider=self.name, message_ids=tuple(message_ids))

    def _next_reference(self) -> int:
        with self._reference_lock:
            self._reference = (self._reference + 1) & 0xFF
            return self._reference

    def _source(self, sender: str) -> tuple[str, int, int]:
        source = self.source_addr or sender or ""
        ton, npi = self.source_addr_ton, self.source_addr_npi
        if source.startswith("+"):
            source = source[1:]
            guessed = (1, 1)  # international number
        elif source.isdigit():
            guessed = (3, 0) if len(source) <= 8 else (1, 1)  # short code or full number
        else:
            guessed = (5, 0)  # alphanumeric sender id
        return source, guessed[0] if ton is None else ton, guessed[1] if npi is None else npi

    def _unanswered(self, reason: str, written: bool):
        error_class = UncertainGatewayError if written else TemporaryGatewayError
        return error_class(reason, provider=self.name)

    def _refused(self, status: int, where: str):
        provider_status = f"0x{status:08X}"
        description = smpplib.consts.DESCRIPTIONS.get(status, "unknown status")
        reason = f"{where}: {description}"
        if status in THROTTLING_STATUSES:
            return TemporaryGatewayError(
                reason,
                provider=self.name,
                provider_status=provider_status,
                retry_after=THROTTLE_RETRY_AFTER,
            )
        if status in PERMANENT_STATUSES:
            return PermanentGatewayError(
                reason, provider=self.name, provider_status=provider_status
            )
        return TemporaryGatewayError(reason, provider=self.name, provider_status=provider_status)

    # --- connection --------------------------------------------------------------------

    def _connect(self) -> _Connection:
        with self._lock:
            if self._pid != os.getpid():
                # A forked worker shares the parent's socket but not its threads: leave
                # the socket to the parent (no unbind, no shutdown) and bind our own.
                self._connection = None
                self._pid = os.getpid()
            connection = self._connection
            if connection is not None and connection.alive:
                return connection
            self._connection = None
            wait = self._retry_at - time.monotonic()
            if wait > 0:
                raise TemporaryGatewayError(
                    "SMSC unreachable, waiting before the next attempt",
                    provider=self.name,
                    retry_after=wait,
                )
            try:
                connection = self._bind()
            except TemporaryGatewayError as error:
                self._failures += 1
                pause = min(
                    self.reconnect_backoff * 2 ** (self._failures - 1), self.reconnect_backoff_max
                )
                self._retry_at = time.monotonic() + pause
                error.retry_after = max(error.retry_after or 0.0, pause)
                logger.warning("SMPP %s: %s", self.name, error.reason)
                raise
            self._failures = 0
            self._retry_at = 0.0
            self._connection = connection
            return connection

    def _bind(self) -> _Connection:
        client = _Client(
            self.host,
            self.port,
            timeout=self.connect_timeout,
            logger_name="mizan.sms.smpplib",
            allow_unknown_opt_params=True,
        )
        try:
            client.connect()
            client.bind_transceiver(
                system_id=self.system_id,
                password=self.password,
                system_type=self.system_type,
            )
        except smpplib.exceptions.PDUError as error:
            client.close_socket()
            status = error.args[1] if len(error.args) > 1 else None
            raise TemporaryGatewayError(
                f"bind refused by {self.host}:{self.port}: {error.args[0]}",
                provider=self.name,
                provider_status=f"0x{status:08X}" if status is not None else "",
            ) from error
        except Exception as error:
            client.close_socket()
            raise TemporaryGatewayError(
                f"cannot connect to {self.host}:{self.port}: {error!r}", provider=self.name
            ) from error
        # From now on the time-out only bounds a write to a stuck peer and the rest of a
        # PDU whose start was read; waiting for PDUs is the reader's select().
        client._socket.settimeout(max(self.response_timeout, 1.0))
        logger.info("SMPP %s: bound to %s:%s as transceiver", self.name, self.host, self.port)
        return _Connection(self, client)

    def close(self) -> None:
        """Unbind and stop the threads; a later send binds again."""
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    # --- receipts and inbound SMS ------------------------------------------------------

    def _deliver(self, pdu) -> int:
        """Handle one deliver_sm; the command_status to answer it with."""
        esm_class = pdu.esm_class or 0
        if esm_class & ESM_CLASS_NOT_A_MESSAGE:
            self._receipt(pdu)
        else:
            self._inbound(pdu, esm_class)
        return ESME_ROK

    def _receipt(self, pdu) -> None:
        text = pdu.short_message or getattr(pdu, "message_payload", None) or b""
        message_id = _text(getattr(pdu, "receipted_message_id", None))
        if not message_id:
            match = RECEIPT_ID.search(text)
            message_id = match.group(1).decode("latin-1") if match else ""
        match = RECEIPT_STAT.search(text)
        if match:
            stat = match.group(1).decode("latin-1").upper()
        else:
            stat = MESSAGE_STATES.get(getattr(pdu, "message_state", None) or 0, "")
        if not message_id or stat not in RECEIPT_STATUSES:
            logger.warning("SMPP %s: receipt not understood: %r", self.name, text[:200])
            return
        status = RECEIPT_STATUSES[stat]
        if status is None:
            return
        callback = self._on_receipt
        if callback is None:
            from .services import notification_receipt

            callback = _with_fresh_database_connection(notification_receipt)
        callback(
            provider=self.name,
            message_id=message_id,
            status=status,
            provider_status=stat,
            at=_done_date(text) or datetime.now(UTC),
        )

    def _inbound(self, pdu, esm_class: int) -> None:
        ton = pdu.source_addr_ton or 0
        sender = e164(_text(pdu.source_addr), region=self.default_region, international=ton == 1)
        data = pdu.short_message or getattr(pdu, "message_payload", None) or b""
        data_coding = pdu.data_coding or 0
        if esm_class & UDHI:
            concatenation, data = _split_udh(data)
            if concatenation is not None:
                data = self._inbound_part(sender, concatenation, data)
                if data is None:
                    return  # more parts to come
        text = _decode_text(data, data_coding)
        callback = self._on_inbound
        if callback is None:
            from .services import inbound_sms_receive

            callback = _with_fresh_database_connection(inbound_sms_receive)
        callback(provider=self.name, sender=sender, text=text)
        if esm_class & UDHI and concatenation is not None:
            with self._mo_lock:
                # Only once handled: a failed callback lets the SMSC send the last part
                # again, which must still find the others here.
                self._mo_parts.pop((sender, concatenation[0], concatenation[1]), None)

    def _inbound_part(self, sender, concatenation, payload) -> bytes | None:
        """The whole payload once every part of a concatenated SMS has come, else None."""
        reference, total, sequence = concatenation
        now = time.monotonic()
        with self._mo_lock:
            for key, partial in list(self._mo_parts.items()):
                if now - partial.first_seen > MO_PARTS_MAX_AGE:
                    logger.warning("SMPP %s: incomplete inbound SMS from %s", self.name, key[0])
                    del self._mo_parts[key]
            partial = self._mo_parts.setdefault(
                (sender, reference, total), _PartialMessage(now, {})
            )
            partial.parts[sequence] = payload
            if len(partial.parts) < total:
                return None
            return b"".join(partial.parts[index] for index in sorted(partial.parts))


def _optional_int(value) -> int | None:
    return None if value is None or value == "" else int(value)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.rstrip(b"\0").decode("latin-1")
    return str(value)


def _done_date(text: bytes) -> datetime | None:
    match = RECEIPT_DONE.search(text)
    if not match:
        return None
    digits, seconds = match.group(1).decode(), match.group(2)
    try:
        return datetime(
            2000 + int(digits[0:2]),
            int(digits[2:4]),
            int(digits[4:6]),
            int(digits[6:8]),
            int(digits[8:10]),
            int(seconds) if seconds else 0,
            tzinfo=UTC,
        )
    except ValueError:
        return None


def _split_udh(data: bytes) -> tuple[tuple[int, int, int] | None, bytes]:
    """((reference, total, sequence) or None, payload) of a message with a UDH."""
    if not data or len(data) < 1 + data[0]:
        return None, data
    header, payload = data[1 : 1 + data[0]], data[1 + data[0] :]
    index = 0
    while index + 2 <= len(header):
        iei, length = header[index], header[index + 1]
        element = header[index + 2 : index + 2 + length]
        if iei == 0x00 and length == 3 and len(element) == 3:
            return (element[0], element[1], element[2]), payload
        if iei == 0x08 and length == 4 and len(element) == 4:
            return ((element[0] << 8) | element[1], element[2], element[3]), payload
        index += 2 + length
    return None, payload


def _decode_text(data: bytes, data_coding: int) -> str:
    if data_coding == 0x08:
        return data.decode("utf-16-be", errors="replace")
    if data_coding == 0x00:
        try:
            return gsm7_decode(data)
        except ValueError:
            pass  # some SMSCs send Latin-1 under the "default alphabet"
    return data.decode("latin-1")


def _with_fresh_database_connection(function):
    """The services run in our long-lived thread, where Django never recycles connections."""

    def call(**kwargs):
        from django.db import close_old_connections

        close_old_connections()
        try:
            return function(**kwargs)
        finally:
            close_old_connections()

    return call
