"""A small clamd client: each upload is streamed to ClamAV's daemon before it is kept.

clamd's INSTREAM command (https://docs.clamav.net/manual/Usage/Scanning.html): the
command, then chunks each prefixed by their length (4 bytes, network order), then a
zero length; clamd answers "stream: OK", "stream: <signature> FOUND" or "<why> ERROR".
The protocol is small enough to speak here: the `clamd` package on PyPI is unmaintained.

Policy (see docs/documents.md): no clamd configured → "not scanned"; clamd down, slow or
answering an error → "scan failed" and a WARNING line, and the caller keeps the file so
that a broken scanner never stops a citizen from filing; staff see the status.
"""

import logging
import socket
import struct
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from .models import ScanStatus

logger = logging.getLogger("mizan.documents")

# clamd's StreamMaxLength is 25 MB by default and its chunks may be as large; small
# chunks keep memory flat and let the deadline be checked between them.
CHUNK_BYTES = 64 * 1024
# A verdict is one short line; anything longer is not clamd talking.
MAX_REPLY_BYTES = 4096
# After clamd let a scan time out, this process does not wait on it again for this
# long: a form with five files would otherwise hold the citizen five timeouts, past
# the proxy's own timeout (docs/operations.md), and lose the whole form.
HUNG_SCANNER_PAUSE_SECONDS = 60
_hung_until = 0.0


class ClamdError(Exception):
    """clamd could not give a verdict (closed, garbled or too long an answer)."""


@dataclass(frozen=True)
class ScanResult:
    status: str
    detail: str = ""
    scanned_at: datetime | None = None

    @property
    def infected(self) -> bool:
        return self.status == ScanStatus.INFECTED


@dataclass(frozen=True)
class ClamdTarget:
    """Where clamd listens: a Unix socket path, or a TCP (host, port)."""

    unix_path: str = ""
    host: str = ""
    port: int = 0

    def __str__(self) -> str:
        return self.unix_path or f"{self.host}:{self.port}"


def clamd_target() -> ClamdTarget | None:
    """The configured clamd, None when there is none; ValueError if the address is malformed."""
    if settings.MIZAN_CLAMD_SOCKET:
        return ClamdTarget(unix_path=settings.MIZAN_CLAMD_SOCKET)
    address = settings.MIZAN_CLAMD_ADDRESS.strip()
    if not address:
        return None
    host, _, port = address.rpartition(":")
    # "[::1]:3310": an IPv6 address is written in brackets, as in a URL.
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"MIZAN_CLAMD_ADDRESS must be host:port, not {address!r}")
    return ClamdTarget(host=host, port=int(port))


def scan_content(content: bytes) -> ScanResult:
    """clamd's verdict on these bytes; never raises (a failure is a status)."""
    try:
        target = clamd_target()
    except ValueError as error:
        return _failed(str(error), target="(misconfigured)")
    if target is None:
        return ScanResult(ScanStatus.NOT_SCANNED)
    global _hung_until
    if time.monotonic() < _hung_until:
        return _failed("not asked: it timed out less than a minute ago", target=target)
    try:
        reply = _instream(target, content, timeout=settings.MIZAN_CLAMD_TIMEOUT)
    except TimeoutError:
        _hung_until = time.monotonic() + HUNG_SCANNER_PAUSE_SECONDS
        return _failed(f"no answer within {settings.MIZAN_CLAMD_TIMEOUT:g} s", target=target)
    except (OSError, ClamdError) as error:
        return _failed(str(error) or error.__class__.__name__, target=target)
    return _verdict(reply, target=target)


def _verdict(reply: str, *, target: ClamdTarget) -> ScanResult:
    now = timezone.now()
    # "stream: OK" (INSTREAM names the file "stream"); older versions omit the prefix.
    body = reply.removeprefix("stream:").strip()
    if body == "OK":
        return ScanResult(ScanStatus.CLEAN, scanned_at=now)
    if body.endswith(" FOUND"):
        signature = body.removesuffix(" FOUND").strip() or "unknown"
        return ScanResult(ScanStatus.INFECTED, detail=signature[:200], scanned_at=now)
    # "... ERROR" (e.g. the size limit) or anything else: not a verdict we can trust.
    return _failed(reply or "empty answer", target=target)


def _failed(reason: str, *, target) -> ScanResult:
    logger.warning("malware scan failed (clamd %s): %s; file kept as scan_failed", target, reason)
    return ScanResult(ScanStatus.SCAN_FAILED, detail=reason[:200], scanned_at=timezone.now())


def _instream(target: ClamdTarget, content: bytes, *, timeout: float) -> str:
    # One deadline for the whole exchange: a per-call socket timeout alone would let
    # a server that trickles bytes hold the citizen's request for ever.
    deadline = time.monotonic() + timeout
    with _connect(target, timeout) as sock:
        try:
            _send(sock, b"zINSTREAM\0", deadline)
            view = memoryview(content)
            for start in range(0, len(view), CHUNK_BYTES):
                chunk = view[start : start + CHUNK_BYTES]
                _send(sock, struct.pack("!L", len(chunk)) + chunk, deadline)
            _send(sock, struct.pack("!L", 0), deadline)
        except (BrokenPipeError, ConnectionResetError) as error:
            # clamd closes the stream early when it refuses it (its size limit) and
            # says why first: read that answer rather than report a broken pipe.
            reply = _receive(sock, deadline, tolerate_reset=True)
            if not reply:
                raise ClamdError(f"clamd closed the connection: {error}") from error
            return reply
        reply = _receive(sock, deadline)
    if not reply:
        raise ClamdError("clamd closed the connection without an answer")
    return reply


def _connect(target: ClamdTarget, timeout: float) -> socket.socket:
    if target.unix_path:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(target.unix_path)
        except OSError:
            sock.close()
            raise
        return sock
    return socket.create_connection((target.host, target.port), timeout=timeout)


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _send(sock: socket.socket, data: bytes, deadline: float) -> None:
    sock.settimeout(_remaining(deadline))
    sock.sendall(data)


def _receive(sock: socket.socket, deadline: float, *, tolerate_reset: bool = False) -> str:
    reply = bytearray()
    # The "z" form of the command makes clamd end its answer with a NUL byte.
    while not reply.endswith(b"\0"):
        sock.settimeout(_remaining(deadline))
        try:
            data = sock.recv(1024)
        except ConnectionResetError as error:
            if tolerate_reset:
                break
            raise ClamdError(f"clamd closed the connection: {error}") from error
        if not data:
            break
        reply += data
        if len(reply) > MAX_REPLY_BYTES:
            raise ClamdError("clamd answer too long")
    return reply.rstrip(b"\0").decode("utf-8", "replace").strip()
